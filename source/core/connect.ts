import {dbTypeLabel} from './detect/describe.ts';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import {describeTarget, type ConnectionSettings} from './connection-settings.ts';
import type {ConnectionSummary} from './detect/types.ts';
import {ConnectionError} from './errors.ts';

const CONNECT_TIMEOUT_MS = 10_000;

export function connectionSummary(settings: ConnectionSettings): ConnectionSummary {
	return {dbType: settings.dbType, target: describeTarget(settings), user: settings.user, database: settings.database};
}

interface DriverError {
	code?: string;
	errno?: number;
	message?: string;
}

function passwordOrigin(settings: ConnectionSettings): string {
	return settings.passwordSource ? `password from ${settings.passwordSource}` : 'no password given';
}

/** Turns a driver's connect failure into one line with the host:port tried and what to do about it. */
export function connectionFailure(settings: ConnectionSettings, error: unknown): ConnectionError {
	const target = describeTarget(settings);
	const server = dbTypeLabel(settings.dbType);
	const {code, message = String(error)} = (error ?? {}) as DriverError;
	const credentialsHint =
		settings.dbType === 'mysql'
			? 'Passwords come from MYSQL_PWD or ~/.my.cnf [client]; the user from --user, the config file or ~/.my.cnf [client].'
			: 'Passwords come from PGPASSWORD or ~/.pgpass; the user from --user, PGUSER or the config file.';
	const base = {target, cause: error};
	switch (code) {
		case 'ECONNREFUSED':
			return new ConnectionError({
				...base,
				code: 'CONNECTION_REFUSED',
				message: `cannot connect to ${server} at ${target}: connection refused`,
				hint: 'Is the server running and listening there? Check --host/--port (or --socket), the config file and MYSQL_HOST/PGHOST.',
			});
		case 'ENOENT':
			return new ConnectionError({
				...base,
				code: 'SOCKET_NOT_FOUND',
				message: `cannot connect to ${server} at ${target}: no such socket`,
				hint: 'Is the server running on this machine? Give the right --socket, or --host/--port for TCP.',
			});
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return new ConnectionError({
				...base,
				code: 'HOST_NOT_FOUND',
				message: `cannot connect to ${server} at ${target}: host name not found`,
				hint: 'Check the spelling of --host (or MYSQL_HOST/PGHOST and the config file).',
			});
		case 'ETIMEDOUT':
		case 'ECONNRESET':
			return new ConnectionError({
				...base,
				code: 'CONNECTION_TIMEOUT',
				message: `cannot connect to ${server} at ${target}: ${code === 'ETIMEDOUT' ? 'timed out' : 'connection reset'}`,
				hint:
					settings.dbType === 'mysql' && code === 'ETIMEDOUT'
						? 'A firewall, a wrong port or an overloaded server; check that the port answers from this machine. A server that waits for the client to speak first (PostgreSQL on 5432) also looks like this: check --port and --db-type.'
						: 'A firewall, a wrong port or an overloaded server; check that the port answers from this machine.',
			});
		case 'ER_ACCESS_DENIED_ERROR':
		case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
		case '28P01':
		case '28000':
			return new ConnectionError({
				...base,
				code: 'ACCESS_DENIED',
				message: `access denied for user "${settings.user}" at ${server} ${target} (${passwordOrigin(settings)})`,
				hint: credentialsHint,
			});
		case 'ER_BAD_DB_ERROR':
		case '3D000':
			return new ConnectionError({
				...base,
				code: 'UNKNOWN_DATABASE',
				message: `database "${settings.database}" does not exist on ${server} ${target}`,
				hint: 'Check --database (or the config file); `dbbackup detect` lists the databases.',
			});
		default:
			// pg reads the first byte of a MySQL greeting (its length) as a message type it does not know
			if (settings.dbType === 'postgres' && /received invalid response/i.test(message)) {
				return new ConnectionError({
					...base,
					code: 'WRONG_PROTOCOL',
					message: `the server at ${target} does not speak the PostgreSQL protocol (it spoke first, as MySQL/MariaDB servers do)`,
					hint: 'Check --port (PostgreSQL listens on 5432, MySQL/MariaDB on 3306), or give --db-type mysql if that is the server you mean.',
				});
			}
			return new ConnectionError({
				...base,
				code: 'CONNECTION_FAILED',
				message: `cannot connect to ${server} at ${target}: ${message.split('\n')[0]}`,
				hint: 'Check the server address, port and credentials; run `dbbackup detect --json` for details.',
			});
	}
}

export type MysqlConnection = mysql.Connection;

export async function connectMysql(settings: ConnectionSettings, options: {multipleStatements?: boolean} = {}): Promise<mysql.Connection> {
	// the drivers load on first use: a command needs one of them, and each costs start-up time and memory
	const {default: driver} = await import('mysql2/promise');
	try {
		return await driver.createConnection({
			host: settings.socket && !settings.host ? undefined : (settings.host ?? 'localhost'),
			port: settings.port ?? 3306,
			socketPath: settings.host ? undefined : settings.socket,
			user: settings.user,
			password: settings.password,
			database: settings.database,
			connectTimeout: CONNECT_TIMEOUT_MS,
			supportBigNumbers: true,
			bigNumberStrings: true,
			dateStrings: true,
			multipleStatements: options.multipleStatements ?? false,
		});
	} catch (error) {
		throw connectionFailure(settings, error);
	}
}

export async function connectPostgres(settings: ConnectionSettings, options: {replication?: 'database' | true} = {}): Promise<pg.Client> {
	const {default: driver} = await import('pg');
	const client = new driver.Client({
		// a walsender connection: replication commands (BASE_BACKUP, START_REPLICATION) instead of SQL
		...(options.replication === undefined ? {} : {replication: options.replication}),
		host: settings.host ?? settings.socket,
		port: settings.port ?? 5432,
		user: settings.user,
		password: settings.password,
		database: settings.database ?? 'postgres',
		connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
		application_name: 'dbbackup',
	});
	// Errors after connect (server restart) must not crash the process as unhandled 'error' events.
	client.on('error', () => {});
	try {
		await client.connect();
		return client;
	} catch (error) {
		await client.end().catch(() => {});
		throw connectionFailure(settings, error);
	}
}
