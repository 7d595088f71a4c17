import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {SqlScriptError} from '../../../../source/engines/sql-script/script-error.ts';
import {SqlScriptSplitter} from '../../../../source/engines/mysql-logical/sql-script/splitter.ts';
import type {ScriptChunk, ScriptStatement} from '../../../../source/engines/sql-script/statement.ts';

async function* chunksOf(bytes: Buffer, size: number, first = size): AsyncGenerator<Buffer> {
	let at = 0;
	let length = first;
	while (at < bytes.length) {
		yield bytes.subarray(at, at + length);
		at += length;
		length = size;
	}
}

async function collect(source: AsyncIterable<ScriptChunk>, configure?: (splitter: SqlScriptSplitter) => void): Promise<ScriptStatement[]> {
	const splitter = new SqlScriptSplitter(source, {name: 'dump.sql'});
	configure?.(splitter);
	const statements: ScriptStatement[] = [];
	for await (const statement of splitter) statements.push(statement);
	return statements;
}

const split = (script: string | Buffer, size = 1 << 16) =>
	collect(chunksOf(typeof script === 'string' ? Buffer.from(script, 'utf8') : script, size));

async function splitError(script: string): Promise<SqlScriptError> {
	try {
		await split(script);
	} catch (error) {
		assert.ok(error instanceof SqlScriptError, `expected a SqlScriptError, got ${String(error)}`);
		return error;
	}
	assert.fail('the script was accepted');
}

const tricky = [
	'-- MariaDB dump 10.19; a header with a semicolon',
	'/*M!999999\\- enable the sandbox mode */ ',
	'/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;',
	'# hash comment; still a comment',
	'SET NAMES utf8mb4;',
	'/* block; comment',
	'   over lines */',
	"INSERT INTO `t;1``x` VALUES ('a;b','it''s','back\\\\slash\\';x',\"dq;\"\"x\",'multi",
	'line;',
	"string','emoji 😀;é -- not a comment','#no');",
	'DELIMITER ;;',
	"CREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';;'; END ;;",
	'/*!50003 CREATE*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END */;;',
	'DELIMITER $$',
	'CREATE FUNCTION f() RETURNS INT RETURN 1$$',
	'delimiter ;',
	'SELECT 1 -- comment; not the end',
	' , 2;\r',
	"SELECT '/* not a comment */' /* a ; comment */ ;\r",
	'SELECT 3 --1;',
	"/*!50001 SELECT ';' */;",
	"/*M!100500 SELECT 'maria' */;;;",
	'USE `db`;',
	'SELECT 4 # trailing',
].join('\n');

const expected: Array<[number, string]> = [
	[3, '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */'],
	[5, 'SET NAMES utf8mb4'],
	[
		8,
		"INSERT INTO `t;1``x` VALUES ('a;b','it''s','back\\\\slash\\';x',\"dq;\"\"x\",'multi\nline;\nstring','emoji 😀;é -- not a comment','#no')",
	],
	[12, "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';;'; END"],
	[13, '/*!50003 CREATE*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END */'],
	[15, 'CREATE FUNCTION f() RETURNS INT RETURN 1'],
	[17, 'SELECT 1 -- comment; not the end\n , 2'],
	[19, "SELECT '/* not a comment */' /* a ; comment */"],
	[20, 'SELECT 3 --1'],
	[21, "/*!50001 SELECT ';' */"],
	[22, "/*M!100500 SELECT 'maria' */"],
	[23, 'USE `db`'],
	[24, 'SELECT 4 # trailing'],
];

function assertTricky(statements: ScriptStatement[], label: string): void {
	assert.deepEqual(
		statements.map((statement) => [statement.line, statement.sql]),
		expected,
		label,
	);
	const bytes = Buffer.from(tricky, 'utf8');
	for (const statement of statements) {
		assert.ok(
			bytes.subarray(statement.byteOffset, statement.byteOffset + statement.bytes.length).equals(statement.bytes),
			`${label}: byteOffset of line ${statement.line}`,
		);
	}
	assert.equal(statements.at(-1)?.endOffset, bytes.length, `${label}: the last statement ends the script`);
}

describe('SQL script splitter', () => {
	test('splits a tricky script: quotes, comments, conditional comments, DELIMITER blocks, CRLF, no final delimiter', async () => {
		assertTricky(await split(tricky), 'one chunk');
	});

	test('gives the same statements whatever the chunk boundaries (chunks of 1..7 bytes at every phase)', async () => {
		const bytes = Buffer.from(tricky, 'utf8');
		for (let size = 1; size <= 7; size++) {
			for (let first = 1; first <= size; first++) {
				assertTricky(await collect(chunksOf(bytes, size, first)), `chunks of ${size}, first ${first}`);
			}
		}
	});

	test('cuts UTF-8 characters across chunks without damage', async () => {
		const statements = await split("SELECT '😀é漢';", 1);
		assert.equal(statements[0].sql, "SELECT '😀é漢'");
	});

	test('keeps bytes that are not UTF-8 exactly (raw binary in a _binary literal)', async () => {
		const escaped = Buffer.from([0x5c, 0x30, 0xff, 0xfe, 0x80, 0x5c, 0x27, 0x3b, 0xc3]);
		const script = Buffer.concat([Buffer.from("INSERT INTO b VALUES (_binary '"), escaped, Buffer.from("');\nSELECT 1;")]);
		const statements = await split(script, 3);
		assert.equal(statements.length, 2);
		assert.ok(statements[0].bytes.equals(script.subarray(0, script.indexOf("');") + 2)));
		assert.equal(statements[1].line, 2);
	});

	test('accepts strings as chunks and skips empty statements', async () => {
		const statements = await collect(
			(async function* () {
				yield 'SELECT 1;;; ;\n';
				yield 'SELECT 2;';
			})(),
		);
		assert.deepEqual(
			statements.map((statement) => statement.sql),
			['SELECT 1', 'SELECT 2'],
		);
	});

	test('honours NO_BACKSLASH_ESCAPES when told between statements', async () => {
		const script = "SELECT 'q\\'';\nSELECT 'a\\';";
		const splitter = new SqlScriptSplitter(chunksOf(Buffer.from(script), 3));
		const seen: string[] = [];
		for await (const statement of splitter) {
			seen.push(statement.sql);
			splitter.noBackslashEscapes = true;
		}
		assert.deepEqual(seen, ["SELECT 'q\\''", "SELECT 'a\\'"]);
		await assert.rejects(split(script), /unterminated string starting on line 2/);
	});

	test('reads a multi-megabyte statement while pulling the source only as far as needed', async () => {
		const row = "(1,'" + 'x'.repeat(1000) + "; ')";
		const big = 'INSERT INTO t VALUES ' + Array.from({length: 5000}, () => row).join(',') + ';\n';
		const script = Buffer.from(big.repeat(4), 'utf8');
		const chunkSize = 64 * 1024;
		let pulled = 0;
		const source = (async function* () {
			for (let at = 0; at < script.length; at += chunkSize) {
				pulled += 1;
				yield script.subarray(at, at + chunkSize);
			}
		})();
		const splitter = new SqlScriptSplitter(source);
		const iterator = splitter[Symbol.asyncIterator]();
		const first = await iterator.next();
		assert.equal(first.done, false);
		assert.equal((first.value as ScriptStatement).bytes.length, big.length - 2);
		assert.ok(pulled <= Math.ceil(big.length / chunkSize) + 1, `pulled ${pulled} chunks for the first statement`);
		let count = 1;
		for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
			count += 1;
			assert.equal(next.value.sql, big.slice(0, -2));
			assert.equal(next.value.line, count);
		}
		assert.equal(count, 4);
	});

	test('an unterminated string at the end names the line where it starts', async () => {
		const error = await splitError("SELECT 1;\nINSERT INTO t VALUES\n('abc;\nmore\n");
		assert.equal(error.line, 3);
		assert.match(error.message, /dump\.sql line 3: unterminated string starting on line 3 \(in the statement starting on line 2\)/);
		assert.equal(error.code, 'SQL_SCRIPT_SYNTAX');
	});

	test('an unterminated comment or quoted identifier at the end is an error naming its line', async () => {
		assert.equal((await splitError('SELECT 1;\n\n/* never closed;\n')).line, 3);
		assert.match((await splitError('SELECT `a;\n')).message, /unterminated quoted identifier starting on line 1/);
		assert.match((await splitError('SELECT 1;\n/*!40101 SET x=1;\n')).message, /unterminated \/\*! comment starting on line 2/);
	});

	test('client commands are errors naming the line', async () => {
		const source = await splitError('SELECT 1;\n\nsource other.sql\n');
		assert.equal(source.line, 3);
		assert.match(source.message, /line 3: `source` is a command of the mysql client/);
		const vertical = await splitError('SELECT 1;\nSELECT *\nFROM t\\G\n');
		assert.equal(vertical.line, 3);
		assert.match(vertical.message, /`\\G` is a command of the mysql client/);
		assert.match((await splitError('\\. other.sql\n')).message, /line 1: `\\\.`/);
	});

	test('\\N (NULL) outside strings is SQL, not a client command', async () => {
		const statements = await split('INSERT INTO t VALUES (\\N, 1);');
		assert.equal(statements[0].sql, 'INSERT INTO t VALUES (\\N, 1)');
	});

	test('DELIMITER without a value is an error', async () => {
		const error = await splitError('SELECT 1;\nDELIMITER\nSELECT 2;\n');
		assert.equal(error.line, 2);
		assert.match(error.message, /DELIMITER without a delimiter/);
	});
});

describe('statement length', () => {
	test('attack: a statement longer than max_allowed_packet stops the script before it fills memory', async () => {
		async function* endless(): AsyncGenerator<Buffer> {
			yield Buffer.from("SELECT 1;\nINSERT INTO t VALUES ('");
			// a decompression bomb's output: never a closing quote, never a semicolon
			for (let i = 0; i < 1000; i++) yield Buffer.alloc(64 * 1024, 0x41);
		}
		const splitter = new SqlScriptSplitter(endless(), {name: 'bomb.sql', maxStatementBytes: 1024 * 1024});
		const seen: string[] = [];
		await assert.rejects(
			(async () => {
				for await (const statement of splitter) seen.push(statement.sql);
			})(),
			(error: unknown) => error instanceof SqlScriptError && /^bomb\.sql line 2: the statement starting on line 2 is longer than 1048576 bytes, the server's max_allowed_packet/.test(error.message),
		);
		assert.deepEqual(seen, ['SELECT 1']);
		assert.ok(splitter.bytesConsumed < 4 * 1024 * 1024, `stopped after ${splitter.bytesConsumed} bytes`);
	});
});
