import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import {startMariadb, type RunningMariadb, type StartServerOptions} from '../source/sandbox/index.ts';
import {runCommand} from '../source/sandbox/run-command.ts';
import type {StepServer} from './run-step.ts';
import {verifyRowCounts} from './sysbench.ts';

/**
 * The sandbox starts MariaDB with a 64 MB buffer pool and a 16 MB redo log, sized for tests. A 1 GB
 * benchmark would then measure InnoDB checkpoint stalls rather than the tools, so the bench raises both
 * at run time (both are dynamic in MariaDB 10.11). Every tool meets the same server. Commits stay
 * durable (innodb_flush_log_at_trx_commit=1): the sandbox's noFsync is not used.
 */
export const SERVER_SETTINGS = {
	innodb_buffer_pool_size: 4 * 1024 ** 3,
	innodb_log_file_size: 1024 ** 3,
} as const;

/** The server a bench starts and the settings it raises at run time (default: MariaDB with SERVER_SETTINGS). */
export interface BenchFlavor {
	start(options: StartServerOptions): Promise<RunningMariadb>;
	settings: Readonly<Record<string, number>>;
}

export const MARIADB_BENCH: BenchFlavor = {start: startMariadb, settings: SERVER_SETTINGS};

export interface BenchServer {
	server: RunningMariadb;
	/** the settings as the server reports them after tuning */
	settings: Record<string, string>;
	connect(): Promise<Connection>;
}

export async function startBenchServer(baseDir: string, log: (line: string) => void, flavor: BenchFlavor = MARIADB_BENCH): Promise<BenchServer> {
	const server = await flavor.start({log, baseDir, startTimeoutMs: 120_000});
	const connect = () =>
		mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, multipleStatements: false});
	const admin = await connect();
	try {
		for (const [name, value] of Object.entries(flavor.settings)) {
			await admin.query(`SET GLOBAL ${name} = ${value}`);
		}
		await waitForBufferPoolResize(admin);
		const [rows] = await admin.query<RowDataPacket[]>(
			`SELECT ${Object.keys(flavor.settings).map((name) => `@@${name} AS ${name}`).join(', ')},
				@@innodb_flush_log_at_trx_commit AS innodb_flush_log_at_trx_commit, @@log_bin AS log_bin,
				@@binlog_format AS binlog_format, @@binlog_checksum AS binlog_checksum, @@sync_binlog AS sync_binlog, @@max_allowed_packet AS max_allowed_packet`,
		);
		const settings = Object.fromEntries(Object.entries(rows[0] ?? {}).map(([key, value]) => [key, String(value)]));
		for (const [name, value] of Object.entries(flavor.settings)) {
			if (settings[name] !== String(value)) {
				throw new Error(`could not set ${name} to ${value} on the bench server (it reports ${settings[name]})`);
			}
		}
		await admin.end();
		return {server, settings, connect};
	} catch (error) {
		await admin.end().catch(() => {});
		await server.stop();
		throw error;
	}
}

/** The server's settings on one line, sizes in MiB. */
export function settingsLine(settings: Record<string, string>): string {
	return Object.entries(settings)
		.map(([name, value]) => `${name}=${/^\d{7,}$/.test(value) ? `${Number(value) / 1024 ** 2}M` : value}`)
		.join(' ');
}

/** Buffer pool resizing runs in the background; wait until the server says it is done. */
async function waitForBufferPoolResize(admin: Connection): Promise<void> {
	const deadline = Date.now() + 120_000;
	for (;;) {
		const [rows] = await admin.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_resize_status'");
		const status = String(rows[0]?.Value ?? '');
		if (status === '' || /completed|finished/i.test(status)) return;
		if (Date.now() > deadline) throw new Error(`buffer pool resize did not finish: ${status}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

/** Total bytes of the server's binary logs, to show which restores write the binlog. */
export async function binlogBytes(conn: Connection): Promise<number> {
	const [rows] = await conn.query<RowDataPacket[]>('SHOW BINARY LOGS');
	return rows.reduce((sum, row) => sum + Number(row.File_size), 0);
}

/** runStep's view of the bench MariaDB, through one admin connection. */
export function mysqlStepServer(admin: Connection): StepServer {
	return {
		async resetDatabase(name, create) {
			await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
			if (create) await admin.query(`CREATE DATABASE \`${name}\``);
		},
		async dropDatabase(name) {
			await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
		},
		settle: (log) => settle(admin, log),
		serverLogBytes: () => binlogBytes(admin),
		verifyRowCounts: (database, expected) => verifyRowCounts(admin, database, expected),
	};
}

const SETTLE_LIMIT_MS = 180_000;
/** 16 MiB of 16 KiB pages: what InnoDB's background flushing leaves around on an idle server */
const SETTLED_DIRTY_PAGES = 1024;
/**
 * While settling, InnoDB may write as fast as the disk allows (the default io_capacity of 200 pages/s
 * would take minutes for the GB sysbench leaves dirty); the measured steps run with the defaults.
 */
const SETTLE_SETTINGS = {innodb_max_dirty_pages_pct: 0, innodb_io_capacity_max: 100_000, innodb_io_capacity: 50_000};

/**
 * Flushes the dirty pages earlier steps left (sysbench and a restore leave up to a GB in InnoDB, a dump
 * as much in the page cache), so no step pays for the previous one's writes. Returns the seconds it took.
 */
async function settle(admin: Connection, log: (line: string) => void): Promise<number> {
	const began = Date.now();
	await runCommand('sync', []);
	const names = Object.keys(SETTLE_SETTINGS);
	const [rows] = await admin.query<RowDataPacket[]>(`SELECT ${names.map((name) => `@@${name} AS ${name}`).join(', ')}`);
	const saved = rows[0]!;
	// io_capacity_max first on the way up, last on the way down: it may never be below io_capacity
	const apply = async (values: Record<string, unknown>, order: string[]) => {
		for (const name of order) await admin.query(`SET GLOBAL ${name} = ${Number(values[name])}`);
	};
	await apply(SETTLE_SETTINGS, names);
	let dirty = Number.NaN;
	try {
		while (Date.now() - began < SETTLE_LIMIT_MS) {
			const [status] = await admin.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
			dirty = Number(status[0]?.Value);
			if (dirty <= SETTLED_DIRTY_PAGES) break;
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	} finally {
		await apply(saved, [...names].reverse());
	}
	if (!(dirty <= SETTLED_DIRTY_PAGES)) log(`  (InnoDB still had ${dirty} dirty pages after ${SETTLE_LIMIT_MS / 1000} s; measuring anyway)`);
	await runCommand('sync', []);
	return (Date.now() - began) / 1000;
}
