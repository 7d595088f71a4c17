import assert from 'node:assert/strict';
import {userInfo} from 'node:os';
import {after, before, describe, test} from 'node:test';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import {EventBus, type BusEvent} from '../../../source/core/events.ts';
import {redact} from '../../../source/core/redact.ts';
import {applySqlScript} from '../../../source/engines/mysql-logical/sql-script/apply.ts';
import {
	accountName,
	createUserIfNotExists,
	grantStatement,
	isSystemAccount,
	readUsers,
	splitDefaultRoles,
	usersScript,
	type UserDefinition,
} from '../../../source/engines/mysql-logical/users.ts';
import {mariadbConnection, uniqueName} from '../../harness/db.ts';
import {getTestServers} from '../../harness/servers.ts';

describe('account statements from SHOW output', () => {
	test('system accounts: internal ones and the installer’s superusers, not a root someone made', () => {
		for (const [user, host] of [
			['mariadb.sys', 'localhost'],
			['mysql.sys', 'localhost'],
			['mysql.session', 'localhost'],
			['mysql.infoschema', 'localhost'],
			['root', 'localhost'],
			['root', '127.0.0.1'],
			['root', '::1'],
			['mysql', 'localhost'],
			['root', 'DB1'],
		]) {
			assert.ok(isSystemAccount(user, host, 'db1'), `${user}@${host}`);
		}
		for (const [user, host] of [
			['root', '%'],
			['root', '10.0.0.%'],
			['mariadb.sys', '%'],
			['app', 'localhost'],
			['root', 'db1'],
		]) {
			assert.ok(!isSystemAccount(user, host, 'other'), `${user}@${host}`);
		}
	});

	test('account names as SHOW GRANTS prints them', () => {
		assert.equal(accountName('user', "o'brien`x", '10.0.0.%'), "`o'brien``x`@`10.0.0.%`");
		assert.equal(accountName('role', 'r w', ''), '`r w`');
		assert.equal(accountName('public', 'PUBLIC', ''), 'PUBLIC');
	});

	test('MySQL: the DEFAULT ROLE clause of SHOW CREATE USER becomes a SET DEFAULT ROLE for after the grants', () => {
		const account = "`o'brien`@`%`";
		const shown = "CREATE USER `o'brien`@`%` IDENTIFIED WITH 'caching_sha2_password' AS 0x2441 DEFAULT ROLE `r 1`@`%`,`r``2`@`h` REQUIRE NONE PASSWORD EXPIRE DEFAULT ACCOUNT UNLOCK COMMENT 'DEFAULT ROLE `x`'";
		assert.deepEqual(splitDefaultRoles(shown, account), {
			create: "CREATE USER `o'brien`@`%` IDENTIFIED WITH 'caching_sha2_password' AS 0x2441 REQUIRE NONE PASSWORD EXPIRE DEFAULT ACCOUNT UNLOCK COMMENT 'DEFAULT ROLE `x`'",
			setDefaultRoles: "SET DEFAULT ROLE `r 1`@`%`,`r``2`@`h` TO `o'brien`@`%`",
		});
		const none = "CREATE USER `u`@`%` IDENTIFIED WITH 'caching_sha2_password' REQUIRE NONE COMMENT 'DEFAULT ROLE `x`'";
		assert.deepEqual(splitDefaultRoles(none, '`u`@`%`'), {create: none, setDefaultRoles: null});
	});

	test('CREATE USER becomes CREATE USER IF NOT EXISTS, once', () => {
		const shown = "CREATE USER `o'brien`@`%` IDENTIFIED BY PASSWORD '*2B60' WITH MAX_QUERIES_PER_HOUR 10";
		const create = createUserIfNotExists(shown);
		assert.equal(create, "CREATE USER IF NOT EXISTS `o'brien`@`%` IDENTIFIED BY PASSWORD '*2B60' WITH MAX_QUERIES_PER_HOUR 10");
		assert.equal(createUserIfNotExists(create), create);
	});

	test('GRANT lines lose the account options MariaDB repeats in them, and keep GRANT/ADMIN OPTION', () => {
		const account = "`o'brien`@`%`";
		assert.equal(grantStatement(`GRANT USAGE ON *.* TO ${account} IDENTIFIED BY PASSWORD '*2B60' WITH MAX_QUERIES_PER_HOUR 10`, account), null);
		assert.equal(grantStatement(`GRANT USAGE ON *.* TO ${account}`, account), null);
		assert.equal(
			grantStatement(
				`GRANT SELECT ON *.* TO ${account} IDENTIFIED VIA ed25519 USING 'Gv2J WITH GRANT OPTION' OR unix_socket REQUIRE ISSUER '/CN=b' SUBJECT '/CN=a WITH ADMIN OPTION' CIPHER 'AES' WITH GRANT OPTION MAX_QUERIES_PER_HOUR 5 MAX_STATEMENT_TIME 1.500000`,
				account,
			),
			`GRANT SELECT ON *.* TO ${account} WITH GRANT OPTION`,
		);
		assert.equal(
			grantStatement(`GRANT USAGE ON *.* TO ${account} IDENTIFIED BY PASSWORD '*2B60' REQUIRE SSL WITH GRANT OPTION`, account),
			`GRANT USAGE ON *.* TO ${account} WITH GRANT OPTION`,
		);
		assert.equal(
			grantStatement(`GRANT SELECT (\`a\`), UPDATE (\`b\`) ON \`db\`.\`t\` TO ${account}`, account),
			`GRANT SELECT (\`a\`), UPDATE (\`b\`) ON \`db\`.\`t\` TO ${account}`,
		);
		assert.equal(grantStatement(`GRANT \`r_admin\` TO ${account} WITH ADMIN OPTION`, account), `GRANT \`r_admin\` TO ${account} WITH ADMIN OPTION`);
		assert.equal(grantStatement(`GRANT PROXY ON \`x\`@\`%\` TO ${account}`, account), `GRANT PROXY ON \`x\`@\`%\` TO ${account}`);
		assert.equal(grantStatement('GRANT SELECT ON `ux`.* TO PUBLIC', 'PUBLIC'), 'GRANT SELECT ON `ux`.* TO PUBLIC');
	});

	test('GRANT lines for other accounts (a role’s inherited grants) are dropped', () => {
		assert.equal(grantStatement('GRANT SELECT ON `ux`.* TO `r_read`', '`r_admin`'), null);
		assert.equal(grantStatement('GRANT SELECT ON `ux`.* TO `r_admin`@`%`', '`r_admin`'), null);
		assert.equal(grantStatement('GRANT SELECT ON `ux`.* TO `r_admin_2`', '`r_admin`'), null);
		assert.equal(grantStatement('SET DEFAULT ROLE `r` FOR `r_admin`', '`r_admin`'), null);
	});

	test('the script creates roles, then users, then grants, then default roles', () => {
		const users: UserDefinition[] = [
			{
				kind: 'user',
				user: 'u',
				host: '%',
				account: '`u`@`%`',
				create: "CREATE USER IF NOT EXISTS `u`@`%` IDENTIFIED BY PASSWORD '*AA'",
				grants: ['GRANT `r` TO `u`@`%`', 'GRANT SELECT ON `d`.* TO `u`@`%`'],
				defaultRoles: ['SET DEFAULT ROLE `r` FOR `u`@`%`'],
			},
			{kind: 'role', user: 'r', host: '', account: '`r`', create: 'CREATE ROLE IF NOT EXISTS `r`', grants: ['GRANT INSERT ON `d`.`t` TO `r`'], defaultRoles: []},
			{kind: 'public', user: 'PUBLIC', host: '', account: 'PUBLIC', create: null, grants: ['GRANT SELECT ON `d`.* TO PUBLIC'], defaultRoles: []},
		];
		assert.equal(
			usersScript(users),
			[
				'-- accounts',
				'CREATE ROLE IF NOT EXISTS `r`;',
				"CREATE USER IF NOT EXISTS `u`@`%` IDENTIFIED BY PASSWORD '*AA';",
				'GRANT INSERT ON `d`.`t` TO `r`;',
				'GRANT SELECT ON `d`.* TO PUBLIC;',
				'GRANT `r` TO `u`@`%`;',
				'GRANT SELECT ON `d`.* TO `u`@`%`;',
				'SET DEFAULT ROLE `r` FOR `u`@`%`;',
				'',
			].join('\n'),
		);
	});
});

type Row = RowDataPacket & Record<string, unknown>;

/** The account the sandbox's mariadb-install-db gave unix-socket superuser rights to: it can grant PROXY. */
function superuserConnection(): Promise<Connection> {
	const {mariadb} = getTestServers();
	return mysql.createConnection({socketPath: mariadb.socket, user: userInfo().username, multipleStatements: true});
}

async function lines(connection: Connection, sql: string): Promise<string[]> {
	const [rows] = await connection.query<Row[]>({sql, rowsAsArray: true});
	return (rows as unknown as unknown[][]).map((row) => String(row[0]));
}

async function* chunks(text: string): AsyncGenerator<string> {
	yield text;
}

describe('readUsers and usersScript on the real server', () => {
	let root: Connection;
	let reader: Connection;
	const base = uniqueName('acct');
	const database = uniqueName('acct_db');
	const obrien = `\`${base}_o'brien\`@\`%\``;
	const proxy = `\`${base} p x\`@\`10.0.0.%\``;
	const locked = `\`${base}_locked\`@\`localhost\``;
	const backtick = `\`${base}_b\`\`q\`@\`h\``;
	const readRole = `\`${base}_r_read\``;
	const adminRole = `\`${base}_r_admin\``;
	const users = [obrien, proxy, locked, backtick];
	const roles = [readRole, adminRole];

	before(async () => {
		root = await superuserConnection();
		reader = await mariadbConnection();
		await root.query(`
			CREATE DATABASE ${database};
			CREATE TABLE ${database}.t (a INT, b INT);
			CREATE PROCEDURE ${database}.p() SELECT 1;
			CREATE USER ${obrien} IDENTIFIED BY 'pw-obrien-1' WITH MAX_QUERIES_PER_HOUR 10 PASSWORD EXPIRE INTERVAL 30 DAY;
			CREATE USER ${proxy} IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('pw-proxy-2') REQUIRE SSL;
			CREATE USER ${locked} ACCOUNT LOCK;
			CREATE USER ${backtick} IDENTIFIED BY 'pw-bq-3' REQUIRE SUBJECT '/CN=x' AND ISSUER '/CN=y';
			CREATE ROLE ${readRole};
			CREATE ROLE ${adminRole};
			GRANT SELECT ON ${database}.* TO ${readRole};
			GRANT ${readRole} TO ${adminRole} WITH ADMIN OPTION;
			GRANT INSERT ON ${database}.t TO ${adminRole};
			GRANT ${readRole} TO ${obrien};
			GRANT ${adminRole} TO ${obrien} WITH ADMIN OPTION;
			SET DEFAULT ROLE ${readRole} FOR ${obrien};
			GRANT SELECT (a), UPDATE (b) ON ${database}.t TO ${obrien};
			GRANT EXECUTE ON PROCEDURE ${database}.p TO ${obrien};
			GRANT USAGE ON *.* TO ${proxy} WITH GRANT OPTION;
			GRANT PROXY ON ${obrien} TO ${proxy};
			GRANT ALL ON ${database}.* TO ${locked};
			GRANT SELECT, INSERT ON ${database}.t TO ${locked} WITH GRANT OPTION;
			GRANT RELOAD, PROCESS ON *.* TO ${backtick};
			GRANT SELECT ON ${database}.* TO PUBLIC;
		`);
	});

	after(async () => {
		for (const user of users) await root.query(`DROP USER IF EXISTS ${user}`);
		for (const role of roles) await root.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
		await root.query(`REVOKE SELECT ON ${database}.* FROM PUBLIC`).catch(() => {});
		await root.query(`DROP DATABASE IF EXISTS ${database}`);
		await root.end();
		await reader.end();
	});

	/** What the server says about an account: the oracle for the round trip. */
	async function describeAccount(account: string): Promise<string[]> {
		const grants = await lines(root, `SHOW GRANTS FOR ${account}`);
		if (account === 'PUBLIC') return grants.filter((line) => line.includes(database));
		return roles.includes(account) ? grants : [...(await lines(root, `SHOW CREATE USER ${account}`)), ...grants];
	}

	const mine = (definitions: UserDefinition[]) =>
		definitions
			.filter((definition) => definition.user.startsWith(base) || definition.kind === 'public')
			.map((definition) =>
				definition.kind === 'public' ? {...definition, grants: definition.grants.filter((grant) => grant.includes(database))} : definition,
			);

	test('dump, drop, apply: every account comes back with the same SHOW CREATE USER and SHOW GRANTS', async () => {
		const bus = new EventBus();
		const events: BusEvent[] = [];
		bus.onAny((event) => events.push(event));
		const all = await readUsers(reader, bus);
		const accounts = all.map((definition) => definition.account);
		assert.ok(!accounts.includes('`root`@`localhost`') && !accounts.includes('`mariadb.sys`@`localhost`'), 'the server’s own are left out');
		assert.ok(accounts.includes('`dbbackup`@`%`'), 'other accounts are read');
		const dumped = mine(all);
		assert.deepEqual(dumped.map((definition) => definition.account).sort(), [...users, ...roles, 'PUBLIC'].sort());
		assert.deepEqual(dumped.find((definition) => definition.kind === 'public')?.grants, [`GRANT SELECT ON \`${database}\`.* TO PUBLIC`]);
		assert.ok(events.some((event) => event.type === 'log' && event.message.includes('`root`@`localhost`')));

		const script = usersScript(dumped);
		for (const password of ['pw-obrien-1', 'pw-proxy-2', 'pw-bq-3']) assert.ok(!script.includes(password), 'no plain password');
		const [obrienCreate] = await lines(root, `SHOW CREATE USER ${obrien}`);
		const hash = /PASSWORD '(\*[0-9A-F]{40})'/.exec(obrienCreate)?.[1];
		assert.ok(hash && script.includes(hash), 'the password hash is kept');
		assert.equal(redact(`hash ${hash}`), 'hash [redacted]', 'hashes read are registered as secrets');

		const original = new Map<string, string[]>();
		for (const account of [...users, ...roles, 'PUBLIC']) original.set(account, await describeAccount(account));

		for (const user of users) await root.query(`DROP USER ${user}`);
		for (const role of roles) await root.query(`DROP ROLE ${role}`);
		await root.query(`REVOKE SELECT ON ${database}.* FROM PUBLIC`);
		await assert.rejects(describeAccount(obrien), 'the accounts are really gone');

		const result = await applySqlScript({connection: root, source: chunks(script), bus: new EventBus()});
		assert.deepEqual(result.errors, []);
		for (const [account, before] of original) assert.deepEqual(await describeAccount(account), before, account);
	});

	test('applied again over existing accounts: no error, and a password changed since is not reset', async () => {
		const script = usersScript(mine(await readUsers(reader, new EventBus())));
		const [before] = await lines(root, `SHOW CREATE USER ${obrien}`);
		await root.query(`SET PASSWORD FOR ${obrien} = PASSWORD('changed-since')`);
		const [changed] = await lines(root, `SHOW CREATE USER ${obrien}`);
		assert.notEqual(changed, before);
		const result = await applySqlScript({connection: root, source: chunks(script), bus: new EventBus()});
		assert.deepEqual(result.errors, []);
		assert.equal((await lines(root, `SHOW CREATE USER ${obrien}`))[0], changed);
	});
});
