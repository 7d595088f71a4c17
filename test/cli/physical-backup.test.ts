/**
 * `physical-backup` against the harness's MariaDB and PostgreSQL, where no physical engine can run
 * (clone: MariaDB has none; snapshot: the data directories are not on a filesystem that snapshots;
 * basebackup: the test role has no REPLICATION).
 * It must not quietly make a logical dump. (basebackup itself: test/engines/basebackup/.)
 */
import assert from 'node:assert/strict';
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import {mariadbConnection, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {jsonLines, runCli} from './run-cli.ts';

const {mariadb, postgres} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const mysqlEnv = {MYSQL_PWD: mariadb.password};
const pgArgs = ['--db-type', 'postgres', '--host', postgres.host, '--port', String(postgres.port), '--user', postgres.user];
const pgEnv = {PGPASSWORD: postgres.password};
const timeoutMs = 120_000;

describe('physical-backup when no physical engine can run', () => {
	let admin: Connection;
	let dir: string;
	const database = uniqueName('physical');

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		await admin.query(`CREATE DATABASE \`${database}\`; CREATE TABLE \`${database}\`.t (id INT PRIMARY KEY); INSERT INTO \`${database}\`.t VALUES (1), (2), (3)`);
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-physical-'));
	});

	after(async () => {
		await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('MariaDB, no --engine: exit 4 with every physical engine\'s reason and the way to a logical dump; nothing written', async () => {
		const out = join(dir, 'refused');
		const result = await runCli(['physical-backup', '--output', `${out}/`, '--yes', ...mysqlArgs], {env: mysqlEnv, timeoutMs});
		assert.equal(result.code, 4, result.stderr);
		assert.match(result.stderr, /^error: no physical engine can back up 127\.0\.0\.1:\d+: /m);
		assert.match(result.stderr, /clone: MariaDB has no clone plugin/);
		assert.match(result.stderr, /snapshot: /);
		assert.match(result.stderr, /^hint: .*--engine mysqldump.*logical dump/m);
		assert.doesNotMatch(result.stderr, /==> backup/);
		assert.deepEqual(await readdir(out).catch(() => []), []);

		const json = await runCli(['physical-backup', '--output', `${out}/`, '--json', ...mysqlArgs], {env: mysqlEnv, timeoutMs});
		assert.equal(json.code, 4);
		const error = jsonLines(json.stdout).find((event) => event.type === 'error');
		assert.equal(error?.code, 'PHYSICAL_ENGINE_UNAVAILABLE');
		assert.equal(error?.exitCode, 4);
	});

	test('MariaDB, --engine mysqldump: the logical dump is made, with a warning that it is one', async () => {
		const out = join(dir, 'logical');
		const result = await runCli(['physical-backup', '--engine', 'mysqldump', '--database', database, '--output', `${out}/`, '--json', ...mysqlArgs], {env: mysqlEnv, timeoutMs});
		assert.equal(result.code, 0, result.stdout + result.stderr);
		const events = jsonLines(result.stdout);
		const warning = events.find((event) => event.type === 'warning' && event.code === 'PHYSICAL_BACKUP_IS_LOGICAL');
		assert.ok(warning, 'no warning that the result is a logical dump');
		assert.match(warning.message, /logical dump/);
		const backup = events.find((event) => event.type === 'result' && event.kind === 'backup');
		assert.equal(backup?.data.engine, 'mysqldump');
		assert.deepEqual((await readdir(out)).filter((name) => name.endsWith('.tar')).length, 1);
	});

	test('MariaDB, --engine clone: still the engine\'s own refusal, exit 4', async () => {
		const result = await runCli(['physical-backup', '--engine', 'clone', '--output', join(dir, 'never.tar'), '--yes', ...mysqlArgs], {env: mysqlEnv, timeoutMs});
		assert.equal(result.code, 4);
		assert.match(result.stderr, /error: engine clone cannot run against 127\.0\.0\.1:\d+: MariaDB has no clone plugin/);
	});

	test('PostgreSQL as a role without REPLICATION, no --engine: exit 4 naming basebackup and snapshot, and the hint names postgres-logical', async () => {
		const result = await runCli(['physical-backup', '--output', `${join(dir, 'pg')}/`, '--yes', ...pgArgs], {env: pgEnv, timeoutMs});
		assert.equal(result.code, 4, result.stderr);
		assert.match(result.stderr, /^error: no physical engine can back up 127\.0\.0\.1:\d+: basebackup: role dbbackup lacks the REPLICATION attribute .*; snapshot: /m);
		assert.match(result.stderr, /^hint: .*--engine postgres-logical.*logical dump/m);
	});
});
