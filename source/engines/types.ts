import type {Compression} from '../core/compression-names.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import type {EventBus} from '../core/events.ts';
import type {DbType, DetectedEnvironment} from '../core/detect/types.ts';

import type {StorageOptions} from '../storage/target/index.ts';

export type EngineName = 'mysqldump' | 'postgres-logical' | 'basebackup' | 'clone' | 'snapshot';

export interface Availability {
	available: boolean;
	/** when not available: why, in words a user reads (several reasons joined by "; ") */
	reason?: string;
	/** every check that failed, one line each */
	reasons: string[];
	warnings: string[];
	/** facts the engine used to decide, for `engine info` */
	info: Record<string, string>;
}

export interface EngineCapabilities {
	backup: boolean;
	restore: boolean;
	incremental: boolean;
	/** writes its backup through any artifact target, an object store (s3://) included, without local disk */
	streaming: boolean;
	/** logical (portable SQL/rows) or physical (files/pages) */
	kind: 'logical' | 'physical';
}

export interface BackupOptions {
	settings: ConnectionSettings;
	/** empty: every database except the system ones */
	databases: string[];
	/** a local path or an `s3://` URL */
	output: string;
	/** how the artifact is stored: S3 settings, encryption */
	storage?: StorageOptions;
	workers: number;
	format: 'archive' | 'sql';
	compress: Compression;
	level?: number;
	/** rows per chunk; absent: adaptive; 0: never split tables */
	chunkRows?: number;
	noLock?: boolean;
	/** MySQL: false with --no-ddl-lock: dumped tables are not held against DDL until their rows are read */
	ddlLock?: boolean;
	includeUsers?: boolean;
	/** PostgreSQL: leave out ownership (ALTER … OWNER TO) */
	noOwner?: boolean;
	/** PostgreSQL: leave out grants (GRANT/REVOKE, default privileges) */
	noPrivileges?: boolean;
	/** physical (PostgreSQL base backup): the checkpoint that starts it, at once (default) or spread over checkpoint_completion_target */
	checkpoint?: 'fast' | 'spread';
	/** physical (PostgreSQL base backup): the server sends at most this many kB per second (32 to 1048576) */
	maxRateKbps?: number;
	/** physical (MySQL clone engine): where the server writes the copy, and the donor of a remote clone */
	clone?: CloneBackupOptions;
	/** physical (snapshot engine): the backend asked for (--snapshot-backend, backup.snapshot.*) and what the config says of the unit */
	snapshot?: SnapshotSettings;
}

/** backup.snapshot.* and --snapshot-backend: absent fields are detected from the data directory's filesystem. */
export interface SnapshotSettings {
	backend?: 'btrfs' | 'lvm' | 'zfs';
	/** the subvolume that must hold the data directory */
	btrfsSubvolume?: string;
	/** the volume group that must hold the data directory's volume, and the copy-on-write space of a classic snapshot (`10G`) */
	lvmVolumeGroup?: string;
	lvmSnapshotSize?: string;
	/** the dataset that must hold the data directory */
	zfsDataset?: string;
}

/** The clone engine's choices (backup.clone.* and --clone-remote --clone-donor-host/-port). */
export interface CloneBackupOptions {
	/** an absolute directory on the server's host the fresh clone directory is made in; absent: beside the server's datadir */
	parentDir?: string;
	/** present: CLONE INSTANCE FROM this donor into the connected server (the recipient); absent: CLONE LOCAL */
	remote?: CloneDonor;
}

/** A remote clone's donor, as the recipient reaches it. `password` never leaves the process. */
export interface CloneDonor {
	host: string;
	port: number;
	user: string;
	password?: string;
	/** where the password came from, e.g. "DBBACKUP_DONOR_PWD" */
	passwordSource?: string;
}

/** What a restore writes into: a database on a running server (logical engines), or a data directory a server then starts on (physical engines). */
export type RestoreTargetKind = 'database' | 'data-directory';

export interface RestoreOptions {
	settings: ConnectionSettings;
	/** a local path or an `s3://` URL */
	artifact: string;
	/** how the artifact is stored: S3 settings, the key of an encrypted artifact */
	storage?: StorageOptions;
	targetDb?: string;
	/** the archive's databases to restore (--database); absent: every one */
	databases?: string[];
	/** physical engines: the data directory to restore into (absent or empty); the server is started on it afterwards */
	dataDirectory?: string;
	/** physical engines, run as root: the OS user the restored files belong to (default: postgres) */
	dataDirectoryOwner?: string;
	/** `db.table` or `table` */
	tables?: string[];
	workers: number;
	dropExisting?: boolean;
	continueOnError?: boolean;
	/** MySQL: build secondary indexes after the rows; true: every table, false: none, unset: tables of DEFER_INDEXES_MIN_ROWS rows or more */
	indexesAfterData?: boolean;
	includeUsers?: boolean;
	/** false: the restore's writes stay out of the server's binary log (sql_log_bin = 0) */
	binlog?: boolean;
	/** definitions only, no rows (archives) */
	schemaOnly?: boolean;
	/** rows only, into tables that exist already (archives) */
	dataOnly?: boolean;
	/** PostgreSQL: the target database must not exist yet; it is created */
	create?: boolean;
	/** PostgreSQL: skip ownership; objects belong to the restoring role */
	noOwner?: boolean;
	/** PostgreSQL: skip grants */
	noPrivileges?: boolean;
}

export interface BackupResult {
	artifact: string;
	bytes: number;
	format: 'archive' | 'sql';
	lockMs?: number;
	/** where the backup is consistent, in one line (GTID, binlog file:pos, LSN) */
	coordinates?: string;
	databases: string[];
	tables: number;
	rows: number;
	/** physical engines: the files copied (tables and rows are not counted in a copy of files) */
	files?: number;
	startedAt: string;
	finishedAt: string;
}

export interface RestoreResult {
	artifact: string;
	/** the databases restored into */
	databases: string[];
	tables: number;
	rows: number;
	/** SQL bytes applied */
	bytes: number;
	/** statements the server refused (only with continueOnError) */
	failedStatements: number;
	startedAt: string;
	finishedAt: string;
	/** physical engines: the data directory restored, and how to start a server on it */
	dataDirectory?: DataDirectoryRestore;
}

/** A physical restore into a data directory: where, as whom, and how to start a server on it. */
export interface DataDirectoryRestore {
	path: string;
	/** the OS user the files belong to: the server must run as it */
	owner: string;
	/** the server's major version the directory is for (its binaries must be this version) */
	serverMajor: number;
	files: number;
	/** tablespaces re-created at their recorded locations, linked from pg_tblspc */
	tablespaces: Array<{oid: string; location: string}>;
	/** a shell command that starts a server on the directory */
	startCommand: string;
	/** what to know before starting it */
	notes: string[];
	/** restore --verify-start: what a throwaway server started on the directory found */
	verified?: VerifiedStart;
}

/** A throwaway server started on a restored data directory, checked and stopped. */
export interface VerifiedStart {
	/** the server that was started: "PostgreSQL 15", "MariaDB 10.11.6", "MySQL 9.7.4" */
	server: string;
	/** the loopback port it ran on; absent when it listened on a private socket only (MySQL family) */
	port?: number;
	/** where recovery left it, in the server's own terms (WAL position and timeline; binary log position and GTID set) */
	position: string;
	/** PostgreSQL: pg_current_wal_lsn after recovery, and the timeline it runs on */
	lsn?: string;
	timeline?: number;
	/** from start to ready: crash recovery to the end of the backup's WAL */
	startSeconds: number;
	/** every database it connected to, with its user tables counted (SELECT count(*)) */
	databases: Array<{name: string; tables: number; rows: number}>;
	/** MySQL family: the tables CHECK TABLE found OK (every one, or the check fails) */
	checkedTables?: number;
}

/** A user database of a server, as the backup form and `backup all` list it. */
export interface DatabaseSummary {
	name: string;
	bytes: number;
	tables: number;
}

/** Where a restore would go and whether it would replace data; planning changes nothing. */
export interface RestorePlan {
	databases: Array<{source: string; target: string; exists: boolean; tables: number}>;
	/** some target exists and is not empty: restoring needs dropExisting */
	destructive: boolean;
}

/**
 * The state the selector folds over the engines, in their selection order: every engine sees what the
 * criteria asked for and what an engine before it already claimed.
 */
export interface SelectionState {
	/** the data is above the physical threshold (or the size said so) */
	wantPhysical: boolean;
	/** the engine the criteria prefer so far */
	preferred?: EngineName;
}

/** An engine's place in the seed's selection order and its own judgement of a server. */
export interface SelectionPlace {
	/** lower is judged first and tried first when the preferred engine cannot run */
	order: number;
	/** whether it is tried when it is not the preferred engine  */
	fallback: boolean;
	/** the sentences this engine adds to the selection's reasons, and whether it claims (or takes over) the preference */
	judge(env: DetectedEnvironment, context: SelectionContext, state: SelectionState): {reasons: string[]; prefer: boolean};
}

/** One engine behind one interface; one folder each under source/engines/, one line in registry.ts. */
export interface BackupEngine {
	name: EngineName;
	aliases: string[];
	description: string;
	dbTypes: DbType[];
	capabilities: EngineCapabilities;
	selection: SelectionPlace;
	/** what its restore writes into */
	restoreTarget: RestoreTargetKind;
	checkAvailability(env: DetectedEnvironment, context?: SelectionContext): Availability;
	/** the coordinates its manifests record, in one line (GTID, binlog file:pos, LSN) */
	describeCoordinates(coordinates: Record<string, unknown>): string;
	/** logical engines: the user databases of a server, largest first */
	listDatabases?(settings: ConnectionSettings): Promise<DatabaseSummary[]>;
	/** engines that restore into databases: where a restore of `options.artifact` would go, changing nothing */
	planRestore?(options: RestoreOptions): Promise<RestorePlan>;
	backup(options: BackupOptions, bus: EventBus): Promise<BackupResult>;
	restore(options: RestoreOptions, bus: EventBus): Promise<RestoreResult>;
	/**
	 * Logical engines: every table of `database` with its rows counted and checksummed the way this
	 * engine's dump reads them, to compare a restored copy with the checksums its manifest recorded.
	 */
	tableChecksums?(settings: ConnectionSettings, database: string): Promise<TableChecksum[]>;
}

/** One table's rows as a backup recorded them or a restored copy holds them (engines/row-checksum.ts). */
export interface TableChecksum {
	/** PostgreSQL: the table's schema */
	namespace?: string;
	name: string;
	rows: number;
	checksum: string;
}

/** What besides the server shapes the choice of engine. */
export interface SelectionContext {
	/** the backup destination, e.g. "s3://bucket/path" or a local path */
	destination?: string;
	/** the databases a backup names (`backup single|multiple`); empty or absent: the whole server */
	databases?: string[];
}

export function availability(reasons: string[], warnings: string[] = [], info: Record<string, string> = {}): Availability {
	return reasons.length === 0
		? {available: true, reasons: [], warnings, info}
		: {available: false, reason: reasons.join('; '), reasons, warnings, info};
}
