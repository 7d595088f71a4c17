import type {ConnectionSettings} from '../../core/connection-settings.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import type {Compression} from '../../storage/compression.ts';
import {connectMysql} from '../../core/connect.ts';
import {resolveDatabases, type Catalog, type TableInfo} from './catalog.ts';
import {writeChunk} from './chunk-writer.ts';
import {orderWork, planChunks, type Chunk} from './chunks.ts';
import {openConsistentSnapshot, warnUncoveredTables, type ConsistentSnapshot, type Coordinates, type LockMethod} from './consistency.ts';
import {definitionChangedError} from './ddl-lock.ts';
import {readDefinitionsAtPoint, type PointDefinitions} from './definitions-at-point.ts';
import type {StorageOptions} from '../../storage/target/index.ts';
import {createArchiveOutput} from './output-archive.ts';
import {createScriptOutput} from './output-script.ts';
import type {ServerVersion} from './server.ts';
import {runOnWorkers} from '../worker-pool.ts';
import {RowChecksum} from '../row-checksum.ts';

/** A chunk aims at about this many bytes of table data when --chunk-rows is not given. */
export const ADAPTIVE_CHUNK_BYTES = 16 * 1024 * 1024;
const MIN_CHUNK_ROWS = 1000;

export interface MysqlDumpOptions {
	settings: ConnectionSettings;
	/** empty: every database except the system ones */
	databases: string[];
	workers: number;
	/** rows per chunk for tables with a usable key; unset: adaptive (about ADAPTIVE_CHUNK_BYTES of data); 0: never split */
	chunkRows?: number;
	noLock?: boolean;
	/**
	 * false: the workers do not hold the dumped tables' metadata locks, so DDL on them need not wait for
	 * the dump, which then fails (TABLE_CHANGED_DURING_DUMP) when DDL changed a table before its rows
	 * were read. Default true: DDL on a dumped table waits until the dump has read the data.
	 */
	ddlLock?: boolean;
	/** accounts and their grants (--include-users) */
	includeUsers?: boolean;
	format: 'sql' | 'archive';
	/** archive only: per-member compression */
	compression?: Compression;
	level?: number;
	/** the artifact's path; written as `<output>.partial` and renamed when complete */
	output: string;
	storage?: StorageOptions;
	maxStatementBytes?: number;
}

export interface DumpedTable {
	db: string;
	table: string;
	rows: number;
}

export interface MysqlDumpResult {
	output: string;
	bytes: number;
	lockMs: number;
	method: LockMethod;
	coordinates: Coordinates;
	serverVersion: string;
	tables: DumpedTable[];
	startedAt: string;
	finishedAt: string;
}

export interface TableWork {
	table: TableInfo;
	chunks: Chunk[];
	remaining: number;
	rows: number;
	/** the rows read so far, as a multiset (the manifest's per-table checksum) */
	checksum: RowChecksum;
	progress: ProgressReporter;
}

/** Where one chunk's INSERT statements go. */
export interface ChunkTarget {
	write(buffer: Buffer): Promise<unknown>;
	/** the chunk is complete with `rows` rows */
	close(rows: number): Promise<void>;
	/** the chunk failed: drop what was written */
	discard(error: unknown): Promise<void>;
}

export interface DumpStart {
	server: ServerVersion;
	coordinates: Coordinates;
	method: LockMethod;
	lockMs: number;
	startedAt: string;
	databases: string[];
	catalog: Catalog;
	works: TableWork[];
	/** the accounts script, with --include-users */
	users?: string;
}

/** The artifact a dump is written into: a plain SQL script or an archive. */
export interface DumpOutput {
	begin(start: DumpStart): Promise<void>;
	openChunk(work: TableWork, chunk: Chunk): Promise<ChunkTarget>;
	/** every chunk of the table is closed */
	tableComplete(work: TableWork): Promise<void>;
	/** views, routines, triggers and events, after every table; then the accounts */
	writeObjects(start: DumpStart): Promise<void>;
	/** makes the artifact complete (renamed from .partial); returns its size */
	finish(start: DumpStart): Promise<number>;
	/** removes the partial artifact */
	abort(): Promise<void>;
}

/** Rows per chunk for `table`: the user's choice, else about ADAPTIVE_CHUNK_BYTES of its data. */
export function chunkRowsFor(table: TableInfo, chunkRows: number | undefined): number | undefined {
	if (chunkRows !== undefined) return chunkRows > 0 ? chunkRows : undefined;
	if (table.estimatedRows <= 0 || table.dataLength <= 0) return undefined;
	const rowBytes = Math.max(1, table.dataLength / table.estimatedRows);
	return Math.max(MIN_CHUNK_ROWS, Math.ceil(ADAPTIVE_CHUNK_BYTES / rowBytes));
}

/**
 * Dumps the databases from one consistent snapshot shared by every worker. Chunks run largest table
 * first; the output decides how they are stored. On any failure the partial artifact is removed.
 */
export async function dumpMysql(options: MysqlDumpOptions, bus: EventBus): Promise<MysqlDumpResult> {
	const startedAt = new Date().toISOString();
	// a misspelt name is refused before any lock is taken or file created (checked again at the lock)
	if (options.databases.length > 0) await checkDatabasesExist(options.settings, options.databases);
	const output: DumpOutput =
		options.format === 'archive'
			? await createArchiveOutput({path: options.output, storage: options.storage, settings: options.settings, compression: options.compression ?? 'zstd', level: options.level, workers: options.workers, options: optionsRecord(options), bus})
			: await createScriptOutput({path: options.output, storage: options.storage});
	bus.stage('snapshot', options.noLock ? 'opening snapshots and reading definitions without a lock' : 'taking the global lock briefly');
	let snapshot: ConsistentSnapshot<PointDefinitions>;
	try {
		snapshot = await openConsistentSnapshot(
			{
				settings: options.settings,
				workers: options.workers,
				noLock: options.noLock,
				atPoint: ({workers}) => readDefinitionsAtPoint(workers, {databases: options.databases, includeUsers: options.includeUsers, ddlLock: options.ddlLock}, bus),
			},
			bus,
		);
	} catch (error) {
		await output.abort();
		throw error;
	}
	try {
		const {databases, catalog, users} = snapshot.pinned;
		const tables = catalog.databases.flatMap((database) => database.tables);
		warnUncoveredTables(tables.map((table) => ({database: table.database, table: table.name, engine: table.engine})), bus);

		bus.stage('plan', options.chunkRows === undefined ? 'splitting large tables into chunks of about 16 MiB' : options.chunkRows > 0 ? `splitting tables into chunks of ${options.chunkRows} rows` : 'one chunk per table');
		const works: TableWork[] = tables.map((table) => ({
			table,
			chunks: [],
			remaining: 0,
			rows: 0,
			checksum: new RowChecksum(),
			progress: new ProgressReporter(bus, `rows ${table.database}.${table.name}`, 'rows', table.estimatedRows),
		}));
		await runOnWorkers(snapshot.workers, works, async (worker, work) => {
			work.chunks = await readingTable(work.table, () => planChunks(worker, work.table, chunkRowsFor(work.table, options.chunkRows)));
			work.remaining = work.chunks.length;
		});
		const start: DumpStart = {
			server: snapshot.server,
			coordinates: snapshot.coordinates,
			method: snapshot.method,
			lockMs: snapshot.lockMs,
			startedAt,
			databases,
			catalog,
			works,
			users,
		};
		await output.begin(start);

		const workOf = new Map(works.map((work) => [work.table, work]));
		// the whole dump in rows, against the tables' estimates until each is done: the overall bar and ETA
		// kept as a running sum: recounting every table at each table's end is quadratic in the tables
		let expected = expectedRows(works);
		const overall = new ProgressReporter(bus, 'dump', 'rows', expected);
		const produced = new ProgressReporter(bus, 'dump bytes', 'bytes');
		overall.begin();
		bus.stage('dump', `${works.reduce((sum, work) => sum + work.chunks.length, 0)} chunk(s) of ${tables.length} table(s) on ${snapshot.workers.length} worker(s)`);
		await runOnWorkers(snapshot.workers, orderWork(works.flatMap((work) => work.chunks)), async (worker, chunk) => {
			const work = workOf.get(chunk.table)!;
			work.progress.begin();
			const target = await output.openChunk(work, chunk);
			let rows: number;
			try {
				({rows} = await readingTable(work.table, () =>
					writeChunk(worker, chunk, target, {
						maxStatementBytes: options.maxStatementBytes,
						onRows: (added) => {
							work.progress.add(added);
							overall.add(added);
						},
						onBytes: (added) => produced.add(added),
						checksum: work.checksum,
					}),
				));
			} catch (error) {
				await target.discard(error);
				throw error;
			}
			await target.close(rows);
			const before = expectedRowsOf(work);
			work.rows += rows;
			work.remaining -= 1;
			expected += expectedRowsOf(work) - before;
			if (work.remaining === 0) {
				// the total was the server's estimate; the table's count is now known
				work.progress.setTotal(work.rows);
				work.progress.set(work.rows);
				work.progress.finish();
				overall.setTotal(expected);
				await output.tableComplete(work);
			}
		});

		// every row is read: ending the transactions lets DDL waiting on the dumped tables go ahead
		bus.log('info', 'table data read; ending the snapshot transactions');
		await snapshot.close();

		bus.stage('objects', options.includeUsers ? 'views, routines, triggers, events and accounts' : 'views, routines, triggers and events');
		await output.writeObjects(start);
		bus.stage('finish', `completing ${options.output}`);
		const bytes = await output.finish(start);
		overall.finish();
		produced.finish();
		return {
			output: options.output,
			bytes,
			lockMs: snapshot.lockMs,
			method: snapshot.method,
			coordinates: snapshot.coordinates,
			serverVersion: snapshot.server.text,
			tables: works.map((work) => ({db: work.table.database, table: work.table.name, rows: work.rows})),
			startedAt,
			finishedAt: new Date().toISOString(),
		};
	} catch (error) {
		await output.abort();
		throw error;
	} finally {
		await snapshot.close();
	}
}

type ExpectedRowsInput = Pick<TableWork, 'table' | 'remaining' | 'rows'>;

/** Rows the dump will have read from one table: its count once finished, else the server's estimate (at least what it has read). */
function expectedRowsOf(work: ExpectedRowsInput): number {
	return work.remaining === 0 ? work.rows : Math.max(work.table.estimatedRows, work.rows);
}

/** Rows the dump will have read from all `works`. */
export function expectedRows(works: ExpectedRowsInput[]): number {
	return works.reduce((sum, work) => sum + expectedRowsOf(work), 0);
}

/** Runs a read of `table`'s rows; a failure because DDL changed the table since the snapshot says so. */
async function readingTable<T>(table: TableInfo, read: () => Promise<T>): Promise<T> {
	try {
		return await read();
	} catch (error) {
		throw definitionChangedError(error, {database: table.database, name: table.name}) ?? error;
	}
}

function optionsRecord(options: MysqlDumpOptions): Record<string, unknown> {
	return {
		workers: options.workers,
		chunkRows: options.chunkRows ?? 'adaptive',
		noLock: options.noLock ?? false,
		...(options.ddlLock === false ? {ddlLock: false} : {}),
		includeUsers: options.includeUsers ?? false,
		compression: options.compression ?? 'zstd',
		...(options.level === undefined ? {} : {level: options.level}),
	};
}

async function checkDatabasesExist(settings: ConnectionSettings, databases: string[]): Promise<void> {
	const connection = await connectMysql(settings);
	try {
		await resolveDatabases(connection, databases);
	} finally {
		await connection.end().catch(() => {});
	}
}
