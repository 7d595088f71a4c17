/**
 * Clusters made from another one for the tests that need more than the harness's server: a standby (to
 * promote: a timeline switch), a server recovered from a base backup with restore_command. PostgreSQL
 * refuses to run as root, so as root every server command runs as the postgres OS user (as the sandbox
 * does). The base backups are taken with pg_basebackup: a test tool here, not the product's.
 */
import {appendFile, chown, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {freePort} from '../../source/sandbox/free-port.ts';
import type {RunningPostgres} from '../../source/sandbox/types.ts';
import {PG_BIN, run} from './helpers.ts';

const OS_USER = 'postgres';
const asRoot = process.getuid?.() === 0;

async function osUser(): Promise<{uid: number; gid: number}> {
	const uid = Number((await run('id', ['-u', OS_USER])).stdout.trim());
	const gid = Number((await run('id', ['-g', OS_USER])).stdout.trim());
	return {uid, gid};
}

/** A PostgreSQL program, as the postgres OS user when we are root. */
export async function asPostgres(program: string, args: string[], cwd?: string): Promise<{stdout: string; stderr: string}> {
	const file = join(PG_BIN, program);
	if (!asRoot) return run(file, args, {cwd, maxBuffer: 16 * 1024 * 1024});
	return run('runuser', ['-u', OS_USER, '--', file, ...args], {cwd, maxBuffer: 16 * 1024 * 1024});
}

/** A directory the postgres OS user owns (and can enter), for a data directory and its socket. */
export async function postgresDir(label: string): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), `dbbackup-${label}-`));
	if (asRoot) {
		const {uid, gid} = await osUser();
		await chown(dir, uid, gid);
	}
	return dir;
}

/** Gives a tree to the postgres OS user (a store written by this root process, read by a restore_command). */
export async function giveToPostgres(path: string): Promise<void> {
	if (asRoot) await run('chown', ['-R', `${OS_USER}:${OS_USER}`, path]);
}

export interface Cluster {
	datadir: string;
	socketDir: string;
	port: number;
	superuser: string;
	log: string;
	stop(): Promise<void>;
}

/** pg_basebackup of `source` into a new data directory (extra flags: -R for a standby, -X none to leave the WAL to a restore_command). */
export async function baseBackup(source: Pick<RunningPostgres, 'socketDir' | 'port' | 'superuser'>, label: string, flags: string[]): Promise<{dir: string; datadir: string}> {
	const dir = await postgresDir(label);
	const datadir = join(dir, 'data');
	await asPostgres('pg_basebackup', ['-h', source.socketDir, '-p', String(source.port), '-U', source.superuser, '-D', datadir, '-c', 'fast', '--no-sync', ...flags], dir);
	return {dir, datadir};
}

/**
 * Starts the cluster in `datadir` (from baseBackup) on a port and socket of its own, with `settings`
 * added (postgresql.auto.conf: they win over what the copy brought) and, when asked, a signal file.
 */
export async function startCluster(dir: string, datadir: string, settings: string[], signal?: 'standby.signal' | 'recovery.signal'): Promise<Cluster> {
	const port = await freePort();
	const socketDir = join(dir, 'socket');
	await mkdir(socketDir, {recursive: true});
	await giveToPostgres(socketDir);
	const lines = [`port = ${port}`, `unix_socket_directories = '${socketDir}'`, `listen_addresses = ''`, ...settings];
	await appendFile(join(datadir, 'postgresql.auto.conf'), `\n${lines.join('\n')}\n`);
	if (signal) await writeFile(join(datadir, signal), '');
	await giveToPostgres(datadir);
	const log = join(dir, 'server.log');
	await asPostgres('pg_ctl', ['start', '-D', datadir, '-l', log, '-w', '-t', '120', '-s'], dir);
	let stopping: Promise<void> | undefined;
	return {
		datadir,
		socketDir,
		port,
		superuser: 'postgres',
		log,
		stop() {
			stopping ??= (async () => {
				await asPostgres('pg_ctl', ['stop', '-D', datadir, '-m', 'fast', '-w', '-t', '60', '-s'], dir).catch(() => undefined);
				await rm(dir, {recursive: true, force: true});
			})();
			return stopping;
		},
	};
}
