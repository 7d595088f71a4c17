import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {createWriteStream} from 'node:fs';
import {mkdtemp, open, readdir, rm, stat, truncate} from 'node:fs/promises';
import {pipeline} from 'node:stream/promises';
import tar from 'tar-stream';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import {postgresClient, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {runCli} from './run-cli.ts';

const run = promisify(execFile);
const {postgres} = getTestServers();
const pgArgs = ['--db-type', 'postgres', '--host', postgres.host, '--port', String(postgres.port), '--user', postgres.user];
const env = {PGPASSWORD: postgres.password};
const timeoutMs = 120_000;
const PG_BIN = '/usr/lib/postgresql/15/bin';

const SCHEMA = `
	CREATE SCHEMA "Odd ""Schema""";
	CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
	CREATE TABLE customers (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, mood mood, tags text[], meta jsonb, created timestamptz DEFAULT now());
	CREATE TABLE "Odd ""Schema""".orders ("select" serial PRIMARY KEY, customer int REFERENCES customers(id), total numeric(12,2) CHECK (total >= 0), note text, blob bytea);
	CREATE INDEX orders_note ON "Odd ""Schema""".orders (lower(note)) WHERE note IS NOT NULL;
	CREATE VIEW big_orders AS SELECT * FROM "Odd ""Schema""".orders WHERE total > 100;
	INSERT INTO customers (name, mood, tags, meta) SELECT 'customer ' || n || E'\\t\\\\ ünï', (ARRAY['sad','ok','happy'])[1 + n % 3]::mood, ARRAY['a', NULL, 'c;d'], jsonb_build_object('n', n) FROM generate_series(1, 500) n;
	INSERT INTO "Odd ""Schema""".orders (customer, total, note, blob) SELECT 1 + n % 500, n * 1.25, CASE WHEN n % 7 = 0 THEN NULL ELSE E'line\\nbreak ' || n END, decode(md5(n::text), 'hex') FROM generate_series(1, 3000) n;
`;

/** A copy of the archive with one byte flipped in the first member `pick` chooses; sizes stay, the checksum breaks. */
async function flipByteOfMember(from: string, to: string, pick: (name: string) => boolean): Promise<void> {
	const extract = tar.extract();
	const pack = tar.pack();
	const written = pipeline(pack, createWriteStream(to));
	let flipped = false;
	const read = (async () => {
		for await (const entry of extract) {
			const parts: Buffer[] = [];
			for await (const part of entry) parts.push(part as Buffer);
			const data = Buffer.concat(parts);
			if (!flipped && pick(entry.header.name) && data.length > 0) {
				data[Math.floor(data.length / 2)] ^= 0xff;
				flipped = true;
			}
			await new Promise<void>((resolve, reject) => pack.entry({name: entry.header.name, size: data.length}, data, (error) => (error ? reject(error) : resolve())));
		}
		pack.finalize();
	})();
	await pipeline((await open(from)).createReadStream(), extract);
	await read;
	await written;
	assert.ok(flipped, 'a member to damage was found');
}

/** Every user table's row count and an md5 of its rows, sorted: equal for equal contents. */
async function tableChecksums(database: string): Promise<Record<string, string>> {
	const client = await postgresClient(database);
	try {
		const {rows: tables} = await client.query<{name: string}>(
			"SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
		);
		const sums: Record<string, string> = {};
		for (const {name} of tables) {
			const {rows} = await client.query<{count: number; sum: string | null}>(`SELECT count(*)::int AS count, md5(string_agg(t::text, '|' ORDER BY t::text)) AS sum FROM ${name} t`);
			sums[name] = `${rows[0].count}:${rows[0].sum}`;
		}
		return sums;
	} finally {
		await client.end();
	}
}

async function databaseExists(admin: pg.Client, name: string): Promise<boolean> {
	return ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
}

describe('dbbackup backup and restore of PostgreSQL through the CLI', () => {
	let admin: pg.Client;
	let dir: string;
	const source = uniqueName('pgcli');
	const created: string[] = [];
	let archive: string;
	let expected: Record<string, string>;

	const fresh = (prefix: string) => {
		const name = uniqueName(prefix);
		created.push(name);
		return name;
	};

	before(async () => {
		admin = await postgresClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-pg-cli-'));
		await admin.query(`CREATE DATABASE ${source}`);
		const client = await postgresClient(source);
		try {
			await client.query(SCHEMA);
		} finally {
			await client.end();
		}
		expected = await tableChecksums(source);
		const result = await runCli(['backup', 'single', source, '--output', `${dir}/`, '--workers', '2', '--chunk-rows', '200', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		const name = (await readdir(dir)).find((file) => file.endsWith('.tar'));
		assert.ok(name);
		archive = join(dir, name);
		assert.match(result.stdout, /Backup complete \(postgres-logical, archive\)/);
		assert.match(result.stdout, /consistent at LSN [0-9A-F]+\/[0-9A-F]+/);
	});

	after(async () => {
		for (const name of [source, ...created]) await admin.query(`DROP DATABASE IF EXISTS ${name}`);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('restore --target-db rebuilds equal rows; a second restore there is refused (exit 2), --clean replaces it', async () => {
		const copy = fresh('pgcli_copy');
		const first = await runCli(['restore', archive, '--target-db', copy, '--workers', '3', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(first.code, 0, first.stderr);
		assert.match(first.stdout, new RegExp(`Restore complete \\(postgres-logical\\): .* → ${copy}`));
		assert.deepEqual(await tableChecksums(copy), expected);
		const again = await runCli(['restore', archive, '--target-db', copy, '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(again.code, 2, again.stderr);
		assert.match(again.stderr, /TARGET_NOT_EMPTY|refusing to restore over existing data: database ".*" has \d+ object/);
		const clean = await runCli(['restore', archive, '--target-db', copy, '--clean', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(clean.code, 0, clean.stderr);
		assert.deepEqual(await tableChecksums(copy), expected);
	});

	test('--create refuses a database that exists; --schema-only then --data-only gives the same database', async () => {
		const copy = fresh('pgcli_split');
		await admin.query(`CREATE DATABASE ${copy}`);
		const refused = await runCli(['restore', archive, '--target-db', copy, '--create', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(refused.code, 2);
		assert.match(refused.stderr, /--create: database ".*" exists already/);
		const schema = await runCli(['restore', archive, '--target-db', copy, '--schema-only', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(schema.code, 0, schema.stderr);
		const empty = await tableChecksums(copy);
		assert.ok(Object.values(empty).every((sum) => sum.startsWith('0:')), JSON.stringify(empty));
		const data = await runCli(['restore', archive, '--target-db', copy, '--data-only', '--workers', '2', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(data.code, 0, data.stderr);
		assert.deepEqual(await tableChecksums(copy), expected);
		const both = await runCli(['restore', archive, '--target-db', fresh('pgcli_both'), '--schema-only', '--data-only', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(both.code, 2);
		assert.match(both.stderr, /--schema-only and --data-only exclude each other/);
	});

	test('--tables restores the named table with what it needs, and an unknown table is named (exit 2)', async () => {
		const copy = fresh('pgcli_tables');
		const result = await runCli(['restore', archive, '--target-db', copy, '--tables', 'customers', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		const sums = await tableChecksums(copy);
		assert.deepEqual(Object.keys(sums), ['public.customers']);
		assert.equal(sums['public.customers'], expected['public.customers']);
		const unknown = await runCli(['restore', archive, '--target-db', fresh('pgcli_unknown'), '--tables', 'customers,nope', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(unknown.code, 2);
		assert.match(unknown.stderr, /has no table "nope"/);
	});

	test('a flipped byte in a data member is caught by its checksum before the target is created (exit 5)', async () => {
		const damaged = join(dir, 'flipped.tar');
		await flipByteOfMember(archive, damaged, (name) => name.startsWith('data/') && name.includes('orders'));
		const copy = fresh('pgcli_flipped');
		const result = await runCli(['restore', damaged, '--target-db', copy, '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(result.code, 5, result.stderr);
		assert.match(result.stderr, /data\/.*orders.*\.copy/);
		assert.equal(await databaseExists(admin, copy), false);
	});

	test('a truncated archive is refused (exit 5) and nothing is created', async () => {
		const cut = join(dir, 'cut.tar');
		await run('cp', [archive, cut]);
		const {size} = await stat(cut);
		await truncate(cut, Math.floor(size / 2));
		const copy = fresh('pgcli_cut');
		const result = await runCli(['restore', cut, '--target-db', copy, '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(result.code, 5, result.stderr);
		assert.equal(await databaseExists(admin, copy), false);
	});

	test('--format sql writes a script that stock psql restores, and so does our restore', async () => {
		const script = join(dir, 'plain.sql');
		const backup = await runCli(['backup', 'single', source, '--output', script, '--format', 'sql', '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(backup.code, 0, backup.stderr);
		const viaPsql = fresh('pgcli_psql');
		await admin.query(`CREATE DATABASE ${viaPsql}`);
		const superuser = getTestServers().postgres.superuser;
		await run(`${PG_BIN}/psql`, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', postgres.socketDir, '-p', String(postgres.port), '-U', superuser, '-d', viaPsql, '-f', script]);
		assert.deepEqual(await tableChecksums(viaPsql), expected);
		const ours = fresh('pgcli_script');
		const restore = await runCli(['restore', script, '--target-db', ours, '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(restore.code, 0, restore.stderr);
		assert.deepEqual(await tableChecksums(ours), expected);
		const noTarget = await runCli(['restore', script, '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(noTarget.code, 2);
		assert.match(noTarget.stderr, /give --target-db NAME/);
	});

	test('a pg_dump plain script restores natively', async () => {
		const script = join(dir, 'pg_dump.sql');
		const superuser = getTestServers().postgres.superuser;
		await run(`${PG_BIN}/pg_dump`, ['-h', postgres.socketDir, '-p', String(postgres.port), '-U', superuser, '-d', source, '-Fp', '--no-owner', '-f', script]);
		const copy = fresh('pgcli_pgdump');
		const restore = await runCli(['restore', script, '--target-db', copy, '--yes', ...pgArgs], {env, timeoutMs});
		assert.equal(restore.code, 0, restore.stderr);
		assert.deepEqual(await tableChecksums(copy), expected);
	});
});
