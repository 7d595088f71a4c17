import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {dataMemberRule, literalTuplesProblem, objectMemberRule, tableSchemaRule} from '../../../source/engines/mysql-logical/member-rules.ts';
import {ScriptStatement} from '../../../source/engines/sql-script/statement.ts';

function rows(text: string): string | undefined {
	return literalTuplesProblem(Buffer.from(text), 0);
}

function statement(sql: string): ScriptStatement {
	const bytes = Buffer.from(sql);
	return new ScriptStatement(bytes, 1, 0, bytes.length);
}

describe('what an archive member may hold (MySQL)', () => {
	test('rows of literals pass, whatever their quoting and escapes', () => {
		for (const text of [
			"(1,'a'),(2,'b')",
			"(-1.5e+20, 'it\\'s', 'it''s', 'back\\\\', '\\\\\\'')",
			"(0x4142, X'41', b'0101', _binary'x', _utf8mb4'y', NULL, TRUE, .5, 3., 1e5)",
			"( 1 ,\n 'multi\nline' )",
			'()',
		]) {
			assert.equal(rows(text), undefined, text);
		}
	});

	test('attack: anything that is not a literal is refused', () => {
		for (const [text, problem] of [
			["(1, LOAD_FILE('/etc/passwd'))", /LOAD_FILE/],
			['(1, (SELECT 1))', /nested/],
			['(1, @secret)', /"@"/],
			['(1, `col`)', /"`"/],
			['(1, USER())', /USER/],
			["(1, 'a') ON DUPLICATE KEY UPDATE v = 2", /"ON", which is not a literal/],
			['(1) 2', /outside the parentheses/],
			["(1, 'a'", /unclosed/],
			["(1, 'a)", /unterminated/],
			["(1, 'a\\')", /unterminated/],
			['(1);(2)', /";"/],
		] as const) {
			assert.match(rows(text) ?? 'passed', problem, text);
		}
	});

	test('a data member inserts only into its own table', () => {
		const rule = dataMemberRule('data/db/t.00000.sql', 't');
		assert.equal(rule(statement("INSERT INTO `t` (`a`, `b``c`) VALUES\n(1,'x')")), undefined);
		assert.throws(() => rule(statement("INSERT INTO `u` (`a`) VALUES (1)")), /inserts into u/);
		assert.throws(() => rule(statement("INSERT INTO `db2`.`t` (`a`) VALUES (1)")), /another database/);
		assert.throws(() => rule(statement('INSERT INTO `t` (`a`) SELECT 1')), /other than VALUES/);
		assert.throws(() => rule(statement('REPLACE INTO `t` (`a`) VALUES (1)')), /only INSERT INTO/);
		assert.throws(() => rule(statement('DROP TABLE `t`')), /only INSERT INTO/);
	});

	test('a table schema member creates only its own table, column by column', () => {
		const rule = tableSchemaRule('schema/db/t.sql', 't');
		assert.equal(rule(statement("CREATE TABLE `t` (\n`id` int NOT NULL, `v` varchar(3) DEFAULT 'a;b' COMMENT 'x', PRIMARY KEY (`id`)\n) ENGINE=InnoDB /*!50100 PARTITION BY HASH (`id`) PARTITIONS 2 */")), undefined);
		assert.throws(() => rule(statement('CREATE TABLE `t` (`id` int) /*!50100 SELECT 1 AS id */')), /SELECT after its columns/);
		assert.throws(() => rule(statement('CREATE TABLE `t` LIKE `mysql`.`user`')), /does not define its columns/);
		assert.throws(() => rule(statement('CREATE TABLE `t` (`id` int) ENGINE = FEDERATED')), /engine that reaches/);
		assert.throws(() => rule(statement('CREATE TEMPORARY TABLE `t` (`id` int)')), /only the CREATE TABLE/);
	});

	test('an object member creates only its kind, unqualified, under its session settings', () => {
		const rule = objectMemberRule('post/db/triggers.sql', 'triggers');
		assert.equal(rule(statement("SET sql_mode = 'STRICT_TRANS_TABLES'")), undefined);
		assert.equal(rule(statement('SET character_set_client = utf8mb4')), undefined);
		assert.equal(rule(statement('CREATE DEFINER=`root`@`localhost` TRIGGER `tr` BEFORE INSERT ON `t` FOR EACH ROW SET NEW.v = 1')), undefined);
		assert.throws(() => rule(statement('CREATE DEFINER=`root`@`localhost` TRIGGER `tr` BEFORE INSERT ON `db2`.`t` FOR EACH ROW SET NEW.v = 1')), /another database/);
		assert.throws(() => rule(statement('CREATE VIEW `v` AS SELECT 1')), /creates only triggers/);
		assert.throws(() => rule(statement('SET GLOBAL sql_mode = ""')), /holds only CREATE/);
		assert.throws(() => rule(statement("SET sql_mode = 'a', @@global.read_only = 1")), /holds only CREATE/);
	});
});
