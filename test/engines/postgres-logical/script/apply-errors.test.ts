import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import {EventBus, type EventOf} from '../../../../source/core/events.ts';
import {SqlScriptError} from '../../../../source/engines/sql-script/script-error.ts';
import {applyPostgresScript, type ApplyPostgresScriptOptions} from '../../../../source/engines/postgres-logical/script/apply.ts';
import {dropPostgresDatabases, postgresClient, uniqueName} from '../../../harness/db.ts';

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
	for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

describe('applying bad PostgreSQL scripts', () => {
	let admin: pg.Client;
	const databases: string[] = [];
	const clients: pg.Client[] = [];

	/** A fresh database owned by the test role, and a client on it. */
	async function freshClient(): Promise<pg.Client> {
		const name = uniqueName('pgscript_bad');
		databases.push(name);
		await admin.query(`CREATE DATABASE ${name}`);
		const client = await postgresClient(name);
		clients.push(client);
		return client;
	}

	function apply(client: pg.Client, script: string | Buffer, options: Partial<ApplyPostgresScriptOptions> = {}) {
		const bytes = typeof script === 'string' ? Buffer.from(script, 'utf8') : script;
		return applyPostgresScript({client, source: chunksOf(bytes, 4096), bus: new EventBus(), member: 'inline.sql', ...options});
	}

	async function scalar(client: pg.Client, sql: string): Promise<unknown> {
		const result = await client.query(sql);
		return Object.values(result.rows[0])[0];
	}

	before(async () => {
		admin = await postgresClient();
	});

	after(async () => {
		for (const client of clients) await client.end().catch(() => {});
		await dropPostgresDatabases(databases);
		await admin.end();
	});

	test('a COPY block cut off before \\. fails naming its line, and none of the rows it streamed are committed', async () => {
		const client = await freshClient();
		const rows = Array.from({length: 30000}, (_, n) => `${n + 1}\trow ${n + 1}; with text\n`).join('');
		const script = `CREATE TABLE t (id int, v text);\nINSERT INTO t VALUES (0, 'before');\nCOPY t (id, v) FROM stdin;\n${rows}`;
		let streamed = 0;
		await assert.rejects(apply(client, script, {onProgress: (bytes) => (streamed = Math.max(streamed, bytes))}), (error: unknown) => {
			assert.ok(error instanceof SqlScriptError);
			assert.equal(error.code, 'SQL_SCRIPT_SYNTAX');
			assert.equal(error.line, 3);
			assert.equal(error.member, 'inline.sql');
			assert.match(error.message, /^inline\.sql line 3: the COPY data starting on line 4 has no end marker/);
			return true;
		});
		assert.ok(streamed > script.length / 2, `only ${streamed} bytes were streamed before the end`);
		// the same session goes on, and sees only the row from before the COPY
		assert.equal(await scalar(client, 'SELECT count(*)::int FROM t'), 1);
		const other = await postgresClient(databases.at(-1));
		clients.push(other);
		assert.equal(await scalar(other, 'SELECT count(*)::int FROM t'), 1);
	});

	test('an unterminated dollar quote fails naming the line where it starts; the statements before it ran', async () => {
		const client = await freshClient();
		const script = [
			'CREATE TABLE t (id int);',
			'INSERT INTO t VALUES (1);',
			'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$',
			'BEGIN',
			'  RETURN 1;',
			'END;',
		].join('\n');
		await assert.rejects(apply(client, script), (error: unknown) => {
			assert.ok(error instanceof SqlScriptError);
			assert.equal(error.line, 3);
			assert.match(error.message, /^inline\.sql line 3: unterminated dollar-quoted string \$body\$ starting on line 3 \(in the statement starting on line 3\)/);
			return true;
		});
		assert.equal(await scalar(client, 'SELECT count(*)::int FROM t'), 1);
		assert.equal(await scalar(client, `SELECT count(*)::int FROM pg_proc WHERE proname = 'f'`), 0);
	});

	test('a failing statement stops the script with its line, the SQLSTATE and the statement', async () => {
		const client = await freshClient();
		const script = ['CREATE TABLE t (id int PRIMARY KEY);', 'INSERT INTO t VALUES (1);', '', 'INSERT INTO', '  missing_table VALUES (2);', 'INSERT INTO t VALUES (3);'].join('\n');
		await assert.rejects(apply(client, script), (error: unknown) => {
			assert.ok(error instanceof SqlScriptError);
			assert.equal(error.code, 'SQL_STATEMENT_FAILED');
			assert.equal(error.line, 4);
			assert.match(
				error.message,
				/^inline\.sql line 4: the server refused the statement: relation "missing_table" does not exist \(SQLSTATE 42P01\); statement: INSERT INTO missing_table VALUES \(2\)$/,
			);
			return true;
		});
		assert.equal(await scalar(client, 'SELECT count(*)::int FROM t'), 1);
	});

	test('a COPY row the server refuses stops the script naming the COPY, the SQLSTATE and the row\'s line; nothing of the COPY stays', async () => {
		const client = await freshClient();
		const script = ['CREATE TABLE c (id int, v text);', 'COPY c (id, v) FROM stdin;', '1\ta', 'x\tb', '\\.', "INSERT INTO c VALUES (9, 'after');"].join('\n');
		await assert.rejects(apply(client, script), (error: unknown) => {
			assert.ok(error instanceof SqlScriptError);
			assert.equal(error.line, 2);
			assert.match(
				error.message,
				/^inline\.sql line 2: the server refused the statement: invalid input syntax for type integer: "x" \(SQLSTATE 22P02\) at COPY c, line 2, column id: "x" \(line 4 of the script\); statement: COPY c \(id, v\) FROM stdin$/,
			);
			return true;
		});
		assert.equal(await scalar(client, 'SELECT count(*)::int FROM c'), 0);
	});

	test('continueOnError counts each failure (statements and COPY blocks), warns, skips the failed COPY\'s data and applies the rest', async () => {
		const client = await freshClient();
		const many = Array.from({length: 30000}, (_, n) => `${1000 + n}\n`).join('');
		const script = [
			'CREATE TABLE t (id int PRIMARY KEY);',
			'INSERT INTO t VALUES (1);',
			'INSERT INTO t VALUES (1);',
			'SELEC 3;',
			'COPY t (id) FROM stdin;',
			'10',
			'oops',
			'\\.',
			// refused on its first row while most of its data is still to be sent
			'COPY t (id) FROM stdin;',
			'not a number',
			`${many}\\.`,
			'COPY t (id) FROM stdin;',
			'20',
			'21',
			'\\.',
			'INSERT INTO t VALUES (2);',
		].join('\n');
		const bus = new EventBus();
		const warnings: EventOf<'warning'>[] = [];
		bus.on('warning', (event) => warnings.push(event));
		const result = await apply(client, script, {continueOnError: true, bus});
		assert.equal(result.statements, 8);
		assert.equal(result.copyRows, 2);
		assert.equal(result.bytes, Buffer.byteLength(script));
		assert.deepEqual(
			result.errors.map((error) => [error.line, error.code, error.dataLine]),
			[
				[3, '23505', undefined],
				[4, '42601', undefined],
				[5, '22P02', 7],
				[9, '22P02', 10],
			],
		);
		assert.equal(warnings.length, 4);
		assert.match(warnings[2].message, /^inline\.sql line 5: invalid input syntax for type integer: "oops" \(SQLSTATE 22P02\) at COPY t, line 2, column id: "oops" \(line 7 of the script\)/);
		assert.equal(warnings[2].code, 'SQL_STATEMENT_FAILED');
		const ids = await client.query('SELECT array_agg(id ORDER BY id) AS ids FROM t');
		assert.deepEqual(ids.rows[0].ids, [1, 2, 20, 21]);
	});

	test('strings follow the script\'s standard_conforming_strings; E\'\' and U&\'\' reach the server as written', async () => {
		const client = await freshClient();
		const script = [
			'CREATE TABLE s (n int, v text);',
			'SET standard_conforming_strings = off;',
			"SET escape_string_warning = off;",
			"INSERT INTO s VALUES (1, 'a\\';b');",
			'SET standard_conforming_strings = on;',
			"INSERT INTO s VALUES (2, 'c:\\'), (3, E'd\\'\\\\;'), (4, U&'\\00e9;');",
		].join('\n');
		const result = await apply(client, script);
		assert.deepEqual(result.errors, []);
		const rows = await client.query('SELECT v FROM s ORDER BY n');
		assert.deepEqual(
			rows.rows.map((row) => row.v),
			["a';b", 'c:\\', "d'\\;", 'é;'],
		);
	});

	test('a psql meta-command the restore does not run is an error naming it; what follows is not applied', async () => {
		const client = await freshClient();
		await assert.rejects(apply(client, 'CREATE TABLE before_meta (id int);\n\\i other.sql\nCREATE TABLE after_meta (id int);\n'), (error: unknown) => {
			assert.ok(error instanceof SqlScriptError);
			assert.equal(error.line, 2);
			assert.match(error.message, /^inline\.sql line 2: \\i is a psql meta-command/);
			return true;
		});
		assert.equal(await scalar(client, `SELECT count(*)::int FROM pg_tables WHERE tablename IN ('before_meta', 'after_meta')`), 1);
	});

	test('\\connect without onConnect, and a script in another encoding, are refused', async () => {
		const client = await freshClient();
		await assert.rejects(apply(client, 'SELECT 1;\n\\connect other\nSELECT 2;\n'), (error: unknown) => {
			assert.ok(error instanceof SqlScriptError);
			assert.equal(error.code, 'SQL_SCRIPT_CONNECT');
			assert.match(error.message, /^inline\.sql line 2: the script switches to database other with \\connect/);
			return true;
		});
		await assert.rejects(apply(client, "SET client_encoding = 'LATIN1';\nSELECT 1;\n"), /inline\.sql line 1: the script switches to client encoding LATIN1/);
		const latin1 = Buffer.concat([Buffer.from("SELECT 1;\nSELECT 'caf"), Buffer.from([0xe9]), Buffer.from("';\n")]);
		await assert.rejects(apply(client, latin1), (error: unknown) => {
			assert.ok(error instanceof SqlScriptError);
			assert.equal(error.code, 'SQL_SCRIPT_ENCODING');
			assert.equal(error.line, 2);
			return true;
		});
	});
});
