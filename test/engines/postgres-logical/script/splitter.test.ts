import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {SqlScriptError} from '../../../../source/engines/sql-script/script-error.ts';
import {PostgresScriptSplitter} from '../../../../source/engines/postgres-logical/script/splitter.ts';
import type {ScriptChunk} from '../../../../source/engines/sql-script/statement.ts';

async function* chunksOf(bytes: Buffer, size: number, first = size): AsyncGenerator<Buffer> {
	let at = 0;
	let length = first;
	while (at < bytes.length) {
		yield bytes.subarray(at, at + length);
		at += length;
		length = size;
	}
}

/** An item as plain data: [kind, line, text] where text is the SQL, the COPY data or the database. */
type Seen = [string, number, string];

async function collect(source: AsyncIterable<ScriptChunk>, script?: Buffer): Promise<Seen[]> {
	const splitter = new PostgresScriptSplitter(source, {name: 'dump.sql'});
	const seen: Seen[] = [];
	for await (const item of splitter) {
		if (item.kind === 'connect') {
			seen.push(['connect', item.line, item.database]);
			continue;
		}
		if (script) {
			const {statement} = item;
			assert.ok(script.subarray(statement.byteOffset, statement.byteOffset + statement.bytes.length).equals(statement.bytes), `byteOffset of line ${statement.line}`);
			if (statement.endOffset < script.length) assert.equal(script[statement.endOffset - 1], 0x3b, `endOffset of line ${statement.line} is just past its ;`);
		}
		seen.push([item.kind, item.statement.line, item.statement.sql]);
		if (item.kind === 'copy') {
			const parts: Buffer[] = [];
			for await (const chunk of item.data) parts.push(chunk);
			seen.push(['data', item.dataLine, Buffer.concat(parts).toString('utf8')]);
		}
	}
	return seen;
}

const split = (script: string | Buffer, size = 1 << 16, first = size) => {
	const bytes = typeof script === 'string' ? Buffer.from(script, 'utf8') : script;
	return collect(chunksOf(bytes, size, first), bytes);
};

async function splitError(script: string, size?: number): Promise<SqlScriptError> {
	try {
		await split(script, size);
	} catch (error) {
		assert.ok(error instanceof SqlScriptError, `expected a SqlScriptError, got ${String(error)}`);
		return error;
	}
	assert.fail('the script was accepted');
}

const tricky = [
	'--',
	'-- PostgreSQL database dump; with a semicolon',
	'--',
	'\\restrict a1B2c3',
	'SET standard_conforming_strings = on;',
	"SELECT 'a;b', 'it''s', 'c:\\', ';' ;",
	"SELECT E'it\\'s; \\\\', e'x''y;\\'' AS \"E'\";",
	"SELECT U&'d\\0061t;', U&\"semi;colon\" FROM \"weird \"\" ; table\";\r",
	'SELECT $$a;b$$, $fn$ body; $$ not the end; $fn$, $1, x$$y, a$b$c;',
	'CREATE FUNCTION f(x int) RETURNS int AS $body$',
	'BEGIN',
	"  RETURN x; -- ';",
	'  PERFORM $inner$ ; $body ; $inner$;',
	'END;',
	'$body$ LANGUAGE plpgsql;',
	'SELECT 1 /* outer /* inner ; */ still ; */, 2;',
	'SELECT 1 -- comment ; not the end',
	' , 2;',
	'CREATE FUNCTION g() RETURNS int LANGUAGE sql',
	'BEGIN ATOMIC',
	'  SELECT 1;',
	'  SELECT CASE WHEN true THEN 2 END;',
	'END;',
	'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));',
	"CREATE FUNCTION public.begin() RETURNS int LANGUAGE sql AS 'SELECT 1';",
	'SET standard_conforming_strings = off;',
	"SELECT 'a\\';b';",
	"SET standard_conforming_strings TO 'on';",
	"SELECT '😀;é' AS \"漢;字\";",
	'COPY public.t (a, "b;c") FROM stdin;',
	'1\tx;y',
	'2\t\\\\.',
	"3\tit's \\N; 😀",
	'\\.',
	'',
	'\\unrestrict a1B2c3',
	'SELECT 3 -- no final semicolon',
].join('\n');

const expected: Seen[] = [
	['statement', 5, 'SET standard_conforming_strings = on'],
	['statement', 6, "SELECT 'a;b', 'it''s', 'c:\\', ';'"],
	['statement', 7, "SELECT E'it\\'s; \\\\', e'x''y;\\'' AS \"E'\""],
	['statement', 8, "SELECT U&'d\\0061t;', U&\"semi;colon\" FROM \"weird \"\" ; table\""],
	['statement', 9, 'SELECT $$a;b$$, $fn$ body; $$ not the end; $fn$, $1, x$$y, a$b$c'],
	['statement', 10, "CREATE FUNCTION f(x int) RETURNS int AS $body$\nBEGIN\n  RETURN x; -- ';\n  PERFORM $inner$ ; $body ; $inner$;\nEND;\n$body$ LANGUAGE plpgsql"],
	['statement', 16, 'SELECT 1 /* outer /* inner ; */ still ; */, 2'],
	['statement', 17, 'SELECT 1 -- comment ; not the end\n , 2'],
	['statement', 19, 'CREATE FUNCTION g() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 2 END;\nEND'],
	['statement', 24, 'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))'],
	['statement', 25, "CREATE FUNCTION public.begin() RETURNS int LANGUAGE sql AS 'SELECT 1'"],
	['statement', 26, 'SET standard_conforming_strings = off'],
	['statement', 27, "SELECT 'a\\';b'"],
	['statement', 28, "SET standard_conforming_strings TO 'on'"],
	['statement', 29, "SELECT '😀;é' AS \"漢;字\""],
	['copy', 30, 'COPY public.t (a, "b;c") FROM stdin'],
	['data', 31, "1\tx;y\n2\t\\\\.\n3\tit's \\N; 😀\n"],
	['statement', 37, 'SELECT 3 -- no final semicolon'],
];

describe('PostgreSQL script splitter', () => {
	test('splits every quoting form, comments, routine bodies, rules, meta-commands and COPY data', async () => {
		assert.deepEqual(await split(tricky), expected);
	});

	test('gives the same items whatever the chunk boundaries (1-byte chunks, and 2..7 bytes at every phase)', async () => {
		const bytes = Buffer.from(tricky, 'utf8');
		for (let size = 1; size <= 7; size++) {
			for (let first = 1; first <= size; first++) {
				assert.deepEqual(await split(bytes, size, first), expected, `chunks of ${size}, first ${first}`);
			}
		}
	});

	test('multibyte UTF-8 cut inside a character, in a statement and in COPY data, arrives whole', async () => {
		const script = "SELECT '😀é漢' AS \"ü\";\nCOPY t FROM stdin;\n😀\t漢字\n\\.\n";
		assert.deepEqual(await split(script, 1), [
			['statement', 1, "SELECT '😀é漢' AS \"ü\""],
			['copy', 2, 'COPY t FROM stdin'],
			['data', 3, '😀\t漢字\n'],
		]);
	});

	test('CRLF scripts: the COPY data keeps its CRLF and \\.\\r\\n ends it', async () => {
		const script = 'SET x = 1;\r\nCOPY t FROM stdin;\r\n1\ta\r\n2\tb\r\n\\.\r\nSELECT 2;\r\n';
		for (const size of [1, 3, 1 << 16]) {
			assert.deepEqual(await split(script, size), [
				['statement', 1, 'SET x = 1'],
				['copy', 2, 'COPY t FROM stdin'],
				['data', 3, '1\ta\r\n2\tb\r\n'],
				['statement', 6, 'SELECT 2'],
			]);
		}
	});

	test('an empty COPY block, a \\. at the very end without a newline, and lines only like \\.', async () => {
		assert.deepEqual(await split('COPY t FROM stdin;\n\\.\nCOPY u FROM STDIN;\n\\.x\n\\..\n \\.\n\\.', 2), [
			['copy', 1, 'COPY t FROM stdin'],
			['data', 2, ''],
			['copy', 3, 'COPY u FROM STDIN'],
			['data', 4, '\\.x\n\\..\n \\.\n'],
		]);
	});

	test('only COPY … FROM stdin takes data: COPY TO STDOUT, FROM a file and COPY in a function body do not', async () => {
		const script = [
			"COPY (SELECT 'from stdin') TO STDOUT;",
			"COPY t FROM '/tmp/stdin';",
			'CREATE FUNCTION c() RETURNS void AS $$ COPY t FROM stdin $$ LANGUAGE sql;',
			'COPY "from" (stdin) FROM stdin;',
			'\\.',
		].join('\n');
		assert.deepEqual(
			(await split(script)).map(([kind, line]) => [kind, line]),
			[
				['statement', 1],
				['statement', 2],
				['statement', 3],
				['copy', 4],
				['data', 5],
			],
		);
	});

	test('COPY data left unread is skipped when the next item is asked for', async () => {
		const script = 'COPY t FROM stdin;\n1\n2\n\\.\nSELECT 1;\n';
		const splitter = new PostgresScriptSplitter(chunksOf(Buffer.from(script), 3));
		const kinds: Array<[string, number]> = [];
		for await (const item of splitter) kinds.push([item.kind, item.kind === 'connect' ? item.line : item.statement.line]);
		assert.deepEqual(kinds, [
			['copy', 1],
			['statement', 5],
		]);
		assert.equal(splitter.bytesConsumed, Buffer.byteLength(script));
	});

	test('a large COPY block is streamed: slices of the chunks, the source pulled only as the data is read', async () => {
		const row = `${'x'.repeat(90)}\t;\\\\.\n`;
		const rows = 200_000;
		const header = Buffer.from('COPY big FROM stdin;\n');
		const body = Buffer.from(row.repeat(rows));
		const script = Buffer.concat([header, body, Buffer.from('\\.\nSELECT 1;\n')]);
		const chunkSize = 64 * 1024;
		let pulled = 0;
		const source = (async function* () {
			for (let at = 0; at < script.length; at += chunkSize) {
				pulled += 1;
				yield script.subarray(at, at + chunkSize);
			}
		})();
		const splitter = new PostgresScriptSplitter(source);
		const iterator = splitter[Symbol.asyncIterator]();
		const first = await iterator.next();
		assert.equal(first.done, false);
		assert.equal(first.value?.kind, 'copy');
		if (first.value?.kind !== 'copy') return;
		let received = 0;
		let largest = 0;
		let lines = 0;
		for await (const chunk of first.value.data) {
			received += chunk.length;
			largest = Math.max(largest, chunk.length);
			for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) lines += 1;
			assert.ok(pulled <= Math.ceil((header.length + received) / chunkSize) + 1, `pulled ${pulled} chunks for ${received} bytes`);
		}
		assert.equal(received, body.length);
		assert.equal(lines, rows);
		assert.ok(largest <= chunkSize, `largest slice ${largest}`);
		const next = await iterator.next();
		assert.equal(next.value?.kind, 'statement');
		assert.equal(next.value?.kind === 'statement' && next.value.statement.line, rows + 3);
		assert.equal((await iterator.next()).done, true);
	});

	test('accepts strings as chunks and skips empty statements', async () => {
		const items = await collect(
			(async function* () {
				yield 'SELECT 1;;; ;\n';
				yield 'SELECT 2;';
			})(),
		);
		assert.deepEqual(items, [
			['statement', 1, 'SELECT 1'],
			['statement', 2, 'SELECT 2'],
		]);
	});

	test('standard_conforming_strings starts from the caller and follows SET / RESET in the script', async () => {
		const script = "SELECT 'a\\';b';\nRESET standard_conforming_strings;\nSELECT 'c\\';\nSET SESSION standard_conforming_strings = false;\nSELECT 'd\\'';";
		const splitter = new PostgresScriptSplitter(chunksOf(Buffer.from(script), 4));
		splitter.standardConformingStrings = false;
		const statements: string[] = [];
		for await (const item of splitter) if (item.kind === 'statement') statements.push(item.statement.sql);
		assert.deepEqual(statements, [
			"SELECT 'a\\';b'",
			'RESET standard_conforming_strings',
			"SELECT 'c\\'",
			'SET SESSION standard_conforming_strings = false',
			"SELECT 'd\\''",
		]);
	});

	test('\\connect is handed over with its database, whatever the quoting pg_dump used', async () => {
		const script = [
			'\\connect plain_db',
			'SELECT 1;',
			'\\connect "MixedCase"',
			String.raw`\connect -reuse-previous=on "dbname='odd db \'q\' \\x'"`,
			'\\c short',
		].join('\r\n');
		assert.deepEqual(await split(script, 5), [
			['connect', 1, 'plain_db'],
			['statement', 2, 'SELECT 1'],
			['connect', 3, 'MixedCase'],
			['connect', 4, "odd db 'q' \\x"],
			['connect', 5, 'short'],
		]);
	});

	test('attack: between \\restrict and \\unrestrict every meta-command is refused, as psql refuses it', async () => {
		// pg_dump --create unrestricts around its \connect: that one is followed
		assert.deepEqual(await split('\\restrict K1\nCREATE DATABASE a;\n\\unrestrict K1\n\\connect a\n\\restrict K1\nSELECT 1;\n\\unrestrict K1\n', 4), [
			['statement', 2, 'CREATE DATABASE a'],
			['connect', 4, 'a'],
			['statement', 6, 'SELECT 1'],
		]);
		const connect = await splitError('\\restrict K1\nSELECT 1;\n\\connect victim\nDELETE FROM t;\n');
		assert.equal(connect.line, 3);
		assert.match(connect.message, /\\connect after \\restrict \(line 1\)/);
		assert.match((await splitError('\\restrict K1\n\\! id\n')).message, /line 2: \\! after \\restrict/);
		assert.match((await splitError('\\restrict K1\n\\unrestrict K2\n\\connect victim\n')).message, /line 2: \\unrestrict with another key/);
		assert.match((await splitError('\\restrict K1\n\\restrict K2\n')).message, /line 2: \\restrict again/);
		assert.match((await splitError('\\unrestrict K1\n')).message, /line 1: \\unrestrict without \\restrict/);
		assert.match((await splitError('\\restrict\n')).message, /line 1: \\restrict needs a key/);
	});

	test('\\encoding UTF8 / SQL_ASCII (pg_dump writes it before a \\connect to a non-ASCII name) is skipped; other encodings are refused', async () => {
		const script = 'SELECT 1;\n\\encoding SQL_ASCII\n\\connect -reuse-previous=on "dbname=\'base ü ""q""\'"\n\\encoding UTF8\nSELECT 2;\n';
		assert.deepEqual(await split(script, 3), [
			['statement', 1, 'SELECT 1'],
			['connect', 3, 'base ü "q"'],
			['statement', 5, 'SELECT 2'],
		]);
		assert.match((await splitError('\\encoding LATIN1\n')).message, /line 1: \\encoding is a psql meta-command: a script in encoding LATIN1 cannot be applied natively/);
		const set = await splitError("SELECT 1;\nSET client_encoding = 'SJIS';\nSELECT '\\';\n");
		assert.equal(set.line, 2);
		assert.match(set.message, /the script switches to client encoding SJIS: only UTF-8 scripts/);
		assert.deepEqual(await split("SET client_encoding = 'UTF8';\nSET NAMES 'utf-8';"), [
			['statement', 1, "SET client_encoding = 'UTF8'"],
			['statement', 2, "SET NAMES 'utf-8'"],
		]);
	});

	test('other meta-commands are errors naming the line and the command', async () => {
		const include = await splitError('SELECT 1;\n\n\\i other.sql\nSELECT 2;\n');
		assert.equal(include.line, 3);
		assert.equal(include.code, 'SQL_SCRIPT_SYNTAX');
		assert.match(include.message, /^dump\.sql line 3: \\i is a psql meta-command/);
		assert.match((await splitError('\\set ON_ERROR_STOP on\n')).message, /line 1: \\set is a psql meta-command/);
		assert.match((await splitError('\\connect db admin\n')).message, /line 1: \\connect is a psql meta-command: .*user, host or port/);
		const inside = await splitError('SELECT 1,\n 2 \\gset\n', 1);
		assert.equal(inside.line, 2);
		assert.match(inside.message, /line 2: \\gset is a psql meta-command \(inside the statement starting on line 1\)/);
	});

	test('unterminated strings, identifiers, dollar quotes and comments name the line where they start', async () => {
		const string = await splitError("SELECT 1;\nINSERT INTO t VALUES\n('abc;\nmore\n");
		assert.equal(string.line, 3);
		assert.match(string.message, /dump\.sql line 3: unterminated string starting on line 3 \(in the statement starting on line 2\) at the end of the script/);
		const escaped = await splitError("SELECT E'it\\'s;\n");
		assert.match(escaped.message, /line 1: unterminated string/);
		assert.match((await splitError('SELECT 1;\nSELECT "a;\n')).message, /line 2: unterminated quoted identifier/);
		const dollar = await splitError('SELECT 1;\nCREATE FUNCTION f() RETURNS int AS $body$\nBEGIN\n  RETURN 1;\nEND;\n$bod', 2);
		assert.equal(dollar.line, 2);
		assert.match(dollar.message, /line 2: unterminated dollar-quoted string \$body\$ starting on line 2/);
		const comment = await splitError('SELECT 1;\n/* a /* nested */ comment;\nSELECT 2;\n');
		assert.equal(comment.line, 2);
		assert.match(comment.message, /unterminated comment starting on line 2/);
	});

	test('a COPY block without \\. is an error naming the COPY, when its data is read', async () => {
		for (const script of ['SELECT 1;\nCOPY t FROM stdin;\n1\n2\n', 'COPY t FROM stdin;', 'SELECT 1;\nCOPY t FROM stdin;\n1\n\\', 'COPY t FROM stdin;\n1\n\\.x']) {
			const error = await splitError(script, 1);
			const line = script.startsWith('SELECT') ? 2 : 1;
			assert.equal(error.line, line, script);
			assert.match(error.message, new RegExp(`^dump\\.sql line ${line}: the COPY data starting on line ${line + 1} has no end marker`));
		}
	});

	test('text after COPY … FROM stdin on its own line is refused', async () => {
		const error = await splitError('COPY t FROM stdin; SELECT 1;\n1\n\\.\n');
		assert.equal(error.line, 1);
		assert.match(error.message, /text after COPY … FROM stdin/);
	});
});

describe('PostgreSQL statement length', () => {
	test('attack: a statement longer than the limit stops the script before it fills memory', async () => {
		async function* endless(): AsyncGenerator<Buffer> {
			yield Buffer.from("SELECT 1;\nSELECT '");
			for (let i = 0; i < 1000; i++) yield Buffer.alloc(64 * 1024, 0x41);
		}
		const splitter = new PostgresScriptSplitter(endless(), {name: 'bomb.sql', maxStatementBytes: 1024 * 1024});
		await assert.rejects(
			(async () => {
				for await (const item of splitter) void item;
			})(),
			/bomb\.sql line 2: the statement starting on line 2 is longer than 1048576 bytes/,
		);
	});
});
