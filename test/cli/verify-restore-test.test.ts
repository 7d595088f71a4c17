/**
 * `dbbackup verify --restore-test` through the CLI as a child process: real backups of the harness's
 * MariaDB and PostgreSQL, each restored by the drill into a throwaway server it starts and removes
 * itself; an archive whose rows were changed after its manifest was written (checksums resealed, so
 * only the drill can tell) fails with exit 5 naming the table.
 */
import assert from 'node:assert/strict';
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import type pg from 'pg';
import {mariadbConnection, postgresSuperuserClient, dropPostgresDatabases, uniqueName} from '../harness/db.ts';
import {resealArchive} from '../harness/reseal-archive.ts';
import {getTestServers} from '../harness/servers.ts';
import {runCli} from './run-cli.ts';

const {mariadb, postgres} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const postgresArgs = ['--db-type', 'postgres', '--socket', postgres.socketDir, '--port', String(postgres.port), '--user', postgres.superuser];
const env = {MYSQL_PWD: mariadb.password};
const timeoutMs = 300_000;

/** the throwaway servers' temp dirs (source/sandbox/sandbox-dir.ts) present in the OS temp dir */
async function sandboxDirs(): Promise<string[]> {
	return (await readdir(tmpdir())).filter((name) => /^dbbackup-(mariadb|postgres)-/.test(name)).sort();
}

describe('dbbackup verify --restore-test: the drill', () => {
	let admin: Connection;
	let superuser: pg.Client;
	let dir: string;
	const source = uniqueName('drill');
	const pgSource = uniqueName('pg_drill');

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		await admin.query(`CREATE DATABASE ${source}; USE ${source};
CREATE TABLE ${source}.t (id INT PRIMARY KEY, v VARCHAR(40), d DATETIME(3), f DOUBLE, b BLOB, j JSON);
CREATE TABLE ${source}.\`odd "name"\` (k VARCHAR(10), n DECIMAL(20,5));
INSERT INTO ${source}.t SELECT seq, CONCAT('value ', seq), '2026-12-07 10:00:00.123' + INTERVAL seq MINUTE, seq / 7, UNHEX(HEX(seq)), JSON_OBJECT('n', seq) FROM seq_1_to_300;
INSERT INTO ${source}.\`odd "name"\` VALUES ('a', 1.5), ('a', 1.5), (NULL, NULL);`);
		superuser = await postgresSuperuserClient();
		await superuser.query(`CREATE DATABASE ${pgSource}`);
		const client = await postgresSuperuserClient(pgSource);
		try {
			await client.query(`CREATE SCHEMA "Other"; CREATE TABLE "Other"."t t" (id int PRIMARY KEY, v text, at timestamptz, r real, a int[]);
INSERT INTO "Other"."t t" SELECT g, 'v ' || g, '2026-12-07 10:00+00'::timestamptz + g * interval '1 minute', g / 3.0, ARRAY[g, g + 1] FROM generate_series(1, 500) g;
CREATE TABLE plain (x text); INSERT INTO plain VALUES ('line
break'), (E'tab\\there'), (NULL);`);
		} finally {
			await client.end();
		}
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-drill-'));
		const mysqlBackup = await runCli(['backup', 'single', source, '--output', join(dir, 'mysql.tar'), '--compress', 'none', '--chunk-rows', '50', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(mysqlBackup.code, 0, mysqlBackup.stderr);
		const pgBackup = await runCli(['backup', 'single', pgSource, '--output', join(dir, 'pg.tar'), '--yes', ...postgresArgs], {timeoutMs});
		assert.equal(pgBackup.code, 0, pgBackup.stderr);
	});

	after(async () => {
		await admin.query(`DROP DATABASE IF EXISTS ${source}`);
		await admin.end();
		await dropPostgresDatabases([pgSource]);
		await superuser.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('a good MariaDB archive: restored into a throwaway MariaDB, every table as recorded, exit 0, nothing left behind', async () => {
		const before = await sandboxDirs();
		const result = await runCli(['verify', join(dir, 'mysql.tar'), '--restore-test', '--yes'], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /restore test: into a throwaway mariadb .*; 2 table\(s\), 303 row\(s\): row counts and checksums as recorded/);
		assert.deepEqual(await sandboxDirs(), before);
	});

	test('a good PostgreSQL archive, --json: the drill\'s figures in the result', async () => {
		const result = await runCli(['verify', join(dir, 'pg.tar'), '--restore-test', '--json'], {timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as {type: string; kind?: string; data?: any});
		const report = lines.find((line) => line.type === 'result')!.data.report;
		assert.deepEqual({...report.items[0].restoreTest, restoreSeconds: 0, compareSeconds: 0, server: {...report.items[0].restoreTest.server, version: ''}}, {
			server: {flavor: 'postgresql', version: ''},
			databases: 1,
			tables: 2,
			rows: 503,
			checksummed: 2,
			restoreSeconds: 0,
			compareSeconds: 0,
		});
	});

	test('rows changed after the manifest was written (checksums resealed, verify alone passes): exit 5 naming the table', async () => {
		const altered = join(dir, 'altered.tar');
		await resealArchive(join(dir, 'mysql.tar'), altered, (member, data) => (member.includes('/t.') ? Buffer.from(data.toString('utf8').replace("'value 42'", "'value 4X'")) : data));
		const plain = await runCli(['verify', altered, '--yes'], {env, timeoutMs});
		assert.equal(plain.code, 0, plain.stderr);
		const before = await sandboxDirs();
		const drilled = await runCli(['verify', altered, '--restore-test', '--yes'], {env, timeoutMs});
		assert.equal(drilled.code, 5, drilled.stderr);
		assert.match(drilled.stderr, new RegExp(`RESTORE_TEST_MISMATCH|table ${source}\\.t has 300 rows as recorded, but not the same rows`));
		assert.match(drilled.stderr, new RegExp(`table ${source}\\.t has 300 rows as recorded, but not the same rows`));
		assert.deepEqual(await sandboxDirs(), before);
	});

	test('a lost row (a member emptied, resealed): exit 5 with both counts', async () => {
		const altered = join(dir, 'lost.tar');
		await resealArchive(join(dir, 'mysql.tar'), altered, (member, data) => (member.includes('odd') && member.startsWith('data/') ? Buffer.from(data.toString('utf8').replace(",\n(NULL,NULL)", '')) : data));
		const drilled = await runCli(['verify', altered, '--restore-test', '--yes'], {env, timeoutMs});
		assert.equal(drilled.code, 5, drilled.stderr);
		assert.match(drilled.stderr, /odd "name" has 2 rows after the restore; the backup recorded 3/);
	});

	test('a SQL script is not drilled: exit 2 saying why', async () => {
		const script = join(dir, 'mysql.sql');
		const backup = await runCli(['backup', 'single', source, '--output', script, '--format', 'sql', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(backup.code, 0, backup.stderr);
		const result = await runCli(['verify', script, '--restore-test', '--yes'], {env, timeoutMs});
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /plain SQL script: --restore-test drills dbbackup archives/);
	});
});
