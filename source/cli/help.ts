export const HELP = `
Usage
  $ dbbackup                         open the terminal app (on a TTY; without one, prints this help)
  $ dbbackup detect                  report the server: version, flavor, sizes, binlog, GTID, datadir, filesystem, snapshot, privileges
  $ dbbackup engine list             engines for the server found, available or the reason not
  $ dbbackup engine info [NAME]      one engine's details; with no name, the environment and every engine
  $ dbbackup engine select           apply the selection criteria and print the recommendation with its reasons
  $ dbbackup backup single DB        back up one database with the selected engine (--engine to choose)
  $ dbbackup physical-backup         physical (or logical) backup to --output FILE (--engine clone|snapshot|mysqldump)
  $ dbbackup stream-backup           stream a backup to --target s3://bucket/path
  $ dbbackup demo                    start a throwaway MariaDB and PostgreSQL with a sample database and run detection on them

Connection (flags > DBBACKUP_* / MYSQL_* / PG* environment > config file > ~/.my.cnf > defaults)
  --db-type mysql|postgres   which server (default: the one configured, else mysql)
  --host H  --port N  --socket PATH  --user U  --database DB
  Passwords are never flags: MYSQL_PWD or ~/.my.cnf [client]; PGPASSWORD or ~/.pgpass; or socket/peer auth.

Output
  --yes, -y          never prompt; plain progress lines on stderr, results on stdout
  --json             one JSON object per event on stdout
  --config FILE      configuration file (otherwise .dbbackuprc, dbbackup.config.*, package.json#dbbackup are searched)
  --output PATH  --format archive|sql  --compress zstd|lz4|gzip|none  --level N  --workers N
  --engine NAME      mysqldump (alias logical), postgres-logical, clone, snapshot, streaming
  --target URL       backup destination; s3://… selects streaming
  --keep             demo: keep the servers running until Ctrl+C

Exit codes
  0 success · 1 failure during the work · 2 usage or config error · 3 cannot connect · 4 engine unavailable · 5 integrity failure
`;
