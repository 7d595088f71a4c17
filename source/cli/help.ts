/** `dbbackup --help`: the commands, the flags they share, the exit codes. Each command's own flags are in COMMAND_HELP. */
export const HELP = `
Usage
  $ dbbackup [COMMAND] [flags]
  $ dbbackup COMMAND --help          that command's usage, flags and examples (also: dbbackup help COMMAND)

Commands
  (none)                    open the terminal app (on a TTY; without one, prints this help)
  detect                    report the server: version, flavor, sizes, binlog, GTID, datadir, filesystem, snapshot, privileges
  engine list               engines for the server found, available or the reason not
  engine info [NAME]        one engine's details; with no name, the environment and every engine
  engine select             apply the selection criteria and print the recommendation with its reasons
  backup single DB          back up one database with the selected engine (--engine to choose)
  backup multiple DB…       back up several databases into one artifact
  backup all                back up every user database
  restore ARTIFACT          restore a dbbackup archive, or a plain SQL script (ours, mysqldump, mariadb-dump, pg_dump; .gz/.zst too);
                            a physical backup into a data directory with --datadir DIR
  physical-backup           physical backup: PostgreSQL's base backup (basebackup); MySQL's clone plugin (clone); a btrfs/LVM/ZFS snapshot of the datadir (snapshot)
  stream-backup             the selected engine's backup straight to --target s3://bucket/prefix/ (no local disk)
  binlog-stream             copy the server's binary logs into --output DIR/ or s3://… continuously (byte-identical files, checkpoint, reconnects)
  wal-stream                copy a PostgreSQL server's WAL through a replication slot into --output DIR/ or s3://… continuously
  wal-fetch NAME DEST       a restore_command: one WAL file of a wal-stream store (--wal DIR|s3://…) to DEST
  demo                      throwaway MariaDB and PostgreSQL with a sample database: detection, then a backup and restore that is compared
  status                    the backups, binlog streams and recovery window in a directory or s3:// prefix
  verify                    re-read backups (a file, a directory, an s3:// prefix) or a binlog store and check every checksum
  prune                     apply a retention policy (--keep-last/-daily/-weekly/-monthly/-yearly N, --keep-within) to a directory or s3:// prefix; a dry run unless --confirm
  pin BACKUP                keep a backup whatever prune's policy says (a BACKUP.pin marker beside it)
  unpin BACKUP              remove the pin: prune's policy decides about the backup again

Connection (flags > DBBACKUP_* / MYSQL_* / PG* environment > config file > ~/.my.cnf > defaults)
  --db-type mysql|postgres   which server (default: the one configured, else mysql)
  --host H  --port N  --socket PATH  --user U (-u U)  --database DB
  Passwords are never flags: MYSQL_PWD or ~/.my.cnf [client]; PGPASSWORD or ~/.pgpass; or socket/peer auth.

Every command
  --yes, -y          never prompt; plain progress lines on stderr, results on stdout
  --json             one JSON object per event on stdout
  --config FILE      configuration file (otherwise .dbbackuprc, dbbackup.config.*, package.json#dbbackup are searched)
  --help, -h         this help; after a command, that command's
  --version          the version

Exit codes
  0 success · 1 failure during the work · 2 usage or config error · 3 cannot connect · 4 engine unavailable · 5 integrity failure
`;

const SHARED = 'Connection flags (--db-type, --host, --port, --socket, --user), --yes, --json and --config: see `dbbackup --help`.';

/** The flags that shape an artifact, for the commands that write one. */
const ARTIFACT_FLAGS = `Artifact
  --output PATH      a file; a directory (or PATH/) gets <db>-<UTC time>-<tag>.tar (.sql) inside it; s3://bucket/prefix/ goes straight to S3
  --target URL       the same as --output (the seed's name for an s3:// destination)
  --format archive|sql   our checksummed archive (default), or a plain SQL script
  --compress zstd|gzip|lz4|none  --level N   compression (default zstd)
  --workers N        parallel connections (default: the number of CPUs)
  --encrypt          encrypt what is written (AES-256-GCM); the key: --encryption-key-file F (32 bytes raw, base64 or hex),
                     else DBBACKUP_ENCRYPTION_KEY, else DBBACKUP_PASSPHRASE (scrypt). Restoring needs the same key.

Object storage (S3; credentials from the AWS chain: AWS_ACCESS_KEY_ID…, ~/.aws/credentials, AWS_PROFILE; never flags)
  --part-size BYTES  multipart part size at the start (default 10 MiB; parts grow so 10,000 cover 5 TiB)
  --encryption AES256|aws:kms  S3 server-side encryption (--sse-kms-key-id ID for aws:kms); --storage-class CLASS
  Endpoint, region and path-style: s3.* config keys, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION`;

const DUMP_FLAGS = `Dump
  --chunk-rows N     rows per chunk (MySQL: tables with a usable key; PostgreSQL: ctid block ranges; default about 16 MiB; 0: whole tables)
  --no-lock          MySQL: no global lock (for users without RELOAD): coordinates are compared before and after, and the dump fails if they moved
  --no-ddl-lock      MySQL: do not hold dumped tables against DDL until their rows are read (DDL on them then fails the dump instead of waiting)
  --include-users    MySQL: also dump accounts, roles and grants (restored only with restore --include-users)
  --no-owner         PostgreSQL: leave out ownership (ALTER … OWNER TO)
  --no-privileges    PostgreSQL: leave out grants and default privileges`;

function page(lines: string[]): string {
	return `${lines.join('\n').trim()}\n`;
}

export const COMMAND_HELP: Readonly<Record<string, string>> = {
	detect: page([
		'Usage',
		'  $ dbbackup detect',
		'',
		'Reports the server: version, flavor, data size total and per database, clone plugin, binlog, GTID, datadir,',
		'its filesystem and whether it can snapshot, and the privileges each engine needs. Every item says how it was',
		'found, or why it is unknown. On a TTY without --yes it opens the terminal app at the detection screen.',
		'',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup detect --db-type postgres --host db1 --user backup --yes',
		'  $ dbbackup detect --json > environment.jsonl',
	]),
	engine: page([
		'Usage',
		'  $ dbbackup engine list',
		'  $ dbbackup engine info [NAME]',
		'  $ dbbackup engine select',
		'',
		'list: the engines for the server found, available or the reason not. info: one engine\'s details, capabilities',
		'and availability checks; with no NAME, the environment, then every engine. select: applies the selection criteria',
		'in order (data size, version and flavor, clone plugin, snapshot capability, destination) and prints the',
		'recommendation with one reason per criterion; exit 4 when no engine can run.',
		'',
		'Flags',
		'  --output PATH|s3://…   the destination the selection considers (an object store needs an engine that streams);',
		'                     --target URL is the same',
		'',
		'Engines: mysqldump (alias logical), postgres-logical (alias pgdump), basebackup, clone, snapshot.',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup engine list --yes',
		'  $ dbbackup engine info clone --yes',
		'  $ dbbackup engine select --output s3://my-backups/db/ --yes',
	]),
	backup: page([
		'Usage',
		'  $ dbbackup backup single DB --output PATH',
		'  $ dbbackup backup multiple DB1 DB2 … --output PATH',
		'  $ dbbackup backup all --output PATH',
		'',
		'Backs up one database, several, or every user database into one artifact, with the selected engine: on',
		'MySQL/MariaDB mysqldump, on PostgreSQL postgres-logical. The file is written as NAME.partial and renamed when',
		'complete. A database whose name starts with - goes after --.',
		'',
		'Flags',
		'  --engine NAME      mysqldump (alias logical), postgres-logical (alias pgdump), basebackup, clone, snapshot (default: selected)',
		'',
		ARTIFACT_FLAGS,
		'',
		DUMP_FLAGS,
		'',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup backup single shop --output /backups/ --yes',
		'  $ dbbackup backup all --db-type postgres --output /backups/ --compress gzip --yes',
		'  $ dbbackup backup multiple shop crm --output s3://my-backups/db/ --encrypt --encryption-key-file /etc/dbbackup.key --yes',
	]),
	restore: page([
		'Usage',
		'  $ dbbackup restore ARTIFACT [flags]',
		'  $ dbbackup restore ARTIFACT --binlogs DIR|s3://… [--until TIME | --until-position FILE:POS | --until-gtid GTID]',
		'  $ dbbackup restore PHYSICAL-ARTIFACT --datadir DIR [--drop-existing] [--verify-start]',
		'  $ dbbackup restore BASEBACKUP --datadir DIR --wal DIR|s3://… [--until TIME | --until-lsn LSN | --until-xid XID | --until-name POINT] [--wal-fetch] [--verify-start]',
		'',
		'Restores one of our archives (with the engine that wrote it) or a plain SQL script (ours, mysqldump\'s,',
		'mariadb-dump\'s or pg_dump\'s; plain, .gz or .zst), natively; ARTIFACT may be an s3:// URL. With --binlogs, a',
		'point-in-time recovery (MySQL/MariaDB): the restore, then a replay of the binlog from the backup\'s coordinates.',
		'',
		'Flags',
		'  --list             show what the backup holds (databases, tables, rows, members) and restore nothing',
		'  --database DB      only this database of an archive (with a SQL script: the database to connect to)',
		'  --target-db NAME   restore into this database (one database of the archive, or the one a SQL script names)',
		'  --tables a,db.b    only these tables of the archive (with their triggers)',
		'  --drop-existing    replace a target database (or the chosen tables) that exists and is not empty; refused otherwise',
		'  --continue-on-error  skip statements the server refuses, count them and warn, instead of stopping at the first',
		'  --workers N        parallel connections (default: the number of CPUs)',
		'  --include-users    apply the accounts, roles and grants the archive holds (skipped otherwise)',
		'  --schema-only      definitions only, no rows (archives)',
		'  --data-only        rows and sequence values only, into a database that has the tables (archives)',
		'  --encryption-key-file F  the key of an encrypted artifact (else DBBACKUP_ENCRYPTION_KEY or DBBACKUP_PASSPHRASE)',
		'',
		'MySQL/MariaDB',
		'  --indexes-after-data  create tables with the keys they need, load, then build the secondary indexes',
		'                     (default: for tables of 100,000 rows or more; --no-indexes-after-data: never)',
		'  --no-binlog        keep the restore out of the server\'s binary log (replicas do not get it; needs SUPER / BINLOG ADMIN)',
		'',
		'PostgreSQL',
		'  --create           the target database must not exist; it is created (it is created anyway when missing)',
		'  --clean            drop and re-create a target database that exists (same as --drop-existing)',
		'  --no-owner         skip ownership; restored objects belong to the restoring role',
		'  --no-privileges    skip grants and default privileges',
		'',
		'Physical backups (PostgreSQL basebackup): into a data directory; no server is connected to',
		'  --datadir DIR      restore the cluster\'s files into DIR (new or empty; --drop-existing replaces what is there),',
		'                     tablespaces at their recorded locations (absent or empty); prints how to start a server on it',
		'  --datadir-owner USER  as root: the OS user the files belong to, the one the server runs as (default postgres)',
		'  --verify-start     start a throwaway server of the same version on DIR (loopback, private socket), wait for',
		'                     its recovery, count every table of every database, report the LSN and timeline, stop it',
		'',
		'Point-in-time recovery (PostgreSQL): a base backup, then WAL from a wal-stream store, with --datadir',
		'  --wal DIR|s3://…   the store: the WAL recovery replays is copied into DIR/pg_wal/dbbackup-recovery (checked',
		'                     against the store\'s index), then recovery.signal and, in postgresql.auto.conf, a',
		'                     restore_command copying from there and a recovery_end_command that removes the copies',
		'  --wal-fetch        copy nothing: restore_command = this dbbackup\'s wal-fetch on the store, run by the server',
		'                     as its OS user (who must read the store; an s3:// store reads that user\'s AWS credentials)',
		'  --until-lsn LSN    recover up to this WAL position (as pg_current_wal_lsn() shows it), inclusive, then promote',
		'  --until-xid XID    recover up to this transaction\'s commit, inclusive, then promote',
		'  --until-name POINT recover to this restore point (pg_create_restore_point); --until TIME works here too',
		'                     None of them: the end of the WAL in the store. Checked first: the store is of the backup\'s',
		'                     cluster and holds the WAL from its start with no segment missing; the target is after its end',
		'',
		'Point-in-time recovery (MySQL/MariaDB)',
		'  --binlogs DIR|s3://…   binlog files (from binlog-stream, or the server\'s own) replayed after the restore',
		'  --until TIME | --until-position FILE:POS | --until-gtid GTID   where to stop (whole transactions only; none: all there is)',
		'  --databases a,b    replay only these databases\' changes (default: the databases the backup restores)',
		'  --dry-run          list the transactions that would be replayed and the stop point; change nothing',
		'  --start-position FILE:POS | --start-gtid GTID   where to start when the backup does not record it',
		'',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup restore /backups/shop-20261115T140327.512Z-3f9a.tar --target-db shop_copy --yes',
		'  $ dbbackup restore shop.sql.gz --db-type mysql --target-db shop --drop-existing --yes',
		'  $ dbbackup restore /backups/shop.tar --binlogs /backups/binlog/ --until "2026-11-15 14:30:00" --yes',
		'  $ dbbackup restore /backups/all-20261115T140327.512Z-3f9a.tar --datadir /srv/pg15/restored --verify-start --yes',
		'  $ dbbackup restore /backups/all-20261115T140327.512Z-3f9a.tar --datadir /srv/pg15/pitr --wal /backups/wal/ --until-name before_migration --verify-start --yes',
	]),
	'physical-backup': page([
		'Usage',
		'  $ dbbackup physical-backup [--engine basebackup|clone|snapshot|mysqldump] --output PATH|s3://…',
		'',
		'A physical copy of the whole server by the first physical engine that can run. PostgreSQL 15+: basebackup,',
		'the server\'s own base backup over the replication protocol (no pg_basebackup): every database, the',
		'tablespaces and the WAL the copy needs, into one checksummed archive (needs REPLICATION or SUPERUSER and a',
		'free WAL sender); `dbbackup restore` puts it back into a data directory. MySQL 8.0.17+: clone, the clone',
		'plugin\'s copy of the InnoDB data, written by the server into a fresh directory on its host (run dbbackup',
		'there), archived and removed. Either database, run on its host: snapshot, a btrfs, LVM or ZFS snapshot of the data',
		'directory taken while commits are held for milliseconds, archived and removed. Without an engine that can run it',
		'exits 4 with each one\'s reason. --engine',
		'mysqldump (or postgres-logical) makes a logical dump instead, with a warning that it is one.',
		'',
		'Flags',
		'  --engine NAME      basebackup, clone, snapshot; or mysqldump / postgres-logical for a logical dump',
		'  --database DB      the logical engines: only this database (default: every user database)',
		'  --checkpoint fast|spread   basebackup: the starting checkpoint at once (default), or spread out',
		'  --max-rate RATE    basebackup: the server sends at most RATE kB/s (suffix k or M: 100M), 32 kB/s to 1024M',
		'  --clone-remote     clone: copy a donor into the connected server (the recipient), into a directory beside',
		'                     its datadir; the donor\'s password from DBBACKUP_DONOR_PWD or ~/.my.cnf [dbbackup-donor]',
		'  --clone-donor-host HOST, --clone-donor-port PORT   clone: the donor, as the recipient reaches it',
		'  --snapshot-backend btrfs|lvm|zfs   snapshot: the backend (default: detected from the data directory\'s filesystem)',
		'',
		ARTIFACT_FLAGS,
		'',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup physical-backup --db-type postgres --output /backups/ --yes',
		'  $ dbbackup physical-backup --db-type postgres --checkpoint spread --max-rate 200M --output s3://my-backups/pg/ --yes',
		'  $ dbbackup physical-backup --engine mysqldump --output /backups/ --yes',
		'  $ dbbackup physical-backup --engine clone --socket /run/mysqld/mysqld.sock --output /backups/ --yes',
		'  $ DBBACKUP_DONOR_PWD=… dbbackup physical-backup --engine clone --clone-remote --clone-donor-host db1 --clone-donor-port 3306 --output /backups/ --yes',
	]),
	'stream-backup': page([
		'Usage',
		'  $ dbbackup stream-backup --target s3://bucket/prefix/ [flags]',
		'',
		'The selected engine\'s backup of DB (or of every database), written straight to S3 as it is taken: no byte on',
		'local disk. Same as backup … --output s3://…. A URL ending in / gets an object named <db>-<UTC time>-<tag>.tar.',
		'',
		'Flags',
		'  --target URL       where it goes (an s3:// URL)',
		'  --database DB      only this database (default: every user database)',
		'  --workers N        parts uploaded at once (backup.streaming.workers; default 4)',
		'  --part-size BYTES  multipart part size at the start (default 10 MiB; parts grow so 10,000 cover 5 TiB)',
		'  --resume           refused: a logical dump cannot be replayed byte for byte, so an interrupted upload is started again',
		'  --encryption AES256|aws:kms  S3 server-side encryption (--sse-kms-key-id ID for aws:kms); --storage-class CLASS',
		'  --encrypt          client-side encryption (AES-256-GCM); the key: --encryption-key-file F, DBBACKUP_ENCRYPTION_KEY or DBBACKUP_PASSPHRASE',
		'  --engine NAME  --format archive|sql  --compress zstd|gzip|lz4|none  --level N   as for backup',
		'  --output URL       the same as --target',
		'  --encryption-key-file F   the key for --encrypt',
		'',
		DUMP_FLAGS,
		'',
		'Credentials come from the AWS chain (AWS_ACCESS_KEY_ID…, ~/.aws/credentials, AWS_PROFILE), never flags.',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup stream-backup --target s3://my-backups/db/ --database shop --workers 8 --yes',
		'  $ dbbackup stream-backup --target s3://my-backups/db/all.tar --encryption AES256 --yes',
	]),
	'binlog-stream': page([
		'Usage',
		'  $ dbbackup binlog-stream --output DIR/|s3://bucket/prefix/ [flags]',
		'',
		'Copies a MySQL/MariaDB server\'s binary logs into DIR or an S3 prefix as a replica would, continuously:',
		'byte-identical files, a checkpoint at transaction boundaries, automatic reconnects, an event feed. Runs until',
		'Ctrl+C / SIGTERM (or q in the terminal app) and stops at a transaction boundary with its checkpoint written.',
		'',
		'Flags',
		'  --output DIR/|s3://bucket/prefix/   where the binlog files, binlog-index.json and the checkpoint go',
		'                     (without it: every target of backup.binlog.targets at once)',
		'  --target s3://…    the same as --output s3://…',
		'  --server-id N      the replica id to register as (backup.binlog.server_id, default 99999)',
		'  --gtid, --no-gtid  resume by GTID (MariaDB: the GTID position; MySQL: COM_BINLOG_DUMP_GTID with the GTID set held) or by file and position (backup.binlog.use_gtid, default on)',
		'  --sync always|interval     fsync on every commit, or every --checkpoint-interval (default interval)',
		'  --checkpoint-interval 30s  how often the checkpoint is saved (and, with --sync interval, data fsync\'d)',
		'  --start-position FILE:POS | --start-gtid GTID   where a new directory starts (default: the oldest binlog on the server)',
		'  --from-backup ARTIFACT     start a new directory where that backup was taken (its recorded coordinates)',
		'  --compress zstd|gzip|lz4|none  compress each file once the server has moved on from it',
		'  --databases a,b  --tables db.t   filter the event feed (the files stay complete)',
		'  --stop-at-end      stop once caught up instead of waiting for more',
		'  --retries N        give up after N reconnects in a row (0: never)',
		'  --encrypt          encrypt the copy (AES-256-GCM), with the key of --encryption-key-file F,',
		'                     else DBBACKUP_ENCRYPTION_KEY or DBBACKUP_PASSPHRASE; a point-in-time restore needs the same key',
		'',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup binlog-stream --output /backups/binlog/ --yes',
		'  $ dbbackup binlog-stream --output /backups/binlog/ --from-backup /backups/shop.tar --sync always --yes',
	]),
	'wal-stream': page([
		'Usage',
		'  $ dbbackup wal-stream --db-type postgres --output DIR/|s3://bucket/prefix/ [flags]',
		'',
		'Copies a PostgreSQL server\'s WAL into DIR or an S3 prefix through a physical replication slot, continuously:',
		'segment files byte-identical to the server\'s (the one being filled as NAME.partial), timeline history files,',
		'a checkpoint, automatic reconnects. The slot only advances past WAL that is durably stored. Runs until',
		'Ctrl+C / SIGTERM and stops with everything received synced and checkpointed. Needs a role with REPLICATION.',
		'',
		'Flags',
		'  --output DIR/|s3://bucket/prefix/   where the segments, wal-index.json and the checkpoint go',
		'  --target s3://…    the same as --output s3://…',
		'  --slot NAME        the physical replication slot (made if missing; default: dbbackup_wal_ and a hash of the store)',
		'  --sync always|interval     sync and checkpoint every batch of WAL received, or every --checkpoint-interval (default interval)',
		'  --checkpoint-interval 10s  how often WAL is synced, checkpointed and reported flushed (also at every segment\'s end)',
		'  --compress zstd|gzip|lz4|none  compress each completed segment beside itself (default none)',
		'  --stop-at-end      stop once everything the server had flushed at the start is stored',
		'  --retries N        give up after N reconnects in a row (0: never)',
		'',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup wal-stream --db-type postgres --output /backups/wal/ --yes',
		'  $ dbbackup wal-stream --db-type postgres --output s3://my-backups/wal/ --compress zstd --yes',
	]),
	'wal-fetch': page([
		'Usage',
		'  $ dbbackup wal-fetch --wal DIR|s3://bucket/prefix/ WAL_FILE_NAME DEST_PATH',
		'',
		'Copies one WAL segment or timeline history file of a wal-stream store to DEST_PATH (decompressed, checked',
		'against the store\'s index, written to a temp name and renamed): what PostgreSQL\'s restore_command calls.',
		'A segment the stream is still filling is served from its .partial, zero-padded to the segment size.',
		'Exit 0 when copied (silent); exit 1 with one line on stderr when the store does not have the file.',
		'',
		'Flags',
		'  --wal DIR|s3://bucket/prefix/   the wal-stream store',
		'',
		SHARED,
		'',
		'Examples',
		'  restore_command = \'dbbackup wal-fetch --wal /backups/wal/ %f %p\'',
		'  $ dbbackup wal-fetch --wal s3://my-backups/wal/ 000000010000000000000003 /tmp/seg',
	]),
	status: page([
		'Usage',
		'  $ dbbackup status [DIR|s3://bucket/prefix/] [flags]',
		'',
		'A catalog built from the artifacts themselves (sidecars, manifests, script headers; no database of its own):',
		'every backup with engine, kind, databases, start and end, size, compression, encrypted or not, coordinates,',
		'lock time and whether it is complete, sorted by the recorded start time; every binlog stream in the location',
		'or a directory under it, with its range, checkpoint and its age, gaps, and whether a streamer runs now; the',
		'recovery window per database; and work in progress (.partial files, unfinished uploads). An encrypted backup',
		'shows only its name, size and time without the key. Default location: output.path, else the current directory.',
		'',
		'Flags',
		'  --encryption-key-file F   the key of encrypted artifacts (else DBBACKUP_ENCRYPTION_KEY or DBBACKUP_PASSPHRASE)',
		'',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup status /backups/ --yes',
		'  $ dbbackup status s3://my-backups/db/ --json',
	]),
	verify: page([
		'Usage',
		'  $ dbbackup verify ARTIFACT|DIR|s3://bucket/prefix/ [flags]',
		'',
		'Re-reads what is stored and checks it, without a server. An archive: every member\'s size and SHA-256 against',
		'its manifest, the sidecar, and every member decompressed to its end. An encrypted artifact: the same on the',
		'plaintext with the key; without it, its header and a size its segments allow. A SQL script: read (and',
		'decompressed) to its end; ours must end with its closing line. A directory or prefix: every backup in it, and',
		'its binlog files when it is a binlog-stream copy (every event\'s CRC32, each closed file\'s SHA-256 against',
		'binlog-index.json, no file missing). Exit 0 when all holds; exit 5 naming the first bad member or file.',
		'',
		'With --restore-test, each archive is also drilled: restored into a throwaway server of its kind (MariaDB or',
		'PostgreSQL, in a temp dir on a free loopback port, installed from Debian packages if missing), and every',
		'table\'s row count and row checksum compared with what its manifest recorded at backup time; the server and',
		'its files are removed afterwards. Exit 5 names the first table that differs, or why the restore failed.',
		'',
		'Flags',
		'  --encryption-key-file F   the key of encrypted artifacts (else DBBACKUP_ENCRYPTION_KEY or DBBACKUP_PASSPHRASE)',
		'  --restore-test     restore every archive into a throwaway server and compare its tables (SQL scripts are not drilled)',
		'  --workers N        restore workers of the drill (default: the cores, at least 2)',
		'',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup verify /backups/shop-20261115T140327.512Z-3f9a.tar --yes',
		'  $ dbbackup verify s3://my-backups/db/ --json',
		'  $ dbbackup verify /backups/binlog/ --yes',
		'  $ dbbackup verify /backups/shop-20261115T140327.512Z-3f9a.tar --restore-test --yes',
	]),
	prune: page([
		'Usage',
		'  $ dbbackup prune [DIR|s3://bucket/prefix/] --keep-last N --keep-daily N … [--confirm]',
		'',
		'Applies a retention policy to the backups of a directory or an S3 prefix, by the start time each one records',
		'(else its file\'s time, said in the output), and lists every backup with what happens to it and why (the rules',
		'that keep it). A dry run unless --confirm. Only complete backups are deleted; the newest complete backup and',
		'pinned ones are always kept; a backup\'s sidecar goes first, so one deleted half-way reads as not complete.',
		'Closed binlog files of a stream there (or a directory under it) go when they are older than the file holding',
		'the coordinates of the oldest backup that stays of that stream\'s series; with no such backup, none goes.',
		'',
		'Flags',
		'  --keep-last N      the N newest complete backups',
		'  --keep-daily N     the newest backup of each of the N most recent days (UTC) that have one',
		'  --keep-weekly N    the same per ISO 8601 week (UTC)',
		'  --keep-monthly N   the same per calendar month (UTC)',
		'  --keep-yearly N    the same per calendar year (UTC)',
		'  --keep-within D    every backup started within D before now: 36h, 7d, 2w, 6m (months), 1y',
		'  --confirm          delete; without it nothing is deleted',
		'  --encryption-key-file F   the key of encrypted backups, to read their start times and coordinates (not needed to delete)',
		'',
		'Without a keep flag, the retention.* keys of the configuration are the policy (any keep flag replaces them all);',
		'with neither, prune refuses (exit 2). Default location: output.path, else the current directory.',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup prune /backups/ --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --yes',
		'  $ dbbackup prune s3://my-backups/db/ --keep-last 3 --keep-within 14d --confirm --json',
	]),
	pin: page([
		'Usage',
		'  $ dbbackup pin BACKUP|s3://bucket/prefix/BACKUP [--reason TEXT]',
		'',
		'Pins a backup: a BACKUP.pin marker beside it (when, and why) that prune respects whatever its policy says.',
		'No key is needed, also for an encrypted backup. A name that is not a backup at that place is refused.',
		'`dbbackup status` shows the backup as pinned; `dbbackup unpin BACKUP` removes the marker.',
		'',
		'Flags',
		'  --reason TEXT      why it is kept (shown by pin and kept in the marker)',
		'',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup pin /backups/shop-20261115T140327.512Z-3f9a.tar --reason "before the 2.0 migration" --yes',
		'  $ dbbackup pin s3://my-backups/db/shop-20261115T140327.512Z-3f9a.tar --json',
	]),
	unpin: page([
		'Usage',
		'  $ dbbackup unpin BACKUP|s3://bucket/prefix/BACKUP',
		'',
		'Removes the pin of a backup (its BACKUP.pin marker): prune\'s policy decides about it again. A backup that is',
		'not pinned is left as it is (exit 0); a name with neither a backup nor a pin there is refused. A pin whose',
		'backup is gone is removed too.',
		'',
		SHARED,
		'',
		'Examples',
		'  $ dbbackup unpin /backups/shop-20261115T140327.512Z-3f9a.tar --yes',
	]),
	demo: page([
		'Usage',
		'  $ dbbackup demo [--keep]',
		'',
		'Starts a throwaway MariaDB and PostgreSQL with a sample database (dbbackup_demo), runs detection and engine',
		'selection on both, then backs the MariaDB sample up, restores it as dbbackup_demo_restored and compares the two.',
		'The servers stop and their temp dirs are removed at the end. On a TTY without --yes it opens the terminal app.',
		'',
		'Flags',
		'  --keep             keep the servers running until Ctrl+C',
		'  --yes, -y          no terminal app: plain reports',
		'',
		'Examples',
		'  $ dbbackup demo --yes',
		'  $ dbbackup demo --keep --yes',
	]),
};

/** `dbbackup help`, `dbbackup help COMMAND`, `dbbackup COMMAND --help`; undefined for a command that does not exist. */
export function helpFor(command: string | undefined): string | undefined {
	if (command === undefined) return `${HELP.trim()}\n`;
	return COMMAND_HELP[command];
}
