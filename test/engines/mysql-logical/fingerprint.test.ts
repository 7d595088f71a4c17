import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import {
	fingerprintDatabase,
	fingerprintDifferences,
	type DatabaseFingerprint,
	type ObjectFingerprint,
} from '../../../source/engines/mysql-logical/fingerprint.ts';
import {mariadbConnection, uniqueName} from '../../harness/db.ts';
import {createTypeZoo} from './type-zoo.ts';

describe('fingerprintDifferences', () => {
	const table = (extra: Partial<ObjectFingerprint> = {}): ObjectFingerprint => ({
		kind: 'table',
		name: 't`1',
		definition: {Table: 't`1', 'Create Table': 'CREATE TABLE `t``1` (`a` int(11))'},
		rows: 3,
		rowsHash: 'aa',
		checksum: '12',
		...extra,
	});
	const view: ObjectFingerprint = {kind: 'view', name: 'v', definition: {View: 'v', 'Create View': 'CREATE VIEW `v` AS SELECT 1'}};
	const base: DatabaseFingerprint = {'table t`1': table(), 'view v': view};

	test('equal fingerprints: no differences', () => {
		assert.deepEqual(fingerprintDifferences(base, structuredClone(base)), []);
	});

	test('each kind of difference in words', () => {
		const procedure = (sqlMode: string): ObjectFingerprint => ({
			kind: 'procedure',
			name: 'p',
			definition: {Procedure: 'p', sql_mode: sqlMode, 'Create Procedure': 'CREATE PROCEDURE `p`() SELECT 1'},
		});
		const sequence = (position: string): ObjectFingerprint => ({kind: 'sequence', name: 's', definition: {}, position});
		const a: DatabaseFingerprint = {
			database: {kind: 'database', name: '', definition: {'Create Database': 'CREATE DATABASE /*!40100 DEFAULT CHARACTER SET utf8mb4 */'}},
			'table t`1': table(),
			'table u': table({name: 'u', rows: 1}),
			'table w': table({name: 'w', checksum: '1'}),
			'view v': view,
			'procedure p': procedure('STRICT_TRANS_TABLES'),
			'sequence s': sequence('1001 (round 0)'),
			'event gone': {kind: 'event', name: 'gone', definition: {}},
		};
		const b: DatabaseFingerprint = {
			database: {kind: 'database', name: '', definition: {'Create Database': 'CREATE DATABASE /*!40100 DEFAULT CHARACTER SET latin1 */'}},
			'table t`1': table({rows: 2}),
			'table u': table({name: 'u', rows: 1, rowsHash: 'bb'}),
			'table w': table({name: 'w', checksum: '2'}),
			'view v': {...view, definition: {View: 'v', 'Create View': 'CREATE VIEW `v` AS SELECT 2'}},
			'procedure p': procedure(''),
			'sequence s': sequence('1 (round 0)'),
			'trigger new': {kind: 'trigger', name: 'new', definition: {}},
		};
		assert.deepEqual(fingerprintDifferences(a, b), [
			'database: definition differs',
			'table `t``1`: 3 rows vs 2 rows',
			'table `u`: row contents differ',
			'table `w`: CHECKSUM TABLE differs (1 vs 2)',
			'view `v`: definition differs',
			'procedure `p`: definition differs (sql_mode)',
			'sequence `s`: position 1001 (round 0) vs 1 (round 0)',
			'event `gone`: only in the first',
			'trigger `new`: only in the second',
		]);
	});

	test('one row and a missing count read naturally', () => {
		assert.deepEqual(fingerprintDifferences({'table t`1': table({rows: 1})}, {'table t`1': table({rows: 0})}), ['table `t``1`: 1 row vs 0 rows']);
	});
});

describe('fingerprintDatabase on the real server', () => {
	let admin: Connection;
	const databases: string[] = [];

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
	});

	after(async () => {
		for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
		await admin.end();
	});

	async function zoo(): Promise<string> {
		const database = uniqueName('fp');
		databases.push(database);
		await createTypeZoo(admin, database);
		await admin.query(`CREATE SEQUENCE \`${database}\`.s NOCACHE; SELECT NEXTVAL(\`${database}\`.s)`);
		return database;
	}

	test('covers every object; reading twice gives the same fingerprint', async () => {
		const database = await zoo();
		const first = await fingerprintDatabase(admin, database);
		assert.deepEqual(Object.keys(first), [
			'database',
			// in the server's name order (ñ sorts with n)
			'table gen',
			'table ints',
			'table legacy',
			'table ñandú 表',
			'table nokey',
			'sequence s',
			'table select',
			'table types',
			'view v 2 "view"',
			'view v1',
			'function f_add',
			'procedure p`roc',
			'trigger gen_bi',
			'event ev',
		]);
		assert.equal(first['table ints'].rows, 500);
		assert.match(first['table ints'].rowsHash ?? '', /^[0-9a-f]{64}$/);
		assert.equal(first['table gen'].checksum, undefined, 'no CHECKSUM TABLE on a table with VIRTUAL columns');
		assert.equal(typeof first['table types'].checksum, 'string');
		assert.equal(first['sequence s'].position, '2 (round 0)');
		assert.ok(!JSON.stringify(first.database).includes(database), 'the database name is left out');
		assert.deepEqual(JSON.parse(JSON.stringify(first)), first, 'a plain JSON-able object');
		assert.deepEqual(await fingerprintDatabase(admin, database), first);
	});

	test('names what changed', async () => {
		const database = await zoo();
		const before = await fingerprintDatabase(admin, database);
		await admin.query(`
			USE \`${database}\`;
			UPDATE types SET f = 16777218 WHERE id = 1;
			DELETE FROM ints ORDER BY id LIMIT 1;
			CREATE OR REPLACE VIEW v1 AS SELECT id, f_add(id, 2) AS next_id, vc FROM types;
			DROP TRIGGER gen_bi;
			CREATE TABLE extra (id INT);
			SELECT NEXTVAL(s);
			ALTER TABLE nokey COMMENT 'changed';
		`);
		assert.deepEqual(fingerprintDifferences(before, await fingerprintDatabase(admin, database)), [
			'table `ints`: 500 rows vs 499 rows',
			'table `nokey`: definition differs',
			'sequence `s`: position 2 (round 0) vs 3 (round 0)',
			'table `types`: row contents differ',
			'view `v1`: definition differs',
			'trigger `gen_bi`: only in the first',
			'table `extra`: only in the second',
		]);
	});

	test('rows are compared as a multiset: order does not count, duplicates do', async () => {
		const [a, b, c] = [uniqueName('fp_a'), uniqueName('fp_b'), uniqueName('fp_c')];
		databases.push(a, b, c);
		const create = (database: string, values: string) =>
			`CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; CREATE TABLE ${database}.t (n INT, s VARCHAR(5)) ENGINE=InnoDB; INSERT INTO ${database}.t VALUES ${values};`;
		await admin.query(create(a, "(1, 'x'), (1, 'x'), (2, NULL)"));
		await admin.query(create(b, "(2, NULL), (1, 'x'), (1, 'x')"));
		await admin.query(create(c, "(2, NULL), (3, 'y'), (3, 'y')"));
		const [first, second, third] = [await fingerprintDatabase(admin, a), await fingerprintDatabase(admin, b), await fingerprintDatabase(admin, c)];
		assert.deepEqual(fingerprintDifferences(first, second), [], 'same rows in another order, under another database name');
		assert.deepEqual(first, second);
		assert.deepEqual(fingerprintDifferences(first, third), ['table `t`: row contents differ']);
	});
});
