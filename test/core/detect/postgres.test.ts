import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {realpath} from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import {detectPostgres} from '../../../source/core/detect/postgres.ts';
import type {ConnectionSummary} from '../../../source/core/detect/types.ts';
import {getTestServers} from '../../harness/servers.ts';

const servers = getTestServers();
const server = servers.postgres;
const SCRATCH = `detect_scratch_${process.pid}`;
const LOCKED = `detect_locked_${process.pid}`;
const READER = `detect_reader_${process.pid}`;

function summary(user: string, target: string, database?: string): ConnectionSummary {
	return {dbType: 'postgres', target, user, database};
}

async function superClient(database = 'postgres'): Promise<pg.Client> {
	const client = new pg.Client({host: server.socketDir, port: server.port, user: server.superuser, database});
	await client.connect();
	return client;
}

describe('detectPostgres against the test PostgreSQL', () => {
	let admin: pg.Client;
	let scratchAdmin: pg.Client;

	before(async () => {
		admin = await superClient();
		for (const db of [SCRATCH, LOCKED]) await admin.query(`DROP DATABASE IF EXISTS ${db}`);
		await admin.query(`DROP ROLE IF EXISTS ${READER}`);
		await admin.query(`CREATE DATABASE ${SCRATCH}`);
		await admin.query(`CREATE DATABASE ${LOCKED}`);
		await admin.query(`REVOKE CONNECT ON DATABASE ${LOCKED} FROM PUBLIC`);
		await admin.query(`CREATE ROLE ${READER} LOGIN`);
		scratchAdmin = await superClient(SCRATCH);
		await scratchAdmin.query('CREATE TABLE items (id int PRIMARY KEY, payload text NOT NULL)');
		await scratchAdmin.query("INSERT INTO items SELECT n, repeat(md5(n::text), 8) FROM generate_series(1, 5000) n");
		await scratchAdmin.query('CREATE TABLE secrets (id int)');
		await scratchAdmin.query('CREATE TABLE tenant_rows (tenant text)');
		await scratchAdmin.query('ALTER TABLE tenant_rows ENABLE ROW LEVEL SECURITY');
		await scratchAdmin.query(`GRANT SELECT ON items, tenant_rows TO ${READER}`);
	});

	after(async () => {
		await scratchAdmin?.end();
		for (const db of [SCRATCH, LOCKED]) await admin?.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
		await admin?.query(`DROP ROLE IF EXISTS ${READER}`);
		await admin?.end();
	});

	test('superuser over the socket: version 15, wal_level, data directory, locality and database sizes', async () => {
		const env = await detectPostgres(admin, summary(server.superuser, `socket ${server.socketDir}`, 'postgres'));
		const facts = (await admin.query('SELECT current_setting($2) AS version, current_setting($1) AS wal', ['wal_level', 'server_version'])).rows[0];

		assert.ok(env.version.known);
		assert.equal(env.version.value.major, 15);
		assert.equal(env.version.value.text, facts.version);
		assert.deepEqual(env.walLevel, {known: true, value: facts.wal, source: 'SHOW wal_level'});
		assert.equal(facts.wal, 'replica');

		assert.ok(env.dataDirectory.known);
		assert.equal(path.resolve(env.dataDirectory.value), path.resolve(server.datadir));
		assert.equal(env.dataDirectory.source, 'SHOW data_directory');
		assert.ok(env.local.known && env.local.value === true);
		assert.match(env.local.source, /unix socket/);
		assert.ok(env.filesystem.known, JSON.stringify(env.filesystem));
		assert.equal(env.filesystem.value.path, await realpath(server.datadir));
		assert.ok(env.snapshot.known);

		assert.ok(env.dataSize.known);
		const names = env.dataSize.value.databases.map((db) => db.name);
		assert.ok(names.includes(SCRATCH) && names.includes(LOCKED) && names.includes('postgres'));
		assert.ok(!names.includes('template0') && !names.includes('template1'));
		const scratch = env.dataSize.value.databases.find((db) => db.name === SCRATCH)!;
		const tableBytes = Number((await scratchAdmin.query("SELECT pg_total_relation_size('items') AS bytes")).rows[0].bytes);
		assert.ok(scratch.bytes > tableBytes && tableBytes > 5000 * 256, `${scratch.bytes} > ${tableBytes}`);
		assert.equal(env.dataSize.value.totalBytes, env.dataSize.value.databases.reduce((sum, db) => sum + db.bytes, 0));

		assert.ok(env.privileges.known);
		assert.ok(env.privileges.value.held.includes('SUPERUSER'));
		assert.deepEqual(env.privileges.value.perEngine['postgres-logical'], {ok: true, missing: []});
		assert.deepEqual(env.privileges.value.perEngine.snapshot, {ok: true, missing: []});
	});

	test('dbbackup over TCP: data directory unknown with the reason, so locality and filesystem are unknown too', async () => {
		const client = new pg.Client({host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres'});
		await client.connect();
		try {
			const env = await detectPostgres(client, summary(server.user, `${server.host}:${server.port}`, 'postgres'));
			assert.equal(env.dataDirectory.known, false);
			assert.match(!env.dataDirectory.known ? env.dataDirectory.reason : '', /^SHOW data_directory failed: .*pg_read_all_settings/);
			assert.equal(env.local.known, false);
			assert.match(!env.local.known ? env.local.reason : '', /is this machine .* but the data directory is unknown/);
			assert.equal(env.filesystem.known, false);
			assert.ok(env.version.known && env.walLevel.known && env.dataSize.known, 'the other items are still found');

			assert.ok(env.privileges.known);
			assert.ok(!env.privileges.value.held.includes('SUPERUSER'));
			assert.deepEqual(env.privileges.value.perEngine.snapshot.missing, ['EXECUTE on pg_backup_start(text, boolean) (or SUPERUSER)']);
			assert.ok(env.dataSize.known && !env.dataSize.value.databases.some((db) => db.name === LOCKED), 'no CONNECT on the locked database');
			assert.match(env.dataSize.source, new RegExp(`skipped, no CONNECT: .*${LOCKED}`));
		} finally {
			await client.end();
		}
	});

	test('a role that cannot read every table: counted, with CONNECT and row-level security gaps', async () => {
		const client = new pg.Client({host: server.socketDir, port: server.port, user: READER, database: SCRATCH});
		await client.connect();
		try {
			const env = await detectPostgres(client, summary(READER, `socket ${server.socketDir}`, SCRATCH));
			assert.ok(env.privileges.known);
			const logical = env.privileges.value.perEngine['postgres-logical'];
			assert.equal(logical.ok, false);
			assert.deepEqual(logical.missing, [
				`CONNECT on 1 database: ${LOCKED}`,
				`SELECT on 1 table in database ${SCRATCH} (public.secrets); grant pg_read_all_data or SELECT`,
				`BYPASSRLS (or ownership) for 1 table with row-level security in database ${SCRATCH} (public.tenant_rows)`,
			]);

			await admin.query(`GRANT pg_read_all_data TO ${READER}`);
			const granted = await detectPostgres(client, summary(READER, `socket ${server.socketDir}`, SCRATCH));
			assert.ok(granted.privileges.known);
			assert.ok(granted.privileges.value.held.includes('pg_read_all_data'));
			assert.deepEqual(granted.privileges.value.perEngine['postgres-logical'].missing, [
				`CONNECT on 1 database: ${LOCKED}`,
				`BYPASSRLS (or ownership) for 1 table with row-level security in database ${SCRATCH} (public.tenant_rows)`,
			]);
		} finally {
			await client.end();
		}
	});

	test('a server on another host: not local, no filesystem facts', async () => {
		const env = await detectPostgres(admin, summary(server.superuser, '192.0.2.10:5432', 'postgres'));
		assert.equal(env.local.known && env.local.value, false);
		assert.deepEqual(env.filesystem, {known: false, reason: 'server is on another host (192.0.2.10:5432): its data directory is not on this machine'});
		assert.ok(env.dataDirectory.known);
	});
});
