import {setTimeout as sleep} from 'node:timers/promises';
import type {RowDataPacket} from 'mysql2/promise';
import {connectMysql, type MysqlConnection} from '../../core/connect.ts';
import type {ConnectionSettings} from '../../core/connection-settings.ts';
import {WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {atLeast, readServerVersion, type ServerVersion} from './server.ts';

/** Where the snapshot sits in the server's history; a field is absent when the server has no binlog/GTIDs. */
export interface Coordinates {
	binlogFile?: string;
	binlogPosition?: number;
	/** MariaDB @@gtid_binlog_pos, MySQL @@gtid_executed */
	gtid?: string;
}

export type LockMethod = 'backup-stage' | 'lock-instance+ftwrl' | 'ftwrl' | 'no-lock';

export interface ConsistentSnapshot<Pinned = undefined> {
	server: ServerVersion;
	/** one connection per worker, each inside START TRANSACTION WITH CONSISTENT SNAPSHOT on the same point */
	workers: MysqlConnection[];
	coordinates: Coordinates;
	method: LockMethod;
	/** how long writes were blocked (0 with noLock), reads at the point included */
	lockMs: number;
	/** what `atPoint` returned */
	pinned: Pinned;
	/** ends every worker's transaction (and so its metadata locks) and closes the connections; again: no-op */
	close(): Promise<void>;
}

/** The workers once their snapshots are open, while nothing can commit (or, with noLock, before the check). */
export interface SnapshotPoint {
	server: ServerVersion;
	workers: MysqlConnection[];
}

export interface SnapshotOptions<Pinned = undefined> {
	settings: ConnectionSettings;
	workers: number;
	/** mydumper's SAFE_NO_LOCK: no global lock; coordinates read before and after must be equal */
	noLock?: boolean;
	/**
	 * Reads that must match the coordinates exactly, such as table definitions (SHOW CREATE is not
	 * MVCC): run after the snapshots open, before the lock is released, or with noLock between the two
	 * coordinate reads, so that any commit meanwhile fails the check. Keep it to reads of definitions.
	 */
	atPoint?: (point: SnapshotPoint) => Promise<Pinned>;
}

/**
 * Session state for reading: utf8mb4 on the wire, TIMESTAMP in UTC (written back under the same zone),
 * no sql_mode rewriting what we read, and timeouts long enough for a slow consumer of a big result.
 */
export async function prepareReadSession(connection: MysqlConnection, server: ServerVersion): Promise<void> {
	await connection.query("SET NAMES utf8mb4, SESSION time_zone = '+00:00', SESSION sql_mode = ''");
	await connection.query('SET SESSION net_write_timeout = 3600, SESSION net_read_timeout = 3600, SESSION wait_timeout = 86400');
	await connection.query(server.mariadb ? 'SET SESSION max_statement_time = 0' : 'SET SESSION max_execution_time = 0');
}

async function startSnapshot(connection: MysqlConnection): Promise<void> {
	await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
	await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
}

export async function readCoordinates(connection: MysqlConnection, server: ServerVersion): Promise<Coordinates> {
	const statusStatement = !server.mariadb && atLeast(server, 8, 4) ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS';
	const coordinates: Coordinates = {};
	const [status] = await connection.query<RowDataPacket[]>(statusStatement);
	if (status.length > 0) {
		coordinates.binlogFile = String(status[0].File);
		coordinates.binlogPosition = Number(status[0].Position);
	}
	const gtidVariable = server.mariadb ? '@@GLOBAL.gtid_binlog_pos' : '@@GLOBAL.gtid_executed';
	const [gtidRows] = await connection.query<RowDataPacket[]>(`SELECT ${gtidVariable} AS gtid`);
	const gtid = gtidRows[0]?.gtid;
	if (typeof gtid === 'string' && gtid.trim() !== '') coordinates.gtid = gtid.replace(/\s+/g, '');
	return coordinates;
}

export function describeCoordinates(coordinates: Coordinates): string {
	const parts: string[] = [];
	if (coordinates.binlogFile) parts.push(`${coordinates.binlogFile}:${coordinates.binlogPosition}`);
	if (coordinates.gtid) parts.push(`GTID ${coordinates.gtid}`);
	return parts.length > 0 ? parts.join(', ') : 'no binary log';
}

function sameCoordinates(a: Coordinates, b: Coordinates): boolean {
	return a.binlogFile === b.binlogFile && a.binlogPosition === b.binlogPosition && a.gtid === b.gtid;
}

interface GlobalLock {
	method: LockMethod;
	release(): Promise<void>;
}

function isDriverError(error: unknown): error is {code?: string; sqlMessage?: string; message: string} {
	return error instanceof Error;
}

function lockFailure(error: unknown): WorkError {
	const message = isDriverError(error) ? (error as {sqlMessage?: string}).sqlMessage ?? error.message : String(error);
	if ((error as {errno?: number}).errno === ER_LOCK_WAIT_TIMEOUT) {
		return new WorkError({
			code: 'LOCK_FAILED',
			message: `could not take the global backup lock: FLUSH TABLES WITH READ LOCK waited ${FTWRL_ATTEMPTS} times ${FTWRL_WAIT_SECONDS} s for running statements (${message})`,
			hint: 'A long statement (or a table lock) kept it waiting; while it waits it blocks every write, so it never waits long. Run the backup when that statement has finished, or use --no-lock.',
			cause: error,
		});
	}
	return new WorkError({
		code: 'LOCK_FAILED',
		message: `could not take the global backup lock: ${message}`,
		hint: 'The user needs RELOAD (MariaDB BACKUP STAGE / FLUSH TABLES WITH READ LOCK) or BACKUP_ADMIN (MySQL); or use --no-lock, which checks that the coordinates did not move instead.',
		cause: error,
	});
}

/**
 * FLUSH TABLES WITH READ LOCK waits for running statements while its pending request already blocks new
 * ones. A statement waiting for a row lock of a transaction whose next statement FTWRL blocks is a
 * deadlock InnoDB cannot see: only innodb_lock_wait_timeout (50 s) ended it, failing that statement (seen
 * on MySQL 9.7 under a write load). So FTWRL waits this long (lock_wait_timeout), lets go so the others
 * can finish, and tries again, as XtraBackup's --ftwrl-wait-timeout does.
 */
const FTWRL_WAIT_SECONDS = 1;
const FTWRL_ATTEMPTS = 20;
const ER_LOCK_WAIT_TIMEOUT = 1205;

async function flushTablesWithReadLock(control: MysqlConnection, bus: EventBus): Promise<void> {
	await control.query(`SET SESSION lock_wait_timeout = ${FTWRL_WAIT_SECONDS}`);
	try {
		for (let attempt = 1; ; attempt++) {
			try {
				await control.query('FLUSH TABLES WITH READ LOCK');
				return;
			} catch (error) {
				if ((error as {errno?: number}).errno !== ER_LOCK_WAIT_TIMEOUT || attempt >= FTWRL_ATTEMPTS) throw error;
				bus.log('warn', `FLUSH TABLES WITH READ LOCK waited ${FTWRL_WAIT_SECONDS} s for running statements; letting them go on and trying again (attempt ${attempt + 1} of ${FTWRL_ATTEMPTS})`);
				await sleep(100 * attempt);
			}
		}
	} finally {
		await control.query('SET SESSION lock_wait_timeout = DEFAULT');
	}
}

/** Blocks commits server-wide, the lightest way the server offers. */
async function takeGlobalLock(control: MysqlConnection, server: ServerVersion, bus: EventBus): Promise<GlobalLock> {
	try {
		if (server.mariadb && atLeast(server, 10, 5)) {
			await control.query('BACKUP STAGE START');
			await control.query('BACKUP STAGE BLOCK_COMMIT');
			return {method: 'backup-stage', release: async () => void (await control.query('BACKUP STAGE END'))};
		}
		if (!server.mariadb && atLeast(server, 8, 0)) {
			let instanceLocked = false;
			try {
				await control.query('LOCK INSTANCE FOR BACKUP');
				instanceLocked = true;
			} catch (error) {
				bus.log('info', 'LOCK INSTANCE FOR BACKUP refused; using FLUSH TABLES WITH READ LOCK alone', {
					error: isDriverError(error) ? error.message : String(error),
				});
			}
			await flushTablesWithReadLock(control, bus);
			return {
				method: instanceLocked ? 'lock-instance+ftwrl' : 'ftwrl',
				release: async () => {
					await control.query('UNLOCK TABLES');
					if (instanceLocked) await control.query('UNLOCK INSTANCE');
				},
			};
		}
		await flushTablesWithReadLock(control, bus);
		return {method: 'ftwrl', release: async () => void (await control.query('UNLOCK TABLES'))};
	} catch (error) {
		throw lockFailure(error);
	}
}

async function closeAll(connections: MysqlConnection[]): Promise<void> {
	await Promise.all(connections.map((connection) => connection.end().catch(() => connection.destroy())));
}

/**
 * Opens `workers` connections that all read the same consistent point in time, and the binlog/GTID
 * coordinates of exactly that point. With the lock, commits are blocked only while the workers start
 * their snapshots and `atPoint` reads; without it, the coordinates are read before and after both and
 * must not have moved.
 */
export async function openConsistentSnapshot<Pinned = undefined>(options: SnapshotOptions<Pinned>, bus: EventBus): Promise<ConsistentSnapshot<Pinned>> {
	const count = Math.max(1, Math.floor(options.workers));
	const control = await connectMysql(options.settings);
	const workers: MysqlConnection[] = [];
	try {
		const server = await readServerVersion(control);
		await prepareReadSession(control, server);
		const opened = await Promise.all(Array.from({length: count}, () => connectMysql(options.settings)));
		workers.push(...opened);
		await Promise.all(workers.map((worker) => prepareReadSession(worker, server)));
		const atPoint = async () => (options.atPoint ? options.atPoint({server, workers}) : (undefined as Pinned));

		let coordinates: Coordinates;
		let method: LockMethod;
		let pinned: Pinned;
		let lockMs = 0;
		if (options.noLock) {
			const before = await readCoordinates(control, server);
			await Promise.all(workers.map(startSnapshot));
			pinned = await atPoint();
			const after = await readCoordinates(control, server);
			if (!sameCoordinates(before, after)) {
				throw new WorkError({
					code: 'SNAPSHOT_MOVED',
					message: `the server wrote while the snapshots opened and the definitions were read without a lock: coordinates were ${describeCoordinates(before)} before and ${describeCoordinates(after)} after`,
					hint: 'Run again when the server is quieter, or without --no-lock (needs RELOAD or BACKUP_ADMIN).',
				});
			}
			coordinates = after;
			method = 'no-lock';
		} else {
			const locked = performance.now();
			const lock = await takeGlobalLock(control, server, bus);
			try {
				coordinates = await readCoordinates(control, server);
				await Promise.all(workers.map(startSnapshot));
				pinned = await atPoint();
			} finally {
				await lock.release();
				lockMs = performance.now() - locked;
			}
			method = lock.method;
		}
		await control.end();
		bus.log('info', `consistent snapshot on ${count} connection(s) at ${describeCoordinates(coordinates)}`, {
			method,
			lockMs: Math.round(lockMs * 1000) / 1000,
		});
		let closing: Promise<void> | undefined;
		return {
			server,
			workers,
			coordinates,
			method,
			lockMs,
			pinned,
			close: () =>
				(closing ??= (async () => {
					await Promise.all(workers.map((worker) => worker.query('COMMIT').catch(() => {})));
					await closeAll(workers);
				})()),
		};
	} catch (error) {
		await closeAll([control, ...workers]);
		throw error;
	}
}

export interface TableEngine {
	database: string;
	table: string;
	engine: string;
}

/** Tables whose engine is not transactional: their rows are read as they are when read, not at the snapshot. */
export function warnUncoveredTables(tables: TableEngine[], bus: EventBus): TableEngine[] {
	const uncovered = tables.filter((table) => table.engine.toLowerCase() !== 'innodb');
	for (const table of uncovered) {
		bus.warn(`${table.database}.${table.table} (${table.engine}) is not covered by the snapshot`, {
			code: 'NOT_IN_SNAPSHOT',
			hint: 'Only InnoDB tables are read at the snapshot point; convert the table to InnoDB, or accept that its rows may not match the recorded coordinates.',
		});
	}
	return uncovered;
}
