/**
 * Files a restore was not made for: another server's dump, pg_dump's own archive formats, a binary file.
 * Each is refused (exit 2) from its first bytes, saying what it is, before a database is created; a
 * hand-written script without any header is still accepted.
 */
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {gzipSync} from 'node:zlib';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import type pg from 'pg';
import {dropPostgresDatabases, mariadbConnection, postgresClient, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {runCli} from './run-cli.ts';

const run = promisify(execFile);
const {mariadb, postgres} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const pgArgs = ['--db-type', 'postgres', '--host', postgres.host, '--port', String(postgres.port), '--user', postgres.user];
const env = {MYSQL_PWD: mariadb.password, PGPASSWORD: postgres.password};
const timeoutMs = 120_000;
const PG_BIN = '/usr/lib/postgresql/15/bin';

describe('restore refuses files it was not made for, from their first bytes, before creating anything', () => {
	let admin: Connection;
	let pgAdmin: pg.Client;
	let dir: string;
	const mysqlSource = uniqueName('foreign_my');
	const pgSource = uniqueName('foreign_pg');
	const pgCreated: string[] = [];
	let pgDumpScript: string;
	let mariadbDumpScript: string;

	const mysqlExists = async (name: string) => {
		const [rows] = await admin.query<any[]>('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
		return Number(rows[0].n) > 0;
	};
	const pgExists = async (name: string) => ((await pgAdmin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
	const pgName = (prefix: string) => {
		const name = uniqueName(prefix);
		pgCreated.push(name);
		return name;
	};

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		pgAdmin = await postgresClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-foreign-'));
		await admin.query(`CREATE DATABASE ${mysqlSource}; CREATE TABLE ${mysqlSource}.t (id INT PRIMARY KEY, note VARCHAR(20)); INSERT INTO ${mysqlSource}.t VALUES (1, 'one'), (2, 'two');`);
		await pgAdmin.query(`CREATE DATABASE ${pgSource}`);
		const client = await postgresClient(pgSource);
		try {
			await client.query("CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t VALUES (1, 'one'), (2, 'two');");
		} finally {
			await client.end();
		}
		const superuser = ['-h', postgres.socketDir, '-p', String(postgres.port), '-U', postgres.superuser, '-d', pgSource, '--no-owner'];
		pgDumpScript = join(dir, 'pg_dump.sql');
		await run(`${PG_BIN}/pg_dump`, [...superuser, '-Fp', '-f', pgDumpScript]);
		await run(`${PG_BIN}/pg_dump`, [...superuser, '-Fc', '-f', join(dir, 'custom.dump')]);
		await run(`${PG_BIN}/pg_dump`, [...superuser, '-Fd', '-f', join(dir, 'directory.dump')]);
		await run(`${PG_BIN}/pg_dump`, [...superuser, '-Ft', '-f', join(dir, 'pg.tar')]);
		mariadbDumpScript = join(dir, 'mariadb-dump.sql');
		const dumped = await run('mariadb-dump', ['--no-defaults', '-h', mariadb.host, '-P', String(mariadb.port), '-u', mariadb.user, '--databases', mysqlSource], {
			env: {...process.env, MYSQL_PWD: mariadb.password},
			maxBuffer: 64 * 1024 * 1024,
		});
		await writeFile(mariadbDumpScript, dumped.stdout);
	});

	after(async () => {
		await admin.query(`DROP DATABASE IF EXISTS ${mysqlSource}`);
		await admin.end();
		await pgAdmin.end();
		await dropPostgresDatabases([pgSource, ...pgCreated]);
		await rm(dir, {recursive: true, force: true});
	});

	test('the real tools wrote the headers the refusals read', async () => {
		assert.match(await readFile(pgDumpScript, 'utf8'), /^--\n-- PostgreSQL database dump\n--/);
		assert.match((await readFile(mariadbDumpScript, 'utf8')).slice(0, 300), /^-- (MariaDB|MySQL) dump /m);
	});

	test('a pg_dump script given to MySQL: exit 2, it says what the file is and which --db-type to use; nothing is created', async () => {
		const target = uniqueName('foreign_pgdump');
		const result = await runCli(['restore', pgDumpScript, '--target-db', target, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /ARTIFACT_WRONG_KIND|is a PostgreSQL plain SQL dump \(pg_dump\); the target is MySQL\/MariaDB: use --db-type postgres/);
		assert.match(result.stderr, /is a PostgreSQL plain SQL dump \(pg_dump\); the target is MySQL\/MariaDB: use --db-type postgres/);
		assert.equal(await mysqlExists(target), false);
		// also compressed: the refusal looks inside
		const gz = join(dir, 'pg_dump.sql.gz');
		await writeFile(gz, gzipSync(await readFile(pgDumpScript)));
		const compressed = await runCli(['restore', gz, '--target-db', target, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(compressed.code, 2, compressed.stderr);
		assert.match(compressed.stderr, /is a PostgreSQL plain SQL dump \(pg_dump\)/);
		assert.equal(await mysqlExists(target), false);
	});

	test('a mariadb-dump script given to PostgreSQL: exit 2 naming it and --db-type mysql; nothing is created', async () => {
		const target = pgName('foreign_mdump');
		const result = await runCli(['restore', mariadbDumpScript, '--target-db', target, '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /is a (MariaDB|MySQL) SQL dump \((mariadb-dump|mysqldump)\); the target is PostgreSQL: use --db-type mysql/);
		assert.equal(await pgExists(target), false);
	});

	test('pg_dump -Fc, -Fd and -Ft archives: exit 2 saying to convert them with pg_restore -f; nothing is created', async () => {
		const cases: Array<[string, RegExp]> = [
			['custom.dump', /is a pg_dump custom-format archive \(PGDMP\); dbbackup restores plain SQL dumps: convert it with `pg_restore -f dump\.sql .*custom\.dump` first/],
			['directory.dump', /is a pg_dump directory-format archive \(toc\.dat\); dbbackup restores plain SQL dumps: convert it with `pg_restore -f dump\.sql .*directory\.dump` first/],
			['pg.tar', /is a pg_dump tar-format archive \(toc\.dat\); dbbackup restores plain SQL dumps: convert it with `pg_restore -f dump\.sql .*pg\.tar` first/],
		];
		for (const [file, message] of cases) {
			const target = pgName('foreign_fc');
			const result = await runCli(['restore', join(dir, file), '--target-db', target, '--yes', ...pgArgs], {env, timeoutMs});
			assert.equal(result.code, 2, `${file}: ${result.stderr}`);
			assert.match(result.stderr, message, file);
			assert.equal(await pgExists(target), false, file);
		}
	});

	test('the refusal needs no server: with nothing listening it is still exit 2, not a connection failure', async () => {
		const result = await runCli(['restore', join(dir, 'custom.dump'), '--target-db', 'x', '--yes', '--db-type', 'postgres', '--host', '127.0.0.1', '--port', '1', '--user', 'nobody'], {timeoutMs});
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /pg_dump custom-format archive/);
	});

	test('a binary file: exit 2, not a backup, into either server; nothing is created', async () => {
		const binary = join(dir, 'garbage.bin');
		const bytes = Buffer.alloc(4096);
		for (let index = 0; index < bytes.length; index++) bytes[index] = (index * 7919 + 13) % 256;
		await writeFile(binary, bytes);
		const mysqlTarget = uniqueName('foreign_bin');
		const intoMysql = await runCli(['restore', binary, '--target-db', mysqlTarget, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(intoMysql.code, 2, intoMysql.stderr);
		assert.match(intoMysql.stderr, /is not a backup: .*binary/);
		assert.equal(await mysqlExists(mysqlTarget), false);
		const pgTarget = pgName('foreign_bin');
		const intoPostgres = await runCli(['restore', binary, '--target-db', pgTarget, '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(intoPostgres.code, 2, intoPostgres.stderr);
		assert.match(intoPostgres.stderr, /is not a backup: .*binary/);
		assert.equal(await pgExists(pgTarget), false);
	});

	test('a hand-written script without any header is still restored, into either server', async () => {
		const script = join(dir, 'hand-written.sql');
		// raw bytes in a binary string, as in a mysqldump --skip-comments of a BLOB: not UTF-8, yet SQL text
		await writeFile(script, Buffer.concat([Buffer.from("CREATE TABLE notes (id INT PRIMARY KEY, note VARBINARY(20));\nINSERT INTO notes VALUES (1, _binary 'caf"), Buffer.from([0xe9, 0xff]), Buffer.from("');\n")]));
		const mysqlTarget = uniqueName('foreign_hand');
		const intoMysql = await runCli(['restore', script, '--target-db', mysqlTarget, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(intoMysql.code, 0, intoMysql.stderr);
		const [rows] = await admin.query<any[]>(`SELECT COUNT(*) AS n FROM ${mysqlTarget}.notes`);
		assert.equal(Number(rows[0].n), 1);
		await admin.query(`DROP DATABASE ${mysqlTarget}`);

		const utf8 = join(dir, 'hand-written-utf8.sql');
		await writeFile(utf8, "CREATE TABLE notes (id int PRIMARY KEY, note text);\nINSERT INTO notes VALUES (1, 'café');\n");
		const pgTarget = pgName('foreign_hand');
		const intoPostgres = await runCli(['restore', utf8, '--target-db', pgTarget, '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(intoPostgres.code, 0, intoPostgres.stderr);
		const client = await postgresClient(pgTarget);
		try {
			assert.equal((await client.query('SELECT note FROM notes')).rows[0].note, 'café');
		} finally {
			await client.end();
		}
	});
});
