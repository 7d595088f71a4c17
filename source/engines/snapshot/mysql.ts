/**
 * MySQL and MariaDB around a snapshot: where the server keeps its files (for the scope check), and the
 * quiesce — commits held for the milliseconds the snapshot takes, the coordinates read while they are.
 *
 *   MariaDB ≥ 10.4  BACKUP STAGE START, FLUSH, BLOCK_DDL, BLOCK_COMMIT → snapshot → coordinates → BACKUP STAGE END
 *   MySQL ≥ 8.0     LOCK INSTANCE FOR BACKUP (no file created, renamed or removed), and FLUSH TABLES WITH
 *                   READ LOCK under a short lock_wait_timeout (retried a few times, never a long stall)
 *                   when non-InnoDB tables hold rows or the binary log is on (only it holds commits, so
 *                   the recorded binlog position and GTID set are the snapshot's) → snapshot →
 *                   performance_schema.log_status (binlog, GTID set, InnoDB LSN) → UNLOCK TABLES; UNLOCK INSTANCE
 */
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {readCoordinates, type Coordinates} from '../mysql-logical/consistency.ts';
import {atLeast, type ServerVersion} from '../mysql-logical/server.ts';
import type {ScopePlace} from './scope.ts';

const PLACE_VARIABLES = [
	'datadir',
	'innodb_data_home_dir',
	'innodb_data_file_path',
	'innodb_log_group_home_dir',
	'innodb_undo_directory',
	'innodb_doublewrite_dir',
	'log_bin',
	'log_bin_basename',
];

function resolveIn(datadir: string, value: string): string {
	return path.resolve(datadir, value);
}

async function variables(connection: MysqlConnection): Promise<Map<string, string>> {
	const [rows] = await connection.query<RowDataPacket[]>(
		`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${PLACE_VARIABLES.map(() => '?').join(', ')})`,
		PLACE_VARIABLES,
	);
	return new Map(rows.map((row) => [String(row.Variable_name).toLowerCase(), row.Value === null ? '' : String(row.Value)]));
}

/** Tablespace files InnoDB knows, by whichever table this server has (paths may be relative to the data directory). */
async function tablespaceFiles(connection: MysqlConnection, server: ServerVersion): Promise<string[]> {
	const queries = server.mariadb
		? [
				// MariaDB 10.6+: the file name is a column of INNODB_SYS_TABLESPACES; before, INNODB_SYS_DATAFILES held it
				'SELECT FILENAME AS path FROM information_schema.INNODB_SYS_TABLESPACES',
				'SELECT PATH AS path FROM information_schema.INNODB_SYS_DATAFILES',
			]
		: ["SELECT FILE_NAME AS path FROM information_schema.FILES WHERE FILE_NAME IS NOT NULL AND ENGINE = 'InnoDB'", 'SELECT PATH AS path FROM information_schema.INNODB_DATAFILES'];
	const found = new Set<string>();
	let readAny = false;
	for (const sql of queries) {
		try {
			const [rows] = await connection.query<RowDataPacket[]>(sql);
			readAny = true;
			for (const row of rows) if (row.path) found.add(String(row.path));
		} catch (error) {
			const errno = (error as {errno?: number}).errno;
			if (errno === ER_SPECIFIC_ACCESS_DENIED || errno === ER_TABLEACCESS_DENIED) {
				throw new WorkError({
					code: 'SNAPSHOT_UNAVAILABLE',
					message: `the user may not list the server's tablespace files (${sqlText(error)}): the scope of a snapshot cannot be checked`,
					hint: 'Grant PROCESS (information_schema.FILES, INNODB_DATAFILES and INNODB_SYS_TABLESPACES need it).',
					cause: error,
				});
			}
			// 1109 unknown table, 1054 unknown column: this version keeps it elsewhere
			if (errno !== 1109 && errno !== 1054) throw error;
		}
	}
	if (!readAny) throw new WorkError({code: 'SNAPSHOT_OUT_OF_SCOPE', message: 'the server lists its tablespace files in no table this version of dbbackup knows: the scope of a snapshot cannot be checked'});
	return [...found];
}

/**
 * Everything the server writes that a snapshot must hold: the data directory, the system tablespace,
 * redo and undo logs, the doublewrite files, every InnoDB tablespace file (DATA DIRECTORY tables too),
 * and the binary logs.
 */
export async function mysqlPlaces(connection: MysqlConnection, server: ServerVersion): Promise<{datadir: string; places: ScopePlace[]; binlog: boolean}> {
	const found = await variables(connection);
	const datadir = found.get('datadir');
	if (!datadir) throw new WorkError({code: 'SNAPSHOT_UNAVAILABLE', message: 'the server did not say where its data directory is (@@datadir is empty)'});
	const places: ScopePlace[] = [];
	const add = (what: string, value: string | undefined, need: ScopePlace['need'], prefix = false) => {
		if (value && value.trim() !== '') places.push({what, path: resolveIn(datadir, value), need, ...(prefix ? {prefix} : {})});
	};
	const dataHome = found.get('innodb_data_home_dir') || '';
	add('the InnoDB system tablespace directory (innodb_data_home_dir)', dataHome, 'archive');
	for (const spec of (found.get('innodb_data_file_path') ?? '').split(';')) {
		const file = spec.split(':')[0]?.trim();
		// a raw partition name or an absolute path (innodb_data_home_dir empty) is taken as it is
		if (file) add(`the system tablespace file ${file} (innodb_data_file_path)`, path.isAbsolute(file) ? file : path.join(dataHome || '.', file), 'archive');
	}
	add('the redo log directory (innodb_log_group_home_dir)', found.get('innodb_log_group_home_dir'), 'archive');
	add('the undo tablespace directory (innodb_undo_directory)', found.get('innodb_undo_directory'), 'archive');
	add('the doublewrite directory (innodb_doublewrite_dir)', found.get('innodb_doublewrite_dir'), 'archive');
	const binlog = (found.get('log_bin') ?? '').toUpperCase() === 'ON';
	if (binlog) add('the binary logs (log_bin_basename)', found.get('log_bin_basename'), 'unit', true);
	for (const file of await tablespaceFiles(connection, server)) {
		// MariaDB lists the system and undo tablespaces too, by bare names relative to the data directory
		add(`the tablespace file ${file}`, file, 'archive');
	}
	return {datadir, places, binlog};
}

/**
 * Tables of engines other than InnoDB that hold rows (FTWRL on MySQL is needed for them only). MySQL 8+
 * answers TABLE_ROWS and DATA_LENGTH from statistics it caches for information_schema_stats_expiry
 * (a day by default): a MyISAM table looked at while empty would still say "no rows" after its first
 * insert. The session asks the engines themselves.
 */
export async function nonInnodbTablesWithRows(connection: MysqlConnection, server: ServerVersion): Promise<string[]> {
	if (!server.mariadb && atLeast(server, 8, 0)) await connection.query('SET SESSION information_schema_stats_expiry = 0');
	const [rows] = await connection.query<RowDataPacket[]>(
		`SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, ENGINE AS engine FROM information_schema.TABLES
		 WHERE TABLE_TYPE = 'BASE TABLE' AND ENGINE IS NOT NULL AND ENGINE NOT IN ('InnoDB', 'MEMORY', 'TempTable', 'PERFORMANCE_SCHEMA')
		   AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') AND COALESCE(TABLE_ROWS, 0) + COALESCE(DATA_LENGTH, 0) > 0`,
	);
	return rows.map((row) => `${String(row.db)}.${String(row.name)} (${String(row.engine)})`);
}

export type QuiesceMethod = 'backup-stage' | 'lock-instance' | 'lock-instance+ftwrl' | 'ftwrl';

export interface MysqlQuiesced<T> {
	/** what the snapshot step returned */
	taken: T;
	coordinates: Coordinates & {innodbLsn?: string};
	method: QuiesceMethod;
	/**
	 * how long commits were held: from the statement that blocks them (BLOCK_COMMIT, FTWRL) to the release;
	 * 0 when none was needed (MySQL without FTWRL: LOCK INSTANCE holds only DDL and file operations)
	 */
	quiesceMs: number;
	/** from the first backup lock (BACKUP STAGE START, LOCK INSTANCE) to the release */
	lockMs: number;
	/** each statement's and step's own time, in order (to tell which one held commits when the time is long) */
	stepsMs: Record<string, number>;
	/** how long the snapshot command took, inside quiesceMs */
	snapshotMs: number;
}

/** FTWRL waits this long for running statements (while it already blocks writes), then lets go and tries again. */
export const FTWRL_WAIT_SECONDS = 1;
export const FTWRL_ATTEMPTS = 5;
const ER_LOCK_WAIT_TIMEOUT = 1205;
const ER_SPECIFIC_ACCESS_DENIED = 1227;
const ER_TABLEACCESS_DENIED = 1142;

/** MariaDB's BACKUP STAGE waits this long for running DDL and commits before it gives up. */
export const BACKUP_STAGE_WAIT_SECONDS = 30;

function sqlText(error: unknown): string {
	return (error as {sqlMessage?: string}).sqlMessage ?? (error instanceof Error ? error.message : String(error));
}

async function flushTablesWithReadLock(connection: MysqlConnection, bus: EventBus): Promise<void> {
	await connection.query(`SET SESSION lock_wait_timeout = ${FTWRL_WAIT_SECONDS}`);
	for (let attempt = 1; ; attempt++) {
		try {
			await connection.query('FLUSH TABLES WITH READ LOCK');
			return;
		} catch (error) {
			if ((error as {errno?: number}).errno !== ER_LOCK_WAIT_TIMEOUT) throw error;
			if (attempt >= FTWRL_ATTEMPTS) {
				throw new WorkError({
					code: 'SNAPSHOT_QUIESCE_FAILED',
					message: `FLUSH TABLES WITH READ LOCK waited ${FTWRL_ATTEMPTS} times ${FTWRL_WAIT_SECONDS} s for running statements and was given up, so that writes are not held behind them: no snapshot was taken`,
					hint: 'A long query or a LOCK TABLES held it off; back up again when it has finished.',
					cause: error,
				});
			}
			bus.log('warn', `FLUSH TABLES WITH READ LOCK waited ${FTWRL_WAIT_SECONDS} s for running statements; letting them finish and trying again (attempt ${attempt + 1} of ${FTWRL_ATTEMPTS})`);
			await sleep(100 * attempt);
		}
	}
}

interface LogStatus {
	coordinates: Coordinates & {innodbLsn?: string};
}

/** performance_schema.log_status: binlog file/position and gtid_executed, consistent with each other, and the InnoDB LSN. */
async function readLogStatus(connection: MysqlConnection, bus: EventBus): Promise<LogStatus | undefined> {
	let rows: RowDataPacket[];
	try {
		[rows] = await connection.query<RowDataPacket[]>('SELECT LOCAL AS local, STORAGE_ENGINES AS engines FROM performance_schema.log_status');
	} catch (error) {
		// it needs BACKUP_ADMIN and SELECT on it (performance_schema off: no table)
		bus.log('warn', `performance_schema.log_status could not be read (${sqlText(error)}): the coordinates come from SHOW BINARY LOG STATUS and gtid_executed, without the InnoDB LSN`);
		return undefined;
	}
	const row = rows[0];
	if (!row) return undefined;
	const parse = (value: unknown): Record<string, unknown> => (typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : ((value ?? {}) as Record<string, unknown>));
	const local = parse(row.local) as {gtid_executed?: string; binary_log_file?: string; binary_log_position?: number};
	const engines = parse(row.engines) as {InnoDB?: {LSN?: number | string}};
	const coordinates: LogStatus['coordinates'] = {};
	if (local.binary_log_file) {
		coordinates.binlogFile = local.binary_log_file;
		coordinates.binlogPosition = Number(local.binary_log_position);
	}
	const gtid = (local.gtid_executed ?? '').replace(/\s+/g, '');
	if (gtid) coordinates.gtid = gtid;
	if (engines.InnoDB?.LSN !== undefined) coordinates.innodbLsn = String(engines.InnoDB.LSN);
	return {coordinates};
}

/**
 * Holds the server still for `snapshot()` and reads the coordinates while it is; always releases, also
 * when the snapshot fails. The connection is the caller's and stays open.
 */
export async function quiesceMysql<T>(
	connection: MysqlConnection,
	server: ServerVersion,
	options: {nonInnodb: string[]; binlog: boolean},
	snapshot: () => Promise<T>,
	bus: EventBus,
): Promise<MysqlQuiesced<T>> {
	const release: string[] = [];
	let method: QuiesceMethod;
	let started = 0;
	let blocking: number | undefined;
	const stepsMs: Record<string, number> = {};
	const timed = async <R>(step: string, run: () => Promise<R>): Promise<R> => {
		const at = performance.now();
		try {
			return await run();
		} finally {
			stepsMs[step] = Math.round((performance.now() - at) * 1000) / 1000;
		}
	};
	const releaseAll = async () => {
		for (const statement of release.splice(0).reverse()) await connection.query(statement);
	};
	try {
		if (server.mariadb) {
			if (!atLeast(server, 10, 4)) {
				throw new WorkError({code: 'SNAPSHOT_QUIESCE_FAILED', message: `MariaDB ${server.text} has no BACKUP STAGE (10.4 and later): the snapshot engine needs it to hold commits`, hint: 'Upgrade the server, or use the logical engine.'});
			}
			await connection.query(`SET SESSION lock_wait_timeout = ${BACKUP_STAGE_WAIT_SECONDS}`);
			started = performance.now();
			await timed('start', () => connection.query('BACKUP STAGE START'));
			release.push('BACKUP STAGE END');
			// the stages before BLOCK_COMMIT one by one, as mariabackup runs them: FLUSH closes the tables not in
			// use and BLOCK_DDL waits for running DDL, neither holding commits; BLOCK_COMMIT alone then holds them
			await timed('flush', () => connection.query('BACKUP STAGE FLUSH'));
			await timed('blockDdl', () => connection.query('BACKUP STAGE BLOCK_DDL'));
			blocking = performance.now();
			await timed('blockCommit', () => connection.query('BACKUP STAGE BLOCK_COMMIT'));
			method = 'backup-stage';
		} else {
			if (!atLeast(server, 8, 0)) {
				throw new WorkError({code: 'SNAPSHOT_QUIESCE_FAILED', message: `MySQL ${server.text} has no LOCK INSTANCE FOR BACKUP (8.0 and later)`, hint: 'Upgrade the server, or use the logical engine.'});
			}
			started = performance.now();
			await timed('lockInstance', () => connection.query('LOCK INSTANCE FOR BACKUP'));
			release.push('UNLOCK INSTANCE');
			method = 'lock-instance';
			if (options.nonInnodb.length > 0 || options.binlog) {
				const why = options.nonInnodb.length > 0 ? `non-InnoDB tables hold rows (${options.nonInnodb.slice(0, 3).join(', ')}${options.nonInnodb.length > 3 ? ', …' : ''})` : 'the binary log is on: only it holds commits, so the recorded binlog position and GTID set are the snapshot\'s';
				bus.log('info', `FLUSH TABLES WITH READ LOCK as well: ${why}`);
				blocking = performance.now();
				await timed('ftwrl', () => flushTablesWithReadLock(connection, bus));
				release.push('UNLOCK TABLES');
				method = 'lock-instance+ftwrl';
			}
		}
	} catch (error) {
		await releaseAll().catch(() => undefined);
		if (error instanceof WorkError) throw error;
		throw new WorkError({
			code: 'SNAPSHOT_QUIESCE_FAILED',
			message: `could not hold the server still for the snapshot: ${sqlText(error)}`,
			hint: server.mariadb ? 'The user needs RELOAD for BACKUP STAGE; a long DDL or commit can hold it off (it waits at most lock_wait_timeout).' : 'The user needs BACKUP_ADMIN (LOCK INSTANCE FOR BACKUP, performance_schema.log_status) and RELOAD or FLUSH_TABLES (FLUSH TABLES WITH READ LOCK); a long query or LOCK TABLES can hold FTWRL off.',
			cause: error,
		});
	}
	try {
		const before = performance.now();
		const taken = await snapshot();
		const snapshotMs = performance.now() - before;
		stepsMs.snapshot = Math.round(snapshotMs * 1000) / 1000;
		const coordinates: MysqlQuiesced<T>['coordinates'] = await timed('coordinates', async () =>
			server.mariadb ? readCoordinates(connection, server) : ((await readLogStatus(connection, bus))?.coordinates ?? (await readCoordinates(connection, server))),
		);
		await timed('release', releaseAll);
		const released = performance.now();
		return {taken, coordinates, method, quiesceMs: blocking === undefined ? 0 : released - blocking, lockMs: released - started, snapshotMs, stepsMs};
	} finally {
		// on failure: the statements not run yet (a failed release statement leaves its lock to the connection's end)
		await releaseAll().catch(() => undefined);
	}
}
