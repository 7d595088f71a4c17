/**
 * What a started throwaway server tells its user: its coordinates (test/harness/servers.ts hands them
 * to tests as JSON), the process and the way to stop it.
 */
export interface StartServerOptions {
	log: (line: string) => void;
	/**
	 * parent of the server's temp dir (default: the OS temp dir), e.g. a btrfs mount for snapshot tests;
	 * as root, the postgres OS user must be able to enter it
	 */
	baseDir?: string;
	/** default: a free port */
	port?: number;
	/**
	 * Trade crash safety for speed (commits are not flushed to disk): for throwaway demo and test servers
	 * only. MariaDB: innodb_flush_log_at_trx_commit=2; PostgreSQL: fsync=off, synchronous_commit=off.
	 */
	noFsync?: boolean;
	/** how long to wait for the server to accept connections (default 60 s) */
	startTimeoutMs?: number;
}

interface Stoppable {
	/** clean shutdown, waits for the exit, removes the temp dir; safe to call more than once */
	stop(): Promise<void>;
}

export interface RunningMariadb extends Stoppable {
	host: string;
	port: number;
	socket: string;
	datadir: string;
	/** ALL PRIVILEGES ON *.* WITH GRANT OPTION, password authentication */
	user: string;
	password: string;
	/** only SELECT ON *.* */
	limitedUser: string;
	limitedPassword: string;
	version: string;
	pid: number;
	/** clean shutdown and start again on the same data directory, port and socket */
	restart(): Promise<void>;
}

/** A MySQL sandbox: the same coordinates as MariaDB's, and the unpacked tree its programs run from. */
export interface RunningMysql extends RunningMariadb {
	/** the unpacked packages' root: run its programs with mysqlProgram(root, 'mysqlbinlog') */
	root: string;
}

export interface RunningPostgres extends Stoppable {
	host: string;
	port: number;
	/** unix socket directory; local connections there are trusted */
	socketDir: string;
	datadir: string;
	/** database superuser, reachable without password over socketDir */
	superuser: string;
	/** login role with password (scram-sha-256 over TCP), CREATEDB */
	user: string;
	password: string;
	/** SHOW server_version */
	version: string;
	pid: number;
}

export interface RunningS3 extends Stoppable {
	endpoint: string;
	port: number;
	directory: string;
	region: string;
	accessKeyId: string;
	secretAccessKey: string;
	/** exists when startS3 resolves */
	bucket: string;
	pid: number;
}
