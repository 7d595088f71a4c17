/**
 * Attack and careless use: plain scripts restored with --target-db that try to leave the target —
 * `\connect` to another database, a `pg_dump --create` script of a live database, `--clean --create`
 * with its DROP DATABASE, a MySQL USE hidden in a version comment. The live databases keep their rows.
 */
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {promisify} from 'node:util';
import type {Connection} from 'mysql2/promise';
import type pg from 'pg';
import {dropPostgresDatabases, mariadbConnection, postgresSuperuserClient, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {runCli} from './run-cli.ts';

const run = promisify(execFile);
const {postgres, mariadb} = getTestServers();
const PG_BIN = '/usr/lib/postgresql/15/bin';
const superuserArgs = ['--db-type', 'postgres', '--socket', postgres.socketDir, '--port', String(postgres.port), '--user', postgres.superuser];
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const timeoutMs = 120_000;

describe('attack: PostgreSQL scripts restored with --target-db stay in the target', () => {
	let admin: pg.Client;
	let dir: string;
	const live = uniqueName('live_src');
	const made: string[] = [];

	async function rowsOf(database: string): Promise<number> {
		const client = await postgresSuperuserClient(database);
		try {
			return (await client.query('SELECT COUNT(*)::int AS n FROM public.t')).rows[0].n;
		} finally {
			await client.end();
		}
	}

	async function pgDump(file: string, ...flags: string[]): Promise<string> {
		const path = join(dir, file);
		await run(`${PG_BIN}/pg_dump`, ['-h', postgres.socketDir, '-p', String(postgres.port), '-U', postgres.superuser, '-Fp', ...flags, '-f', path, live]);
		return path;
	}

	before(async () => {
		admin = await postgresSuperuserClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-script-confine-'));
		await admin.query(`CREATE DATABASE ${live}`);
		const client = await postgresSuperuserClient(live);
		await client.query("CREATE TABLE public.t (id integer PRIMARY KEY); INSERT INTO public.t SELECT generate_series(1, 5); COMMENT ON DATABASE " + live + " IS 'live'");
		await client.end();
	});

	after(async () => {
		await dropPostgresDatabases([live, ...made]);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('a pg_dump --create script of a live database goes into the target, even with --continue-on-error', async () => {
		const script = await pgDump('create.sql', '--create');
		const copy = uniqueName('create_copy');
		made.push(copy);
		const result = await runCli(['restore', script, '--target-db', copy, '--continue-on-error', '--yes', ...superuserArgs], {timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stderr, /rights of the restoring account/);
		assert.equal(await rowsOf(live), 5, 'the live database was not written to');
		assert.equal(await rowsOf(copy), 5);
		const {rows} = await admin.query("SELECT pg_catalog.shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1", [copy]);
		assert.equal(rows[0].comment, 'live', 'COMMENT ON DATABASE went to the target');
	});

	test('a pg_dump --clean --create script never drops the live database', async () => {
		const script = await pgDump('clean-create.sql', '--clean', '--create');
		const copy = uniqueName('clean_copy');
		made.push(copy);
		const result = await runCli(['restore', script, '--target-db', copy, '--yes', ...superuserArgs], {timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stderr, /not run: DROP DATABASE/);
		assert.equal(await rowsOf(live), 5);
		assert.equal(await rowsOf(copy), 5);
	});

	test('\\connect to a database the script did not create is refused before it runs', async () => {
		const script = join(dir, 'connect.sql');
		await writeFile(script, `CREATE TABLE public.mine (id integer);\n\\connect ${live}\nDELETE FROM public.t;\n`);
		const copy = uniqueName('connect_copy');
		made.push(copy);
		const result = await runCli(['restore', script, '--target-db', copy, '--continue-on-error', '--yes', ...superuserArgs], {timeoutMs});
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, new RegExp(`line 2: \\\\connect ${live} switches to a database the script did not create`));
		assert.equal(await rowsOf(live), 5);
	});

	test('statements naming another database are refused; a pg_dump script after \\restrict cannot \\connect', async () => {
		const script = join(dir, 'alter.sql');
		await writeFile(script, `CREATE DATABASE mine;\n\\connect mine\nALTER DATABASE ${live} SET work_mem TO '1MB';\n`);
		const copy = uniqueName('alter_copy');
		made.push(copy);
		const result = await runCli(['restore', script, '--target-db', copy, '--continue-on-error', '--yes', ...superuserArgs], {timeoutMs});
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, new RegExp(`line 3: ALTER DATABASE ${live} .*names database ${live}`));
		const {rows} = await admin.query('SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1', [live]);
		assert.equal(rows.length, 0);
		const restricted = join(dir, 'restricted.sql');
		await writeFile(restricted, `\\restrict abc\nCREATE TABLE public.x (id int);\n\\connect ${live}\nDELETE FROM public.t;\n\\unrestrict abc\n`);
		const second = uniqueName('restricted_copy');
		made.push(second);
		const refused = await runCli(['restore', restricted, '--target-db', second, '--yes', ...superuserArgs], {timeoutMs});
		assert.notEqual(refused.code, 0);
		assert.match(refused.stderr, /line 3: \\connect after \\restrict/);
		assert.equal(await rowsOf(live), 5);
	});
});

describe('attack: a MySQL script restored with --target-db cannot switch database in a version comment', () => {
	let admin: Connection;
	let dir: string;
	const live = uniqueName('live_my');
	const copy = uniqueName('live_my_copy');

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-script-confine-my-'));
		await admin.query(`CREATE DATABASE ${live}; CREATE TABLE ${live}.t (id int PRIMARY KEY); INSERT INTO ${live}.t VALUES (1), (2);`);
	});

	after(async () => {
		await admin.query(`DROP DATABASE IF EXISTS ${live}; DROP DATABASE IF EXISTS ${copy};`);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('/*!40000 USE other */ is refused, and nothing of it runs', async () => {
		const script = join(dir, 'use.sql');
		await writeFile(script, `CREATE TABLE mine (id int);\n/*!40000 USE \`${live}\` */;\nDELETE FROM t;\n`);
		const result = await runCli(['restore', script, '--target-db', copy, '--continue-on-error', '--yes', ...mysqlArgs], {env: {MYSQL_PWD: mariadb.password}, timeoutMs});
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /line 2 switches or changes a database in a form --target-db cannot redirect/);
		const [rows] = await admin.query<any[]>(`SELECT COUNT(*) AS n FROM ${live}.t`);
		assert.equal(Number(rows[0].n), 2);
	});
});
