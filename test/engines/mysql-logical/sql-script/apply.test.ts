import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {isUtf8} from 'node:buffer';
import {execFile} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {mkdtemp, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Readable} from 'node:stream';
import {promisify} from 'node:util';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {EventBus, type EventOf} from '../../../../source/core/events.ts';
import {applySqlScript} from '../../../../source/engines/mysql-logical/sql-script/apply.ts';
import {SqlScriptError} from '../../../../source/engines/sql-script/script-error.ts';
import {mariadbConnection, uniqueName} from '../../../harness/db.ts';
import {getTestServers} from '../../../harness/servers.ts';

const run = promisify(execFile);

const awkwardText = `it's; "quoted" \\ back\\slash\nnew line;\r\n😀 emoji 漢字 DELIMITER ;; */ /*! -- # end`;

const schema = [
	`CREATE TABLE type_zoo (
		id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
		ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, bi BIGINT, biu BIGINT UNSIGNED,
		d DECIMAL(30,10), f FLOAT, dbl DOUBLE, bt BIT(10),
		dt DATE, dtt DATETIME(6), ts TIMESTAMP(3) NULL DEFAULT NULL, tm TIME(2), yr YEAR,
		c CHAR(5), vc VARCHAR(200), tx TEXT, lat VARCHAR(50) CHARACTER SET latin1,
		bn BINARY(4), vb VARBINARY(300), bl BLOB, lb LONGBLOB,
		e ENUM('a','b;c'), st SET('x','y'), js JSON, pt POINT,
		doubled INT AS (ti * 2) VIRTUAL
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
	`CREATE TABLE audit_log (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, note VARCHAR(200) NOT NULL) ENGINE=InnoDB`,
	`CREATE TABLE \`odd; name\` (\`col "q"\` VARCHAR(20), \`semi;colon\` INT) ENGINE=InnoDB`,
	`CREATE VIEW zoo_summary AS SELECT id, vc, CONCAT(c, ';', IFNULL(e, '')) AS tag FROM type_zoo`,
	`CREATE PROCEDURE count_rows(OUT total INT)
	BEGIN
		DECLARE note VARCHAR(20) DEFAULT 'a;b;;c';
		SELECT COUNT(*) INTO total FROM type_zoo;
		INSERT INTO audit_log (note) VALUES (CONCAT(note, '$$'));
	END`,
	`CREATE FUNCTION shout(s VARCHAR(100)) RETURNS VARCHAR(110) DETERMINISTIC
	BEGIN
		RETURN CONCAT(UPPER(s), '!;');
	END`,
	`CREATE TRIGGER zoo_audit AFTER INSERT ON type_zoo FOR EACH ROW
	BEGIN
		INSERT INTO audit_log (note) VALUES (CONCAT('row ', NEW.id, ';'));
	END`,
	`CREATE EVENT prune_audit ON SCHEDULE EVERY 1 DAY STARTS '2035-01-01 00:00:00' DISABLE
	DO DELETE FROM audit_log WHERE note = 'never; ever'`,
];

const allBytes = Buffer.from(Array.from({length: 256}, (_, byte) => byte));
const largeBlob = randomBytes(3 * 1024 * 1024);

async function fill(connection: Connection): Promise<void> {
	for (const statement of schema) await connection.query(statement);
	const insert = `INSERT INTO type_zoo (ti, tiu, si, mi, bi, biu, d, f, dbl, bt, dt, dtt, ts, tm, yr, c, vc, tx, lat, bn, vb, bl, lb, e, st, js, pt)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, b'1010101010', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ST_GeomFromText('POINT(1.5 -2.25)'))`;
	await connection.query(insert, [
		-128, 255, -32768, 8388607, '-9223372036854775808', '18446744073709551615', '12345678901234567890.0123456789', 3.25,
		-1.0000000000000002, '1000-01-01', '2024-02-29 23:59:59.123456', '2038-01-19 03:14:07.999', '-838:59:59.50', 2155,
		'ab;c', awkwardText, awkwardText.repeat(50), 'café ñ', Buffer.from([0, 0x27, 0x5c, 0xff]), allBytes.subarray(0, 200),
		allBytes, largeBlob, 'b;c', 'x,y', JSON.stringify({text: awkwardText, n: [1, 2.5, null]}),
	]);
	await connection.query(`INSERT INTO type_zoo (ti, vc, bl, e) VALUES (NULL, '', '', NULL), (127, NULL, NULL, 'a')`);
	await connection.query('INSERT INTO `odd; name` VALUES (?, ?), (NULL, NULL)', [awkwardText.slice(0, 20), 7]);
}

async function names(connection: Connection, sql: string, database: string): Promise<string[]> {
	const [rows] = await connection.query<RowDataPacket[]>(sql, [database]);
	return rows.map((row) => String(Object.values(row)[0])).sort();
}

/** Every object's SHOW CREATE row (database name and creation times taken out) and every table's checksum. */
async function describeDatabase(connection: Connection, database: string): Promise<Record<string, unknown>> {
	const described: Record<string, unknown> = {};
	const quote = (name: string) => '`' + name.replaceAll('`', '``') + '`';
	const clean = (row: RowDataPacket) => {
		const copy: Record<string, unknown> = {};
		for (const [key, value] of Object.entries(row)) {
			if (key === 'Created' || key === 'Database Collation') continue;
			copy[key] = typeof value === 'string' ? value.replaceAll(database, '<db>') : value;
		}
		return copy;
	};
	const show = async (kind: string, name: string) => {
		const [rows] = await connection.query<RowDataPacket[]>(`SHOW CREATE ${kind} ${quote(database)}.${quote(name)}`);
		described[`${kind} ${name}`] = clean(rows[0]);
	};
	const tables = await names(
		connection,
		"SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'",
		database,
	);
	for (const table of tables) {
		await show('TABLE', table);
		const [rows] = await connection.query<RowDataPacket[]>(`CHECKSUM TABLE ${quote(database)}.${quote(table)}`);
		described[`CHECKSUM ${table}`] = rows[0].Checksum;
	}
	for (const view of await names(connection, 'SELECT table_name FROM information_schema.views WHERE table_schema = ?', database)) {
		await show('VIEW', view);
	}
	for (const kind of ['PROCEDURE', 'FUNCTION']) {
		const routines = await names(
			connection,
			`SELECT routine_name FROM information_schema.routines WHERE routine_schema = ? AND routine_type = '${kind}'`,
			database,
		);
		for (const routine of routines) await show(kind, routine);
	}
	for (const trigger of await names(connection, 'SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = ?', database)) {
		await show('TRIGGER', trigger);
	}
	for (const event of await names(connection, 'SELECT event_name FROM information_schema.events WHERE event_schema = ?', database)) {
		await show('EVENT', event);
	}
	return described;
}

async function scalar(connection: Connection, sql: string): Promise<unknown> {
	const [rows] = await connection.query<RowDataPacket[]>(sql);
	return Object.values(rows[0])[0];
}

describe('applying a SQL script natively against MariaDB', () => {
	let admin: Connection;
	let workDir: string;
	const databases: string[] = [];

	async function freshDatabase(prefix: string): Promise<string> {
		const name = uniqueName(prefix);
		databases.push(name);
		await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
		return name;
	}

	async function applyText(database: string, script: string, continueOnError = false) {
		const connection = await mariadbConnection({database});
		try {
			return await applySqlScript({
				connection,
				source: Readable.from([Buffer.from(script, 'utf8')]),
				bus: new EventBus(),
				member: 'inline.sql',
				continueOnError,
			});
		} finally {
			await connection.end();
		}
	}

	before(async () => {
		admin = await mariadbConnection();
		workDir = await mkdtemp(join(tmpdir(), 'dbbackup-sql-script-'));
	});

	after(async () => {
		for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS ${database}`);
		await admin.end();
		await rm(workDir, {recursive: true, force: true});
	});

	test('a mariadb-dump script with every type, binary blobs, a view, routines, a trigger and an event restores identically', async () => {
		const source = await freshDatabase('sqlscript_src');
		const sourceConnection = await mariadbConnection({database: source});
		try {
			await fill(sourceConnection);
		} finally {
			await sourceConnection.end();
		}

		const {mariadb} = getTestServers();
		const dumpFile = join(workDir, 'dump.sql');
		// no --hex-blob: binary columns are written as raw bytes, which the applier must send unchanged
		await run(
			'mariadb-dump',
			[
				`--host=${mariadb.host}`,
				`--port=${mariadb.port}`,
				`--user=${mariadb.user}`,
				'--routines',
				'--triggers',
				'--events',
				`--result-file=${dumpFile}`,
				source,
			],
			{env: {...process.env, MYSQL_PWD: mariadb.password}, maxBuffer: 16 * 1024 * 1024},
		);
		const script = await readFile(dumpFile);
		assert.match(script.toString('latin1'), /DELIMITER ;;/, 'the dump has DELIMITER blocks');
		assert.doesNotMatch(script.toString('latin1'), /CREATE DATABASE|^USE /m);
		assert.equal(isUtf8(script), false, 'the dump holds raw binary, not only UTF-8 text');

		const target = await freshDatabase('sqlscript_dst');
		const connection = await mariadbConnection({database: target});
		const bus = new EventBus();
		const progress: EventOf<'progress'>[] = [];
		bus.on('progress', (event) => progress.push(event));
		const size = (await stat(dumpFile)).size;
		let result;
		try {
			result = await applySqlScript({
				connection,
				source: createReadStream(dumpFile, {highWaterMark: 16 * 1024}),
				bus,
				member: 'dump.sql',
				totalBytes: size,
			});
		} finally {
			await connection.end();
		}
		assert.deepEqual(result.errors, []);
		assert.ok(result.statements > 20, `${result.statements} statements`);
		assert.equal(result.bytes, size);
		assert.equal(progress.at(-1)?.done, size);
		assert.equal(progress.at(-1)?.total, size);
		assert.equal(progress.at(-1)?.unit, 'bytes');

		const expected = await describeDatabase(admin, source);
		const restored = await describeDatabase(admin, target);
		assert.deepEqual(Object.keys(restored).sort(), Object.keys(expected).sort());
		assert.ok(Object.keys(expected).some((key) => key.startsWith('EVENT ')));
		assert.ok(Object.keys(expected).some((key) => key.startsWith('TRIGGER ')));
		assert.deepEqual(restored, expected);

		const [rows] = await admin.query<RowDataPacket[]>(`SELECT bl, lb, vc FROM ${target}.type_zoo WHERE id = 1`);
		assert.ok(Buffer.from(rows[0].bl).equals(allBytes));
		assert.ok(Buffer.from(rows[0].lb).equals(largeBlob));
		assert.equal(rows[0].vc, awkwardText);
		assert.equal(await scalar(admin, `SELECT ${target}.shout('a;b')`), 'A;B!;');
	});

	test('a failing statement stops the script with its line, its text and the server error', async () => {
		const database = await freshDatabase('sqlscript_err');
		const script = [
			'CREATE TABLE t (id INT PRIMARY KEY);',
			'INSERT INTO t VALUES (1);',
			'',
			'INSERT INTO',
			'  missing_table VALUES (2);',
			'INSERT INTO t VALUES (3);',
		].join('\n');
		await assert.rejects(applyText(database, script), (error: unknown) => {
			assert.ok(error instanceof SqlScriptError);
			assert.equal(error.line, 4);
			assert.equal(error.member, 'inline.sql');
			assert.equal(error.code, 'SQL_STATEMENT_FAILED');
			assert.match(error.message, /^inline\.sql line 4: .*missing_table' doesn't exist \(ER_NO_SUCH_TABLE, error 1146\); statement: INSERT INTO missing_table VALUES \(2\)$/);
			return true;
		});
		assert.equal(await scalar(admin, `SELECT COUNT(*) FROM ${database}.t`), 1);
	});

	test('a connection the server ends mid-script is named as lost, not as a refused statement to skip with --continue-on-error', async () => {
		const database = await freshDatabase('sqlscript_lost');
		const connection = await mariadbConnection({database});
		const [[{id}]] = await connection.query<any[]>('SELECT CONNECTION_ID() AS id');
		const killer = setTimeout(() => void admin.query(`KILL CONNECTION ${Number(id)}`), 300);
		try {
			await assert.rejects(
				applySqlScript({connection, source: Readable.from([Buffer.from('SELECT SLEEP(5);\nSELECT 1;\n')]), bus: new EventBus(), member: 'inline.sql', continueOnError: true}),
				(error: unknown) => {
					assert.ok(error instanceof SqlScriptError);
					assert.equal(error.code, 'SQL_SCRIPT_ABORTED');
					assert.match(error.message, /^inline\.sql line 1: lost the connection to the server: /);
					assert.match(error.hint ?? '', /still up and reachable/);
					assert.doesNotMatch(error.hint ?? '', /continue-on-error/);
					return true;
				},
			);
		} finally {
			clearTimeout(killer);
			await connection.end().catch(() => undefined);
		}
	});

	test('continueOnError counts the failing statements with their lines and applies the rest', async () => {
		const database = await freshDatabase('sqlscript_cont');
		const script = [
			'CREATE TABLE t (id INT PRIMARY KEY);',
			'INSERT INTO t VALUES (1);',
			'INSERT INTO t VALUES (1);',
			'INSERT INTO t VALUES (2);',
			'SELEC 3;',
			'INSERT INTO t VALUES (3);',
		].join('\n');
		const result = await applyText(database, script, true);
		assert.equal(result.statements, 6);
		assert.deepEqual(
			result.errors.map((error) => [error.line, error.code]),
			[
				[3, 'ER_DUP_ENTRY'],
				[5, 'ER_PARSE_ERROR'],
			],
		);
		assert.equal(await scalar(admin, `SELECT COUNT(*) FROM ${database}.t`), 3);
	});

	test('an unterminated string at the end of the script is an error naming the line where it starts', async () => {
		const database = await freshDatabase('sqlscript_eof');
		const script = "CREATE TABLE t (v TEXT);\nINSERT INTO t VALUES\n  ('never closed;\nmore text;\n";
		await assert.rejects(applyText(database, script), (error: unknown) => {
			assert.ok(error instanceof SqlScriptError);
			assert.equal(error.code, 'SQL_SCRIPT_SYNTAX');
			assert.equal(error.line, 3);
			assert.match(error.message, /inline\.sql line 3: unterminated string starting on line 3 \(in the statement starting on line 2\)/);
			return true;
		});
	});

	test('session state: utf8mb4 without SET NAMES, the script\'s NO_BACKSLASH_ESCAPES, USE and version comments', async () => {
		const database = await freshDatabase('sqlscript_session');
		const other = await freshDatabase('sqlscript_use');
		const script = [
			'CREATE TABLE t (v VARCHAR(50));',
			"INSERT INTO t VALUES ('😀 \\\\ one');",
			"/*!40101 SET @saved_mode = @@sql_mode */;",
			"/*!40101 SET sql_mode = 'NO_BACKSLASH_ESCAPES' */;",
			"INSERT INTO t VALUES ('two \\');",
			'/*!99999 SET @never = 1 */;',
			'SET sql_mode = @saved_mode;',
			`USE ${other}`,
			';',
			'CREATE TABLE moved (id INT);',
		].join('\n');
		const result = await applyText(database, script);
		assert.deepEqual(result.errors, []);
		const [rows] = await admin.query<RowDataPacket[]>(`SELECT v FROM ${database}.t ORDER BY v`);
		assert.deepEqual(
			rows.map((row) => row.v),
			['two \\', '😀 \\ one'],
		);
		assert.equal(await scalar(admin, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '${other}' AND table_name = 'moved'`), 1);
	});

	/**
	 * A real deadlock: a heavier transaction holds row 2 while the script's statement locks row 1 and waits
	 * for row 2; the holder then asks for row 1, and the server rolls back the lighter side, the script's.
	 */
	async function deadlockAgainst(script: string): Promise<{database: string; outcome: Promise<unknown>; logs: string[]}> {
		const database = await freshDatabase('sqlscript_deadlock');
		await admin.query(`CREATE TABLE ${database}.t (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB`);
		await admin.query(`CREATE TABLE ${database}.heavy (id INT PRIMARY KEY) ENGINE=InnoDB`);
		await admin.query(`CREATE TABLE ${database}.note (id INT PRIMARY KEY) ENGINE=InnoDB`);
		await admin.query(`INSERT INTO ${database}.t VALUES (1, 0), (2, 0)`);
		const holder = await mariadbConnection({database});
		const applier = await mariadbConnection({database});
		const bus = new EventBus();
		const logs: string[] = [];
		bus.on('log', (event) => logs.push(event.message));
		await holder.query('START TRANSACTION');
		await holder.query(`INSERT INTO heavy SELECT seq FROM seq_1_to_500`);
		await holder.query('UPDATE t SET v = v + 1 WHERE id = 2');
		const applying = applySqlScript({connection: applier, source: Readable.from([Buffer.from(script)]), bus, member: 'deadlock.sql'});
		applying.catch(() => {});
		const outcome = (async () => {
			try {
				while (Number(await scalar(admin, `SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT' AND trx_mysql_thread_id = ${applier.threadId}`)) === 0) {
					// the server refreshes its innodb_trx view at most every 0.1 s
					await new Promise((resolve) => setTimeout(resolve, 150));
				}
				await holder.query('UPDATE t SET v = v + 1 WHERE id = 1');
				await holder.query('COMMIT');
				return await applying;
			} finally {
				await holder.end();
				await applier.end();
			}
		})();
		return {database, outcome, logs};
	}

	test('a statement the server rolls back as a deadlock victim is sent again, and the script completes', async () => {
		const {database, outcome, logs} = await deadlockAgainst('UPDATE t SET v = v + 10 ORDER BY id;\nINSERT INTO note VALUES (1);\n');
		const result = (await outcome) as {statements: number; errors: unknown[]};
		assert.equal(result.errors.length, 0);
		assert.ok(logs.some((message) => /deadlock\.sql line 1: deadlock with another session, retrying/.test(message)), logs.join('\n'));
		const [rows] = await admin.query<RowDataPacket[]>(`SELECT id, v FROM ${database}.t ORDER BY id`);
		assert.deepEqual(rows.map((row) => [row.id, row.v]), [[1, 11], [2, 11]]);
		assert.equal(await scalar(admin, `SELECT COUNT(*) FROM ${database}.note`), 1);
	});

	test('a deadlock inside the script\'s own transaction is not retried: the error names it and nothing of it stays', async () => {
		const script = 'START TRANSACTION;\nINSERT INTO note VALUES (1);\nUPDATE t SET v = v + 10 WHERE id = 1;\nUPDATE t SET v = v + 10 WHERE id = 2;\nCOMMIT;\n';
		const {database, outcome} = await deadlockAgainst(script);
		await assert.rejects(outcome, (error: unknown) => {
			assert.ok(error instanceof SqlScriptError);
			assert.equal(error.line, 4);
			assert.match(error.message, /deadlock\.sql line 4: .*Deadlock found.*\(ER_LOCK_DEADLOCK, error 1213\)/);
			return true;
		});
		assert.equal(await scalar(admin, `SELECT COUNT(*) FROM ${database}.note`), 0);
		const [rows] = await admin.query<RowDataPacket[]>(`SELECT v FROM ${database}.t ORDER BY id`);
		assert.deepEqual(rows.map((row) => row.v), [1, 1]);
	});
});
