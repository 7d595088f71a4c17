import type pg from 'pg';
import pgCopyStreams from 'pg-copy-streams';
import {Transform, type Readable} from 'node:stream';
import {connectPostgres} from '../../core/connect.ts';
import type {ConnectionSettings} from '../../core/connection-settings.ts';
import {UsageError} from '../../core/errors.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import type {Compression} from '../../storage/compression.ts';
import {CopyTextRows, RowChecksum} from '../row-checksum.ts';
import {runOnWorkers} from '../worker-pool.ts';
import {copyOutStatement, planTableChunks, type TableChunk} from './chunks.ts';
import {readDatabaseToc} from './ddl/read-toc.ts';
import type {DataTable} from './ddl/types.ts';
import {qualifiedName} from './identifiers.ts';
import {listLargeObjects, readLargeObject} from './large-objects.ts';
import type {StorageOptions} from '../../storage/target/index.ts';
import {createPostgresArchiveOutput} from './output-archive.ts';
import {createPostgresScriptOutput} from './output-script.ts';
import type {DumpedDatabase, PostgresDumpOutput} from './output.ts';
import {COPY_SESSION_STATEMENTS, exportSnapshot, joinSnapshot, type PostgresCoordinates} from './snapshot.ts';

export interface PostgresDumpOptions {
	settings: ConnectionSettings;
	/** empty: every database that accepts connections, templates left out */
	databases: string[];
	workers: number;
	/** rows per chunk; unset: adaptive (ctid block ranges of about 16 MiB (ADAPTIVE_CHUNK_BYTES)); 0: never split */
	chunkRows?: number;
	format: 'sql' | 'archive';
	compression?: Compression;
	level?: number;
	output: string;
	storage?: StorageOptions;
	noOwner?: boolean;
	noPrivileges?: boolean;
}

export interface PostgresDumpResult {
	output: string;
	bytes: number;
	serverVersion: string;
	/** the first database's coordinates (one per database when several are dumped) */
	coordinates: PostgresCoordinates;
	databases: string[];
	tables: number;
	rows: number;
	startedAt: string;
	finishedAt: string;
}

interface ChunkWork {
	table: DataTable;
	chunk: TableChunk;
	chunks: number;
	blocks: number;
	progress: ProgressReporter;
}

async function listDatabases(client: pg.Client, asked: string[]): Promise<string[]> {
	const {rows} = await client.query<{datname: string}>('SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname');
	const present = rows.map((row) => row.datname);
	if (asked.length === 0) return present;
	const missing = asked.filter((name) => !present.includes(name));
	if (missing.length > 0) {
		throw new UsageError({
			code: 'UNKNOWN_DATABASE',
			message: `no database ${missing.map((name) => JSON.stringify(name)).join(', ')} on this PostgreSQL server (it has ${present.join(', ') || 'none'})`,
			hint: 'Check the name; `dbbackup detect` lists the databases.',
		});
	}
	return asked;
}

export async function openSession(settings: ConnectionSettings, database: string): Promise<pg.Client> {
	const client = await connectPostgres({...settings, database});
	for (const statement of COPY_SESSION_STATEMENTS) await client.query(statement);
	return client;
}

async function tableBlocks(client: pg.Client, tables: DataTable[]): Promise<{blocks: Map<DataTable, number>; blockSize: number}> {
	const {rows: [{block_size}]} = await client.query<{block_size: string}>("SELECT current_setting('block_size') AS block_size");
	const blockSize = Number(block_size);
	const blocks = new Map<DataTable, number>();
	for (const table of tables) {
		const {rows} = await client.query<{size: string}>('SELECT pg_catalog.pg_relation_size($1::regclass) AS size', [qualifiedName(table.schema, table.name)]);
		blocks.set(table, Math.ceil(Number(rows[0].size) / blockSize));
	}
	return {blocks, blockSize};
}

/** Copies one chunk out through the output; resolves with its row count once the connection is free. */
async function copyChunk(client: pg.Client, output: PostgresDumpOutput, database: DumpedDatabase, work: ChunkWork, checksum: RowChecksum): Promise<number> {
	const {table, chunk} = work;
	const stream = client.query(pgCopyStreams.to(copyOutStatement(qualifiedName(table.schema, table.name), table.columns, chunk)));
	await output.writeChunk(database, table, chunk, work.chunks, checksummed(stream, checksum), () => stream.rowCount);
	return stream.rowCount;
}

/** The COPY text passed on as it is, every row added to `checksum` on the way. */
function checksummed(copy: Readable, checksum: RowChecksum): Readable {
	const rows = new CopyTextRows(checksum);
	const through = new Transform({
		transform(chunk: Buffer, _encoding, done) {
			rows.write(chunk);
			done(null, chunk);
		},
		flush(done) {
			rows.end();
			done();
		},
	});
	copy.once('error', (error) => through.destroy(error));
	return copy.pipe(through);
}

/**
 * Dumps one database: the leader exports a snapshot and reads the definitions in it, every worker joins
 * the snapshot, then the tables' chunks are copied out largest first on all workers.
 */
/** The whole dump in rows: each database's tables are added at their estimates when it is planned, and corrected to their counts when it is done. */
interface OverallRows {
	reporter: ProgressReporter;
	expected: number;
}

async function dumpDatabase(
	name: string,
	options: PostgresDumpOptions,
	output: PostgresDumpOutput,
	rowsByTable: Map<DataTable, number>,
	checksums: Map<DataTable, RowChecksum>,
	overall: OverallRows,
	bus: EventBus,
): Promise<DumpedDatabase> {
	const leader = await connectPostgres({...options.settings, database: name});
	const workers: pg.Client[] = [];
	try {
		const {rows: [{encoding, version_num}]} = await leader.query<{encoding: string; version_num: string}>(
			"SELECT pg_catalog.pg_encoding_to_char(encoding) AS encoding, current_setting('server_version_num') AS version_num FROM pg_catalog.pg_database WHERE datname = current_database()",
		);
		for (const statement of COPY_SESSION_STATEMENTS) await leader.query(statement);
		bus.stage('snapshot', `${name}: exporting a snapshot`);
		const coordinates = await exportSnapshot(leader);
		bus.log('info', `${name}: snapshot ${coordinates.snapshot} at LSN ${coordinates.lsn}`);
		const toc = await readDatabaseToc(leader, {noOwner: options.noOwner, noPrivileges: options.noPrivileges});
		for (const missing of toc.unsupported ?? []) bus.warn(`${name}: not in the backup: ${missing}`, {code: 'PG_UNSUPPORTED_OBJECTS'});
		// like pg_dump: a table dropped or altered while its rows are copied would make the dump wrong; the lock forbids it
		for (const table of toc.tables) await leader.query(`LOCK TABLE ONLY ${qualifiedName(table.schema, table.name)} IN ACCESS SHARE MODE`);
		const largeObjects = await listLargeObjects(leader);
		const database: DumpedDatabase = {name, encoding, toc, coordinates, largeObjects};

		const workerCount = output.sequential ? 1 : Math.max(1, options.workers);
		bus.stage('connect', `${name}: ${workerCount} worker(s) joining the snapshot`);
		for (let index = 0; index < workerCount; index++) {
			const worker = await openSession(options.settings, name);
			workers.push(worker);
			await joinSnapshot(worker, coordinates.snapshot);
		}
		const {blocks, blockSize} = await tableBlocks(leader, toc.tables);
		const works: ChunkWork[] = [];
		const estimates = new Map<DataTable, number>();
		for (const table of toc.tables) {
			const tableBlockCount = blocks.get(table) ?? 0;
			const chunks = planTableChunks({table, blocks: tableBlockCount, blockSize, serverVersionNum: Number(version_num), chunkRows: options.chunkRows});
			estimates.set(table, Math.max(0, Math.round(table.estimatedRows)));
			const progress = new ProgressReporter(bus, `${name}.${table.schema}.${table.name}`, 'rows', estimates.get(table) || undefined);
			for (const chunk of chunks) works.push({table, chunk, chunks: chunks.length, blocks: Math.ceil(tableBlockCount / chunks.length), progress});
			rowsByTable.set(table, 0);
			checksums.set(table, new RowChecksum());
		}
		// a plain script needs each table's chunks in order; an archive goes largest first so no worker is left with a big table at the end
		if (!output.sequential) works.sort((a, b) => b.blocks - a.blocks);
		overall.expected += [...estimates.values()].reduce((sum, rows) => sum + rows, 0);
		overall.reporter.setTotal(overall.expected);
		overall.reporter.begin();
		await output.beginDatabase(database);
		bus.stage('data', `${name}: ${works.length} chunk(s) of ${toc.tables.length} table(s) on ${workers.length} worker(s)`);
		await runOnWorkers(workers, works, async (worker, work) => {
			work.progress.begin();
			const rows = await copyChunk(worker, output, database, work, checksums.get(work.table)!);
			rowsByTable.set(work.table, (rowsByTable.get(work.table) ?? 0) + rows);
			work.progress.add(rows);
			overall.reporter.add(rows);
		});
		for (const work of works) {
			// the total was the planner's estimate; the table's count is now known
			work.progress.setTotal(rowsByTable.get(work.table));
			work.progress.finish();
		}
		for (const [table, estimate] of estimates) overall.expected += (rowsByTable.get(table) ?? 0) - estimate;
		overall.reporter.setTotal(overall.expected);
		for (const oid of largeObjects) await output.writeLargeObject(database, oid, readLargeObject(workers[0], oid));
		await output.endDatabase(database);
		for (const worker of workers) await worker.query('COMMIT');
		await leader.query('COMMIT');
		return database;
	} finally {
		for (const client of [...workers, leader]) await client.end().catch(() => undefined);
	}
}

export async function dumpPostgres(options: PostgresDumpOptions, bus: EventBus): Promise<PostgresDumpResult> {
	const startedAt = new Date().toISOString();
	const control = await connectPostgres(options.settings);
	let names: string[];
	let serverVersion: string;
	try {
		names = await listDatabases(control, options.databases);
		serverVersion = (await control.query<{server_version: string}>('SHOW server_version')).rows[0].server_version;
	} finally {
		await control.end().catch(() => undefined);
	}
	if (options.format === 'sql' && names.length !== 1) {
		throw new UsageError({code: 'SQL_FORMAT_ONE_DATABASE', message: `--format sql writes one database per script; ${names.length} were asked for`, hint: 'Back up one database per script, or use the archive format for several.'});
	}
	const output =
		options.format === 'sql'
			? await createPostgresScriptOutput(options.output, options.storage)
			: await createPostgresArchiveOutput({
					path: options.output,
					storage: options.storage,
					settings: options.settings,
					compression: options.compression ?? 'zstd',
					level: options.level,
					workers: options.workers,
					options: {workers: options.workers, chunkRows: options.chunkRows ?? 'adaptive', noOwner: options.noOwner ?? false, noPrivileges: options.noPrivileges ?? false},
					bus,
				});
	const rowsByTable = new Map<DataTable, number>();
	const checksums = new Map<DataTable, RowChecksum>();
	try {
		const dumped: DumpedDatabase[] = [];
		const overall: OverallRows = {reporter: new ProgressReporter(bus, 'dump', 'rows', 0), expected: 0};
		for (const name of names) dumped.push(await dumpDatabase(name, options, output, rowsByTable, checksums, overall, bus));
		overall.reporter.finish();
		bus.stage('finish', `writing ${options.output}`);
		const bytes = await output.finish({startedAt, serverVersion, tables: rowsByTable, checksums});
		return {
			output: options.output,
			bytes,
			serverVersion,
			coordinates: dumped[0].coordinates,
			databases: names,
			tables: rowsByTable.size,
			rows: [...rowsByTable.values()].reduce((sum, rows) => sum + rows, 0),
			startedAt,
			finishedAt: new Date().toISOString(),
		};
	} catch (error) {
		await output.abort().catch(() => undefined);
		throw error;
	}
}
