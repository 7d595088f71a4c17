import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {createReadStream} from 'node:fs';
import {mkdtemp, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import type pg from 'pg';
import {EventBus, type EventOf} from '../../../../source/core/events.ts';
import {quoteIdent} from '../../../../source/engines/postgres-logical/identifiers.ts';
import {applyPostgresScript} from '../../../../source/engines/postgres-logical/script/apply.ts';
import {dropPostgresDatabases, postgresSuperuserClient, uniqueName} from '../../../harness/db.ts';
import {getTestServers} from '../../../harness/servers.ts';
import {createFixture, describeData} from './fixture.ts';

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';


/** pg_dump (the oracle) as the superuser over the socket; returns the file it wrote. */
async function pgDump(database: string, file: string, extra: string[] = []): Promise<string> {
	const {postgres} = getTestServers();
	await run(join(PG_BIN, 'pg_dump'), ['-h', postgres.socketDir, '-p', String(postgres.port), '-U', postgres.superuser, '-f', file, ...extra, database], {
		maxBuffer: 16 * 1024 * 1024,
	});
	return file;
}

/** The schema as pg_dump prints it, without the lines that differ between any two dumps (versions, \restrict keys). */
async function schemaOf(database: string, file: string): Promise<string> {
	const text = await readFile(await pgDump(database, file, ['--schema-only']), 'utf8');
	return text
		.split('\n')
		.filter((line) => !/^-- Dumped (from|by) /.test(line) && !/^\\(un)?restrict /.test(line))
		.join('\n');
}

describe('applying pg_dump plain scripts natively against PostgreSQL 15', () => {
	let admin: pg.Client;
	let workDir: string;
	const databases: string[] = [];
	const clients: pg.Client[] = [];
	let source: string;
	let expectedData: Record<string, unknown>;
	let expectedSchema: string;

	async function freshDatabase(name = uniqueName('pgscript')): Promise<string> {
		databases.push(name);
		await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
		return name;
	}

	async function connect(database: string): Promise<pg.Client> {
		const client = await postgresSuperuserClient(database);
		clients.push(client);
		return client;
	}

	async function assertSameDatabase(restored: string): Promise<void> {
		assert.equal(await schemaOf(restored, join(workDir, `${restored}.schema.sql`)), expectedSchema);
		const client = await connect(restored);
		assert.deepEqual(await describeData(client), expectedData);
		const calls = await client.query(`SELECT nested_dollars('x') AS nested, atomic_body(-3) AS atomic, (SELECT count(*)::int FROM zoo_view) AS viewed`);
		assert.deepEqual(calls.rows[0], {nested: 'x $$ ; $outer ; ;', atomic: 3, viewed: 1});
		// the trigger came back and fires
		await client.query(`INSERT INTO type_zoo (t) VALUES ('after restore')`);
		const audit = await client.query(`SELECT count(*)::int AS n FROM audit_log WHERE zoo_id = currval('type_zoo_id_seq')`);
		assert.equal(audit.rows[0].n, 1);
	}

	before(async () => {
		admin = await postgresSuperuserClient();
		workDir = await mkdtemp(join(tmpdir(), 'dbbackup-pg-script-'));
		source = await freshDatabase(uniqueName('pgscript_src'));
		const client = await postgresSuperuserClient(source);
		try {
			await createFixture(client);
			expectedData = await describeData(client);
		} finally {
			await client.end();
		}
		expectedSchema = await schemaOf(source, join(workDir, 'source.schema.sql'));
	});

	after(async () => {
		for (const client of clients) await client.end().catch(() => {});
		await dropPostgresDatabases(databases);
		await admin.end();
		await rm(workDir, {recursive: true, force: true});
	});

	test('pg_dump -Fp: COPY blocks, routines, rule, trigger, large object and hostile names restore identically', async () => {
		const dumpFile = await pgDump(source, join(workDir, 'plain.sql'));
		const script = await readFile(dumpFile, 'utf8');
		assert.match(script, /^COPY public\.many_rows .* FROM stdin;$/m);
		assert.match(script, /^\\restrict /m, 'pg_dump 15.14+ guards its script with \\restrict');
		const target = await freshDatabase();
		const client = await connect(target);
		const bus = new EventBus();
		const progress: EventOf<'progress'>[] = [];
		bus.on('progress', (event) => progress.push(event));
		const size = (await stat(dumpFile)).size;
		const result = await applyPostgresScript({
			client,
			source: createReadStream(dumpFile, {highWaterMark: 16 * 1024}),
			bus,
			member: 'plain.sql',
			totalBytes: size,
		});
		assert.deepEqual(result.errors, []);
		const tableRows = Object.entries(expectedData)
			.filter(([key]) => key.startsWith('table '))
			.reduce((sum, [, value]) => sum + (value as {rows: number}).rows, 0);
		assert.equal(result.copyRows, tableRows);
		assert.ok(result.statements > 50, `${result.statements} statements`);
		assert.equal(result.bytes, size);
		assert.equal(progress.at(-1)?.done, size);
		assert.equal(progress.at(-1)?.total, size);
		assert.equal(progress.at(-1)?.task, 'restore plain.sql');
		await assertSameDatabase(target);
	});

	test('pg_dump --inserts: one INSERT per row, no COPY, restores identically', async () => {
		const dumpFile = await pgDump(source, join(workDir, 'inserts.sql'), ['--inserts']);
		assert.doesNotMatch(await readFile(dumpFile, 'utf8'), /FROM stdin;/);
		const target = await freshDatabase();
		const result = await applyPostgresScript({
			client: await connect(target),
			source: createReadStream(dumpFile, {highWaterMark: 8 * 1024}),
			bus: new EventBus(),
			member: 'inserts.sql',
		});
		assert.deepEqual(result.errors, []);
		assert.equal(result.copyRows, 0);
		assert.ok(result.statements > 20000, `${result.statements} statements`);
		await assertSameDatabase(target);
	});

	test('pg_dump --create: CREATE DATABASE, then \\connect to a name that needs quoting, followed through onConnect', async () => {
		const name = `${uniqueName('pgscript_create')} Ü "q"`;
		await freshDatabase(name);
		const fixtureClient = await postgresSuperuserClient(name);
		try {
			await createFixture(fixtureClient);
		} finally {
			await fixtureClient.end();
		}
		const dumpFile = await pgDump(name, join(workDir, 'create.sql'), ['--create']);
		const script = await readFile(dumpFile, 'utf8');
		assert.match(script, /^\\connect -reuse-previous=on "dbname='.*'"$/m);
		// the script creates the database under its own name: the original moves aside
		const original = await freshDatabase(uniqueName('pgscript_orig'));
		await admin.query(`DROP DATABASE ${quoteIdent(original)}`);
		await admin.query(`ALTER DATABASE ${quoteIdent(name)} RENAME TO ${quoteIdent(original)}`);

		const connected: string[] = [];
		const result = await applyPostgresScript({
			client: await connect('postgres'),
			source: createReadStream(dumpFile, {highWaterMark: 16 * 1024}),
			bus: new EventBus(),
			member: 'create.sql',
			onConnect: async (database) => {
				connected.push(database);
				return connect(database);
			},
		});
		assert.deepEqual(result.errors, []);
		assert.deepEqual(connected, [name]);
		assert.ok(result.copyRows > 20000);
		expectedSchema = await schemaOf(original, join(workDir, 'original.schema.sql'));
		expectedData = await describeData(await connect(original));
		await assertSameDatabase(name);
	});
});
