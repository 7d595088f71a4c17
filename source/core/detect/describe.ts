import type {
	BinlogInfo,
	ClonePluginState,
	DataSize,
	DbType,
	DetectedEnvironment,
	FilesystemInfo,
	GtidInfo,
	MysqlFlavor,
	PrivilegeInfo,
	SnapshotCapability,
} from './types.ts';
import {formatBytes} from '../format.ts';

/** One-line descriptions of detected values, as the detection screen and the plain report show them. */

const flavorNames: Record<MysqlFlavor, string> = {mysql: 'MySQL', mariadb: 'MariaDB', percona: 'Percona Server'};

const dbTypeNames: Record<DbType, string> = {mysql: 'MySQL/MariaDB', postgres: 'PostgreSQL'};

/** "MySQL/MariaDB" or "PostgreSQL": a server of that type whose flavor is not known or does not matter. */
export function dbTypeLabel(dbType: DbType): string {
	return dbTypeNames[dbType];
}

export function describeFlavor(flavor: MysqlFlavor): string {
	return flavorNames[flavor];
}

/** "MariaDB root@127.0.0.1:3306/shop" */
export function environmentTitle(env: DetectedEnvironment): string {
	const kind =
		env.dbType === 'mysql' && env.flavor.known ? describeFlavor(env.flavor.value) : dbTypeLabel(env.dbType);
	const {user, target, database} = env.connection;
	return `${kind} ${user}@${target}${database ? `/${database}` : ''}`;
}

export function describeDataSize(size: DataSize): string {
	const count = size.databases.length;
	return `${formatBytes(size.totalBytes)} in ${count} database${count === 1 ? '' : 's'}`;
}

const cloneStates: Record<ClonePluginState, string> = {
	ACTIVE: 'active',
	INACTIVE: 'installed, inactive',
	DISABLED: 'installed, disabled',
	DELETED: 'deleted',
	NOT_INSTALLED: 'not installed',
	UNSUPPORTED: 'not supported by this server',
};

export function describeClonePlugin(state: ClonePluginState): string {
	return cloneStates[state];
}

export function describeBinlog(binlog: BinlogInfo): string {
	if (!binlog.enabled) return 'off';
	const parts = ['on'];
	if (binlog.format) parts.push(`format ${binlog.format}`);
	if (binlog.checksum) parts.push(`checksum ${binlog.checksum}`);
	if (binlog.file) parts.push(`at ${binlog.file}${binlog.position === undefined ? '' : `:${binlog.position}`}`);
	return parts.join(', ');
}

export function describeGtid(gtid: GtidInfo): string {
	const parts = [`mode ${gtid.mode}`, `position ${gtid.position === '' ? '(empty)' : gtid.position}`];
	for (const [key, value] of Object.entries(gtid.detail ?? {})) parts.push(`${key} ${value}`);
	return parts.join(', ');
}

export function describeFilesystem(fs: FilesystemInfo): string {
	return `${fs.fsType} mounted at ${fs.mountPoint} (device ${fs.device})`;
}

export function describeSnapshot(snapshot: SnapshotCapability): string {
	const where = [snapshot.backend, snapshot.target].filter(Boolean).join(' ');
	return `${snapshot.capable ? 'capable' : 'not capable'}${where ? ` (${where})` : ''}: ${snapshot.reason}`;
}

export function describePrivileges(privileges: PrivilegeInfo): string {
	const engines = Object.entries(privileges.perEngine);
	const short = engines.filter(([, entry]) => !entry.ok);
	if (engines.length === 0) return `${privileges.held.length} privileges held`;
	if (short.length === 0) return `enough for every engine (${engines.length})`;
	return `missing for ${short.length} of ${engines.length} engines`;
}
