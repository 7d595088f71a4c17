import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {mariadbConnection, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';

describe('sandbox MariaDB (started by the harness)', () => {
	const {mariadb} = getTestServers();
	let conn: Connection;
	const scratch = uniqueName('sandbox_mariadb');

	before(async () => {
		conn = await mariadbConnection();
	});
	after(async () => {
		await conn.query(`DROP DATABASE IF EXISTS ${scratch}`);
		await conn.end();
	});

	test('is MariaDB 10.11 and reports the version the harness recorded', async () => {
		const [rows] = await conn.query<RowDataPacket[]>('SELECT VERSION() AS version');
		assert.match(rows[0].version, /^10\.11\.\d+-MariaDB/);
		assert.equal(rows[0].version, mariadb.version);
	});

	test('writes a ROW binlog with readable GTID positions', async () => {
		const [settings] = await conn.query<RowDataPacket[]>(
			'SELECT @@log_bin AS log_bin, @@binlog_format AS format, @@server_id AS server_id',
		);
		assert.deepEqual({...settings[0]}, {log_bin: 1, format: 'ROW', server_id: 1});
		await conn.query(`CREATE DATABASE ${scratch}`);
		await conn.query(`CREATE TABLE ${scratch}.t (id INT PRIMARY KEY)`);
		await conn.query(`INSERT INTO ${scratch}.t VALUES (1)`);
		const [gtid] = await conn.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS pos');
		// other test files on this shared server may write in other GTID domains: a list of domain-server-seq
		assert.match(gtid[0].pos, /^\d+-1-\d+(,\d+-1-\d+)*$/);
		const [logs] = await conn.query<RowDataPacket[]>('SHOW BINARY LOGS');
		assert.ok(logs.length >= 1);
	});

	test('the test user has every privilege with grant option over TCP', async () => {
		const [rows] = await conn.query<RowDataPacket[]>('SHOW GRANTS');
		const grants = rows.map((row) => Object.values(row)[0] as string).join('\n');
		assert.match(grants, /GRANT ALL PRIVILEGES ON \*\.\* TO `dbbackup`@`%`.* WITH GRANT OPTION/);
	});

	test('the limited user can read but cannot CREATE DATABASE', async () => {
		const limited = await mariadbConnection({user: mariadb.limitedUser, password: mariadb.limitedPassword});
		try {
			const [rows] = await limited.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM mysql.db');
			assert.equal(typeof rows[0].n, 'number');
			await assert.rejects(limited.query(`CREATE DATABASE ${uniqueName('denied')}`), {code: 'ER_DBACCESS_DENIED_ERROR'});
		} finally {
			await limited.end();
		}
	});

	test('a wrong password is refused', async () => {
		await assert.rejects(mariadbConnection({user: mariadb.user, password: `${mariadb.password}x`}), {
			code: 'ER_ACCESS_DENIED_ERROR',
		});
	});

	test('no password appears in the mariadbd command line', async () => {
		const [rows] = await conn.query<RowDataPacket[]>('SELECT @@pid_file AS pid_file');
		const pid = Number((await readFile(rows[0].pid_file, 'utf8')).trim());
		const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
		assert.ok(argv.includes(`--port=${mariadb.port}`), `pid ${pid} is our mariadbd: ${argv.join(' ')}`);
		for (const secret of [mariadb.password, mariadb.limitedPassword]) {
			assert.ok(!argv.some((arg) => arg.includes(secret)), 'a password is in the argv');
		}
	});
});
