import {existsSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {environmentVariableFor, type Environment} from '../config/env.ts';
import type {LoadedConfig} from '../config/types.ts';
import type {ConnectionSettings} from '../connection-settings.ts';
import type {DbType} from '../detect/types.ts';
import {ConfigError} from '../errors.ts';
import {registerSecret} from '../redact.ts';
import {readMysqlOptions, type OptionValue} from './mycnf.ts';
import {lookupPgpass} from './pgpass.ts';

export const DEFAULT_MYSQL_SOCKET = '/run/mysqld/mysqld.sock';
export const DEFAULT_POSTGRES_SOCKET_DIR = '/var/run/postgresql';
export const DEFAULT_PORTS: Record<DbType, number> = {mysql: 3306, postgres: 5432};
/** the database connect.ts opens when none is given; a ~/.pgpass entry must match it */
const POSTGRES_DEFAULT_DATABASE = 'postgres';

export interface ResolveConnectionOptions {
	dbType: DbType;
	loaded: LoadedConfig;
	env: Environment;
	home: string;
	/** whether a default server socket exists; injectable so tests do not depend on this machine */
	socketExists?: (socketPath: string) => boolean;
	/** the OS user name, the default user; os.userInfo() when absent */
	osUser?: string;
}

type Field = 'host' | 'port' | 'socket' | 'user' | 'database';

export interface ResolvedConnection {
	settings: ConnectionSettings;
	/** things the user should fix (an ignored ~/.pgpass...), never containing a password */
	warnings: string[];
	/** where each setting came from, e.g. {host: 'MYSQL_HOST', user: '~/.my.cnf [client] (line 3)'} */
	origins: Partial<Record<Field | 'password', string>>;
}

interface Candidate<T> {
	value: T;
	/** lower is stronger: 0 flag or DBBACKUP_*, 1 the client's own env, 2 config file, 3 option file, 4 default */
	rank: number;
	origin: string;
}

type Candidates = {[F in Field]?: Candidate<F extends 'port' ? number : string>};

/** `/home/ann/.my.cnf` → `~/.my.cnf`, as users write it. */
function tildePath(file: string, home: string): string {
	const relative = path.relative(home, file);
	return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? `~/${relative}` : file;
}

function parsePort(text: string, where: string, line?: number): number {
	const port = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
	if (!Number.isInteger(port) || port < 1 || port > 65_535) {
		throw new ConfigError({
			code: 'BAD_PORT',
			message: `${where}: ${JSON.stringify(text.slice(0, 20))} is not a port number (1-65535)`,
			hint: `Fix or remove the port in ${where}.`,
			line,
		});
	}
	return port;
}

function osUserName(env: Environment): string {
	try {
		return os.userInfo().username;
	} catch {
		// a uid without a passwd entry (some containers)
		return env.USER || env.LOGNAME || String(process.getuid?.() ?? 'root');
	}
}

/** Adds the candidates of one layer, keeping the stronger one already there. */
function offer(candidates: Candidates, rank: number, values: Partial<Record<Field, {value: string | number; origin: string}>>): void {
	for (const [field, given] of Object.entries(values) as Array<[Field, {value: string | number; origin: string} | undefined]>) {
		if (given === undefined || given.value === '' || candidates[field] !== undefined) continue;
		(candidates as Record<Field, Candidate<string | number>>)[field] = {value: given.value, rank, origin: given.origin};
	}
}

function fromLoadedConfig(loaded: LoadedConfig, wanted: 'top' | 'file'): Partial<Record<Field, {value: string | number; origin: string}>> {
	const out: Partial<Record<Field, {value: string | number; origin: string}>> = {};
	for (const field of ['host', 'port', 'socket', 'user', 'database'] as const) {
		const key = `connection.${field}`;
		const source = loaded.sources[key];
		const value = loaded.config.connection[field];
		if (value === undefined) continue;
		if (wanted === 'top' && source === 'flag') out[field] = {value, origin: 'flag'};
		if (wanted === 'top' && source === 'environment') out[field] = {value, origin: environmentVariableFor(key) ?? 'environment'};
		if (wanted === 'file' && source === 'file') out[field] = {value, origin: `config file ${loaded.file ?? ''}`.trim()};
	}
	return out;
}

function mysqlEnvironment(env: Environment): Partial<Record<Field, {value: string | number; origin: string}>> {
	return {
		host: env.MYSQL_HOST ? {value: env.MYSQL_HOST, origin: 'MYSQL_HOST'} : undefined,
		port: env.MYSQL_TCP_PORT ? {value: parsePort(env.MYSQL_TCP_PORT, 'MYSQL_TCP_PORT'), origin: 'MYSQL_TCP_PORT'} : undefined,
		socket: env.MYSQL_UNIX_PORT ? {value: env.MYSQL_UNIX_PORT, origin: 'MYSQL_UNIX_PORT'} : undefined,
	};
}

function postgresEnvironment(env: Environment): Partial<Record<Field, {value: string | number; origin: string}>> {
	return {
		host: env.PGHOST ? {value: env.PGHOST, origin: 'PGHOST'} : undefined,
		port: env.PGPORT ? {value: parsePort(env.PGPORT, 'PGPORT'), origin: 'PGPORT'} : undefined,
		user: env.PGUSER ? {value: env.PGUSER, origin: 'PGUSER'} : undefined,
		database: env.PGDATABASE ? {value: env.PGDATABASE, origin: 'PGDATABASE'} : undefined,
	};
}

/** libpq reads a host that is a path as a socket directory, whichever layer gave it. */
function postgresHostPathsAsSockets(layer: Partial<Record<Field, {value: string | number; origin: string}>>) {
	const host = layer.host;
	if (host && String(host.value).startsWith('/')) return {...layer, host: undefined, socket: layer.socket ?? host};
	return layer;
}

/**
 * Where to connect and as whom, per field: flag > DBBACKUP_* > the client's own variables
 * (MYSQL_HOST..., PGHOST...) > config file > ~/.my.cnf [client]/[dbbackup] (MySQL) > defaults.
 * The password comes only from MYSQL_PWD / ~/.my.cnf (MySQL) or PGPASSWORD / ~/.pgpass (PostgreSQL).
 */
export function resolveConnectionSettings(options: ResolveConnectionOptions): ResolvedConnection {
	const {dbType, loaded, env, home} = options;
	const socketExists = options.socketExists ?? existsSync;
	const warnings: string[] = [];
	const mysql = dbType === 'mysql';
	const layer = mysql ? <T>(value: T) => value : postgresHostPathsAsSockets;

	const candidates: Candidates = {};
	offer(candidates, 0, layer(fromLoadedConfig(loaded, 'top')));
	offer(candidates, 1, layer(mysql ? mysqlEnvironment(env) : postgresEnvironment(env)));
	offer(candidates, 2, layer(fromLoadedConfig(loaded, 'file')));

	let optionFilePassword: OptionValue | undefined;
	const optionLabel = (option: OptionValue) => `${tildePath(option.file, home)} [${option.group}] (line ${option.line})`;
	if (mysql) {
		const read = readMysqlOptions(path.join(home, '.my.cnf'), {show: (file) => tildePath(file, home)});
		warnings.push(...read.warnings);
		const layerValues: Partial<Record<Field, {value: string | number; origin: string}>> = {};
		for (const field of ['host', 'port', 'socket', 'user', 'database'] as const) {
			const option = read.options.get(field);
			if (option === undefined) continue;
			if (option.value === true) {
				warnings.push(`${optionLabel(option)}: ${field} has no value and is ignored`);
				continue;
			}
			const value = field === 'port' ? parsePort(option.value, tildePath(option.file, home), option.line) : option.value;
			layerValues[field] = {value, origin: optionLabel(option)};
		}
		offer(candidates, 3, layerValues);
		const password = read.options.get('password');
		if (password && typeof password.value === 'string') registerSecret(password.value);
		if (password?.value === true) warnings.push(`${optionLabel(password)}: password has no value; dbbackup never prompts, so it is ignored`);
		else optionFilePassword = password;
	}

	const explicitPort = candidates.port;
	const port = explicitPort?.value ?? DEFAULT_PORTS[dbType];
	const defaultSocket = mysql ? DEFAULT_MYSQL_SOCKET : DEFAULT_POSTGRES_SOCKET_DIR;
	const defaultSocketFile = mysql ? DEFAULT_MYSQL_SOCKET : path.join(DEFAULT_POSTGRES_SOCKET_DIR, `.s.PGSQL.${port}`);
	const hostMeansSocket = mysql && candidates.host?.value === 'localhost';
	if (!candidates.socket && (!candidates.host || hostMeansSocket) && socketExists(defaultSocketFile)) {
		candidates.socket = {value: defaultSocket, rank: 4, origin: 'default'};
	}
	const {host, socket} = candidates;
	// The stronger of socket and host decides. A MySQL host "localhost" means the socket, as in the mysql
	// client, but an explicit port stronger than the socket means TCP: silently taking the local socket
	// could back up a different server than the one the user pointed at.
	const useSocket =
		socket !== undefined &&
		!(mysql && explicitPort !== undefined && explicitPort.rank < socket.rank) &&
		(host === undefined || socket.rank < host.rank || hostMeansSocket);

	const settings: ConnectionSettings = {dbType, user: candidates.user?.value ?? options.osUser ?? osUserName(env)};
	const origins: ResolvedConnection['origins'] = {user: candidates.user?.origin ?? 'default (OS user)'};
	if (useSocket) {
		settings.socket = socket.value;
		origins.socket = socket.origin;
		if (!mysql) {
			settings.port = port;
			origins.port = explicitPort?.origin ?? 'default';
		}
	} else {
		settings.host = host?.value ?? 'localhost';
		settings.port = port;
		origins.host = host?.origin ?? 'default';
		origins.port = explicitPort?.origin ?? 'default';
	}
	if (candidates.database) {
		settings.database = candidates.database.value;
		origins.database = candidates.database.origin;
	}

	if (mysql) {
		if (env.MYSQL_PWD) {
			settings.password = env.MYSQL_PWD;
			settings.passwordSource = 'MYSQL_PWD';
		} else if (optionFilePassword && typeof optionFilePassword.value === 'string') {
			settings.password = optionFilePassword.value;
			settings.passwordSource = optionLabel(optionFilePassword);
		}
	} else if (env.PGPASSWORD) {
		settings.password = env.PGPASSWORD;
		settings.passwordSource = 'PGPASSWORD';
	} else {
		const file = env.PGPASSFILE || path.join(home, '.pgpass');
		const label = tildePath(file, home);
		const match = lookupPgpass(file, {
			host: settings.host ?? settings.socket ?? 'localhost',
			port,
			database: settings.database ?? POSTGRES_DEFAULT_DATABASE,
			user: settings.user,
		}, label);
		if (match.warning) warnings.push(match.warning);
		if (match.password) {
			settings.password = match.password;
			settings.passwordSource = `${label} line ${match.line}`;
		}
	}
	registerSecret(settings.password);
	if (settings.passwordSource) origins.password = settings.passwordSource;
	return {settings, warnings, origins};
}
