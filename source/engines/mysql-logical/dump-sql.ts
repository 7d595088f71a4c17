import {createReadStream} from 'node:fs';
import {mkdtemp, open, rename, rm, type FileHandle} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';
import type {ConnectionSettings} from '../../core/connection-settings.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import {readCatalog, resolveDatabases, type TableInfo} from './catalog.ts';
import {writeChunk} from './chunk-writer.ts';
import {orderWork, planChunks, type Chunk} from './chunks.ts';
import {openConsistentSnapshot, warnUncoveredTables, type Coordinates, type LockMethod} from './consistency.ts';
import {createDatabase, createStoredObject, createTable, scriptFooter, scriptHeader} from './script-text.ts';
import {runOnWorkers} from './worker-pool.ts';

export interface MysqlDumpOptions {
	settings: ConnectionSettings;
	/** empty: every database except the system ones */
	databases: string[];
	workers: number;
	/** split tables with a usable key into chunks of about this many rows; unset: one chunk per table */
	chunkRows?: number;
	noLock?: boolean;
	format: 'sql';
	/** the script's path; written as `<output>.partial` and renamed when complete */
	output: string;
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

interface TableWork {
	table: TableInfo;
	chunks: Chunk[];
	files: string[];
	remaining: number;
	rows: number;
	progress: ProgressReporter;
}

async function appendFile(target: FileHandle, path: string): Promise<number> {
	let bytes = 0;
	for await (const block of createReadStream(path, {highWaterMark: 1024 * 1024})) {
		await target.write(block as Buffer);
		bytes += (block as Buffer).length;
	}
	await rm(path, {force: true});
	return bytes;
}

/**
 * One plain SQL script of the databases, as the stock `mariadb`/`mysql` client restores it: every worker
 * reads the same snapshot; chunks go to temp files next to the output and each table's section is
 * appended as soon as all its chunks are in (so disk use stays near the script's own size).
 */
export async function dumpMysql(options: MysqlDumpOptions, bus: EventBus): Promise<MysqlDumpResult> {
	const startedAt = new Date().toISOString();
	const partial = `${options.output}.partial`;
	bus.stage('snapshot', options.noLock ? 'opening snapshots without a lock' : 'taking the global lock briefly');
	const snapshot = await openConsistentSnapshot({settings: options.settings, workers: options.workers, noLock: options.noLock}, bus);
	const scratch = await mkdtemp(join(dirname(options.output), `.${basename(options.output)}.parts-`));
	let out: FileHandle | undefined;
	// table sections are appended one at a time, in the order the tables complete
	let appending: Promise<void> = Promise.resolve();
	try {
		const [first] = snapshot.workers;
		bus.stage('catalog', 'reading databases, tables and objects');
		const databases = await resolveDatabases(first, options.databases);
		const catalog = await readCatalog(first, databases, bus);
		const tables = catalog.databases.flatMap((database) => database.tables);
		warnUncoveredTables(tables.map((table) => ({database: table.database, table: table.name, engine: table.engine})), bus);

		bus.stage('plan', options.chunkRows ? `splitting tables into chunks of ${options.chunkRows} rows` : 'one chunk per table');
		const works: TableWork[] = tables.map((table) => ({
			table,
			chunks: [],
			files: [],
			remaining: 0,
			rows: 0,
			progress: new ProgressReporter(bus, `rows ${table.database}.${table.name}`, 'rows', table.estimatedRows),
		}));
		await runOnWorkers(snapshot.workers, works, async (worker, work) => {
			work.chunks = await planChunks(worker, work.table, options.chunkRows);
			work.remaining = work.chunks.length;
			work.files = work.chunks.map((chunk) => join(scratch, `${works.indexOf(work)}-${chunk.index}.sql`));
		});
		const workOf = new Map(works.map((work) => [work.table, work]));

		out = await open(partial, 'w');
		const target = out;
		let bytes = 0;
		const write = async (text: string) => {
			const buffer = Buffer.from(text, 'utf8');
			await target.write(buffer);
			bytes += buffer.length;
		};
		await write(
			scriptHeader({
				serverVersion: snapshot.server.text,
				databases,
				coordinates: snapshot.coordinates,
				method: snapshot.method,
				lockMs: snapshot.lockMs,
				startedAt,
			}),
		);
		for (const database of catalog.databases) await write(createDatabase(database));

		const overall = new ProgressReporter(bus, 'dump', 'bytes');
		let appendFailure: {error: unknown} | undefined;
		const appendTable = (work: TableWork) => {
			appending = appending.then(async () => {
				if (appendFailure) return;
				try {
					await write(createTable(work.table));
					for (const file of work.files) bytes += await appendFile(target, file);
					work.progress.set(work.rows);
					work.progress.finish();
				} catch (error) {
					appendFailure = {error};
				}
			});
		};

		bus.stage('dump', `${works.reduce((sum, work) => sum + work.chunks.length, 0)} chunk(s) of ${tables.length} table(s) on ${snapshot.workers.length} worker(s)`);
		const queue = orderWork(works.flatMap((work) => work.chunks));
		await runOnWorkers(snapshot.workers, queue, async (worker, chunk) => {
			if (appendFailure) throw appendFailure.error;
			const work = workOf.get(chunk.table)!;
			const file = await open(work.files[chunk.index], 'w');
			try {
				const written = await writeChunk(worker, chunk, file, {
					maxStatementBytes: options.maxStatementBytes,
					onRows: (rows) => work.progress.add(rows),
					onBytes: (added) => overall.add(added),
				});
				work.rows += written.rows;
			} finally {
				await file.close();
			}
			work.remaining -= 1;
			if (work.remaining === 0) appendTable(work);
		});
		await appending;
		if (appendFailure) throw appendFailure.error;

		bus.stage('objects', 'views, routines, triggers and events');
		for (const database of catalog.databases) {
			for (const routine of database.routines) await write(createStoredObject(routine));
		}
		for (const view of catalog.views) await write(createStoredObject(view));
		for (const database of catalog.databases) {
			for (const trigger of database.triggers) await write(createStoredObject(trigger));
			for (const event of database.events) await write(createStoredObject(event));
		}
		await write(scriptFooter());
		await target.sync();
		await target.close();
		out = undefined;
		await rename(partial, options.output);
		overall.set(bytes);
		overall.finish();
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
		await appending;
		await out?.close().catch(() => {});
		await rm(partial, {force: true});
		throw error;
	} finally {
		await snapshot.close();
		await rm(scratch, {recursive: true, force: true});
	}
}
