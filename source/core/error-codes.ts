/**
 * Every code the product raises: the `code` of a DbBackupError (errors.ts) and of a bus warning
 * (events.ts). Scripts read these from `--json` and tests assert on them, so they are part of the
 * interface: a typo, or a new code that is not written down here, fails `tsc`. Add a code to the group
 * of the layer that raises it; a code shared by layers stays in the group where it started.
 */
export type ErrorCode =
	| GeneralCode
	| CliCode
	| ConfigCode
	| ConnectionCode
	| ServiceCode
	| EngineCode
	| MysqlLogicalCode
	| PostgresLogicalCode
	| RestoreCode
	| BinlogEventCode
	| BinlogProtocolCode
	| BinlogStreamCode
	| BinlogReplayCode
	| WalCode
	| SandboxCode
	| StorageCode
	| RetentionCode
	| RestoreTestCode
	| PhysicalCode
	| SnapshotCode;

/** Anything thrown that was not a DbBackupError (toDbBackupError): a bug or an unhandled condition. */
type GeneralCode = 'UNEXPECTED';

/** The command line: commands, arguments and flags (source/cli). Exit 2 unless said otherwise. */
type CliCode =
	| 'UNKNOWN_COMMAND'
	| 'UNKNOWN_FLAG'
	| 'BAD_FLAG_VALUE'
	| 'BAD_ARGUMENTS'
	| 'PASSWORD_FLAG_REFUSED'
	| 'NO_SERVER'
	| 'BAD_TARGET'
	| 'MISSING_OUTPUT'
	| 'OUTPUT_DIR_UNWRITABLE'
	| 'ENGINE_NOT_FOR_DB_TYPE';

/** Configuration files, environment variables and credential files (source/core/config, core/credentials). */
type ConfigCode =
	| 'CONFIG_NOT_FOUND'
	| 'CONFIG_LOAD'
	| 'CONFIG_SYNTAX'
	| 'CONFIG_NOT_MAPPING'
	| 'CONFIG_UNKNOWN_KEY'
	| 'CONFIG_BAD_VALUE'
	| 'CONFIG_BAD_ENV'
	| 'CONFIG_PASSWORD'
	| 'MYCNF_READ'
	| 'MYCNF_SYNTAX'
	| 'BAD_PORT';

/** Reaching the server, and losing it mid-work (source/core/connect.ts, core/connection-lost.ts). */
type ConnectionCode =
	| 'CONNECTION_REFUSED'
	| 'CONNECTION_TIMEOUT'
	| 'CONNECTION_FAILED'
	| 'WRONG_PROTOCOL'
	| 'CONNECTION_LOST'
	| 'HOST_NOT_FOUND'
	| 'SOCKET_NOT_FOUND'
	| 'ACCESS_DENIED'
	| 'UNKNOWN_DATABASE';

/** The services behind the commands: backup, restore, binlog-stream, the demo (source/services). */
type ServiceCode =
	| 'BAD_DB_TYPE'
	| 'BAD_WORKERS'
	| 'BAD_CHUNK_ROWS'
	| 'ENGINE_UNAVAILABLE'
	| 'NO_ENGINE_AVAILABLE'
	| 'PHYSICAL_ENGINE_UNAVAILABLE'
	| 'PHYSICAL_BACKUP_IS_LOGICAL'
	| 'WRONG_DB_TYPE'
	| 'ARTIFACT_DIR_UNREADABLE'
	| 'REPLAY_NEEDS_MYSQL'
	| 'BINLOG_DB_TYPE'
	| 'BINLOG_OUTPUT_MISSING'
	| 'STREAM_RESUME_IMPOSSIBLE'
	| 'FLAG_NOT_FOR_COMMAND'
	| 'FLAG_NOT_FOR_SERVER'
	| 'VERIFY_NOTHING'
	| 'SCRIPT_INCOMPLETE'
	| 'BACKUP_HAS_NO_COORDINATES'
	| 'DEMO_COPY_DIFFERS';

/** Keeping and removing backups: prune, pin, delete (source/services/retention). */
type RetentionCode =
	| 'BACKUP_PINNED'
	/** prune with no rule: no --keep-* flag and no retention.* key (or all 0) */
	| 'RETENTION_POLICY_MISSING'
	/** pin / unpin of a name that is no backup at its location */
	| 'NOT_A_BACKUP'
	/** prune --confirm: a deletion failed; what was done is reported, the rest left */
	| 'PRUNE_DELETE_FAILED';

/** `verify --restore-test`: the drill that restores into a throwaway server and compares (source/services/restore-test). */
type RestoreTestCode = 'RESTORE_TEST_MISMATCH' | 'RESTORE_TEST_FAILED' | 'RESTORE_TEST_NEEDS_ARCHIVE' | 'RESTORE_TEST_OTHER_FLAVOR' | 'RESTORE_TEST_COUNTS_ONLY' | 'RESTORE_TEST_SKIPPED';

/** Physical backups and their restore into a data directory: PostgreSQL's base backup engine (source/engines/basebackup), `restore --datadir` and `--verify-start` (services/verify-start.ts). */
type PhysicalCode =
	// backup (exit 4 when the server cannot serve one, 2 for a bad flag, 1 during the work)
	| 'BASEBACKUP_SERVER_TOO_OLD'
	| 'BASEBACKUP_NOT_PERMITTED'
	| 'BASEBACKUP_NO_WAL_SENDER'
	| 'BASEBACKUP_FAILED'
	| 'BASEBACKUP_PROTOCOL'
	| 'BASEBACKUP_TAR_INVALID'
	| 'BASEBACKUP_NEEDS_ARCHIVE'
	// a directory of files into an archive (snapshot and clone engines: source/engines/physical/directory-backup.ts)
	| 'PHYSICAL_NEEDS_ARCHIVE'
	| 'PHYSICAL_SOURCE_UNREADABLE'
	| 'PHYSICAL_SOURCE_CHANGED'
	| 'BAD_MAX_RATE'
	| 'BAD_CHECKPOINT'
	/** warning: databases were named, but a base backup copies the whole cluster */
	| 'PHYSICAL_WHOLE_CLUSTER'
	// the clone engine (source/engines/clone): MySQL's clone plugin into a directory on the server's host
	| 'CLONE_NOT_ON_SERVER_HOST'
	| 'CLONE_DIR_UNUSABLE'
	| 'CLONE_NO_SPACE'
	| 'CLONE_NOT_PERMITTED'
	| 'CLONE_PLUGIN_NOT_ACTIVE'
	| 'CLONE_BUSY'
	| 'CLONE_FAILED'
	| 'CLONE_INTERRUPTED'
	| 'CLONE_DONOR_MISSING'
	| 'CLONE_DONOR_INVALID'
	| 'CLONE_DONOR_NOT_ALLOWED'
	| 'CLONE_DONOR_REFUSED'
	| 'CLONE_DONOR_MISMATCH'
	/** warning: MyISAM/CSV/… tables with rows, which a clone copies empty */
	| 'CLONE_NON_INNODB_ROWS'
	/** warning: commits ran during the clone, so the manifest holds the range the copy's point lies in */
	| 'CLONE_COORDINATES_RANGE'
	/** warning: the donor could not be reached from here for its size, version and coordinates */
	| 'CLONE_DONOR_NOT_CHECKED'
	/** warning: a clone directory a killed run left was removed */
	| 'CLONE_LEFTOVER_REMOVED'
	// restore --datadir
	| 'DATADIR_NEEDS_PHYSICAL'
	| 'PHYSICAL_NEEDS_DATADIR'
	| 'DATADIR_FLAG_UNUSED'
	| 'DATADIR_NOT_EMPTY'
	| 'DATADIR_NOT_A_DIRECTORY'
	| 'DATADIR_IN_USE'
	| 'DATADIR_OWNER_UNKNOWN'
	| 'DATADIR_OWNER_REFUSED'
	| 'DATADIR_NOT_REACHABLE'
	| 'TABLESPACE_LOCATION_NOT_EMPTY'
	| 'PHYSICAL_ARCHIVE_INVALID'
	| 'PHYSICAL_RESTORE_FAILED'
	// --verify-start
	| 'VERIFY_START_NO_SERVER'
	| 'VERIFY_START_FAILED'
	// restore --datadir --wal: PostgreSQL point-in-time recovery from a wal-stream store
	| 'PITR_NO_SPACE'
	| 'PITR_WAL_UNREADABLE'
	| 'PITR_NO_CLI'
	| 'PITR_TARGET_INVALID'
	| 'PITR_NOT_POSTGRES'
	| 'PITR_NOT_BASE_BACKUP'
	| 'PITR_WAL_OTHER_CLUSTER'
	| 'PITR_WAL_NOT_A_STORE'
	| 'PITR_WAL_INCOMPLETE';

/** The filesystem snapshot engine: btrfs, LVM and ZFS snapshots of a data directory (source/engines/snapshot). */
type SnapshotCode =
	/** btrfs, lvcreate, zfs… is not installed (exit 4) */
	| 'SNAPSHOT_TOOL_MISSING'
	/** a snapshot command failed (exit 1) */
	| 'SNAPSHOT_COMMAND_FAILED'
	/** the data directory, redo/undo logs, binlogs, WAL or tablespaces are not all in one atomic snapshot unit, or not all in the data directory the archive holds (exit 4) */
	| 'SNAPSHOT_OUT_OF_SCOPE'
	/** --snapshot-backend or a backup.snapshot.* key names another backend, subvolume, volume group or dataset than the data directory's (exit 4) */
	| 'SNAPSHOT_BACKEND_MISMATCH'
	/** the data directory cannot be snapshotted here (not local, no capable filesystem) (exit 4) */
	| 'SNAPSHOT_UNAVAILABLE'
	/** holding writes for the snapshot failed or would have waited too long (exit 1) */
	| 'SNAPSHOT_QUIESCE_FAILED'
	/** a classic LVM snapshot filled its copy-on-write space while it was read: its copy is unusable (exit 1) */
	| 'SNAPSHOT_INVALIDATED'
	/** warning: a snapshot a killed run left behind was found and removed */
	| 'SNAPSHOT_STALE_REMOVED'
	/** warning (or exit 1 after the backup): a snapshot could not be removed and is still there */
	| 'SNAPSHOT_REMOVE_FAILED';

/** The engine registry (source/engines/registry.ts, engines/not-built.ts). */
type EngineCode = 'UNKNOWN_ENGINE' | 'ENGINE_NOT_BUILT';

/** The MySQL/MariaDB logical engine: dump and restore (source/engines/mysql-logical). */
type MysqlLogicalCode =
	// dump: catalog, consistency, locks, rows, accounts, output
	| 'OBJECT_NOT_READABLE'
	| 'UNSUPPORTED_TABLE_TYPE'
	| 'SHOW_CREATE_FAILED'
	| 'LOCK_FAILED'
	| 'NOT_IN_SNAPSHOT'
	| 'SNAPSHOT_MOVED'
	| 'TABLE_LOCK_FAILED'
	| 'TABLE_CHANGED_DURING_DUMP'
	| 'TABLES_NEED_ARCHIVE'
	| 'MALFORMED_ROW'
	| 'ACCOUNT_NOT_READABLE'
	| 'USERS_NOT_READABLE'
	| 'ARTIFACT_PATH_UNWRITABLE'
	// restore
	| 'WRONG_ARCHIVE_KIND'
	| 'SCHEMA_MEMBER_INVALID'
	| 'NO_BINLOG_DENIED'
	| 'DROP_NEEDS_TARGET'
	| 'BAD_TARGET_DB'
	| 'TABLE_AMBIGUOUS'
	| 'TABLE_NOT_IN_ARCHIVE'
	| 'TARGET_DB_NEEDS_ONE_DATABASE';

/** The PostgreSQL logical engine: dump and restore (source/engines/postgres-logical). */
type PostgresLogicalCode =
	// dump
	| 'PG_UNSUPPORTED_OBJECTS'
	| 'PG_DDL_DEPENDENCY_CYCLE'
	| 'DEPENDENCY_CYCLE'
	| 'SQL_FORMAT_ONE_DATABASE'
	| 'OPTION_NEEDS_ARCHIVE'
	// restore
	| 'NOT_A_POSTGRES_ARCHIVE'
	| 'TOC_INVALID'
	| 'TOC_UNREADABLE'
	| 'TOC_TOO_LARGE'
	| 'SEVERAL_DATABASES'
	| 'CONFLICTING_OPTIONS'
	| 'UNKNOWN_TABLE'
	| 'TARGET_DB_REQUIRED'
	| 'TARGET_EXISTS'
	| 'TARGET_MISSING'
	| 'COPY_FAILED';

/** Restoring, shared by both logical engines: target databases, members, SQL scripts (source/engines/*). */
type RestoreCode =
	| 'TARGET_NOT_EMPTY'
	| 'RESTORE_UNFINISHED'
	| 'DROPPED_EXISTING'
	| 'MEMBER_STATEMENT_REFUSED'
	| 'SQL_STATEMENT_FAILED'
	| 'SQL_SCRIPT_ABORTED'
	| 'SQL_SCRIPT_SYNTAX'
	| 'SQL_SCRIPT_CONNECT'
	| 'SQL_SCRIPT_ENCODING'
	| 'SCRIPT_UNREADABLE'
	| 'SCRIPT_NOT_CONFINED'
	| 'SCRIPT_LEAVES_TARGET'
	| 'SCRIPT_HAS_SEVERAL_DATABASES'
	| 'SCRIPT_STATEMENT_SKIPPED'
	| 'DATABASE_NOT_IN_ARCHIVE'
	| 'TARGET_TABLE_MISSING'
	| 'DATA_ONLY_TRIGGERS';

/** Binlog events, GTIDs and binlog files as bytes (source/binlog/event, binlog/file). */
type BinlogEventCode =
	| 'BINLOG_EVENT_MALFORMED'
	| 'BINLOG_TABLE_MAP_MISSING'
	| 'BINLOG_COLUMN_TYPE_UNSUPPORTED'
	| 'MARIADB_GTID_INVALID'
	| 'MYSQL_GTID_INVALID'
	| 'BINLOG_NOT_A_BINLOG'
	| 'BINLOG_EVENT_SIZE'
	| 'BINLOG_TRUNCATED';

/** The replica session: asking the server for its binlogs (source/binlog/protocol). */
type BinlogProtocolCode =
	| 'BINLOG_OFF'
	| 'BINLOG_NONE'
	| 'BINLOG_PRIVILEGES'
	| 'BINLOG_GTID_FLAVOR'
	| 'BINLOG_SERVER_ID_CLASH';

/** binlog-stream: the continuous copy, its output directory, checkpoints and resuming (source/binlog/stream). */
type BinlogStreamCode =
	// the connection and the server's series
	| 'BINLOG_SOURCE_REFUSED'
	| 'BINLOG_SOURCE_CHANGED'
	| 'BINLOG_SOURCE_PURGED'
	| 'BINLOG_SOURCE_RESET'
	| 'BINLOG_GTID_NOT_ON_SERVER'
	| 'BINLOG_GTID_SKIPPED_FILE'
	| 'BINLOG_CONNECTION_SILENT'
	| 'BINLOG_SERVER_ENDED'
	| 'BINLOG_RECONNECTING'
	| 'BINLOG_RECONNECT_GAVE_UP'
	| 'BINLOG_CHECKSUM'
	| 'BINLOG_GAP'
	/** verify: the newest backup of a series cannot be rolled forward through the stream beside it */
	| 'BINLOG_CHAIN_BROKEN'
	/** verify: older backups the stream no longer reaches (warning) */
	| 'BINLOG_CHAIN_PARTIAL'
	// the output directory and its files
	| 'BINLOG_OUTPUT_UNUSABLE'
	| 'BINLOG_OUTPUT_LOCKED'
	| 'BINLOG_LOCK_FAILED'
	| 'BINLOG_NO_FILE'
	| 'BINLOG_WRITE_FAILED'
	| 'BINLOG_ROTATE_FAILED'
	| 'BINLOG_INDEX_INVALID'
	| 'BINLOG_INDEX_FAILED'
	| 'BINLOG_IDENTITY_INVALID'
	| 'BINLOG_IDENTITY_FAILED'
	| 'BINLOG_FOREIGN_FILE'
	| 'BINLOG_CLOSED_FILE_CHANGED'
	// checkpoints and resuming from the local copy
	| 'BINLOG_CHECKPOINT_INVALID'
	| 'BINLOG_CHECKPOINT_FAILED'
	| 'BINLOG_CHECKPOINT_MISMATCH'
	| 'BINLOG_COPY_MISMATCH'
	| 'BINLOG_COPY_INCOMPLETE'
	| 'BINLOG_COPY_INCONSISTENT'
	| 'BINLOG_COPY_TRUNCATED'
	| 'BINLOG_COPY_UNRECOVERABLE';

/** wal-stream and wal-fetch: the PostgreSQL WAL store, its slot, checkpoint and index (source/wal). */
type WalCode =
	/** verify: a segment missing between two the store holds */
	| 'WAL_SEGMENT_MISSING'
	/** verify: a segment that does not read, or differs from wal-index.json or its own header */
	| 'WAL_SEGMENT_DAMAGED'
	/** verify: the newest base backup cannot be rolled forward through the WAL store beside it */
	| 'WAL_CHAIN_BROKEN'
	// the command line and the store
	| 'WAL_DB_TYPE'
	| 'WAL_OUTPUT_MISSING'
	| 'WAL_OUTPUT_UNUSABLE'
	| 'WAL_OUTPUT_LOCKED'
	| 'WAL_LOCK_FAILED'
	| 'WAL_SLOT_NAME_INVALID'
	| 'WAL_WRITE_FAILED'
	| 'WAL_FOREIGN_FILE'
	| 'WAL_CHECKPOINT_INVALID'
	| 'WAL_CHECKPOINT_FAILED'
	| 'WAL_INDEX_INVALID'
	| 'WAL_INDEX_FAILED'
	| 'WAL_COPY_TRUNCATED'
	// the server, its slot and its timelines
	| 'WAL_SYSTEM_ID_MISMATCH'
	| 'WAL_SEGMENT_SIZE_MISMATCH'
	| 'WAL_PRIVILEGES'
	| 'WAL_SLOT_NOT_PHYSICAL'
	| 'WAL_SLOT_CREATED'
	| 'WAL_SLOT_AHEAD'
	| 'WAL_SOURCE_PURGED'
	| 'WAL_SOURCE_REFUSED'
	| 'WAL_TIMELINE_DIVERGED'
	| 'WAL_STORE_AHEAD'
	| 'WAL_GAP'
	| 'WAL_CONNECTION_SILENT'
	| 'WAL_SERVER_ENDED'
	| 'WAL_RECONNECTING'
	| 'WAL_RECONNECT_GAVE_UP'
	// wal-fetch (a restore_command)
	| 'WAL_FETCH_NAME_INVALID'
	| 'WAL_FETCH_NOT_FOUND'
	| 'WAL_FETCH_CHECKSUM'
	| 'WAL_FETCH_WRITE_FAILED';

/** Point-in-time recovery: reading the copied binlogs and replaying them (source/binlog/replay). */
type BinlogReplayCode =
	// the files
	| 'BINLOG_DIR_UNREADABLE'
	| 'BINLOG_FILE_MISSING'
	| 'BINLOG_SIZE_MISMATCH'
	| 'BINLOG_SHA256_MISMATCH'
	| 'BINLOG_CHECKSUM_MISMATCH'
	| 'BINLOG_NO_FORMAT_DESCRIPTION'
	| 'BINLOG_SERIES_AMBIGUOUS'
	| 'BINLOG_EVENT_UNSUPPORTED'
	| 'BINLOG_INCIDENT'
	// the plan: where it starts and stops
	| 'REPLAY_NEEDS_START'
	| 'BINLOG_START_NOT_AT_BOUNDARY'
	| 'BINLOG_TARGET_NOT_FOUND'
	| 'BINLOG_TARGET_NOT_REACHED'
	| 'BINLOG_TARGET_BEFORE_BACKUP'
	| 'BINLOG_TARGET_MAYBE_BEFORE_BACKUP'
	| 'BINLOG_INCOMPLETE_TRANSACTION'
	| 'BINLOG_STATEMENT_WITHOUT_DATABASE'
	| 'BINLOG_STATEMENT_NAMES_DATABASE'
	// applying
	| 'REPLAY_WRONG_FLAVOR'
	| 'REPLAY_NEEDS_PRIVILEGE'
	| 'REPLAY_DRIVER_NOT_BINARY'
	| 'BINLOG_APPLY_FAILED'
	| 'BINLOG_EXPECTED_ERROR_MISSING'
	| 'BINLOG_PSEUDO_THREAD_ID_DENIED'
	| 'BINLOG_REPLAY_COUNT_DIFFERS';

/** Throwaway servers for the demo, tests and --restore-test (source/sandbox). */
type SandboxCode = 'MISSING_PACKAGES' | 'SANDBOX_START_FAILED' | 'COMMAND_FAILED';

/**
 * Artifacts, archives, compression, disk errors and artifact targets (source/storage). Being restructured
 * separately: these call sites still write their codes inline, the union only checks them.
 */
type StorageCode =
	// artifacts and targets
	| 'ARTIFACT_EMPTY'
	/** a compression library cannot be loaded on this machine (not the data's fault) */
	| 'CODEC_UNAVAILABLE'
	/** verify: an archive without its sidecar (warning) */
	| 'SIDECAR_MISSING'
	| 'ARTIFACT_UNREADABLE'
	| 'ARTIFACT_EXISTS'
	| 'ARTIFACT_MISSING'
	| 'ARTIFACT_NOT_OPEN'
	| 'ARTIFACT_SEALED'
	| 'ARTIFACT_WRONG_KIND'
	| 'ARTIFACT_NOT_A_BACKUP'
	| 'PARTIAL_EXISTS'
	| 'LEFTOVERS_REMOVED'
	// writing an archive
	| 'ARCHIVE_EXISTS'
	| 'ARCHIVE_PATH_UNWRITABLE'
	| 'ARCHIVE_WRITER_CLOSED'
	| 'ARCHIVE_WRITE_FAILED'
	| 'ARCHIVE_ABORTED'
	| 'MEMBER_NAME_INVALID'
	| 'MEMBER_REPEATED'
	| 'MEMBER_ROWS_INVALID'
	| 'MEMBER_WRITE_FAILED'
	| 'SIDECAR_WRITE_FAILED'
	| 'MANIFEST_INVALID'
	// reading an archive (exit 5 where the bytes are wrong)
	| 'ARCHIVE_UNREADABLE'
	| 'ARCHIVE_READ_FAILED'
	| 'ARCHIVE_NOT_TAR'
	| 'ARCHIVE_HEADER_CORRUPT'
	| 'ARCHIVE_TRUNCATED'
	| 'ARCHIVE_ENTRY_UNEXPECTED'
	| 'ARCHIVE_NO_MANIFEST'
	| 'ARCHIVE_MANIFEST_NOT_LAST'
	| 'ARCHIVE_MEMBER_MISSING'
	| 'ARCHIVE_MEMBER_REPEATED'
	| 'ARCHIVE_MEMBER_UNEXPECTED'
	| 'ARCHIVE_MEMBER_CORRUPT'
	| 'ARCHIVE_SIZE_MISMATCH'
	| 'ARCHIVE_CHECKSUM_MISMATCH'
	| 'SIDECAR_MISMATCH'
	| 'MEMBER_UNKNOWN'
	// compression
	| 'COMPRESSION_UNKNOWN'
	| 'COMPRESSION_LEVEL_INVALID'
	// disks
	| 'DISK_FULL'
	| 'DISK_QUOTA_EXCEEDED'
	| 'OUTPUT_READ_ONLY'
	| 'OUTPUT_PERMISSION_DENIED'
	| 'OUTPUT_NOT_PERMITTED'
	// encryption
	| 'ENCRYPTION_KEY_WITHOUT_ENCRYPT'
	| 'ENCRYPTION_KEY_MISSING'
	| 'ENCRYPTION_KEY_INVALID'
	| 'ENCRYPTED_NOT_OURS'
	| 'ENCRYPTION_UNSUPPORTED_VERSION'
	| 'ENCRYPTION_WRONG_KEY'
	| 'ENCRYPTED_DAMAGED'
	// S3 target
	| 'S3_URL_INVALID'
	| 'S3_SETTING_INVALID'
	| 'S3_BUCKET_NOT_FOUND'
	| 'S3_NO_CREDENTIALS'
	| 'S3_ACCESS_DENIED'
	| 'S3_UNREACHABLE'
	| 'S3_OBJECT_NOT_FOUND'
	| 'S3_REQUEST_FAILED'
	| 'S3_RESPONSE_INVALID'
	| 'S3_OBJECT_TOO_LARGE'
	| 'S3_UPLOAD_ABORTED'
	| 'S3_SEGMENTS_INVALID'
	// encrypted appendable artifacts (storage/crypto/encrypted-appendable.ts)
	| 'ENCRYPTED_SEGMENTS_INVALID';
