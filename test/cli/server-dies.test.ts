import assert from 'node:assert/strict';
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {after, before, describe, test} from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import {startMariadb, startPostgres} from '../../source/sandbox/index.ts';
import type {RunningMariadb, RunningPostgres} from '../../source/sandbox/types.ts';
import {jsonLines, runCli, type CliResult} from './run-cli.ts';

const timeoutMs = 60_000;
const log = () => undefined;

/** Waits until the run's `.partial` exists in `dir`: the dump has begun. */
async function partialAppeared(dir: string, deadline = Date.now() + 60_000): Promise<void> {
	while (Date.now() < deadline) {
		if ((await readdir(dir).catch(() => [] as string[])).some((name) => name.endsWith('.partial'))) return;
		await sleep(10);
	}
	throw new Error(`no .partial appeared in ${dir}`);
}

/**
 * Runs the backup and SIGKILLs the server a moment after the dump began (the table takes a few seconds
 * to read); returns the CLI's result.
 */
async function backupWhileServerDies(args: string[], env: Record<string, string>, dir: string, pid: number): Promise<CliResult> {
	const running = runCli(args, {env, timeoutMs});
	await partialAppeared(dir);
	await sleep(300);
	process.kill(pid, 'SIGKILL');
	return running;
}

function assertCleanLoss(result: CliResult, server: string, names: string[], json: boolean): void {
	assert.equal(result.code, 1, `exit code (stderr: ${result.stderr})`);
	const message = json ? jsonLines(result.stdout).find((event) => event.type === 'error')?.message : result.stderr;
	assert.match(String(message), new RegExp(`lost connection to ${server.replace(/\./g, '\\.')} during \\w+`));
	assert.deepEqual(names.filter((name) => name.includes('.partial') || name.includes('.parts-')), [], `leftovers: ${names.join(', ')}`);
}

async function withMariadb(work: (server: RunningMariadb) => Promise<void>): Promise<void> {
	const server = await startMariadb({log, noFsync: true});
	try {
		const conn = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, multipleStatements: true});
		await conn.query('CREATE DATABASE big; USE big; CREATE TABLE big.t (id INT PRIMARY KEY, pad VARCHAR(200)); INSERT INTO big.t SELECT seq, REPEAT(MD5(seq), 6) FROM seq_1_to_1500000');
		await conn.end();
		await work(server);
	} finally {
		await server.stop().catch(() => undefined);
	}
}

async function withPostgres(work: (server: RunningPostgres) => Promise<void>): Promise<void> {
	const server = await startPostgres({log, noFsync: true});
	try {
		const admin = new pg.Client({host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres'});
		await admin.connect();
		await admin.query('CREATE DATABASE big');
		await admin.end();
		const client = new pg.Client({host: server.host, port: server.port, user: server.user, password: server.password, database: 'big'});
		await client.connect();
		await client.query("CREATE TABLE t (id int PRIMARY KEY, pad text); INSERT INTO t SELECT n, repeat(md5(n::text), 6) FROM generate_series(1, 1500000) n");
		await client.end();
		await work(server);
	} finally {
		await server.stop().catch(() => undefined);
	}
}

describe('a server that dies mid-backup: exit 1, "lost connection", no leftovers', {timeout: 600_000}, () => {
	let dir: string;
	before(async () => {
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-dies-'));
	});
	after(async () => {
		await rm(dir, {recursive: true, force: true});
	});

	for (const [format, json] of [['archive', false], ['sql', true]] as const) {
		test(`MariaDB, --format ${format}${json ? ' --json' : ''}: SIGKILL of mariadbd mid-dump`, async () => {
			await withMariadb(async (server) => {
				const out = await mkdtemp(join(dir, 'my-'));
				const args = ['backup', 'single', 'big', '--db-type', 'mysql', '--host', server.host, '--port', String(server.port), '--user', server.user, '--output', `${out}/`, '--format', format, '--compress', 'none', '--chunk-rows', '20000', '--workers', '2', '--yes', ...(json ? ['--json'] : [])];
				const result = await backupWhileServerDies(args, {MYSQL_PWD: server.password}, out, server.pid);
				assertCleanLoss(result, `${server.host}:${server.port}`, await readdir(out), json);
			});
		});

		test(`PostgreSQL, --format ${format}${json ? ' --json' : ''}: SIGKILL of postgres mid-dump`, async () => {
			await withPostgres(async (server) => {
				const out = await mkdtemp(join(dir, 'pg-'));
				const args = ['backup', 'single', 'big', '--db-type', 'postgres', '--host', server.host, '--port', String(server.port), '--user', server.user, '--output', `${out}/`, '--format', format, '--compress', 'none', '--chunk-rows', '20000', '--workers', '2', '--yes', ...(json ? ['--json'] : [])];
				const result = await backupWhileServerDies(args, {PGPASSWORD: server.password}, out, server.pid);
				assertCleanLoss(result, `${server.host}:${server.port}`, await readdir(out), json);
			});
		});
	}
});
