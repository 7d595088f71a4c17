import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import pg from 'pg';
import {postgresClient, postgresSuperuserClient} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';

describe('sandbox PostgreSQL (started by the harness)', () => {
	const {postgres} = getTestServers();
	let superuser: pg.Client;

	before(async () => {
		superuser = await postgresSuperuserClient();
	});
	after(async () => {
		await superuser.end();
	});

	test('is PostgreSQL 15 and reports the version the harness recorded', async () => {
		const result = await superuser.query<{server_version: string}>('SHOW server_version');
		assert.match(result.rows[0].server_version, /^15\.\d+/);
		assert.equal(result.rows[0].server_version, postgres.version);
		const wal = await superuser.query<{wal_level: string}>('SHOW wal_level');
		assert.equal(wal.rows[0].wal_level, 'replica');
	});

	test('the superuser connects over the socket directory without a password', async () => {
		const result = await superuser.query<{user: string; super: boolean}>(
			'SELECT current_user AS user, rolsuper AS super FROM pg_roles WHERE rolname = current_user',
		);
		assert.deepEqual(result.rows[0], {user: postgres.superuser, super: true});
	});

	test('the dbbackup role logs in with its password over TCP (scram-sha-256) and may create databases', async () => {
		const client = await postgresClient();
		try {
			const result = await client.query<{user: string; createdb: boolean; super: boolean}>(
				'SELECT current_user AS user, rolcreatedb AS createdb, rolsuper AS super FROM pg_roles WHERE rolname = current_user',
			);
			assert.deepEqual(result.rows[0], {user: postgres.user, createdb: true, super: false});
		} finally {
			await client.end();
		}
		const stored = await superuser.query<{hash: string}>('SELECT rolpassword AS hash FROM pg_authid WHERE rolname = $1', [
			postgres.user,
		]);
		assert.match(stored.rows[0].hash, /^SCRAM-SHA-256\$4096:/);
		const rules = await superuser.query<{auth_method: string}>(
			"SELECT DISTINCT auth_method FROM pg_hba_file_rules WHERE type = 'host'",
		);
		assert.deepEqual(
			rules.rows.map((row) => row.auth_method),
			['scram-sha-256'],
		);
	});

	test('a wrong password is refused over TCP', async () => {
		const client = new pg.Client({
			host: postgres.host,
			port: postgres.port,
			user: postgres.user,
			password: `${postgres.password}x`,
			database: 'postgres',
		});
		await assert.rejects(client.connect(), {code: '28P01'});
	});

	test('no password appears in the postgres command line', async () => {
		const pid = Number((await readFile(join(postgres.datadir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
		const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
		assert.ok(argv.includes(postgres.datadir), `pid ${pid} is our postmaster: ${argv.join(' ')}`);
		assert.ok(!argv.some((arg) => arg.includes(postgres.password)), 'the password is in the argv');
	});
});
