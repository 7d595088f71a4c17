import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {after, before, describe, test} from 'node:test';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import type {ConnectionSettings} from '../../../source/core/connection-settings.ts';
import {connectMysql, type MysqlConnection} from '../../../source/core/connect.ts';
import {EventBus} from '../../../source/core/events.ts';
import {readCatalog, type TableInfo} from '../../../source/engines/mysql-logical/catalog.ts';
import {writeChunk, type ChunkSink} from '../../../source/engines/mysql-logical/chunk-writer.ts';
import type {Chunk} from '../../../source/engines/mysql-logical/chunks.ts';
import {startMariadb} from '../../../source/sandbox/mariadb.ts';
import type {RunningMariadb} from '../../../source/sandbox/types.ts';

/** a 20 MiB value needs a row packet split over two wire packets, and a larger max_allowed_packet */
const BIG = 20 * 1024 * 1024;
const MANY = 20_000;

/** Checksum of every row, in key order, as the server sees it. */
async function tableDigest(connection: Connection, table: string): Promise<string> {
	const [rows] = await connection.query<RowDataPacket[]>(`SELECT MD5(CONCAT_WS('|', id, IFNULL(HEX(b), 'N'), IFNULL(HEX(t), 'N'))) AS digest FROM ${table} ORDER BY id`);
	const hash = createHash('sha256');
	for (const row of rows) hash.update(String(row.digest));
	return `${rows.length}:${hash.digest('hex')}`;
}

function collectingSink(): ChunkSink & {statements: Buffer[]} {
	const statements: Buffer[] = [];
	return {
		statements,
		async write(buffer) {
			statements.push(Buffer.from(buffer));
		},
	};
}

describe('writeChunk on raw row packets (private MariaDB with a 64 MiB max_allowed_packet)', () => {
	let server: RunningMariadb;
	let settings: ConnectionSettings;
	let admin: Connection;
	let reader: MysqlConnection;
	let tables: Map<string, TableInfo>;
	const chunkOf = (name: string): Chunk => ({table: tables.get(name)!, index: 0, estimatedRows: 0});

	before(async () => {
		server = await startMariadb({log: () => {}});
		settings = {dbType: 'mysql', host: server.host, port: server.port, user: server.user, password: server.password};
		const setup = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password});
		await setup.query('SET GLOBAL max_allowed_packet = 67108864');
		await setup.end();
		admin = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, multipleStatements: true, database: 'mysql'});
		await admin.query(`CREATE DATABASE cw;
			CREATE TABLE cw.big (id INT PRIMARY KEY, b LONGBLOB, t LONGTEXT CHARACTER SET utf8mb4);
			CREATE TABLE cw.big_copy LIKE cw.big;
			CREATE TABLE cw.many (id INT PRIMARY KEY, b VARBINARY(40), t VARCHAR(80) CHARACTER SET utf8mb4);
			CREATE TABLE cw.many_copy LIKE cw.many;`);
		await admin.query(`INSERT INTO cw.big VALUES
			(1, RANDOM_BYTES(1024), REPEAT('x', ${BIG})),
			(2, '', ''),
			(3, NULL, REPEAT(CONCAT('it''s a \\\\ back', CHAR(0), 'slash "quoted" 😀 ', CHAR(10)), 150000)),
			(4, REPEAT(UNHEX('00FF275C0A'), 1000), NULL)`);
		await admin.query(`INSERT INTO cw.many SELECT seq, UNHEX(MD5(seq)), CONCAT('row ''', seq, '''\\\\') FROM seq_1_to_${MANY}`);
		reader = await connectMysql(settings);
		const catalog = await readCatalog(reader, ['cw'], new EventBus());
		tables = new Map(catalog.databases[0].tables.map((table) => [table.name, table]));
	});

	after(async () => {
		await reader?.end();
		await admin?.end();
		await server?.stop();
	});

	test('values larger than a wire packet and than a statement come back exactly, each oversized row in a statement of its own', async () => {
		const sink = collectingSink();
		const output = await writeChunk(reader, chunkOf('big'), sink, {maxStatementBytes: 1024 * 1024});
		assert.equal(output.rows, 4);
		assert.equal(output.bytes, sink.statements.reduce((sum, statement) => sum + statement.length, 0));
		assert.ok(sink.statements.some((statement) => statement.length > BIG), 'the 20 MiB row is written');
		for (const statement of sink.statements) await admin.query(statement.toString('utf8').replace('INSERT INTO `big`', 'INSERT INTO cw.big_copy'));
		assert.equal(await tableDigest(admin, 'cw.big_copy'), await tableDigest(admin, 'cw.big'));
	});

	test('reading pauses while a statement waits to be written, and every row still arrives in order', async () => {
		const core = (reader as unknown as {connection: {_paused: boolean}}).connection;
		const statements: Buffer[] = [];
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		let pausedWhileHeld = false;
		let rowsWhenPaused = 0;
		let rowsSeen = 0;
		const sink: ChunkSink = {
			async write(buffer) {
				statements.push(Buffer.from(buffer));
				if (statements.length === 1) {
					// the first write stays pending until reading has stopped behind it
					const deadline = Date.now() + 10_000;
					while (!core._paused && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
					pausedWhileHeld = core._paused;
					rowsWhenPaused = rowsSeen;
					setTimeout(release, 50);
					await held;
					assert.equal(rowsSeen, rowsWhenPaused, 'no rows are read while paused');
				}
			},
		};
		const output = await writeChunk(reader, chunkOf('many'), sink, {maxStatementBytes: 4096, onRows: (rows) => (rowsSeen += rows)});
		assert.ok(pausedWhileHeld);
		assert.ok(rowsWhenPaused < MANY, `paused after ${rowsWhenPaused} rows`);
		assert.equal(output.rows, MANY);
		assert.equal(core._paused, false);
		for (const statement of statements) await admin.query(statement.toString('utf8').replace('INSERT INTO `many`', 'INSERT INTO cw.many_copy'));
		assert.equal(await tableDigest(admin, 'cw.many_copy'), await tableDigest(admin, 'cw.many'));
	});

	test('a write that fails ends the chunk with that error and leaves the connection usable', async () => {
		let writes = 0;
		const sink: ChunkSink = {
			async write() {
				writes += 1;
				if (writes === 2) throw new Error('disk full (injected)');
			},
		};
		await assert.rejects(writeChunk(reader, chunkOf('many'), sink, {maxStatementBytes: 4096}), /disk full \(injected\)/);
		assert.equal(writes, 2, 'nothing is written after the failed write');
		const [rows] = await reader.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM cw.many');
		assert.equal(Number(rows[0].n), MANY);
	});

	test('a server error while reading rejects with the server error and leaves the connection usable', async () => {
		const gone: TableInfo = {...tables.get('many')!, name: 'no_such_table'};
		await assert.rejects(writeChunk(reader, {table: gone, index: 0, estimatedRows: 0}, collectingSink()), {code: 'ER_NO_SUCH_TABLE'});
		const [rows] = await reader.query<RowDataPacket[]>('SELECT 1 AS one');
		assert.equal(Number(rows[0].one), 1);
	});
});
