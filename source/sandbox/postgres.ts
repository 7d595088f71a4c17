import {appendFile, chown, mkdir, readFile} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import pg from 'pg';
import {packagesMissing, sandboxStartFailed} from '../core/errors.ts';
import {isRoot, locateBinary, requireBinary} from './debian-packages.ts';
import {freePort} from './free-port.ts';
import {logTail} from './log-tail.ts';
import {isProcessAlive} from './process-exit.ts';
import {randomPassword} from './random-password.ts';
import {runCommand} from './run-command.ts';
import {createSandboxDir, removeSandboxDir} from './sandbox-dir.ts';
import {scramSha256Verifier} from './scram-verifier.ts';
import type {RunningPostgres, StartServerOptions} from './types.ts';

export const POSTGRES_SUPERUSER = 'postgres';
export const POSTGRES_USER = 'dbbackup';
/** PostgreSQL refuses to run as root; as root we run the cluster as this OS user. */
const POSTGRES_OS_USER = 'postgres';

/** Runs a PostgreSQL program as the OS user the server runs as: that user when we are root (PostgreSQL refuses root), else ourselves. */
function runAsServerUser(osUser: string, cwd: string) {
	const asRoot = isRoot();
	return async (command: string, args: string[]) => {
		if (!asRoot) return runCommand(command, args, {cwd, detached: true});
		const runuser = locateBinary('runuser');
		if (runuser === undefined) throw packagesMissing('runuser (util-linux) not found');
		return runCommand(runuser, ['-u', osUser, '--', command, ...args], {cwd, detached: true});
	};
}

/** A server process on a data directory, started by startPostgresOnDataDirectory. */
export interface PostgresOnDataDirectory {
	pid: number;
	/** pg_ctl stop (fast: a shutdown checkpoint; immediate: none, crash recovery at the next start); SIGKILL if pg_ctl fails */
	stop(mode?: 'fast' | 'immediate'): Promise<void>;
}

export interface DataDirectoryStartOptions {
	/** the server's binaries, e.g. /usr/lib/postgresql/15/bin */
	binDir: string;
	datadir: string;
	/** the server's log (pg_ctl -l) */
	logFile: string;
	/** a directory the server's OS user may enter: the programs' working directory */
	workDir: string;
	/** `-c name=value` on the server's command line, which wins over postgresql.conf and postgresql.auto.conf */
	settings?: Record<string, string>;
	/** as root: the OS user the server runs as (default postgres) */
	osUser?: string;
	/** how long pg_ctl waits for the server to accept connections (crash recovery included); default 60 s */
	startTimeoutMs?: number;
	log: (line: string) => void;
}

function shellWord(text: string): string {
	return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

/**
 * Starts a server on an existing data directory with pg_ctl (as the server's OS user when root) and waits
 * until it accepts connections. The sandbox starts its fresh clusters with it, and `restore --verify-start`
 * a restored one. A server that does not start is stopped, and the error carries its log's last lines.
 */
export async function startPostgresOnDataDirectory(options: DataDirectoryStartOptions): Promise<PostgresOnDataDirectory> {
	const {datadir, log} = options;
	const pgCtl = join(options.binDir, 'pg_ctl');
	const run = runAsServerUser(options.osUser ?? POSTGRES_OS_USER, options.workDir);
	const stopCluster = async (mode: 'fast' | 'immediate') => {
		const pid = await readPostmasterPid(datadir);
		try {
			await run(pgCtl, ['stop', '-D', datadir, '-m', mode, '-w', '-t', '60', '-s']);
		} catch (error) {
			if (pid === undefined || !isProcessAlive(pid)) return;
			log(`postgres: pg_ctl stop failed (${(error as Error).message}); killing ${pid}`);
			process.kill(pid, 'SIGKILL');
			await waitUntilGone(pid, 30_000);
		}
	};
	// pg_ctl hands -o to the shell that starts postgres
	const serverOptions = Object.entries(options.settings ?? {}).map(([name, value]) => `-c ${shellWord(`${name}=${value}`)}`);
	const timeoutSeconds = Math.ceil((options.startTimeoutMs ?? 60_000) / 1000);
	try {
		await run(pgCtl, ['start', '-D', datadir, '-l', options.logFile, '-w', '-t', String(timeoutSeconds), '-s', ...(serverOptions.length > 0 ? ['-o', serverOptions.join(' ')] : [])]);
	} catch (error) {
		const failure = sandboxStartFailed(`PostgreSQL did not start on ${datadir}: ${(error as Error).message}\nLast lines of ${options.logFile}:\n${await logTail(options.logFile)}`, error);
		await stopCluster('immediate');
		throw failure;
	}
	const pid = await readPostmasterPid(datadir);
	if (pid === undefined) {
		await stopCluster('immediate');
		throw sandboxStartFailed(`no pid in ${datadir}/postmaster.pid`);
	}
	let stopping: Promise<void> | undefined;
	return {
		pid,
		stop(mode = 'fast') {
			stopping ??= stopCluster(mode);
			return stopping;
		},
	};
}

/** Starts a private PostgreSQL cluster in a temp dir with a `dbbackup` password role. */
export async function startPostgres(options: StartServerOptions): Promise<RunningPostgres> {
	const {log} = options;
	const pgCtl = requireBinary({binary: 'pg_ctl', pkg: 'postgresql-15'});
	const binDir = dirname(pgCtl);
	const initdb = join(binDir, 'initdb');
	const asRoot = isRoot();
	const dir = await createSandboxDir('postgres', options.baseDir);
	const datadir = join(dir, 'data');
	const socketDir = join(dir, 'socket');
	const serverLog = join(dir, 'postgres.log');
	let server: PostgresOnDataDirectory | undefined;

	// as root, every pg command runs as the postgres OS user, from a directory it can enter
	const run = runAsServerUser(POSTGRES_OS_USER, dir);

	try {
		const port = options.port ?? (await freePort());
		if (asRoot) {
			const {uid, gid} = await ensureOsUser(POSTGRES_OS_USER, log);
			await chown(dir, uid, gid);
			await mkdir(socketDir);
			await chown(socketDir, uid, gid);
		} else {
			await mkdir(socketDir);
		}

		log(`postgres: initialising ${datadir}`);
		await run(initdb, [
			'-D',
			datadir,
			'-U',
			POSTGRES_SUPERUSER,
			'--auth-local=trust',
			'--auth-host=scram-sha-256',
			'--encoding=UTF8',
			'--no-locale',
			// a throwaway directory: nothing to gain from syncing it after creation
			'--no-sync',
		]);
		await appendFile(
			join(datadir, 'postgresql.conf'),
			[
				'',
				'# dbbackup sandbox',
				`listen_addresses = '127.0.0.1'`,
				`port = ${port}`,
				`unix_socket_directories = '${socketDir}'`,
				`shared_buffers = 32MB`,
				`wal_level = replica`,
				`max_wal_senders = 10`,
				`max_replication_slots = 10`,
				...(options.noFsync ? ['fsync = off', 'synchronous_commit = off'] : []),
				'',
			].join('\n'),
		);

		server = await startPostgresOnDataDirectory({binDir, datadir, logFile: serverLog, workDir: dir, osUser: POSTGRES_OS_USER, startTimeoutMs: options.startTimeoutMs, log});
		const {pid} = server;

		const password = randomPassword();
		const admin = new pg.Client({host: socketDir, port, user: POSTGRES_SUPERUSER, database: 'postgres'});
		await admin.connect();
		let version: string;
		try {
			const verifier = scramSha256Verifier(password);
			await admin.query(`CREATE ROLE ${POSTGRES_USER} LOGIN CREATEDB PASSWORD ${admin.escapeLiteral(verifier)}`);
			const result = await admin.query<{server_version: string}>('SHOW server_version');
			version = result.rows[0].server_version;
		} finally {
			await admin.end();
		}

		let stopping: Promise<void> | undefined;
		return {
			host: '127.0.0.1',
			port,
			socketDir,
			datadir,
			superuser: POSTGRES_SUPERUSER,
			user: POSTGRES_USER,
			password,
			version,
			pid,
			stop() {
				stopping ??= (async () => {
					await server!.stop('fast');
					await removeSandboxDir(dir);
				})();
				return stopping;
			},
		};
	} catch (error) {
		await server?.stop('immediate');
		await removeSandboxDir(dir);
		throw error;
	}
}

async function readPostmasterPid(datadir: string): Promise<number | undefined> {
	try {
		const first = (await readFile(join(datadir, 'postmaster.pid'), 'utf8')).split('\n')[0];
		const pid = Number.parseInt(first ?? '', 10);
		return Number.isInteger(pid) && pid > 0 ? pid : undefined;
	} catch {
		return undefined;
	}
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (isProcessAlive(pid) && Date.now() < deadline) await sleep(50);
}

/** uid/gid of an OS user, creating it as a system user when it does not exist (root only). */
async function ensureOsUser(name: string, log: (line: string) => void): Promise<{uid: number; gid: number}> {
	const lookUp = async () => {
		const uid = Number((await runCommand('id', ['-u', name])).stdout.trim());
		const gid = Number((await runCommand('id', ['-g', name])).stdout.trim());
		return {uid, gid};
	};
	try {
		return await lookUp();
	} catch {
		log(`postgres: creating the system user ${name}`);
		await runCommand('useradd', ['--system', '--user-group', '--no-create-home', name]);
		return lookUp();
	}
}
