export const HELP = `
Usage
  $ dbbackup                         open the terminal app (on a TTY; without one, prints this help)
  $ dbbackup detect                  report the server: version, flavor, sizes, binlog, GTID, datadir, filesystem, snapshot, privileges
  $ dbbackup engine list             engines for the server found, available or the reason not
  $ dbbackup engine info [NAME]      one engine's details; with no name, the environment and every engine
  $ dbbackup engine select           apply the selection criteria and print the recommendation with its reasons
  $ dbbackup backup single DB        back up one database with the selected engine (--engine to choose)
  $ dbbackup backup multiple DB…     back up several databases into one artifact
  $ dbbackup backup all              back up every user database
  $ dbbackup restore ARTIFACT        restore a dbbackup archive, or a plain SQL script (ours, mysqldump, mariadb-dump, pg_dump; .gz/.zst too)
  $ dbbackup physical-backup         physical (or logical) backup to --output FILE (--engine clone|snapshot|mysqldump)
  $ dbbackup stream-backup           the selected engine's backup straight to --target s3://bucket/prefix/ (no local disk)
  $ dbbackup binlog-stream           copy the server's binary logs into --output DIR/ continuously (byte-identical files, checkpoint, reconnects)
  $ dbbackup demo                    throwaway MariaDB and PostgreSQL with a sample database: detection, then a backup and restore that is compared

Connection (flags > DBBACKUP_* / MYSQL_* / PG* environment > config file > ~/.my.cnf > defaults)
  --db-type mysql|postgres   which server (default: the one configured, else mysql)
  --host H  --port N  --socket PATH  --user U  --database DB
  Passwords are never flags: MYSQL_PWD or ~/.my.cnf [client]; PGPASSWORD or ~/.pgpass; or socket/peer auth.

Output
  --yes, -y          never prompt; plain progress lines on stderr, results on stdout
  --json             one JSON object per event on stdout
  --config FILE      configuration file (otherwise .dbbackuprc, dbbackup.config.*, package.json#dbbackup are searched)
  --output PATH  --format archive|sql  --compress zstd|gzip|none  --level N  --workers N
  --engine NAME      mysqldump (alias logical), postgres-logical, clone, snapshot
  --output DIR/      a directory gets <db>-<UTC time>-<tag>.tar (or .sql) inside it
  --output s3://bucket/prefix/   written straight to S3 (an object named like the file above; a URL not ending in / names the object)

Object storage (S3; credentials from the AWS chain: AWS_ACCESS_KEY_ID…, ~/.aws/credentials, AWS_PROFILE; never flags)
  --target URL       stream-backup's destination (same as --output s3://…)
  --part-size BYTES  multipart part size at the start (default 10 MiB; parts grow so 10,000 cover 5 TiB)
  --workers N        stream-backup: parts uploaded at once (backup.streaming.workers; default 4)
  --encryption AES256|aws:kms  S3 server-side encryption (--sse-kms-key-id ID for aws:kms); --storage-class CLASS
  Endpoint, region and path-style: s3.* config keys, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION

Client-side encryption (any artifact, local or S3; AES-256-GCM in 64 KiB segments)
  --encrypt          encrypt what is written; the key: --encryption-key-file F (32 bytes raw, base64 or hex),
                     else DBBACKUP_ENCRYPTION_KEY, else DBBACKUP_PASSPHRASE (scrypt). Reading needs the same key.

Backup (mysqldump engine)
  --chunk-rows N     rows per chunk of a table with a usable key (default: about 16 MiB of data; 0: whole tables)
  --no-lock          no global lock (for users without RELOAD): coordinates are compared before and after, and the dump fails if they moved
  --no-ddl-lock      do not hold dumped tables against DDL until their rows are read (DDL on them then fails the dump instead of waiting)
  --include-users    also dump accounts, roles and grants (restored only with --include-users)

Backup and restore (postgres-logical engine)
  --chunk-rows N     rows per chunk (default: ctid block ranges of about 16 MiB, so one big table dumps on every worker; 0: whole tables)
  --no-owner         leave out ownership (ALTER … OWNER TO); restored objects belong to the restoring role
  --no-privileges    leave out grants and default privileges

Restore
  --target-db NAME   restore into this database (one database of the archive, or the one a SQL script names)
  --tables a,db.b    only these tables of the archive (with their triggers)
  --drop-existing    replace a target database (or the chosen tables) that exists and is not empty; refused otherwise
  --continue-on-error  skip statements the server refuses, count them and warn, instead of stopping at the first
  --indexes-after-data create tables with the keys they need, load, then build the secondary indexes
                     (default: for tables of 100,000 rows or more; --no-indexes-after-data: never)
  --no-binlog        keep the restore out of the server's binary log (replicas do not get it; needs SUPER / BINLOG ADMIN)
  --schema-only      PostgreSQL: definitions only, no rows
  --data-only        PostgreSQL: rows, sequence values and large objects only, into a database that has the tables
  --create           PostgreSQL: the target database must not exist; it is created (it is created anyway when missing)
  --clean            PostgreSQL: drop and re-create a target database that exists (same as --drop-existing)
  --keep             demo: keep the servers running until Ctrl+C

Point-in-time recovery (restore ARTIFACT --binlogs DIR …; MySQL/MariaDB)
  --binlogs DIR      binlog files (from binlog-stream, or the server's own) replayed after the restore from the backup's coordinates
  --until TIME | --until-position FILE:POS | --until-gtid GTID   where to stop (whole transactions only; none: all there is)
  --databases a,b    replay only these databases' changes (default: the databases the backup restores)
  --dry-run          list the transactions that would be replayed and the stop point; change nothing
  --start-position FILE:POS | --start-gtid GTID   where to start when the backup does not record it

Binlog streaming (binlog-stream; MySQL/MariaDB)
  --output DIR/      where the binlog files, binlog-index.json and the checkpoint go (or backup.binlog.targets[].path)
  --server-id N      the replica id to register as (backup.binlog.server_id, default 99999)
  --gtid, --no-gtid  resume by GTID (MariaDB) or by file and position (backup.binlog.use_gtid, default on)
  --sync always|interval     fsync on every commit, or every --checkpoint-interval (default interval)
  --checkpoint-interval 30s  how often the checkpoint is saved (and, with --sync interval, data fsync'd)
  --start-position FILE:POS | --start-gtid GTID   where a new directory starts (default: the oldest binlog on the server)
  --from-backup ARTIFACT     start a new directory where that backup was taken (its recorded coordinates)
  --compress zstd|gzip|none  compress each file once the server has moved on from it
  --databases a,b  --tables db.t   filter the event feed (the files stay complete)
  --stop-at-end      stop once caught up instead of waiting for more;  --retries N  give up after N reconnects (0: never)
  Runs until Ctrl+C / SIGTERM (or q in the terminal app) and stops at a transaction boundary with its checkpoint written.

Exit codes
  0 success · 1 failure during the work · 2 usage or config error · 3 cannot connect · 4 engine unavailable · 5 integrity failure
`;
