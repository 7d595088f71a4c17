import {spawn, type ChildProcess} from 'node:child_process';
import {mkdir} from 'node:fs/promises';
import {join} from 'node:path';
import type {RowDataPacket} from 'mysql2/promise';
import {isRoot} from './debian-packages.ts';
import {freePort} from './free-port.ts';
import {ensureMysqlBinaries, mysqlProgram, mysqlTreeOptions, type MysqlBinariesOptions} from './mysql-binaries.ts';
import {terminate} from './process-exit.ts';
import {randomPassword} from './random-password.ts';
import {runCommand} from './run-command.ts';
import {waitForMysqldSocket} from './mysqld-on-datadir.ts';
import {createSandboxDir, removeSandboxDir} from './sandbox-dir.ts';
import type {RunningMysql, StartServerOptions} from './types.ts';

export const MYSQL_USER = 'dbbackup';
export const MYSQL_LIMITED_USER = 'dbbackup_limited';

const SHUTDOWN_GRACE_MS = 60_000;

export interface StartMysqlOptions extends StartServerOptions {
	/** where the binaries come from (see mysql-binaries.ts); default: the cache, the shared set, or sid */
	binaries?: Omit<MysqlBinariesOptions, 'log'>;
	/** plugin libraries loaded at start (--plugin-load-add), e.g. 'mysql_clone.so' */
	plugins?: string[];
}

/**
 * Starts a private MySQL (Debian sid's build, run through its own loader) in a temp dir: binlog ON, ROW
 * format, GTIDs on, two password users (caching_sha2_password, MySQL's only built-in password plugin).
 */
export async function startMysql(options: StartMysqlOptions): Promise<RunningMysql> {
	const {log} = options;
	const fetching = performance.now();
	const binaries = await ensureMysqlBinaries({log, ...options.binaries});
	const fetchMs = Math.round(performance.now() - fetching);
	const {root} = binaries;
	const mysqld = mysqlProgram(root, 'mysqld');
	const dir = await createSandboxDir('mysql', options.baseDir);
	const datadir = join(dir, 'data');
	const socket = join(dir, 'mysqld.sock');
	const pidFile = join(dir, 'mysqld.pid');
	const errorLog = join(dir, 'error.log');
	const tmpdir = join(dir, 'tmp');
	const files = join(dir, 'files');
	let child: ChildProcess | undefined;

	const cleanUp = async () => {
		if (child) await terminate(child, SHUTDOWN_GRACE_MS);
		await removeSandboxDir(dir);
	};

	try {
		const port = options.port ?? (await freePort());
		// mysqld refuses to run as root unless told to; the directory is our own throwaway one
		const asRoot = isRoot() ? ['--user=root'] : [];
		const common = [
			'--no-defaults',
			...asRoot,
			...mysqlTreeOptions(root),
			`--datadir=${datadir}`,
			`--tmpdir=${tmpdir}`,
			// without it mysqld stops with MY-010095 (the compiled-in directory does not exist here)
			`--secure-file-priv=${files}`,
			`--log-error=${errorLog}`,
			'--innodb-buffer-pool-size=64M',
			...(options.noFsync ? ['--innodb-flush-log-at-trx-commit=2', '--sync-binlog=0'] : []),
		];
		await mkdir(tmpdir, {recursive: true});
		await mkdir(files);
		const initialising = performance.now();
		log(`mysql: initialising ${datadir} (MySQL ${binaries.version} from ${root})`);
		// detached, as for MariaDB: the terminal's Ctrl-C reaches our caller, which stops the server in order
		await runCommand(mysqld.command, [...mysqld.args, ...common, '--initialize-insecure'], {detached: true});
		const initialiseMs = Math.round(performance.now() - initialising);

		const serverArgs = [
			...mysqld.args,
			...common,
			`--socket=${socket}`,
			`--port=${port}`,
			'--bind-address=127.0.0.1',
			'--mysqlx=OFF',
			`--pid-file=${pidFile}`,
			'--log-bin=mysql-bin',
			'--server-id=1',
			'--binlog-format=ROW',
			'--gtid-mode=ON',
			'--enforce-gtid-consistency=ON',
			'--skip-name-resolve',
			...(options.plugins ?? []).map((plugin) => `--plugin-load-add=${plugin}`),
		];
		const launch = () => {
			const started = spawn(mysqld.command, serverArgs, {stdio: 'ignore', detached: true, cwd: dir});
			let spawnFailure: Error | undefined;
			started.once('error', (error) => (spawnFailure = error));
			return {started, failure: () => spawnFailure};
		};
		const starting = performance.now();
		const first = launch();
		child = first.started;
		const admin = await waitForMysqldSocket(child, {socket, user: 'root', program: 'mysqld', errorLog, timeoutMs: options.startTimeoutMs ?? 60_000, spawnFailure: first.failure});
		const password = randomPassword();
		const limitedPassword = randomPassword();
		let version: string;
		try {
			// setup, not data: keep it out of the binlog (and so out of @@gtid_executed)
			await admin.query('SET SESSION sql_log_bin = 0');
			for (const host of ['%', 'localhost']) {
				// the password travels over the socket to our own server only; MySQL writes no plain password to its logs
				await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [MYSQL_USER, host, password]);
				await admin.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [MYSQL_USER, host]);
				await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [MYSQL_LIMITED_USER, host, limitedPassword]);
				await admin.query('GRANT SELECT ON *.* TO ?@?', [MYSQL_LIMITED_USER, host]);
			}
			const [rows] = await admin.query<RowDataPacket[]>('SELECT VERSION() AS version');
			version = String(rows[0]?.version);
		} finally {
			await admin.end();
		}
		log(`mysql: binaries ${fetchMs} ms (${binaries.source}), initialise ${initialiseMs} ms, start ${Math.round(performance.now() - starting)} ms`);
		const pid = child.pid;
		if (pid === undefined) throw new Error('mysqld has no pid');

		let running = child;
		let stopping: Promise<void> | undefined;
		return {
			host: '127.0.0.1',
			port,
			socket,
			datadir,
			user: MYSQL_USER,
			password,
			limitedUser: MYSQL_LIMITED_USER,
			limitedPassword,
			version,
			pid,
			root,
			async restart() {
				await terminate(running, SHUTDOWN_GRACE_MS);
				const again = launch();
				running = again.started;
				child = running;
				const connection = await waitForMysqldSocket(running, {socket, user: 'root', program: 'mysqld', errorLog, timeoutMs: options.startTimeoutMs ?? 60_000, spawnFailure: again.failure});
				await connection.end();
			},
			stop() {
				stopping ??= (async () => {
					await terminate(running, SHUTDOWN_GRACE_MS);
					await removeSandboxDir(dir);
				})();
				return stopping;
			},
		};
	} catch (error) {
		await cleanUp();
		throw error;
	}
}

