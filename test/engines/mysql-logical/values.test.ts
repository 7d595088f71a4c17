import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {ColumnInfo} from '../../../source/engines/mysql-logical/catalog.ts';
import {bitLiteral, columnReader, hexLiteral, insertableColumns, quoteString} from '../../../source/engines/mysql-logical/values.ts';
import {delimiterFor} from '../../../source/engines/mysql-logical/script-text.ts';

function column(dataType: string, charset: string | null = null, extra: Partial<ColumnInfo> = {}): ColumnInfo {
	return {name: 'c`1', dataType, columnType: dataType, charset, generated: false, invisible: false, nullable: true, ...extra};
}

describe('SQL literals', () => {
	test('strings escape backslash, quotes, NUL, CR, LF and ctrl-Z', () => {
		assert.equal(quoteString('a\\b\'c"d\0e\nf\rg\x1ah 😀'), "'a\\\\b\\'c\\\"d\\0e\\nf\\rg\\Zh 😀'");
		assert.equal(quoteString(''), "''");
	});

	test('binary as hex, the empty value as X\'\'', () => {
		assert.equal(hexLiteral(Buffer.from([0, 0xff, 0x5c, 0x27])), '0x00FF5C27');
		assert.equal(hexLiteral(Buffer.alloc(0)), "X''");
	});

	test('BIT as a bit string of every byte sent', () => {
		assert.equal(bitLiteral(Buffer.from([0x02, 0xaa])), "b'0000001010101010'");
	});

	test('each type is read and written the exact way', () => {
		const encode = (info: ColumnInfo, raw: string | Buffer | null) => columnReader(info).encode(typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw);
		assert.equal(columnReader(column('float')).selectExpression, 'CAST(`c``1` AS DOUBLE)');
		assert.equal(columnReader(column('double')).selectExpression, '`c``1`');
		assert.equal(encode(column('bigint'), '18446744073709551615'), '18446744073709551615');
		assert.equal(encode(column('decimal'), '-0.000000000000000000000000000001'), '-0.000000000000000000000000000001');
		// MySQL keeps DOUBLE's negative zero and sends it as -0; the literal -0 would be the integer 0
		assert.equal(encode(column('double'), '-0'), '-0e0');
		assert.equal(encode(column('float'), '-0'), '-0e0');
		assert.equal(encode(column('double'), '-0.5'), '-0.5');
		assert.equal(encode(column('datetime'), '0000-00-00 00:00:00.000000'), "'0000-00-00 00:00:00.000000'");
		assert.equal(encode(column('time'), '-838:59:59'), "'-838:59:59'");
		assert.equal(encode(column('varchar', 'utf8mb4'), Buffer.from("it's 😀", 'utf8')), "'it\\'s 😀'");
		assert.equal(encode(column('blob'), Buffer.from('a\n')), '0x610A');
		assert.equal(encode(column('varbinary', 'binary'), Buffer.from('x')), '0x78');
		assert.equal(encode(column('point'), Buffer.from([1, 2])), '0x0102');
		// MySQL 9's VECTOR: float32s, no charset; a quoted string of its bytes is refused (error 6136)
		assert.equal(encode(column('vector'), Buffer.from([0, 0, 0xc0, 0x3f])), '0x0000C03F');
		assert.equal(encode(column('bit'), Buffer.from([1])), "b'00000001'");
		assert.equal(encode(column('int'), null), 'NULL');
		assert.equal(encode(column('varchar', 'utf8mb4'), Buffer.alloc(0)), "''");
	});

	test('generated columns are left out of INSERTs, invisible ones kept', () => {
		const columns = [column('int'), column('int', null, {generated: true}), column('int', null, {invisible: true, name: 'h'})];
		assert.deepEqual(insertableColumns(columns).map((info) => info.name), ['c`1', 'h']);
	});

	test('a DELIMITER that does not occur in the body', () => {
		assert.equal(delimiterFor('BEGIN SELECT 1; END'), ';;');
		assert.equal(delimiterFor("BEGIN SELECT ';;'; END"), '$$');
		// MySQL keeps the creating statement's `;` at the end of SHOW CREATE FUNCTION / TRIGGER: `;;` after it ends one early
		assert.equal(delimiterFor('RETURN a + b;'), '$$');
		assert.equal(delimiterFor('SELECT ";;" $'), '//');
		assert.equal(delimiterFor('x;;$$//@@;;dbbackup;'), ';;dbbackup0;;');
	});
});
