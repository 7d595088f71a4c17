/**
 * Detection and authentication against the harness's real MySQL 9 (until it ran, these paths were
 * tested on synthetic environments only): caching_sha2_password over TCP without TLS, SHOW BINARY LOG
 * STATUS (8.4 removed SHOW MASTER STATUS), @@gtid_executed, MySQL's dynamic privileges.
 */
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {connectMysql} from '../../../source/core/connect.ts';
import {detectMysql} from '../../../source/core/detect/mysql.ts';
import type {ConnectionSummary} from '../../../source/core/detect/types.ts';
import {jsonLines, runCli} from '../../cli/run-cli.ts';
import {mysqlConnection, mysqlSettings} from '../../harness/db.ts';
import {getTestServers} from '../../harness/servers.ts';

const {mysql} = getTestServers();

function summary(user: string): ConnectionSummary {
	return {dbType: 'mysql', target: `${mysql.host}:${mysql.port}`, user};
}

async function one(conn: Connection, sql: string): Promise<RowDataPacket> {
	const [rows] = await conn.query<RowDataPacket[]>(sql);
	return rows[0]!;
}

describe('MySQL 9: authentication and detection against the real server', () => {
	let admin: Connection;

	before(async () => {
		admin = await mysqlConnection();
	});
	after(async () => {
		await admin.end();
	});

	test('caching_sha2_password over TCP without TLS: with the server\'s cache emptied, the product\'s connection takes the full exchange (RSA public key) and the password never goes in clear', async () => {
		// FLUSH PRIVILEGES empties the server's cache of verified passwords: the next login cannot take the fast path
		await admin.query('FLUSH PRIVILEGES');
		const connection = await connectMysql(mysqlSettings());
		try {
			assert.equal((await one(connection, "SHOW SESSION STATUS LIKE 'Ssl_cipher'")).Value, '', 'no TLS: the password went RSA-encrypted with the server\'s public key');
			assert.equal((await one(connection, 'SELECT CURRENT_USER() AS user')).user, `${mysql.user}@%`);
			const [plugin] = await connection.query<RowDataPacket[]>("SELECT plugin FROM mysql.user WHERE user = ? AND host = '%'", [mysql.user]);
			assert.equal(plugin[0]?.plugin, 'caching_sha2_password');
		} finally {
			await connection.end();
		}
		// a wrong password on that path is the product's ACCESS_DENIED, naming where the password came from
		await admin.query('FLUSH PRIVILEGES');
		await assert.rejects(connectMysql({...mysqlSettings(), password: `${mysql.password}x`, passwordSource: 'MYSQL_PWD'}), (error: Error & {code?: string}) => {
			assert.equal(error.code, 'ACCESS_DENIED');
			assert.match(error.message, /access denied for user "dbbackup" .*password from MYSQL_PWD/);
			return true;
		});
	});

	test('the CLI as a child process (password in MYSQL_PWD, never argv): detect --json over the full caching_sha2 exchange', async () => {
		await admin.query('FLUSH PRIVILEGES');
		const result = await runCli(['detect', '--json', '--db-type', 'mysql', '--host', mysql.host, '--port', String(mysql.port), '--user', mysql.user], {env: {MYSQL_PWD: mysql.password}});
		assert.equal(result.code, 0, result.stderr);
		assert.ok(!result.stdout.includes(mysql.password) && !result.stderr.includes(mysql.password), 'the password is not in the output');
		const detected = jsonLines(result.stdout).find((line) => line.type === 'result' && line.kind === 'detect');
		assert.ok(detected, result.stdout.slice(0, 500));
		assert.deepEqual(detected.data.environment.flavor, {...detected.data.environment.flavor, known: true, value: 'mysql'});
		assert.equal(detected.data.environment.version.value.major, 9);
	});

	test('full user: MySQL flavor, SHOW BINARY LOG STATUS, @@gtid_executed, dynamic privileges, clone installable', async () => {
		const env = await detectMysql(admin, summary(mysql.user));
		const server = await one(admin, 'SELECT @@version AS version, @@datadir AS datadir');
		assert.ok(env.version.known && env.flavor.known);
		assert.equal(env.version.value.text, server.version);
		assert.equal(env.version.value.major, 9);
		assert.equal(env.flavor.value, 'mysql');

		assert.ok(env.binlog.known);
		assert.equal(env.binlog.value.enabled, true);
		assert.equal(env.binlog.value.format, 'ROW');
		assert.equal(env.binlog.value.coordinatesReason, undefined);
		assert.match(env.binlog.value.file ?? '', /^mysql-bin\.\d{6}$/);
		assert.match(env.binlog.source, /SHOW BINARY LOG STATUS/);

		assert.ok(env.gtid.known);
		assert.match(env.gtid.value.position, /^[0-9a-f]{8}-[0-9a-f-]{27}:1-\d+$/);

		assert.ok(env.datadir.known);
		assert.equal(path.resolve(env.datadir.value), path.resolve(mysql.datadir));

		assert.ok(env.privileges.known);
		assert.deepEqual(env.privileges.value.perEngine.mysqldump, {ok: true, missing: []});
		assert.deepEqual(env.privileges.value.perEngine.clone, {ok: true, missing: []});
		assert.ok(env.clonePlugin.known, JSON.stringify(env.clonePlugin));
		assert.equal(env.clonePlugin.value, 'NOT_INSTALLED');
	});

	test('limited user (SELECT only): binlog coordinates unknown with the reason MySQL 9 gives', async () => {
		const limited = await mysqlConnection({user: mysql.limitedUser, password: mysql.limitedPassword});
		try {
			const env = await detectMysql(limited, summary(mysql.limitedUser));
			assert.ok(env.binlog.known);
			assert.equal(env.binlog.value.file, undefined);
			assert.match(env.binlog.value.coordinatesReason ?? '', /^SHOW BINARY LOG STATUS failed: Access denied/);
			assert.ok(env.privileges.known);
			assert.equal(env.privileges.value.perEngine.mysqldump.ok, false);
		} finally {
			await limited.end();
		}
	});
});
