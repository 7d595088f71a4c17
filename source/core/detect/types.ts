/**
 * What environment detection found. Every item is a Fact: either known, with how it was found
 * (the query, file or command), or unknown, with why.
 */
export type Fact<T> =
	| {known: true; value: T; source: string}
	| {known: false; reason: string};

export function known<T>(value: T, source: string): Fact<T> {
	return {known: true, value, source};
}

export function unknown<T = never>(reason: string): Fact<T> {
	return {known: false, reason};
}

export type DbType = 'mysql' | 'postgres';
export type MysqlFlavor = 'mysql' | 'mariadb' | 'percona';
export type SnapshotBackend = 'btrfs' | 'lvm' | 'zfs';

export interface ServerVersion {
	/** as the server reports it, e.g. "10.11.6-MariaDB-0+deb12u1" */
	text: string;
	major: number;
	minor: number;
	patch: number;
}

export interface DatabaseSize {
	name: string;
	bytes: number;
	tables?: number;
}

export interface DataSize {
	totalBytes: number;
	databases: DatabaseSize[];
}

export interface FilesystemInfo {
	/** the path examined (the data directory) */
	path: string;
	mountPoint: string;
	fsType: string;
	device: string;
}

export interface SnapshotCapability {
	capable: boolean;
	backend?: SnapshotBackend;
	/** e.g. the btrfs subvolume path, the LV "vg/lv", the ZFS dataset name */
	target?: string;
	/** why it can or cannot snapshot, in words for the user */
	reason: string;
}

export interface BinlogInfo {
	enabled: boolean;
	format?: string;
	checksum?: string;
	/** current file and position when enabled and readable */
	file?: string;
	position?: number;
	/** when enabled but file/position could not be read: why (e.g. the privilege SHOW MASTER STATUS needs) */
	coordinatesReason?: string;
}

export interface GtidInfo {
	/** MySQL: gtid_mode (ON, OFF, ...); MariaDB: "available" (GTIDs always exist in MariaDB's binlog) */
	mode: string;
	/** MySQL @@gtid_executed, MariaDB @@gtid_binlog_pos / @@gtid_current_pos */
	position: string;
	/** MariaDB only: gtid_strict_mode, domain id */
	detail?: Record<string, string>;
}

export type ClonePluginState = 'ACTIVE' | 'INACTIVE' | 'DISABLED' | 'DELETED' | 'NOT_INSTALLED' | 'UNSUPPORTED';

export interface PrivilegeInfo {
	/** raw grant statements of the current user */
	grants: string[];
	/** privileges held, upper-cased (e.g. "RELOAD", "BACKUP_ADMIN", "ALL PRIVILEGES") */
	held: string[];
	/** per engine name: what is missing for it (empty = enough) */
	perEngine: Record<string, {ok: boolean; missing: string[]}>;
}

export interface ConnectionSummary {
	dbType: DbType;
	/** "host:port" or "socket /path"; never contains credentials */
	target: string;
	user: string;
	database?: string;
}

export interface MysqlEnvironment {
	dbType: 'mysql';
	connection: ConnectionSummary;
	version: Fact<ServerVersion>;
	flavor: Fact<MysqlFlavor>;
	dataSize: Fact<DataSize>;
	clonePlugin: Fact<ClonePluginState>;
	binlog: Fact<BinlogInfo>;
	gtid: Fact<GtidInfo>;
	datadir: Fact<string>;
	filesystem: Fact<FilesystemInfo>;
	snapshot: Fact<SnapshotCapability>;
	privileges: Fact<PrivilegeInfo>;
	/** whether the server runs on this machine (its datadir is readable here) */
	local: Fact<boolean>;
}

export interface PostgresEnvironment {
	dbType: 'postgres';
	connection: ConnectionSummary;
	version: Fact<ServerVersion>;
	dataSize: Fact<DataSize>;
	walLevel: Fact<string>;
	dataDirectory: Fact<string>;
	filesystem: Fact<FilesystemInfo>;
	snapshot: Fact<SnapshotCapability>;
	/** superuser, replication, pg_read_all_data... */
	privileges: Fact<PrivilegeInfo>;
	local: Fact<boolean>;
	/** replication connections: max_wal_senders and how many run now (absent where not detected) */
	walSenders?: Fact<WalSenders>;
}

/** PostgreSQL's WAL sender slots: a base backup or a WAL stream takes one for as long as it runs. */
export interface WalSenders {
	max: number;
	used: number;
}

export type DetectedEnvironment = MysqlEnvironment | PostgresEnvironment;
