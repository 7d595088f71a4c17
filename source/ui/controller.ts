import type {Compression} from '../core/compression-names.ts';
import type {DbType, DetectedEnvironment} from '../core/detect/types.ts';
import type {EngineSelection} from '../engines/selection-types.ts';
import type {BinlogStreamSummary} from '../binlog/stream/streamer.ts';
import type {BackupOutcome, BackupRequest} from '../services/backup.ts';
import type {BinlogStreamRequest} from '../services/binlog-stream.ts';
import type {WalStreamRequest} from '../services/wal-stream.ts';
import type {WalStreamSummary} from '../wal/stream/streamer.ts';
import type {ArtifactContents, ArtifactSummary, RestoreOutcome, RestorePlan, RestoreRequest} from '../services/restore.ts';
import type {Catalog} from '../services/catalog.ts';
import type {VerifyReport} from '../services/verify.ts';

export type {DetectedEnvironment} from '../core/detect/types.ts';
export type {BackupOutcome} from '../services/backup.ts';
export type {ArtifactSummary, RestoreOutcome, RestorePlan} from '../services/restore.ts';
export type {BinlogStreamSummary} from '../binlog/stream/streamer.ts';
export type {WalStreamSummary} from '../wal/stream/streamer.ts';
export type {Catalog, CatalogBackup, CatalogStream, RecoveryWindow} from '../services/catalog.ts';
export type {ArtifactContents} from '../services/restore.ts';
export type {VerifyReport} from '../services/verify.ts';

export type ConnectionState = 'not-configured' | 'connecting' | 'connected' | 'error' | 'demo';

/** One server the app can work on; a run has at most one per kind. */
export interface ServerChoice {
	dbType: DbType;
	/** e.g. "mysql root@127.0.0.1:3306" */
	label: string;
}

export interface DatabaseSummary {
	name: string;
	bytes: number;
	tables: number;
}

/** Which server a request goes to: the one of this kind, else the first MySQL one (else the first). */
export interface ServerPick {
	dbType?: DbType;
}

export type BackupChoices = Omit<BackupRequest, 'target'> & ServerPick;
export type RestoreChoices = Omit<RestoreRequest, 'target'> & ServerPick;
/** What the tail screen chose; the rest of the request comes from the command line (--gtid, --server-id, …). */
export type BinlogStreamChoices = Pick<BinlogStreamRequest, 'output'>;
/** What the WAL tail screen chose; the rest of the request comes from the command line (--slot, --sync, …). */
export type WalStreamChoices = Pick<WalStreamRequest, 'output'>;

/**
 * Everything the Ink app can ask for. The CLI implements it; the screens do no I/O of their own.
 * Methods that fail reject with a DbBackupError (code, message, hint), which the screens show.
 */
export interface AppController {
	/** e.g. "mysql root@127.0.0.1:3306" or "not configured" */
	connectionLabel(): string;
	connectionState(): ConnectionState;
	/** false when no server is configured: the home menu then offers the demo first */
	isConfigured(): boolean;
	/** one per configured server (the demo has a MariaDB and a PostgreSQL) */
	detect(): Promise<DetectedEnvironment[]>;
	/** one per server, in the same order as detect() */
	selectEngine(): Promise<EngineSelection[]>;
	/** starts throwaway servers, then backs up and restores the MariaDB sample and compares the copy; afterwards isConfigured() is true */
	startDemo(): Promise<void>;

	/** the servers backups and restores can go to, in the order configured */
	servers(): ServerChoice[];
	/** where new backups go and where the restore screen looks first */
	defaultOutputDir(): string;
	/**
	 * The name a backup of `databases` (empty: all) into a folder gets, by the command line's rule (an
	 * encrypted one is "encrypted-…"); the time and tag are now's, the backup draws its own when it starts.
	 */
	previewBackupName(databases: string[]): string;
	/** parallel workers a backup or restore starts with */
	defaultWorkers(): number;
	/** the compression a backup starts with */
	defaultCompression(): Compression;
	/** the user databases of the server picked */
	listDatabases(pick?: ServerPick): Promise<DatabaseSummary[]>;
	/** runs a backup, reporting stages and progress on the bus */
	backup(choices: BackupChoices): Promise<BackupOutcome>;
	/** the artifacts in `dir` (default: defaultOutputDir()), newest first */
	listArtifacts(dir?: string): Promise<ArtifactSummary[]>;
	describeArtifact(path: string): Promise<ArtifactSummary>;
	/** what a restore would do, and whether it would overwrite data; changes nothing */
	planRestore(choices: RestoreChoices): Promise<RestorePlan>;
	/** runs a restore, reporting stages and progress on the bus */
	restore(choices: RestoreChoices): Promise<RestoreOutcome>;
	/** where binlog copies go without asking: --output, else the config's backup.binlog file target; undefined: the screen asks */
	binlogOutputDir(): string | undefined;
	/**
	 * Copies the MySQL/MariaDB server's binlogs, reporting binlog-status and binlog-event on the bus, until
	 * `signal` aborts (or --stop-at-end catches up); resolves once stopped with its checkpoint written.
	 */
	streamBinlogs(choices: BinlogStreamChoices, signal: AbortSignal): Promise<BinlogStreamSummary>;
	/**
	 * Where WAL goes without asking: wal-stream's --output (or --target); undefined: the screen asks.
	 * Optional with streamWal: a controller without them has no WAL tail screen.
	 */
	walOutputDir?(): string | undefined;
	/**
	 * Copies the PostgreSQL server's WAL (`wal-stream`), reporting wal-status and wal-durable on the bus,
	 * until `signal` aborts (or --stop-at-end catches up); resolves once stopped with everything durable.
	 */
	streamWal?(choices: WalStreamChoices, signal: AbortSignal): Promise<WalStreamSummary>;

	/** `status`'s catalog of a directory or s3:// prefix: the backups (oldest first), streams, recovery windows, work, notes */
	catalog(location: string): Promise<Catalog>;
	/** `restore --list`: a backup's manifest summary, its tables and (an archive) its members; reaches no server */
	backupContents(url: string): Promise<ArtifactContents>;
	/** `verify` of one backup, reporting its stages on the bus; a damaged one rejects with the IntegrityError naming it */
	verifyBackup(url: string): Promise<VerifyReport>;
	/**
	 * Deletes backup `name` at `location` (its sidecar first); a pinned one is refused (BACKUP_PINNED), never
	 * forced. Resolves with where each removed file was.
	 */
	deleteBackup(location: string, name: string, format: 'archive' | 'sql'): Promise<string[]>;
}
