import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {evaluateMysqlGrants, hidePasswordHashes, parseGrant} from '../../../source/core/detect/mysql-privileges.ts';
import {REDACTED} from '../../../source/core/redact.ts';

const mariadb1011 = {text: '10.11.6-MariaDB', major: 10, minor: 11, patch: 6};
const mariadb104 = {text: '10.4.32-MariaDB', major: 10, minor: 4, patch: 32};
const mysql80 = {text: '8.0.36', major: 8, minor: 0, patch: 36};

describe('parseGrant', () => {
	test('global grant with GRANT OPTION', () => {
		assert.deepEqual(parseGrant('GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION'), {
			privileges: ['ALL PRIVILEGES', 'GRANT OPTION'],
			object: '*.*',
			global: true,
		});
	});

	test('MySQL 8 dynamic privileges are listed without spaces', () => {
		const grant = parseGrant('GRANT BACKUP_ADMIN,CLONE_ADMIN,REPLICATION_SLAVE_ADMIN ON *.* TO `u`@`%`');
		assert.deepEqual(grant?.privileges, ['BACKUP_ADMIN', 'CLONE_ADMIN', 'REPLICATION_SLAVE_ADMIN']);
	});

	test('column lists do not split privileges', () => {
		const grant = parseGrant('GRANT SELECT (`a`, `on`), INSERT (`b`) ON `shop`.`orders` TO `u`@`%`');
		assert.deepEqual(grant, {privileges: ['SELECT', 'INSERT'], object: '`shop`.`orders`', global: false});
	});

	test('role grants have no privileges to parse', () => {
		assert.equal(parseGrant('GRANT `backup_role`@`%` TO `u`@`%`'), undefined);
		assert.equal(parseGrant('GRANT `rr` TO `roleu`@`%`'), undefined);
	});
});

describe('hidePasswordHashes', () => {
	test('MariaDB password hashes in grant lines are redacted', () => {
		const line = "GRANT USAGE ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*91F49F63E0ACC9A8CB60BFD45A9AE9220D6EDE44'";
		assert.equal(hidePasswordHashes(line), `GRANT USAGE ON *.* TO \`u\`@\`%\` IDENTIFIED BY PASSWORD '${REDACTED}'`);
		const via = "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket WITH GRANT OPTION";
		assert.ok(!hidePasswordHashes(via).includes("'invalid'"));
	});
});

describe('evaluateMysqlGrants', () => {
	test('ALL PRIVILEGES on MariaDB covers mysqldump and snapshot; clone is not listed (MariaDB has no clone plugin, so no privilege is "missing" for it)', () => {
		const info = evaluateMysqlGrants(['GRANT ALL PRIVILEGES ON *.* TO `full`@`%` WITH GRANT OPTION'], 'mariadb', mariadb1011);
		assert.deepEqual(info.perEngine.mysqldump, {ok: true, missing: []});
		assert.equal(info.perEngine.streaming, undefined, 'object-store streaming is a destination, not an engine with privileges of its own');
		assert.deepEqual(info.perEngine.snapshot, {ok: true, missing: []});
		assert.equal(info.perEngine.clone, undefined);
		assert.deepEqual(info.held, ['ALL PRIVILEGES', 'GRANT OPTION']);
	});

	test('SELECT only lacks everything else, in MariaDB 10.5+ names', () => {
		const info = evaluateMysqlGrants(['GRANT SELECT ON *.* TO `limited`@`%`'], 'mariadb', mariadb1011);
		assert.deepEqual(info.perEngine.mysqldump.missing, ['SHOW VIEW', 'TRIGGER', 'EVENT', 'LOCK TABLES', 'RELOAD', 'BINLOG MONITOR']);
		assert.deepEqual(info.perEngine.snapshot.missing, ['RELOAD', 'PROCESS', 'BINLOG MONITOR']);
		assert.equal(info.perEngine.mysqldump.ok, false);
	});

	test('snapshot on MariaDB: RELOAD (BACKUP STAGE), PROCESS (INNODB_SYS_TABLESPACES), BINLOG MONITOR (SHOW MASTER STATUS), SELECT or SHOW DATABASES', () => {
		const enough = evaluateMysqlGrants(['GRANT RELOAD, PROCESS, BINLOG MONITOR, SHOW DATABASES ON *.* TO `snap`@`localhost`'], 'mariadb', mariadb1011);
		assert.deepEqual(enough.perEngine.snapshot, {ok: true, missing: []});
		const reloadOnly = evaluateMysqlGrants(['GRANT RELOAD ON *.* TO `snap`@`localhost`'], 'mariadb', mariadb1011);
		assert.deepEqual(reloadOnly.perEngine.snapshot.missing, ['SELECT', 'PROCESS', 'BINLOG MONITOR']);
		const old = evaluateMysqlGrants(['GRANT SELECT, RELOAD, PROCESS ON *.* TO `snap`@`localhost`'], 'mariadb', mariadb104);
		assert.deepEqual(old.perEngine.snapshot.missing, ['REPLICATION CLIENT']);
	});

	test('snapshot on MySQL 8+: BACKUP_ADMIN (LOCK INSTANCE FOR BACKUP, log_status), RELOAD or FLUSH_TABLES (FTWRL), PROCESS, SELECT; not REPLICATION CLIENT', () => {
		const reloadOnly = evaluateMysqlGrants(['GRANT RELOAD ON *.* TO `snap`@`%`'], 'mysql', mysql80);
		assert.deepEqual(reloadOnly.perEngine.snapshot, {ok: false, missing: ['SELECT', 'PROCESS', 'BACKUP_ADMIN']});
		const enough = evaluateMysqlGrants(['GRANT SELECT, PROCESS ON *.* TO `snap`@`%`', 'GRANT BACKUP_ADMIN,FLUSH_TABLES ON *.* TO `snap`@`%`'], 'mysql', mysql80);
		assert.deepEqual(enough.perEngine.snapshot, {ok: true, missing: []});
		const noBackupAdmin = evaluateMysqlGrants(['GRANT SELECT, RELOAD, PROCESS, REPLICATION CLIENT ON *.* TO `snap`@`%`'], 'mysql', mysql80);
		assert.deepEqual(noBackupAdmin.perEngine.snapshot.missing, ['BACKUP_ADMIN']);
		const all = evaluateMysqlGrants(['GRANT ALL PRIVILEGES ON *.* TO `root`@`%`'], 'mysql', {text: '9.7.0', major: 9, minor: 7, patch: 0});
		assert.deepEqual(all.perEngine.snapshot, {ok: true, missing: []});
	});

	test('REPLICATION CLIENT is accepted as the alias of BINLOG MONITOR on MariaDB', () => {
		const info = evaluateMysqlGrants(
			['GRANT SELECT, RELOAD, LOCK TABLES, REPLICATION CLIENT, SHOW VIEW, EVENT, TRIGGER ON *.* TO `bk`@`localhost`'],
			'mariadb',
			mariadb1011,
		);
		assert.deepEqual(info.perEngine.mysqldump, {ok: true, missing: []});
	});

	test('MariaDB before 10.5 asks for REPLICATION CLIENT', () => {
		const info = evaluateMysqlGrants(['GRANT SELECT ON *.* TO `u`@`%`'], 'mariadb', mariadb104);
		assert.ok(info.perEngine.mysqldump.missing.includes('REPLICATION CLIENT'));
		assert.ok(!info.perEngine.mysqldump.missing.includes('BINLOG MONITOR'));
	});

	test('grants on one database do not count as global privileges', () => {
		const info = evaluateMysqlGrants(
			['GRANT USAGE ON *.* TO `u`@`%`', 'GRANT SELECT, LOCK TABLES, SHOW VIEW, EVENT, TRIGGER, RELOAD ON `shop`.* TO `u`@`%`'],
			'mysql',
			mysql80,
		);
		assert.deepEqual(info.perEngine.mysqldump.missing, ['SELECT', 'SHOW VIEW', 'TRIGGER', 'EVENT', 'LOCK TABLES', 'RELOAD', 'REPLICATION CLIENT']);
		assert.ok(info.held.includes('SELECT ON `shop`.*'));
		assert.ok(!info.held.includes('SELECT'));
	});

	test('MySQL 8: an expanded grant list with BACKUP_ADMIN is enough for clone', () => {
		const info = evaluateMysqlGrants(
			[
				'GRANT SELECT, RELOAD, LOCK TABLES, REPLICATION CLIENT, SHOW VIEW, EVENT, TRIGGER ON *.* TO `bk`@`%`',
				'GRANT BACKUP_ADMIN,CLONE_ADMIN ON *.* TO `bk`@`%`',
			],
			'mysql',
			mysql80,
		);
		assert.deepEqual(info.perEngine.clone, {ok: true, missing: []});
		assert.deepEqual(info.perEngine.mysqldump, {ok: true, missing: []});
	});

	test('MySQL 8 without BACKUP_ADMIN: clone misses it, and ALL PRIVILEGES (5.7 style) would cover it', () => {
		const without = evaluateMysqlGrants(['GRANT SELECT, RELOAD ON *.* TO `bk`@`%`'], 'mysql', mysql80);
		assert.deepEqual(without.perEngine.clone.missing, ['BACKUP_ADMIN']);
		const all = evaluateMysqlGrants(['GRANT ALL PRIVILEGES ON *.* TO `root`@`%`'], 'percona', mysql80);
		assert.deepEqual(all.perEngine.clone, {ok: true, missing: []});
	});

	test('raw grants are returned without password hashes', () => {
		const info = evaluateMysqlGrants(["GRANT SELECT ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*ABCDEF0123'"], 'mariadb', mariadb1011);
		assert.equal(info.grants.length, 1);
		assert.ok(!info.grants[0].includes('*ABCDEF0123'));
	});
});
