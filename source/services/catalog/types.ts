import type {DbType} from '../../core/detect/types.ts';
import type {BinlogFlavor} from '../../binlog/flavor.ts';

/** Binlog coordinates a backup records (manifest or script header), for matching it with a stream. */
export interface BackupBinlogPoint {
	file?: string;
	position?: number;
	gtid?: string;
}

/** One backup at the location: an archive (`*.tar`) or a SQL script (`*.sql`, `.sql.gz`, `.sql.zst`). */
export interface CatalogBackup {
	/** the artifact's name at the location */
	name: string;
	/** where it is: a path or an s3:// URL */
	url: string;
	format: 'archive' | 'sql';
	/** stored bytes (compressed, encrypted: as on disk or in the bucket) */
	bytes: number;
	/** the file's (object's) time */
	modifiedAt: string;
	/** the time the catalog sorts by: the recorded start, else the file's time */
	at: string;
	atSource: 'manifest' | 'script header' | 'file time';
	encrypted: boolean;
	/** false: encrypted and no key was given (only name, size and time are known) */
	readable: boolean;
	/**
	 * An archive: its sidecar exists (written only after the archive is committed). A SQL script is
	 * published under its name only once whole.
	 */
	complete: boolean;
	/** a `NAME.pin` marker is beside it (`dbbackup pin`): prune keeps it whatever the policy */
	pinned?: boolean;
	/** where the facts come from */
	facts: 'sidecar' | 'manifest' | 'script header' | 'none';
	engine?: string;
	kind?: 'logical' | 'physical';
	dbType?: DbType;
	server?: {version: string; flavor: string; host: string};
	databases?: string[];
	startedAt?: string;
	finishedAt?: string;
	/** archives: the members' compression; scripts: how the whole file is compressed */
	compression?: string;
	/** the engine's one line (`mariadb-bin.000003:1234, GTID 0-1-42`) */
	coordinates?: string;
	binlog?: BackupBinlogPoint;
	/** a PostgreSQL base backup: where WAL replay starts and where the copy is consistent, on which cluster */
	wal?: {startLsn: string; endLsn: string; timeline: number; systemId?: string};
	lockMs?: number;
	/** scripts: the dump tool its header names */
	writer?: string;
	/** what could not be read, when something could not */
	problem?: string;
}

/** Missing binlog files between two present ones: `from` to `to` inclusive. */
export interface BinlogGap {
	from: string;
	to: string;
	files: number;
}

export interface StreamRunState {
	state: 'running' | 'stopped' | 'unknown';
	/** how that was found */
	how: string;
	pid?: number;
	host?: string;
	/** S3: seconds since the lease was last renewed */
	leaseAgeSeconds?: number;
}

/** A binlog-stream directory (or S3 prefix) at the location or directly under it. */
export interface CatalogStream {
	url: string;
	/** '' for the location itself, else the sub-directory's name with a final '/' */
	relative: string;
	encrypted: boolean;
	readable: boolean;
	source?: {flavor: BinlogFlavor; serverId: number; serverUuid?: string; host: string};
	firstFile?: string;
	lastFile?: string;
	/** binlog files present (closed and the one being copied) */
	files: number;
	/** closed files present, and their stored bytes */
	closedFiles: number;
	closedBytes: number;
	checkpoint?: {file: string; position: number; gtid: string; eventTime?: string; updatedAt: string; ageSeconds: number};
	gaps: BinlogGap[];
	running: StreamRunState;
	problem?: string;
}

/** Missing WAL segments between two held ones: `from` to `to` inclusive. */
export interface WalGap {
	from: string;
	to: string;
	segments: number;
}

/** A wal-stream store (a directory or S3 prefix) at the location or directly under it. */
export interface CatalogWalStream {
	url: string;
	relative: string;
	/** from the checkpoint: the cluster's system identifier, its timeline, the segment size, the server and slot */
	systemId?: string;
	timeline?: number;
	segmentBytes?: number;
	host?: string;
	slot?: string;
	firstSegment?: string;
	lastSegment?: string;
	/** segments held (completed and the one being filled) */
	segments: number;
	/** stored bytes of the completed segments */
	completedBytes: number;
	/** the segment being filled */
	partial?: string;
	histories: string[];
	checkpoint?: {flushLsn: string; timeline: number; updatedAt: string; ageSeconds: number};
	gaps: WalGap[];
	running: StreamRunState;
	problem?: string;
}

/** One end of a recovery window, and how it was found. */
export interface WindowEnd {
	at: string;
	how: string;
	/** the backup it comes from */
	backup?: string;
	/** the stream it comes from */
	stream?: string;
	coordinates?: string;
}

/** For one database: the earliest and latest moment a restore (with the binlogs, a PITR) can reach. */
export interface RecoveryWindow {
	dbType: DbType;
	database: string;
	/** true: any moment between the ends (backup + binlog replay); false: only the backups' own moments */
	pointInTime: boolean;
	backups: number;
	earliest: WindowEnd;
	latest: WindowEnd;
}

/** Work in progress at the location: a backup being written, or what a dead one left. */
export interface CatalogWork {
	name: string;
	url: string;
	what: 'backup' | 'sidecar' | 'scratch' | 'upload' | 'other';
	bytes?: number;
	/** when it was last written (local) or started (an S3 upload) */
	at: string;
	/** true: a live run holds it; false: nobody does (a leftover the next backup removes); undefined: unknown */
	running?: boolean;
}

export interface Catalog {
	location: string;
	generatedAt: string;
	/** whether a key was given (encrypted artifacts are then read) */
	keyGiven: boolean;
	/** sorted by their recorded start time, oldest first */
	backups: CatalogBackup[];
	streams: CatalogStream[];
	/** PostgreSQL WAL stores (wal-stream) */
	walStreams: CatalogWalStream[];
	windows: RecoveryWindow[];
	work: CatalogWork[];
	/** what the catalog could not look at, said once each */
	notes: string[];
}
