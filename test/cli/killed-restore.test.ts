/**
 * A restore killed halfway (SIGKILL while it loads rows) leaves a target marked as unfinished: the next
 * restore into it says the last one did not finish instead of only "not empty", and --drop-existing /
 * --clean replaces it; a restore that completes leaves no mark.
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import type pg from 'pg';
import {dropPostgresDatabases, mariadbConnection, postgresSuperuserClient, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {runCli} from './run-cli.ts';

const BIN = fileURLToPath(new URL('../../bin/dbbackup.js', import.meta.url));
const {mariadb, postgres} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const pgArgs = ['--db-type', 'postgres', '--socket', postgres.socketDir, '--port', String(postgres.port), '--user', postgres.superuser];
const env = {MYSQL_PWD: mariadb.password};
const timeoutMs = 180_000;

/** Runs the CLI and SIGKILLs it once its stderr shows `stage`; resolves with what it printed. */
function killDuring(args: string[], stage: RegExp, extraEnv: Record<string, string> = {}): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, ...extraEnv, NODE_TEST_CONTEXT: ''}, stdio: ['ignore', 'ignore', 'pipe']});
		let stderr = '';
		child.stderr.on('data', (chunk) => {
			stderr += chunk;
			if (stage.test(stderr)) child.kill('SIGKILL');
		});
		child.on('error', reject);
		child.on('close', (code, signal) => (signal === 'SIGKILL' ? resolve(stderr) : reject(new Error(`the restore ended by itself (${code}) before it could be killed:\n${stderr}`))));
	});
}

describe('a killed restore is marked unfinished (MariaDB)', () => {
	let admin: Connection;
	let dir: string;
	const source = uniqueName('killed_src');
	const target = uniqueName('killed_copy');

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-killed-'));
		await admin.query(`CREATE DATABASE ${source}; CREATE TABLE ${source}.t (id int PRIMARY KEY, v varchar(200));`);
		await admin.query(`USE ${source}; INSERT INTO t SELECT seq, REPEAT('x', 200) FROM seq_1_to_300000;`);
	});

	after(async () => {
		await admin.query(`DROP DATABASE IF EXISTS ${source}; DROP DATABASE IF EXISTS ${target};`);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('the next restore names the unfinished one; --drop-existing replaces it and leaves no mark', async () => {
		const archive = join(dir, 'src.tar');
		const backup = await runCli(['backup', 'single', source, '--output', archive, '--chunk-rows', '5000', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(backup.code, 0, backup.stderr);
		await killDuring(['restore', archive, '--target-db', target, '--workers', '1', '--yes', ...mysqlArgs], /==> data:/, env);
		const again = await runCli(['restore', archive, '--target-db', target, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(again.code, 2, again.stderr);
		assert.match(again.stderr, new RegExp(`${target} holds a restore that did not finish \\(started \\d{4}-.* from ${archive.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
		const replaced = await runCli(['restore', archive, '--target-db', target, '--drop-existing', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(replaced.code, 0, replaced.stderr);
		const [tables] = await admin.query<any[]>('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [target]);
		assert.deepEqual(tables.map((row) => row.name), ['t'], 'the mark is gone once a restore finishes');
	});
});

describe('a killed restore is marked unfinished (PostgreSQL)', () => {
	let admin: pg.Client;
	let dir: string;
	const source = uniqueName('pgkilled_src');
	const target = uniqueName('pgkilled_copy');

	before(async () => {
		admin = await postgresSuperuserClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-pgkilled-'));
		await admin.query(`CREATE DATABASE ${source}`);
		await admin.query(`COMMENT ON DATABASE ${source} IS 'the source'`);
		const client = await postgresSuperuserClient(source);
		await client.query("CREATE TABLE public.t (id integer PRIMARY KEY, v text); INSERT INTO public.t SELECT g, repeat('x', 200) FROM generate_series(1, 300000) g");
		await client.end();
	});

	after(async () => {
		await dropPostgresDatabases([source, target]);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('the next restore names the unfinished one; --clean replaces it and leaves no mark', async () => {
		const archive = join(dir, 'src.tar');
		const backup = await runCli(['backup', 'single', source, '--output', archive, '--yes', ...pgArgs], {timeoutMs});
		assert.equal(backup.code, 0, backup.stderr);
		await killDuring(['restore', archive, '--target-db', target, '--workers', '1', '--yes', ...pgArgs], /==> data:/);
		const again = await runCli(['restore', archive, '--target-db', target, '--yes', ...pgArgs], {timeoutMs});
		assert.equal(again.code, 2, again.stderr);
		assert.match(again.stderr, new RegExp(`database "${target}" holds a restore that did not finish \\(started \\d{4}-`));
		const replaced = await runCli(['restore', archive, '--target-db', target, '--clean', '--yes', ...pgArgs], {timeoutMs});
		assert.equal(replaced.code, 0, replaced.stderr);
		const {rows} = await admin.query("SELECT pg_catalog.shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1", [target]);
		assert.equal(rows[0].comment, 'the source', 'the mark is gone once a restore finishes, and the source comment is there');
	});
});
