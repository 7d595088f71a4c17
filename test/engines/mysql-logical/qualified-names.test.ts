import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {withoutOwnQualifier} from '../../../source/engines/mysql-logical/own-qualifier.ts';
import {mariadbConnection, uniqueName} from '../../harness/db.ts';
import {getTestServers} from '../../harness/servers.ts';
import {runCli} from '../../cli/run-cli.ts';

const {mariadb} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];

test('withoutOwnQualifier takes the own database off a trigger\'s name and table, and leaves other databases and bodies', () => {
	assert.equal(
		withoutOwnQualifier('CREATE DEFINER=`u`@`%` TRIGGER `shop`.`tr` BEFORE INSERT ON `shop`.`t` FOR EACH ROW SET NEW.v = (SELECT 1 FROM shop.other)', 'shop'),
		'CREATE DEFINER=`u`@`%` TRIGGER `tr` BEFORE INSERT ON `t` FOR EACH ROW SET NEW.v = (SELECT 1 FROM shop.other)',
	);
	assert.equal(withoutOwnQualifier('CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @x = 1', 'shop'), 'CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @x = 1');
	assert.equal(withoutOwnQualifier('CREATE TRIGGER other.tr BEFORE INSERT ON other.t FOR EACH ROW SET @x = 1', 'shop'), 'CREATE TRIGGER other.tr BEFORE INSERT ON other.t FOR EACH ROW SET @x = 1');
	assert.equal(withoutOwnQualifier('CREATE PROCEDURE `shop`.`p`() SELECT 1', 'shop'), 'CREATE PROCEDURE `p`() SELECT 1');
});

test('a trigger created with a database-qualified name (CREATE TRIGGER db.tr … ON db.t) backs up and restores under another name, and fires there', async () => {
	const admin = await mariadbConnection({multipleStatements: true});
	const source = uniqueName('qualtrig');
	const copy = uniqueName('qualcopy');
	const dir = await mkdtemp(join(tmpdir(), 'dbbackup-qualified-'));
	try {
		await admin.query(`CREATE DATABASE ${source}; CREATE TABLE ${source}.t (id INT PRIMARY KEY, v INT)`);
		await admin.query(`CREATE TRIGGER ${source}.tr BEFORE INSERT ON ${source}.t FOR EACH ROW SET NEW.v = NEW.id * 10`);
		await admin.query(`INSERT INTO ${source}.t (id) VALUES (1), (2)`);
		const archive = join(dir, 'q.tar');
		const backup = await runCli(['backup', 'single', source, '--output', archive, '--yes', ...mysqlArgs], {env: {MYSQL_PWD: mariadb.password}});
		assert.equal(backup.code, 0, backup.stderr);
		const restore = await runCli(['restore', archive, '--target-db', copy, '--yes', ...mysqlArgs], {env: {MYSQL_PWD: mariadb.password}});
		assert.equal(restore.code, 0, restore.stderr);
		await admin.query(`INSERT INTO ${copy}.t (id) VALUES (3)`);
		const [rows] = await admin.query<any[]>(`SELECT id, v FROM ${copy}.t ORDER BY id`);
		assert.deepEqual(rows.map((row) => [row.id, row.v]), [[1, 10], [2, 20], [3, 30]]);
	} finally {
		await admin.query(`DROP DATABASE IF EXISTS ${source}; DROP DATABASE IF EXISTS ${copy}`);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	}
});
