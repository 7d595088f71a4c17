import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, readdir, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {existsSync} from 'node:fs';
import {ensureMysqlBinaries, mysqlProgram, SHARED_MYSQL_DEBS} from '../../source/sandbox/mysql-binaries.ts';
import {mysqlConnection, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';

const run = promisify(execFile);

describe('sandbox MySQL (started by the harness from Debian sid packages)', () => {
	const {mysql} = getTestServers();
	let conn: Connection;
	const scratch = uniqueName('sandbox_mysql');

	before(async () => {
		conn = await mysqlConnection();
	});
	after(async () => {
		await conn.query(`DROP DATABASE IF EXISTS ${scratch}`);
		await conn.end();
	});

	test('is MySQL 9 and reports the version the harness recorded', async () => {
		const [rows] = await conn.query<RowDataPacket[]>('SELECT VERSION() AS version, @@version_comment AS comment');
		assert.match(rows[0].version, /^9\.\d+\.\d+/);
		assert.doesNotMatch(rows[0].version, /mariadb/i);
		assert.equal(rows[0].version, mysql.version);
	});

	test('writes a ROW binlog with GTIDs on, and answers SHOW BINARY LOG STATUS (not SHOW MASTER STATUS)', async () => {
		const [settings] = await conn.query<RowDataPacket[]>(
			'SELECT @@log_bin AS log_bin, @@binlog_format AS format, @@server_id AS server_id, @@gtid_mode AS gtid_mode, @@enforce_gtid_consistency AS enforce',
		);
		assert.deepEqual({...settings[0]}, {log_bin: 1, format: 'ROW', server_id: 1, gtid_mode: 'ON', enforce: 'ON'});
		await conn.query(`CREATE DATABASE ${scratch}`);
		await conn.query(`CREATE TABLE ${scratch}.t (id INT PRIMARY KEY)`);
		await conn.query(`INSERT INTO ${scratch}.t VALUES (1)`);
		const [status] = await conn.query<RowDataPacket[]>('SHOW BINARY LOG STATUS');
		assert.match(String(status[0].File), /^mysql-bin\.\d{6}$/);
		assert.match(String(status[0].Executed_Gtid_Set), /^[0-9a-f-]{36}:1-\d+/);
		await assert.rejects(conn.query('SHOW MASTER STATUS'), {code: 'ER_PARSE_ERROR'});
	});

	test('the test users authenticate with caching_sha2_password over TCP without TLS', async () => {
		const [rows] = await conn.query<RowDataPacket[]>("SELECT user, plugin FROM mysql.user WHERE user LIKE 'dbbackup%' ORDER BY 1");
		assert.deepEqual(new Set(rows.map((row) => row.plugin)), new Set(['caching_sha2_password']));
		const [cipher] = await conn.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
		assert.equal(cipher[0].Value, '', 'the connection is not encrypted');
		const [grants] = await conn.query<RowDataPacket[]>('SHOW GRANTS');
		assert.match(grants.map((row) => Object.values(row)[0] as string).join('\n'), /GRANT .*ON \*\.\* TO `dbbackup`@`%` WITH GRANT OPTION/);
	});

	test('the limited user can read but cannot CREATE DATABASE', async () => {
		const limited = await mysqlConnection({user: mysql.limitedUser, password: mysql.limitedPassword});
		try {
			const [rows] = await limited.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM mysql.db');
			assert.equal(typeof rows[0].n, 'number');
			await assert.rejects(limited.query(`CREATE DATABASE ${uniqueName('denied')}`), {code: 'ER_DBACCESS_DENIED_ERROR'});
		} finally {
			await limited.end();
		}
	});

	test('a wrong password is refused', async () => {
		await assert.rejects(mysqlConnection({user: mysql.user, password: `${mysql.password}x`}), {code: 'ER_ACCESS_DENIED_ERROR'});
	});

	test('mysqld runs through the unpacked tree\'s own loader, and no password is in its command line', async () => {
		const [rows] = await conn.query<RowDataPacket[]>('SELECT @@pid_file AS pid_file');
		const pid = Number((await readFile(rows[0].pid_file, 'utf8')).trim());
		const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
		assert.ok(argv.includes(`--port=${mysql.port}`), `pid ${pid} is our mysqld: ${argv.join(' ')}`);
		assert.equal(argv[0], mysqlProgram(mysql.root, 'mysqld').command);
		for (const secret of [mysql.password, mysql.limitedPassword]) {
			assert.ok(!argv.some((arg) => arg.includes(secret)), 'a password is in the argv');
		}
	});

	test('the client programs of the tree run too (mysqlbinlog reads the server\'s binlog)', async () => {
		const [status] = await conn.query<RowDataPacket[]>('SHOW BINARY LOG STATUS');
		const {command, args} = mysqlProgram(mysql.root, 'mysqlbinlog');
		const {stdout} = await run(command, [...args, '--no-defaults', join(mysql.datadir, String(status[0].File))], {maxBuffer: 64 * 1024 * 1024});
		assert.match(stdout, /End of log file/);
	});
});

describe('MySQL binaries cache', () => {
	test('an existing cache is used as it is: a second start unpacks nothing', async () => {
		const {mysql} = getTestServers();
		const lines: string[] = [];
		const binaries = await ensureMysqlBinaries({log: (line) => lines.push(line), cacheDir: join(mysql.root, '..')});
		assert.deepEqual({root: binaries.root, source: binaries.source}, {root: mysql.root, source: 'cache'});
		assert.ok(!lines.some((line) => /^mysql: unpacking/.test(line)), lines.join('\n'));
	});

	test('two starts at once on an empty cache: one unpacks, the other waits for it and reuses its tree', {timeout: 180_000}, async () => {
		const cacheDir = await mkdtemp(join(tmpdir(), 'dbbackup-mysql-cache-'));
		try {
			const logs: string[][] = [[], []];
			const [first, second] = await Promise.all(logs.map((lines) => ensureMysqlBinaries({log: (line) => lines.push(line), cacheDir})));
			assert.equal(first!.root, second!.root);
			// the package set beside the repository when the clone has one (CI), else fetched from sid
			const fresh = existsSync(join(import.meta.dirname, '..', '..', SHARED_MYSQL_DEBS)) ? 'shared' : 'sid';
			assert.deepEqual([first!.source, second!.source].sort(), ['cache', fresh]);
			assert.equal(logs.flat().filter((line) => /^mysql: unpacking/.test(line)).length, 1, logs.flat().join('\n'));
			// nothing half-made is left beside the tree, nor the lock
			assert.deepEqual(await readdir(cacheDir), [first!.root.split('/').at(-1)]);
			assert.ok((await stat(join(first!.root, 'usr', 'sbin', 'mysqld'))).isFile());
		} finally {
			await rm(cacheDir, {recursive: true, force: true});
		}
	});
});
