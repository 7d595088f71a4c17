import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {ColumnInfo} from '../../../source/engines/mysql-logical/catalog.ts';
import {tupleEncoder} from '../../../source/engines/mysql-logical/tuple-encoder.ts';
import {columnReader} from '../../../source/engines/mysql-logical/values.ts';

function column(dataType: string, charset: string | null = null): ColumnInfo {
	return {name: dataType, dataType, columnType: dataType, charset, generated: false, invisible: false, nullable: true};
}

const columns = [
	column('bigint'),
	column('decimal'),
	column('float'),
	column('varchar', 'utf8mb4'),
	column('text', 'latin1'),
	column('datetime'),
	column('varbinary', 'binary'),
	column('blob', 'binary'),
	column('bit'),
	column('json', 'utf8mb4'),
	column('enum', 'utf8mb4'),
];

/** the string encoders' tuple: what the byte encoder must equal */
function expected(row: (Buffer | null)[]): string {
	return columns.map((info, index) => columnReader(info).encode(row[index] ?? null)).join(',');
}

const rows: (Buffer | null)[][] = [
	[
		Buffer.from('-9223372036854775808'),
		Buffer.from('12345678901234567890.123456789'),
		Buffer.from('1.5e-45'),
		Buffer.from('a\\b\'c"d\0e\nf\rg\x1ah 😀 ünï', 'utf8'),
		Buffer.from('plain text'),
		Buffer.from('0000-00-00 00:00:00.000000'),
		Buffer.from([0, 0xff, 0x5c, 0x27, 0x0a]),
		Buffer.alloc(0),
		Buffer.from([0x02, 0xaa]),
		Buffer.from('{"k": "v\\"q"}'),
		Buffer.from("it's"),
	],
	[null, null, null, null, null, null, null, null, null, null, null],
	[Buffer.from('0'), Buffer.from('0.0'), Buffer.from('0'), Buffer.alloc(0), Buffer.from('\\\\'), Buffer.from('2026-11-21'), Buffer.from('x'), Buffer.from([0]), Buffer.from([0]), Buffer.from('null'), Buffer.alloc(0)],
	[Buffer.from('1'), Buffer.from('-1'), Buffer.from('-0'), Buffer.from("''''"), Buffer.from('\n\n'), Buffer.from('1'), Buffer.alloc(0), Buffer.from('abc'), Buffer.alloc(0), Buffer.from('[]'), Buffer.from('\0')],
];

test('the byte-level tuple encoder writes exactly what the per-value encoders write, for every literal kind, NULLs and escapes', () => {
	const encode = tupleEncoder(columns);
	for (const row of rows) assert.equal(encode(row).toString('utf8'), expected(row));
});

test('the tuple encoder escapes every byte that needs it wherever it sits in a value', () => {
	const text = column('varchar', 'utf8mb4');
	const encode = tupleEncoder([text]);
	for (const special of ['\0', '\n', '\r', '\\', "'", '"', '\x1a']) {
		for (const value of [special, `${special}x`, `x${special}`, `x${special}y${special}${special}`]) {
			const raw = Buffer.from(value, 'utf8');
			assert.equal(encode([raw]).toString('utf8'), columnReader(text).encode(raw));
		}
	}
});
