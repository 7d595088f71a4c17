import type {DbType} from './detect/types.ts';

/** Resolved coordinates and credentials for one server. `password` never leaves the process. */
export interface ConnectionSettings {
	dbType: DbType;
	host?: string;
	port?: number;
	/** unix socket path (MySQL) or socket directory (PostgreSQL) */
	socket?: string;
	user: string;
	password?: string;
	/** where the password came from, e.g. "MYSQL_PWD", "~/.my.cnf [client]", "~/.pgpass line 3" */
	passwordSource?: string;
	database?: string;
}

/** "host:port" or "socket /path" — what a user needs to see which server was tried. */
export function describeTarget(settings: ConnectionSettings): string {
	if (settings.socket && !settings.host) return `socket ${settings.socket}`;
	const port = settings.port ?? (settings.dbType === 'mysql' ? 3306 : 5432);
	return `${settings.host ?? 'localhost'}:${port}`;
}

/** The host an archive's manifest records: a name, an address or a socket path, never credentials. */
export function manifestHost(settings: ConnectionSettings): string {
	if (settings.socket && !settings.host) return settings.socket;
	return settings.host ?? 'localhost';
}
