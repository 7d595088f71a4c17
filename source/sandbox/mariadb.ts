import {spawn, type ChildProcess} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdir} from 'node:fs/promises';
import {userInfo} from 'node:os';
import {join} from 'node:path';
import type {RowDataPacket} from 'mysql2/promise';
import {isRoot, requireBinary} from './debian-packages.ts';
import {freePort} from './free-port.ts';
import {terminate} from './process-exit.ts';
import {randomPassword} from './random-password.ts';
import {runCommand} from './run-command.ts';
import {waitForMysqldSocket} from './mysqld-on-datadir.ts';
import {createSandboxDir, removeSandboxDir} from './sandbox-dir.ts';
import type {RunningMariadb, StartServerOptions} from './types.ts';

export const MARIADB_USER = 'dbbackup';
export const MARIADB_LIMITED_USER = 'dbbackup_limited';

const SHUTDOWN_GRACE_MS = 60_000;

/** Starts a private mariadbd (binlog ON, ROW format) in a temp dir with two password users. */
export async function startMariadb(options: StartServerOptions): Promise<RunningMariadb> {
	const {log} = options;
	const mariadbd = requireBinary({binary: 'mariadbd', pkg: 'mariadb-server'});
	const installDb = requireBinary({binary: 'mariadb-install-db', pkg: 'mariadb-server'});
	const dir = await createSandboxDir('mariadb', options.baseDir);
	const datadir = join(dir, 'data');
	const socket = join(dir, 'mariadbd.sock');
	const pidFile = join(dir, 'mariadbd.pid');
	const errorLog = join(dir, 'error.log');
	// each server's own temp directory: bootstraps running side by side in a shared /tmp were seen to lose
	// their #sql-temptable files ("Unknown table 'mysql.tmp_user_sys'")
	const tmpdir = join(dir, 'tmp');
	let child: ChildProcess | undefined;

	const cleanUp = async () => {
		if (child) await terminate(child, SHUTDOWN_GRACE_MS);
		await removeSandboxDir(dir);
	};

	try {
		const port = options.port ?? (await freePort());
		// mariadbd refuses to run as root unless told to. The directory is our own throwaway one, so the
		// server runs as root rather than as `mysql`: no chown, and the mysql account need not exist.
		const asRoot = isRoot() ? ['--user=root'] : [];
		const innodb = [
			'--innodb-buffer-pool-size=64M',
			'--innodb-log-file-size=16M',
			...(options.noFsync ? ['--innodb-flush-log-at-trx-commit=2'] : []),
		];
		await mkdir(tmpdir);
		log(`mariadb: initialising ${datadir}`);
		// here and below, detached: in a session of their own the server and its helpers do not get the
		// terminal's Ctrl-C; our caller gets it and stops the server in order
		const installArgs = [
			'--no-defaults',
			`--datadir=${datadir}`,
			`--tmpdir=${tmpdir}`,
			...asRoot,
			'--auth-root-authentication-method=socket',
			// the OS user running us logs in as a MariaDB superuser of the same name over the socket
			`--auth-root-socket-user=${osUser()}`,
			'--skip-test-db',
			'--skip-name-resolve',
			...innodb,
		];
		await runCommand(installDb, installArgs, {detached: true});

		const serverArgs = [
			'--no-defaults',
			...asRoot,
			`--datadir=${datadir}`,
			`--tmpdir=${tmpdir}`,
			`--socket=${socket}`,
			`--port=${port}`,
			'--bind-address=127.0.0.1',
			`--pid-file=${pidFile}`,
			`--log-error=${errorLog}`,
			'--log-bin=mariadb-bin',
			'--server-id=1',
			'--binlog-format=ROW',
			'--skip-name-resolve',
			'--character-set-server=utf8mb4',
			'--collation-server=utf8mb4_unicode_ci',
			...innodb,
		];
		const launch = () => {
			const started = spawn(mariadbd, serverArgs, {stdio: 'ignore', detached: true, cwd: dir});
			let spawnFailure: Error | undefined;
			started.once('error', (error) => (spawnFailure = error));
			return {started, failure: () => spawnFailure};
		};
		const first = launch();
		child = first.started;
		const admin = await waitForMysqldSocket(child, {socket, user: osUser(), program: 'mariadbd', errorLog, timeoutMs: options.startTimeoutMs ?? 60_000, spawnFailure: first.failure});
		const password = randomPassword();
		const limitedPassword = randomPassword();
		let version: string;
		try {
			// setup, not data: keep it out of the binlog
			await admin.query('SET SESSION sql_log_bin = 0');
			for (const host of ['%', 'localhost']) {
				await admin.query('CREATE USER ?@? IDENTIFIED BY PASSWORD ?', [MARIADB_USER, host, nativePasswordHash(password)]);
				await admin.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [MARIADB_USER, host]);
				await admin.query('CREATE USER ?@? IDENTIFIED BY PASSWORD ?', [
					MARIADB_LIMITED_USER,
					host,
					nativePasswordHash(limitedPassword),
				]);
				await admin.query('GRANT SELECT ON *.* TO ?@?', [MARIADB_LIMITED_USER, host]);
			}
			const [rows] = await admin.query<RowDataPacket[]>('SELECT VERSION() AS version');
			version = String(rows[0]?.version);
		} finally {
			await admin.end();
		}
		const pid = child.pid;
		if (pid === undefined) throw new Error('mariadbd has no pid');

		let running = child;
		let stopping: Promise<void> | undefined;
		return {
			host: '127.0.0.1',
			port,
			socket,
			datadir,
			user: MARIADB_USER,
			password,
			limitedUser: MARIADB_LIMITED_USER,
			limitedPassword,
			version,
			pid,
			async restart() {
				await terminate(running, SHUTDOWN_GRACE_MS);
				const again = launch();
				running = again.started;
				child = running;
				const connection = await waitForMysqldSocket(running, {socket, user: osUser(), program: 'mariadbd', errorLog, timeoutMs: options.startTimeoutMs ?? 60_000, spawnFailure: again.failure});
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

/** MariaDB's mysql_native_password hash, so the plain password is never sent in SQL (nor binlogged). */
export function nativePasswordHash(password: string): string {
	const once = createHash('sha1').update(password, 'utf8').digest();
	return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}

function osUser(): string {
	return userInfo().username;
}

