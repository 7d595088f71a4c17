import type pg from 'pg';
import {readCollations} from './collations.ts';
import {readComments} from './comments.ts';
import {readDatabase} from './database.ts';
import {readDefaults} from './defaults.ts';
import {addCatalogDependencies, addPartitionedIndexDependencies} from './dependencies.ts';
import {readEventTriggers} from './event-triggers.ts';
import {readExtensions} from './extensions.ts';
import {readForeignKeys, readIndexes} from './indexes.ts';
import {readLargeObjects} from './large-objects.ts';
import {orderEntries} from './order.ts';
import {readPolicies} from './policies.ts';
import {readPrivileges} from './privileges.ts';
import {readPublications} from './publications.ts';
import {readRoutines} from './routines.ts';
import {readSchemas} from './schemas.ts';
import {listSequences, readSequences} from './sequences.ts';
import {readStatistics} from './statistics.ts';
import {readTables} from './tables.ts';
import {findUnsupported} from './unsupported.ts';
import {TocBuilder, type TocOptions} from './toc-builder.ts';
import {readRules, readTriggers} from './triggers-rules.ts';
import type {DatabaseToc} from './types.ts';
import {readTypes} from './user-types.ts';
import {readViews} from './views.ts';

/**
 * The complete definition of the connected database, from its catalogs. The client must be inside the
 * dump's transaction (REPEATABLE READ, READ ONLY, the exported snapshot): everything, sequence values
 * included, is read as of that snapshot. The SQL assumes TOC_SESSION_SETTINGS (session.ts).
 *
 * The server's pg_get_*def functions qualify every name not visible on search_path, so search_path is
 * emptied for the transaction while reading (SET LOCAL) and put back after.
 */
export async function readDatabaseToc(client: pg.Client, options: TocOptions): Promise<DatabaseToc> {
	const {rows} = await client.query<{search_path: string}>(`SELECT pg_catalog.current_setting('search_path') AS search_path`);
	await client.query(`SELECT pg_catalog.set_config('search_path', '', true)`);
	const toc = new TocBuilder(options);
	await readSchemas(client, toc);
	await readExtensions(client, toc);
	await readCollations(client, toc);
	await readTypes(client, toc);
	await readRoutines(client, toc);
	const sequences = await listSequences(client);
	const tables = await readTables(client, toc, sequences);
	await readSequences(client, toc, sequences, (oid) => toc.objectAt('pg_class', oid)?.entryId);
	await readViews(client, toc);
	await readDefaults(client, toc);
	await readIndexes(client, toc);
	await readForeignKeys(client, toc);
	await readTriggers(client, toc);
	await readRules(client, toc);
	await readPolicies(client, toc);
	await readStatistics(client, toc);
	await readEventTriggers(client, toc);
	await readPublications(client, toc);
	await readLargeObjects(client, toc);
	await readComments(client, toc);
	if (!options.noPrivileges) await readPrivileges(client, toc);
	await addCatalogDependencies(client, toc);
	addPartitionedIndexDependencies(toc);
	const database = await readDatabase(client, options);
	const unsupported = await findUnsupported(client);
	// a failed read leaves the transaction aborted: the search_path is put back only after a successful one
	await client.query(`SELECT pg_catalog.set_config('search_path', $1, true)`, [rows[0].search_path]);
	return {database, entries: orderEntries(toc.entries), tables, ...(unsupported.length > 0 ? {unsupported} : {})};
}
