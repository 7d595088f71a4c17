/**
 * Archives of several databases (`backup multiple`, `backup all`), MySQL and PostgreSQL: restored whole,
 * each database under its own name; one of them under a new name with --database and --target-db; and
 * --target-db alone refused, listing the databases and both ways to go on.
 */
import assert from 'node:assert/strict';
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import type pg from 'pg';
import {fingerprint, fingerprintDifferences} from '../engines/mysql-logical/fingerprint.ts';
import {createTypeZoo} from '../engines/mysql-logical/type-zoo.ts';
import {databaseChecksums} from '../engines/postgres-logical/checksums.ts';
import {dropPostgresDatabases, mariadbConnection, postgresClient, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {runCli} from './run-cli.ts';

const {mariadb, postgres} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const pgArgs = ['--db-type', 'postgres', '--host', postgres.host, '--port', String(postgres.port), '--user', postgres.user];
const env = {MYSQL_PWD: mariadb.password, PGPASSWORD: postgres.password};
const timeoutMs = 180_000;

async function archiveIn(dir: string): Promise<string> {
	const name = (await readdir(dir)).find((file) => file.endsWith('.tar'));
	assert.ok(name, `an archive in ${dir}`);
	return join(dir, name);
}

describe('MySQL: an archive of three databases', () => {
	let admin: Connection;
	let dir: string;
	let archive: string;
	const names = [uniqueName('multi_a'), uniqueName('multi_b'), uniqueName('multi_c')];
	const copies: string[] = [];
	const before_: Record<string, Awaited<ReturnType<typeof fingerprint>>> = {};
	const exists = async (name: string) => {
		const [rows] = await admin.query<any[]>('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
		return Number(rows[0].n) > 0;
	};

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-multi-my-'));
		const [a, b, c] = names;
		await createTypeZoo(admin, a!);
		await admin.query(`CREATE DATABASE ${b}; CREATE TABLE ${b}.items (id INT PRIMARY KEY, label VARCHAR(40), KEY (label)); INSERT INTO ${b}.items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_2000; CREATE VIEW ${b}.first_items AS SELECT * FROM ${b}.items WHERE id < 10;`);
		await admin.query(`CREATE DATABASE ${c}; CREATE TABLE ${c}.notes (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT); INSERT INTO ${c}.notes (body) VALUES ('x'), ('y'), (NULL);`);
		for (const name of names) before_[name] = await fingerprint(admin, name);
		const backup = await runCli(['backup', 'multiple', ...names, '--output', `${dir}/`, '--chunk-rows', '500', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(backup.code, 0, backup.stderr);
		archive = await archiveIn(dir);
	});

	after(async () => {
		for (const name of [...names, ...copies]) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('--target-db alone: exit 2 listing the databases and both ways to go on; nothing is created', async () => {
		const target = uniqueName('multi_target');
		const result = await runCli(['restore', archive, '--target-db', target, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 2, result.stderr);
		for (const name of names) assert.match(result.stderr, new RegExp(name));
		assert.match(result.stderr, new RegExp(`--database ${names[0]} --target-db ${target}`));
		assert.match(result.stderr, /without --target-db/);
		assert.equal(await exists(target), false);
	});

	test('--database B --target-db COPY restores that one database under the new name', async () => {
		const copy = uniqueName('multi_copy');
		copies.push(copy);
		const result = await runCli(['restore', archive, '--database', names[1]!, '--target-db', copy, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		assert.deepEqual(fingerprintDifferences(before_[names[1]!]!, await fingerprint(admin, copy)), []);
		const unknown = await runCli(['restore', archive, '--database', 'no_such_db', '--target-db', copy, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(unknown.code, 2, unknown.stderr);
		assert.match(unknown.stderr, new RegExp(`no_such_db.*${names[0]}`));
	});

	test('without --target-db: refused while one exists (the others are not created), then every database under its own name', async () => {
		const [a, b, c] = names;
		await admin.query(`DROP DATABASE ${b}; DROP DATABASE ${c};`);
		const refused = await runCli(['restore', archive, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(refused.code, 2, refused.stderr);
		assert.match(refused.stderr, new RegExp(`${a} exists and is not empty`));
		assert.match(refused.stderr, /hint: .*--drop-existing.*--database DB --target-db NAME/);
		assert.equal(await exists(b!), false);
		assert.equal(await exists(c!), false);

		const restored = await runCli(['restore', archive, '--drop-existing', '--workers', '3', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(restored.code, 0, restored.stderr);
		for (const name of names) assert.deepEqual(fingerprintDifferences(before_[name]!, await fingerprint(admin, name)), [], name);
	});
});

describe('PostgreSQL: an archive of three databases', () => {
	let admin: pg.Client;
	let dir: string;
	let archive: string;
	const names = [uniqueName('pgmulti_a'), uniqueName('pgmulti_b'), uniqueName('pgmulti_c')];
	const created: string[] = [];
	const sums: Record<string, Record<string, string>> = {};
	const exists = async (name: string) => ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
	const fresh = (prefix: string) => {
		const name = uniqueName(prefix);
		created.push(name);
		return name;
	};

	before(async () => {
		admin = await postgresClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-multi-pg-'));
		const schemas = [
			`CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TABLE people (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, mood mood);
			 INSERT INTO people (name, mood) SELECT 'p' || n, (ARRAY['sad','ok'])[1 + n % 2]::mood FROM generate_series(1, 3000) n;
			 CREATE TABLE visits (person int REFERENCES people(id), at timestamptz); INSERT INTO visits SELECT 1 + n % 3000, '2024-01-01'::timestamptz + n * interval '1 minute' FROM generate_series(1, 5000) n;`,
			`CREATE SCHEMA shop; CREATE TABLE shop.items (id serial PRIMARY KEY, label text UNIQUE); INSERT INTO shop.items (label) SELECT 'item ' || n FROM generate_series(1, 1500) n;
			 CREATE VIEW shop.cheap AS SELECT * FROM shop.items WHERE id < 10;`,
			"CREATE TABLE notes (id bigserial PRIMARY KEY, body text); INSERT INTO notes (body) VALUES ('x'), (NULL), (E'line\\nbreak');",
		];
		for (const [index, name] of names.entries()) {
			await admin.query(`CREATE DATABASE ${name}`);
			const client = await postgresClient(name);
			try {
				await client.query(schemas[index]!);
			} finally {
				await client.end();
			}
			sums[name] = await databaseChecksums(name);
		}
		const backup = await runCli(['backup', 'multiple', ...names, '--output', `${dir}/`, '--chunk-rows', '1000', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(backup.code, 0, backup.stderr);
		archive = await archiveIn(dir);
	});

	after(async () => {
		await admin.end();
		await dropPostgresDatabases([...names, ...created]);
		await rm(dir, {recursive: true, force: true});
	});

	test('--target-db alone: exit 2 listing the databases and both ways to go on; nothing is created', async () => {
		const target = fresh('pgmulti_target');
		const result = await runCli(['restore', archive, '--target-db', target, '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(result.code, 2, result.stderr);
		for (const name of names) assert.match(result.stderr, new RegExp(name));
		assert.match(result.stderr, new RegExp(`--database ${names[0]} --target-db ${target}`));
		assert.match(result.stderr, /without --target-db/);
		assert.equal(await exists(target), false);
	});

	test('--database B --target-db COPY restores that one database under the new name', async () => {
		const copy = fresh('pgmulti_copy');
		const result = await runCli(['restore', archive, '--database', names[1]!, '--target-db', copy, '--workers', '2', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		assert.deepEqual(await databaseChecksums(copy), sums[names[1]!]);
		const unknown = await runCli(['restore', archive, '--database', 'no_such_db', '--target-db', fresh('pgmulti_unknown'), '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(unknown.code, 2, unknown.stderr);
		assert.match(unknown.stderr, new RegExp(`no_such_db.*${names[0]}`));
	});

	test('without --target-db: refused while one exists (the others are not created), then every database under its own name', async () => {
		const [a, b, c] = names;
		await dropPostgresDatabases([b!, c!]);
		const refused = await runCli(['restore', archive, '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(refused.code, 2, refused.stderr);
		assert.match(refused.stderr, new RegExp(`database "${a}" has \\d+ object`));
		assert.match(refused.stderr, /hint: .*--database DB --target-db NAME.*--clean/);
		assert.equal(await exists(b!), false);
		assert.equal(await exists(c!), false);

		const restored = await runCli(['restore', archive, '--clean', '--workers', '3', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(restored.code, 0, restored.stderr);
		for (const name of names) assert.deepEqual(await databaseChecksums(name), sums[name], name);
	});

	test('--clean replaces the database the restore connects to (postgres, in a `backup all` archive) too', async () => {
		const [a] = names;
		const restored = await runCli(['restore', archive, '--clean', '--yes', ...pgArgs], {env: {...env, PGDATABASE: a!}, timeoutMs});
		assert.equal(restored.code, 0, restored.stderr);
		assert.match(restored.stderr, new RegExp(`--clean: dropped database ${a}`));
		for (const name of names) assert.deepEqual(await databaseChecksums(name), sums[name], name);
	});
});
