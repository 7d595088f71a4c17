import pgCopyStreams from 'pg-copy-streams';
import type {ConnectionSettings} from '../../core/connection-settings.ts';
import {CopyTextRows, RowChecksum} from '../row-checksum.ts';
import type {TableChecksum} from '../types.ts';
import {copyOutStatement} from './chunks.ts';
import {readDatabaseToc} from './ddl/read-toc.ts';
import {openSession} from './dump.ts';
import {qualifiedName} from './identifiers.ts';

/**
 * Every table of `database` with its row count and row checksum, read the way the dump reads it (the
 * dump's session settings, COPY text of the same columns), so a restored copy can be compared with what
 * the backup's manifest recorded.
 */
export async function postgresTableChecksums(settings: ConnectionSettings, database: string): Promise<TableChecksum[]> {
	const client = await openSession(settings, database);
	try {
		await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
		const toc = await readDatabaseToc(client, {noOwner: true, noPrivileges: true});
		const result: TableChecksum[] = [];
		for (const table of toc.tables) {
			const checksum = new RowChecksum();
			const rows = new CopyTextRows(checksum);
			const copy = client.query(pgCopyStreams.to(copyOutStatement(qualifiedName(table.schema, table.name), table.columns, {index: 0})));
			for await (const chunk of copy) rows.write(chunk as Buffer);
			rows.end();
			result.push({namespace: table.schema, name: table.name, rows: checksum.rows, checksum: checksum.digest()});
		}
		await client.query('COMMIT');
		return result;
	} finally {
		await client.end().catch(() => undefined);
	}
}
