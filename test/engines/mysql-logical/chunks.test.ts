import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {connectMysql, type MysqlConnection} from '../../../source/core/connect.ts';
import {EventBus} from '../../../source/core/events.ts';
import {readCatalog, type TableInfo} from '../../../source/engines/mysql-logical/catalog.ts';
import {orderWork, planChunks, tupleComparison} from '../../../source/engines/mysql-logical/chunks.ts';
import {mariadbConnection, mariadbSettings, uniqueName} from '../../harness/db.ts';
import {AWKWARD_TABLE, createTypeZoo, UNICODE_TABLE} from './type-zoo.ts';

const q = (name: string) => '`' + name.replaceAll('`', '``') + '`';

describe('tupleComparison', () => {
	test('spells a composite bound as ORs of ANDs', () => {
		assert.equal(tupleComparison(['`a`'], ['1'], '<'), '`a` < 1');
		assert.equal(tupleComparison(['`a`', '`b`'], ["'x'", '2'], '>='), "(`a` > 'x') OR (`a` = 'x' AND `b` >= 2)");
		assert.equal(tupleComparison(['`a`', '`b`', '`c`'], ['1', '2', '3'], '<'), '(`a` < 1) OR (`a` = 1 AND `b` < 2) OR (`a` = 1 AND `b` = 2 AND `c` < 3)');
	});
});

describe('planChunks against MariaDB', () => {
	let admin: Connection;
	let reader: MysqlConnection;
	let tables: TableInfo[];
	const database = uniqueName('chunks');

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		await createTypeZoo(admin, database);
		reader = await connectMysql(mariadbSettings());
		tables = (await readCatalog(reader, [database], new EventBus())).databases[0].tables;
	});

	after(async () => {
		await admin.query(`DROP DATABASE ${q(database)}`);
		await admin.end();
		await reader.end();
	});

	const table = (name: string) => tables.find((candidate) => candidate.name === name)!;

	/** every row lands in exactly one chunk */
	async function assertPartition(info: TableInfo, chunkRows: number, expectedChunks: number): Promise<void> {
		const chunks = await planChunks(reader, info, chunkRows);
		assert.equal(chunks.length, expectedChunks, `${info.name}: ${chunks.length} chunks`);
		const [[{total}]] = await admin.query<RowDataPacket[]>(`SELECT COUNT(*) AS total FROM ${q(database)}.${q(info.name)}`);
		let sum = 0;
		for (const chunk of chunks) {
			const [[{count}]] = await admin.query<RowDataPacket[]>(
				`SELECT COUNT(*) AS count FROM ${q(database)}.${q(info.name)}${chunk.where ? ` WHERE ${chunk.where}` : ''}`,
			);
			assert.ok(Number(count) > 0, `${info.name} chunk ${chunk.index} is empty`);
			sum += Number(count);
		}
		assert.equal(sum, Number(total));
	}

	test('the key chosen: primary, composite primary, NOT NULL unique, none', () => {
		assert.deepEqual(table('ints').key?.columns.map((column) => column.name), ['id']);
		assert.deepEqual(table(AWKWARD_TABLE).key?.columns.map((column) => column.name), ['order', 'gr`oup']);
		assert.equal(table(UNICODE_TABLE).key?.name, 'u k');
		assert.equal(table('nokey').key, undefined);
	});

	test('integer key split by range, as many ranges as the estimated rows need', async () => {
		// 500 sparse keys (i²·37 − 5000) in ranges of equal width: every range holds rows, but not equally many
		await assertPartition({...table('ints'), estimatedRows: 500}, 100, 5);
		// the count is the server's estimate, not COUNT(*): an estimate off by 2× gives twice the ranges
		await assertPartition({...table('ints'), estimatedRows: 1000}, 100, 10);
		// a table estimated at no rows is counted
		await assertPartition({...table('ints'), estimatedRows: 0}, 100, 5);
	});

	test('composite and unicode string keys split by walking the index, exactly chunkRows per chunk', async () => {
		await assertPartition(table(AWKWARD_TABLE), 7, Math.ceil(60 / 7));
		await assertPartition(table(UNICODE_TABLE), 10, 4);
	});

	test('a table without a usable key, or no chunkRows, is one chunk', async () => {
		assert.deepEqual((await planChunks(reader, table('nokey'), 5)).map((chunk) => chunk.where), [undefined]);
		assert.deepEqual((await planChunks(reader, table('ints'))).map((chunk) => chunk.where), [undefined]);
	});

	test('largest tables first, chunks of a table in order', async () => {
		const chunks = [...(await planChunks(reader, table('nokey'), 5)), ...(await planChunks(reader, table('ints'), 100))];
		const ordered = orderWork(chunks);
		assert.deepEqual(ordered.map((chunk) => `${chunk.table.name}.${chunk.index}`), ['ints.0', 'ints.1', 'ints.2', 'ints.3', 'ints.4', 'nokey.0']);
	});
});
