/**
 * --schema-only and --data-only for MySQL/MariaDB restores: the definitions without a row, then the rows
 * into the tables that exist, together equal to the source; a missing table named before any row is
 * loaded; a plain SQL script, whose rows cannot be told from its definitions, refused.
 */
import assert from 'node:assert/strict';
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import {fingerprint, fingerprintDifferences} from '../engines/mysql-logical/fingerprint.ts';
import {createTypeZoo} from '../engines/mysql-logical/type-zoo.ts';
import {mariadbConnection, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {runCli} from './run-cli.ts';

const {mariadb} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const env = {MYSQL_PWD: mariadb.password};
const timeoutMs = 120_000;

describe('MySQL restore --schema-only / --data-only', () => {
	let admin: Connection;
	let dir: string;
	let archive: string;
	let script: string;
	const source = uniqueName('sections');
	const created: string[] = [];
	const fresh = (prefix: string) => {
		const name = uniqueName(prefix);
		created.push(name);
		return name;
	};
	const count = async (sql: string, values: unknown[]) => Number((await admin.query<any[]>(sql, values))[0][0].n);
	const exists = (name: string) => count('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]).then((n) => n > 0);
	const rowsIn = async (database: string) => {
		const [tables] = await admin.query<any[]>("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", [database]);
		let rows = 0;
		for (const {name} of tables) rows += await count(`SELECT COUNT(*) AS n FROM \`${database}\`.\`${String(name).replaceAll('`', '``')}\``, []);
		return rows;
	};

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-sections-'));
		await createTypeZoo(admin, source);
		await admin.query(
			`CREATE SEQUENCE \`${source}\`.seq START WITH 100 INCREMENT BY 5; SELECT NEXTVAL(\`${source}\`.seq), NEXTVAL(\`${source}\`.seq);
			 CREATE TABLE \`${source}\`.numbered (id BIGINT PRIMARY KEY DEFAULT NEXTVAL(\`${source}\`.seq), label VARCHAR(10));
			 INSERT INTO \`${source}\`.numbered (label) VALUES ('a'), ('b');`,
		);
		const backup = await runCli(['backup', 'single', source, '--output', `${dir}/`, '--chunk-rows', '100', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(backup.code, 0, backup.stderr);
		archive = join(dir, (await readdir(dir)).find((name) => name.endsWith('.tar'))!);
		script = join(dir, 'plain.sql');
		const sql = await runCli(['backup', 'single', source, '--output', script, '--format', 'sql', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(sql.code, 0, sql.stderr);
	});

	after(async () => {
		for (const name of [source, ...created]) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('--schema-only creates every definition and no row; --data-only then loads the rows: equal to the source', async () => {
		const copy = fresh('sections_split');
		const schema = await runCli(['restore', archive, '--target-db', copy, '--schema-only', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(schema.code, 0, schema.stderr);
		assert.equal(await rowsIn(copy), 0, 'no row is loaded with --schema-only');
		const objects = async (database: string) => ({
			tables: await count('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database]),
			routines: await count('SELECT COUNT(*) AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?', [database]),
			triggers: await count('SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [database]),
			events: await count('SELECT COUNT(*) AS n FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?', [database]),
		});
		assert.deepEqual(await objects(copy), await objects(source));

		const data = await runCli(['restore', archive, '--target-db', copy, '--data-only', '--workers', '2', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(data.code, 0, data.stderr);
		assert.deepEqual(fingerprintDifferences(await fingerprint(admin, source), await fingerprint(admin, copy)), []);
	});

	test('--data-only: a table missing in the target is named (exit 2) before any row is loaded; a missing database too', async () => {
		const copy = fresh('sections_missing');
		const schema = await runCli(['restore', archive, '--target-db', copy, '--schema-only', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(schema.code, 0, schema.stderr);
		await admin.query(`DROP TABLE \`${copy}\`.ints`);
		const data = await runCli(['restore', archive, '--target-db', copy, '--data-only', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(data.code, 2, data.stderr);
		assert.match(data.stderr, new RegExp(`--data-only: .*${copy}.*has no table .*ints`));
		assert.equal(await rowsIn(copy), 0);

		const nowhere = fresh('sections_nowhere');
		const missing = await runCli(['restore', archive, '--target-db', nowhere, '--data-only', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(missing.code, 2, missing.stderr);
		assert.match(missing.stderr, new RegExp(`--data-only .*${nowhere}.* does not exist`));
		assert.equal(await exists(nowhere), false);
	});

	test('--schema-only with --data-only is refused (exit 2)', async () => {
		const copy = fresh('sections_both');
		const result = await runCli(['restore', archive, '--target-db', copy, '--schema-only', '--data-only', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /--schema-only and --data-only exclude each other/);
		assert.equal(await exists(copy), false);
	});

	test('a plain SQL script with --schema-only or --data-only: exit 2 saying why, nothing created', async () => {
		for (const flag of ['--schema-only', '--data-only']) {
			const copy = fresh('sections_script');
			const result = await runCli(['restore', script, '--target-db', copy, flag, '--yes', ...mysqlArgs], {env, timeoutMs});
			assert.equal(result.code, 2, `${flag}: ${result.stderr}`);
			assert.match(result.stderr, new RegExp(`${flag} .*plain SQL script.*cannot be told apart`));
			assert.equal(await exists(copy), false, flag);
		}
	});
});
