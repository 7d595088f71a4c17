/**
 * A mysqld (MySQL or MariaDB) started on a data directory that is not ours — a restored physical backup
 * — to let crash recovery run and look at what it recovered. Nothing of the directory's configuration
 * applies (--no-defaults) and nobody can reach it but us: no TCP (--skip-networking), a private socket
 * in `workDir`, and --skip-grant-tables, because the restored grant tables hold the source's accounts
 * and passwords we do not know. Its logs, pid file and temp files stay in `workDir`.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {chown, mkdir, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import mysql, {type Connection} from 'mysql2/promise';
import {sandboxStartFailed} from '../core/errors.ts';
import {isRoot} from './debian-packages.ts';
import {logTail} from './log-tail.ts';
import {hasExited, terminate} from './process-exit.ts';

const SHUTDOWN_GRACE_MS = 10 * 60_000;

export interface MysqldOnDataDirectoryOptions {
	flavor: 'mariadb' | 'mysql';
	/** the command and its leading arguments (an unpacked MySQL runs through its own loader) */
	program: {command: string; args: string[]};
	/** options the program needs to find its own files (--basedir, --plugin-dir, … of an unpacked tree) */
	programOptions?: string[];
	datadir: string;
	/** a directory the server's OS user owns: socket, pid file, error log, temp files */
	workDir: string;
	/** as root: the OS user mysqld runs as (--user) */
	osUser?: string;
	/** the binary log base name, when the directory holds the source's binary logs */
	binlogBasename?: string;
	/** MySQL: GTIDs on, as on the source (a server with GTIDs off still shows gtid_executed, but writes anonymous transactions) */
	gtid?: boolean;
	/** crash recovery of a large redo log can take a while */
	startTimeoutMs: number;
	log: (line: string) => void;
}

export interface MysqldOnDataDirectory {
	pid: number;
	socket: string;
	errorLog: string;
	/** a connection as root over the socket (grant tables skipped) */
	connect(): Promise<Connection>;
	/** clean shutdown (SIGTERM), waits for the exit; safe to call more than once */
	stop(): Promise<void>;
}

/** Waits until mysqld answers on `socket` as `user`; a failure names the error log's last lines. */
export async function waitForMysqldSocket(
	child: ChildProcess,
	options: {socket: string; user: string; program: string; errorLog: string; timeoutMs: number; spawnFailure: () => Error | undefined},
): Promise<Connection> {
	const deadline = Date.now() + options.timeoutMs;
	const failure = async (why: string) => sandboxStartFailed(`${options.program} ${why}. Last lines of ${options.errorLog}:\n${await logTail(options.errorLog)}`);
	for (;;) {
		const spawnError = options.spawnFailure();
		if (spawnError) throw await failure(`could not be started (${spawnError.message})`);
		if (hasExited(child)) throw await failure(`exited during startup (${child.signalCode ?? `exit code ${child.exitCode}`})`);
		try {
			return await mysql.createConnection({socketPath: options.socket, user: options.user});
		} catch {
			// not accepting connections yet
		}
		if (Date.now() > deadline) throw await failure(`did not accept connections within ${Math.round(options.timeoutMs / 1000)} s`);
		await sleep(100);
	}
}

export async function startMysqldOnDataDirectory(options: MysqldOnDataDirectoryOptions): Promise<MysqldOnDataDirectory> {
	const socket = join(options.workDir, 'mysqld.sock');
	const errorLog = join(options.workDir, 'error.log');
	const tmpdir = join(options.workDir, 'tmp');
	await mkdir(tmpdir, {recursive: true});
	// the server's OS user owns workDir; its temp files go in a directory of its own
	const {uid, gid} = await stat(options.workDir);
	if (isRoot()) await chown(tmpdir, uid, gid);
	const binlog = options.binlogBasename
		? [`--log-bin=${options.binlogBasename}`, '--server-id=1']
		: options.flavor === 'mysql'
			? ['--skip-log-bin']
			: [];
	const args = [
		...options.program.args,
		'--no-defaults',
		...(isRoot() ? [`--user=${options.osUser ?? 'mysql'}`] : []),
		...(options.programOptions ?? []),
		`--datadir=${options.datadir}`,
		`--tmpdir=${tmpdir}`,
		`--socket=${socket}`,
		`--pid-file=${join(options.workDir, 'mysqld.pid')}`,
		`--log-error=${errorLog}`,
		'--skip-networking',
		'--skip-grant-tables',
		'--innodb-buffer-pool-size=128M',
		...(options.flavor === 'mysql' ? ['--mysqlx=OFF', `--secure-file-priv=${tmpdir}`] : []),
		...(options.gtid ? ['--gtid-mode=ON', '--enforce-gtid-consistency=ON'] : []),
		...binlog,
	];
	const program = options.flavor === 'mariadb' ? 'mariadbd' : 'mysqld';
	options.log(`${program} on ${options.datadir} (socket ${socket})`);
	// detached: the terminal's Ctrl-C reaches our caller, which stops the server in order
	const child = spawn(options.program.command, args, {stdio: 'ignore', detached: true, cwd: options.workDir});
	let spawnError: Error | undefined;
	child.once('error', (error) => (spawnError = error));
	let stopping: Promise<void> | undefined;
	const stop = () => (stopping ??= terminate(child, SHUTDOWN_GRACE_MS));
	try {
		const first = await waitForMysqldSocket(child, {socket, user: 'root', program, errorLog, timeoutMs: options.startTimeoutMs, spawnFailure: () => spawnError});
		await first.end();
	} catch (error) {
		await stop();
		throw error;
	}
	return {
		pid: child.pid!,
		socket,
		errorLog,
		connect: () => mysql.createConnection({socketPath: socket, user: 'root', multipleStatements: false}),
		stop,
	};
}
