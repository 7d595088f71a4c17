import {existsSync} from 'node:fs';
import path from 'node:path';
import type {LoadedConfig} from '../core/config/types.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import {resolveConnectionSettings} from '../core/credentials/resolve.ts';
import type {DbType} from '../core/detect/types.ts';
import {UsageError} from '../core/errors.ts';

export interface TargetInputs {
	loaded: LoadedConfig;
	env: NodeJS.ProcessEnv;
	home: string;
	/** the default server sockets; injectable so tests do not depend on this machine */
	defaultSockets?: {mysql: string; postgres: string};
}

export const DEFAULT_SOCKETS = {mysql: '/run/mysqld/mysqld.sock', postgres: '/var/run/postgresql/.s.PGSQL.5432'};

export function parseDbType(value: string | undefined, origin: string): DbType | undefined {
	if (value === undefined) return undefined;
	const normalized = value.toLowerCase();
	if (normalized === 'mysql' || normalized === 'mariadb') return 'mysql';
	if (normalized === 'postgres' || normalized === 'postgresql' || normalized === 'pg') return 'postgres';
	throw new UsageError({
		code: 'BAD_DB_TYPE',
		message: `${origin} must be mysql or postgres, got "${value}"`,
		hint: 'mysql covers MySQL, MariaDB and Percona Server; postgres covers PostgreSQL.',
	});
}

/** Which kinds of server this user has pointed us at, by any of the usual means. */
export function configuredDbTypes(inputs: TargetInputs): DbType[] {
	const {loaded, env, home} = inputs;
	const sockets = inputs.defaultSockets ?? DEFAULT_SOCKETS;
	const explicit = loaded.config.connection.db_type;
	if (explicit) return [explicit];
	const found: DbType[] = [];
	const mysqlSigns =
		['MYSQL_HOST', 'MYSQL_PWD', 'MYSQL_TCP_PORT', 'MYSQL_UNIX_PORT'].some((name) => env[name]) ||
		existsSync(path.join(home, '.my.cnf')) ||
		existsSync(sockets.mysql);
	const postgresSigns =
		['PGHOST', 'PGPASSWORD', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGPASSFILE'].some((name) => env[name]) ||
		existsSync(path.join(home, '.pgpass')) ||
		existsSync(sockets.postgres);
	if (mysqlSigns) found.push('mysql');
	if (postgresSigns) found.push('postgres');
	return found;
}

/**
 * The servers a command works on: the --db-type given, else those configured, else MySQL at its
 * defaults (a connection error then says what was tried).
 */
export function resolveTargets(inputs: TargetInputs, dbTypeFlag?: DbType): {targets: ConnectionSettings[]; warnings: string[]} {
	const configured = configuredDbTypes(inputs);
	const dbTypes: DbType[] = dbTypeFlag ? [dbTypeFlag] : configured.length > 0 ? configured : ['mysql'];
	const warnings: string[] = [];
	const targets = dbTypes.map((dbType) => {
		const resolved = resolveConnectionSettings({dbType, loaded: inputs.loaded, env: inputs.env, home: inputs.home});
		warnings.push(...resolved.warnings);
		return resolved.settings;
	});
	return {targets, warnings};
}
