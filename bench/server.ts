import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import {startMariadb, type RunningMariadb} from '../source/sandbox/index.ts';

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

export interface BenchServer {
	server: RunningMariadb;
	/** the settings as the server reports them after tuning */
	settings: Record<string, string>;
	connect(): Promise<Connection>;
}

export async function startBenchServer(baseDir: string, log: (line: string) => void): Promise<BenchServer> {
	const server = await startMariadb({log, baseDir, startTimeoutMs: 120_000});
	const connect = () =>
		mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, multipleStatements: false});
	const admin = await connect();
	try {
		for (const [name, value] of Object.entries(SERVER_SETTINGS)) {
			await admin.query(`SET GLOBAL ${name} = ${value}`);
		}
		await waitForBufferPoolResize(admin);
		const [rows] = await admin.query<RowDataPacket[]>(
			`SELECT @@innodb_buffer_pool_size AS innodb_buffer_pool_size, @@innodb_log_file_size AS innodb_log_file_size,
				@@innodb_flush_log_at_trx_commit AS innodb_flush_log_at_trx_commit, @@log_bin AS log_bin,
				@@binlog_format AS binlog_format, @@sync_binlog AS sync_binlog, @@max_allowed_packet AS max_allowed_packet`,
		);
		const settings = Object.fromEntries(Object.entries(rows[0] ?? {}).map(([key, value]) => [key, String(value)]));
		for (const [name, value] of Object.entries(SERVER_SETTINGS)) {
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
