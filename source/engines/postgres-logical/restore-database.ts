import type pg from 'pg';
import {connectPostgres} from '../../core/connect.ts';
import {DbBackupError, WorkError} from '../../core/errors.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import type {OpenArchive} from '../../storage/archive/reader.ts';
import type {ManifestDatabase} from '../../storage/archive/manifest.ts';
import type {RestoreOptions} from '../types.ts';
import {CopyIn, copyPieces} from './copy-in.ts';
import {TOC_SESSION_SETTINGS} from './ddl/session.ts';
import type {DataTable, DdlEntry} from './ddl/types.ts';
import {runWithDependencies} from './dependency-pool.ts';
import {qualifiedName, quoteIdent} from './identifiers.ts';
import {writeLargeObject} from './large-objects.ts';
import {markRestoreFinished, markRestoreStarted} from './restore-marker.ts';
import {postDataWithTheirTables, type DataPhaseItem} from './restore-schedule.ts';
import type {EntrySelection} from './restore-selection.ts';
import {dropDatabase, type TargetDecision} from './restore-target.ts';
import {COPY_SESSION_STATEMENTS} from './snapshot.ts';
import type {StoredToc} from './stored-toc.ts';

interface ServerError {
	code?: string;
	message?: string;
	detail?: string;
}

export interface Chunk {
	table: DataTable;
	member: string;
	rawBytes: number;
}

/** One database of the archive, read and checked, with where it goes and what is done with the target. */
export interface DatabasePlan {
	source: ManifestDatabase;
	target: string;
	stored: StoredToc;
	selection: EntrySelection;
	/** the chunks to load, in the order workers take them */
	chunks: Chunk[];
	decision?: TargetDecision;
}

export interface DatabaseRestored {
	tables: number;
	rows: number;
	bytes: number;
	failed: number;
}

export type DatabaseRestoreOptions = Pick<RestoreOptions, 'settings' | 'workers' | 'continueOnError' | 'dataOnly' | 'noOwner' | 'noPrivileges'>;

function tableKey(table: {schema: string; name: string}): string {
	return `${table.schema}.${table.name}`;
}

/**
 * The chunks in the order workers take them: round after round one chunk of each table, the largest
 * tables first, so that workers load different tables at once instead of contending for one table's
 * relation extension lock, and the biggest tables do not start last.
 */
function interleaveTables<T extends {rawBytes: number}>(tables: T[][]): T[] {
	const bySize = tables.map((chunks) => ({chunks, bytes: chunks.reduce((sum, chunk) => sum + chunk.rawBytes, 0)})).sort((a, b) => b.bytes - a.bytes);
	const order: T[] = [];
	for (let round = 0; order.length < bySize.reduce((sum, table) => sum + table.chunks.length, 0); round++) {
		for (const table of bySize) if (round < table.chunks.length) order.push(table.chunks[round]);
	}
	return order;
}

/** The chunks of the selected tables of `source`, as the archive's manifest lists them. */
export function planChunks(archive: OpenArchive, source: ManifestDatabase, selection: EntrySelection): Chunk[] {
	const sizes = new Map(archive.manifest.members.map((member) => [member.path, member]));
	const tableMembers = new Map(source.tables.map((table) => [`${table.namespace ?? ''}.${table.name}`, table]));
	return interleaveTables(
		selection.tables.map((table: DataTable) => (tableMembers.get(tableKey(table))?.members ?? []).map((member) => ({table, member, rawBytes: sizes.get(member)?.rawBytes ?? 0}))),
	);
}

/** For each table, the other tables its foreign keys reference, as the target database has them. */
async function referencedTables(client: pg.Client, tables: DataTable[]): Promise<Map<string, string[]>> {
	const {rows} = await client.query<{table_schema: string; table_name: string; ref_schema: string; ref_name: string}>(
		`SELECT tn.nspname AS table_schema, t.relname AS table_name, rn.nspname AS ref_schema, r.relname AS ref_name
		 FROM pg_catalog.pg_constraint c
		 JOIN pg_catalog.pg_class t ON t.oid = c.conrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
		 JOIN pg_catalog.pg_class r ON r.oid = c.confrelid JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
		 WHERE c.contype = 'f' AND c.conrelid <> c.confrelid`,
	);
	const selected = new Set(tables.map(tableKey));
	const references = new Map<string, string[]>();
	for (const row of rows) {
		const from = tableKey({schema: row.table_schema, name: row.table_name});
		const to = tableKey({schema: row.ref_schema, name: row.ref_name});
		if (selected.has(from) && selected.has(to)) references.set(from, [...(references.get(from) ?? []), to]);
	}
	return references;
}

function describeEntry(entry: DdlEntry): string {
	return `${entry.kind} ${entry.schema !== undefined ? `${entry.schema}.` : ''}${entry.name}`;
}

/** Runs one entry; a refusal names the entry and the SQLSTATE, and with continueOnError is counted instead. */
async function applyEntry(client: pg.Client, entry: DdlEntry, continueOnError: boolean, bus: EventBus): Promise<number> {
	try {
		await client.query(entry.sql);
		return 0;
	} catch (error) {
		const {code, message = String(error), detail} = (error ?? {}) as ServerError;
		if (code === undefined) throw error;
		const text = `${entry.section} ${describeEntry(entry)}: the server refused it: ${message}${detail ? ` (${detail})` : ''} (SQLSTATE ${code})`;
		if (!continueOnError) {
			throw new WorkError({code: 'SQL_STATEMENT_FAILED', message: text, hint: 'Fix the target server (a missing role or extension?), restore with --no-owner/--no-privileges, or with --continue-on-error to count failures and go on.', cause: error});
		}
		bus.warn(text, {code: 'SQL_STATEMENT_FAILED'});
		return 1;
	}
}

/**
 * Restores one database of the archive, its target already decided: dropped and created as decided,
 * pre-data definitions in order, the rows with COPY FROM on every worker (read and decompressed on the
 * archive reader's threads), each table's indexes and constraints as soon as its rows are in, sequence
 * values and large objects, then the rest of post-data (triggers, refreshes…) in parallel as their
 * dependencies complete.
 */
export async function restorePostgresDatabase(
	plan: DatabasePlan & {decision: TargetDecision},
	/** several: the restore has several databases, and progress names the database too */
	context: {archive: OpenArchive; control: pg.Client; options: DatabaseRestoreOptions; overall: ProgressReporter; several: boolean},
	bus: EventBus,
): Promise<DatabaseRestored> {
	const {archive, control, options, overall} = context;
	const {source, target, stored, selection, chunks, decision} = plan;
	const continueOnError = options.continueOnError ?? false;
	const workers: pg.Client[] = [];
	try {
		let previousComment: string | null = null;
		let finalComment: string[] = [];
		if (decision.drop) {
			await dropDatabase(control, target);
			bus.warn(`--clean: dropped database ${target}`, {code: 'DROPPED_EXISTING'});
		}
		if (decision.create) {
			bus.stage('create', `creating database ${target}`);
			await control.query(`CREATE DATABASE ${quoteIdent(target)} ${stored.toc.database.createOptions}`);
			previousComment = await markRestoreStarted(control, target, archive.path);
			// the database's own comment is set last: until then the comment marks the restore unfinished
			finalComment = stored.toc.database.postCreateSql.filter((sql) => /^\s*COMMENT\s+ON\s+DATABASE\b/i.test(sql));
			const databaseSql = [
				...(options.noOwner ? [] : [`ALTER DATABASE {{database}} OWNER TO ${quoteIdent(stored.toc.database.owner)};`]),
				...stored.toc.database.postCreateSql.filter((sql) => !finalComment.includes(sql)),
			];
			for (const sql of databaseSql) {
				const entry: DdlEntry = {id: 'database', kind: 'owner', section: 'pre-data', name: target, sql: sql.replaceAll('{{database}}', quoteIdent(target)), dependsOn: []};
				if (options.noPrivileges && /^\s*(GRANT|REVOKE)\b/i.test(sql)) continue;
				await applyEntry(control, entry, continueOnError, bus);
			}
		}
		if (!decision.create) previousComment = await markRestoreStarted(control, target, archive.path);
		const workerCount = Math.max(1, options.workers);
		bus.stage('connect', `opening ${workerCount} connection(s) to ${target}`);
		for (let index = 0; index < workerCount; index++) {
			const client = await connectPostgres({...options.settings, database: target});
			workers.push(client);
			for (const statement of [...COPY_SESSION_STATEMENTS, ...TOC_SESSION_SETTINGS]) await client.query(statement);
		}
		const [first] = workers;
		let failed = 0;

		const preData = selection.entries.filter((entry) => entry.section === 'pre-data');
		bus.stage('pre-data', `${preData.length} definition(s) in ${target}`);
		for (const entry of preData) failed += await applyEntry(first, entry, continueOnError, bus);

		const tableMembers = new Map(source.tables.map((table) => [`${table.namespace ?? ''}.${table.name}`, table]));
		const tableProgress = new Map(selection.tables.map((table) => [table, new ProgressReporter(bus, `restore ${context.several ? `${target}.` : ''}${table.schema}.${table.name}`, 'rows', tableMembers.get(`${table.schema}.${table.name}`)?.rows)]));
		let rows = 0;
		let bytes = 0;
		// the foreign keys are in force only with --data-only (otherwise they come in post-data): referenced tables load first
		const referenced = options.dataOnly ? await referencedTables(first, selection.tables) : new Map<string, string[]>();
		const chunksOf = new Map<string, string[]>();
		for (const chunk of chunks) chunksOf.set(tableKey(chunk.table), [...(chunksOf.get(tableKey(chunk.table)) ?? []), chunk.member]);
		const ordered: DataPhaseItem[] = chunks.map((chunk) => ({...chunk, kind: 'chunk', id: chunk.member, dependsOn: (referenced.get(tableKey(chunk.table)) ?? []).flatMap((table) => chunksOf.get(table) ?? [])}));
		const postData = selection.entries.filter((entry) => entry.section === 'post-data');
		const early = postDataWithTheirTables(postData, selection.tables, chunksOf);
		bus.stage(
			'data',
			`${chunks.length} chunk(s) of ${selection.tables.length} table(s) on ${workers.length} worker(s)${early.length > 0 ? `, and ${early.length} index(es) and constraint(s) as their tables complete` : ''}`,
		);
		// an index or a constraint starts as soon as its tables are loaded, before the chunks still waiting
		await runWithDependencies(workers, [...early, ...ordered], async (worker, item) => {
			if (item.kind === 'entry') {
				failed += await applyEntry(worker, item.entry, continueOnError, bus);
				return;
			}
			const {table} = item;
			const copy = new CopyIn(`COPY ${qualifiedName(table.schema, table.name)}${table.columns.length > 0 ? ` (${table.columns.join(', ')})` : ''} FROM STDIN`);
			void worker.query(copy);
			tableProgress.get(table)?.begin();
			let copied: number;
			try {
				copied = await copyPieces(copy, archive.readMemberPieces(item.member), (count) => {
					bytes += count;
					overall.add(count);
				});
			} catch (error) {
				const {code, message = String(error)} = (error ?? {}) as ServerError;
				if (code === undefined || !continueOnError) {
					if (error instanceof DbBackupError) throw error;
					throw new WorkError({code: 'COPY_FAILED', message: `${item.member}: COPY into ${table.schema}.${table.name} failed: ${message}${code ? ` (SQLSTATE ${code})` : ''}`, hint: 'The archive passed its checksums, so the target refused the rows: check its definitions (or restore with --continue-on-error).', cause: error});
				}
				failed += 1;
				bus.warn(`${item.member}: COPY into ${table.schema}.${table.name} failed: ${message} (SQLSTATE ${code})`, {code: 'COPY_FAILED'});
				return;
			}
			rows += copied;
			tableProgress.get(table)?.add(copied);
		});
		for (const progress of tableProgress.values()) progress.finish();

		if (selection.largeObjects && stored.largeObjects.length > 0) {
			bus.stage('large-objects', `${stored.largeObjects.length} large object(s)`);
			for (const oid of stored.largeObjects) await writeLargeObject(first, oid, archive.readMember(stored.largeObjectMembers[String(oid)]) as AsyncIterable<Buffer>);
		}
		for (const entry of selection.entries.filter((candidate) => candidate.section === 'data')) failed += await applyEntry(first, entry, continueOnError, bus);

		const applied = new Set(early.map((item) => item.id));
		const rest = postData.filter((entry) => !applied.has(entry.id));
		bus.stage('post-data', `${rest.length} definition(s) on ${workers.length} worker(s)`);
		await runWithDependencies(workers, rest, async (worker, entry) => {
			failed += await applyEntry(worker, entry, continueOnError, bus);
		});
		await markRestoreFinished(control, target, previousComment);
		for (const sql of finalComment) {
			failed += await applyEntry(control, {id: 'database', kind: 'comment', section: 'post-data', name: target, sql: sql.replaceAll('{{database}}', quoteIdent(target)), dependsOn: []}, continueOnError, bus);
		}
		return {tables: selection.tables.length, rows, bytes, failed};
	} finally {
		for (const client of workers) await client.end().catch(() => undefined);
	}
}
