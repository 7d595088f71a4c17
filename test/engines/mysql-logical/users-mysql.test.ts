/**
 * --include-users on MySQL 9 (users.test.ts is MariaDB's): caching_sha2_password hashes (binary, shown
 * as 0x… by SHOW CREATE USER), roles (MySQL's are locked accounts), default roles inside CREATE USER,
 * dynamic privileges, column grants, account options. Dump, drop, apply: every account comes back with
 * the same SHOW CREATE USER and SHOW GRANTS.
 */
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import {EventBus} from '../../../source/core/events.ts';
import {applySqlScript} from '../../../source/engines/mysql-logical/sql-script/apply.ts';
import {readUsers, usersScript} from '../../../source/engines/mysql-logical/users.ts';
import {mysqlConnection, uniqueName} from '../../harness/db.ts';
import {getTestServers} from '../../harness/servers.ts';

async function lines(connection: Connection, sql: string): Promise<string[]> {
	const [rows] = await connection.query<RowDataPacket[]>({sql, rowsAsArray: true});
	return (rows as unknown as unknown[][]).map((row) => String(row[0]));
}

describe('readUsers and usersScript on MySQL 9', () => {
	let root: Connection;
	let reader: Connection;
	const base = uniqueName('macct');
	const database = uniqueName('macct_db');
	const user = `\`${base}_o'brien\`@\`%\``;
	const locked = `\`${base}_locked\`@\`localhost\``;
	const tls = `\`${base}_tls\`@\`10.0.0.%\``;
	const readRole = `\`${base}_r_read\`@\`%\``;
	const adminRole = `\`${base}_r_admin\`@\`%\``;
	const accounts = [user, locked, tls, readRole, adminRole];

	before(async () => {
		// --initialize-insecure's root over the socket: it may grant anything
		root = await mysql.createConnection({socketPath: getTestServers().mysql.socket, user: 'root', multipleStatements: true});
		reader = await mysqlConnection();
		await root.query(`
			CREATE DATABASE ${database};
			CREATE TABLE ${database}.t (a INT, b INT);
			CREATE USER ${user} IDENTIFIED BY 'pw-obrien-1' WITH MAX_QUERIES_PER_HOUR 10 PASSWORD EXPIRE INTERVAL 30 DAY FAILED_LOGIN_ATTEMPTS 3 PASSWORD_LOCK_TIME 2;
			CREATE USER ${locked} ACCOUNT LOCK;
			CREATE USER ${tls} IDENTIFIED BY 'pw-tls-2' REQUIRE SUBJECT '/CN=x' AND ISSUER '/CN=y' COMMENT 'it''s a comment';
			CREATE ROLE ${readRole}, ${adminRole};
			GRANT SELECT ON ${database}.* TO ${readRole};
			GRANT ${readRole} TO ${adminRole} WITH ADMIN OPTION;
			GRANT INSERT ON ${database}.t TO ${adminRole};
			GRANT ${adminRole} TO ${user};
			SET DEFAULT ROLE ${adminRole} TO ${user};
			GRANT SELECT (a), UPDATE (b) ON ${database}.t TO ${user};
			GRANT RELOAD, BACKUP_ADMIN ON *.* TO ${locked};
			GRANT ALL ON ${database}.* TO ${tls} WITH GRANT OPTION;
		`);
	});

	after(async () => {
		await root.query(`DROP USER IF EXISTS ${accounts.join(', ')}`);
		await root.query(`DROP DATABASE IF EXISTS ${database}`);
		await root.end();
		await reader.end();
	});

	test('dump, drop, apply: every account comes back with the same SHOW CREATE USER and SHOW GRANTS', async () => {
		const describeAccount = async (account: string) => [...(await lines(root, `SHOW CREATE USER ${account}`)), ...(await lines(root, `SHOW GRANTS FOR ${account}`))];
		const all = await readUsers(reader, new EventBus());
		const mine = all.filter((definition) => definition.user.startsWith(base));
		assert.deepEqual(mine.map((definition) => definition.account).sort(), [...accounts].sort());
		assert.ok(!all.some((definition) => definition.account === '`root`@`localhost`' || definition.user.startsWith('mysql.')), 'the server\'s own are left out');

		const script = usersScript(mine);
		assert.ok(!script.includes('pw-obrien-1') && !script.includes('pw-tls-2'), 'no plain password');
		assert.match(script, new RegExp(`CREATE USER IF NOT EXISTS \`${base}_o'brien\`@\`%\` IDENTIFIED WITH 'caching_sha2_password' AS 0x[0-9A-F]{140}`), 'the binary hash as hex');

		const original = new Map<string, string[]>();
		for (const account of accounts) original.set(account, await describeAccount(account));
		await root.query(`DROP USER ${accounts.join(', ')}`);
		await assert.rejects(describeAccount(user), 'the accounts are really gone');

		const result = await applySqlScript({connection: root, source: (async function* () { yield script; })(), bus: new EventBus()});
		assert.deepEqual(result.errors, []);
		for (const [account, before] of original) assert.deepEqual(await describeAccount(account), before, account);

		// the restored hash takes the password it was made from (a first login: caching_sha2's full exchange)
		const login = await mysql.createConnection({host: '127.0.0.1', port: getTestServers().mysql.port, user: `${base}_o'brien`, password: 'pw-obrien-1'});
		assert.equal((await lines(login, 'SELECT CURRENT_ROLE()'))[0], adminRole);
		await login.end();
	});
});
