import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {CopyTextRows, RowChecksum} from '../../source/engines/row-checksum.ts';

function checksumOf(rows: string[]): RowChecksum {
	const checksum = new RowChecksum();
	for (const row of rows) {
		const bytes = Buffer.from(row);
		checksum.addRow(bytes, 0, bytes.length);
	}
	return checksum;
}

const ROWS = Array.from({length: 200}, (_, index) => `${index}\tname ${index}\t${'x'.repeat(index % 9)}\t\\N`);

describe('row checksum: a table\'s rows as a multiset', () => {
	test('the order rows come in does not count; the value names its algorithm', () => {
		const digest = checksumOf(ROWS).digest();
		assert.match(digest, /^rowsum1:[0-9a-f]{24}$/);
		assert.equal(checksumOf([...ROWS].reverse()).digest(), digest);
		assert.equal(checksumOf([...ROWS].sort()).digest(), digest);
	});

	test('parts read on several connections merge to the whole', () => {
		const whole = checksumOf(ROWS);
		const merged = checksumOf(ROWS.slice(0, 70));
		merged.merge(checksumOf(ROWS.slice(70, 71)));
		merged.merge(checksumOf(ROWS.slice(71)));
		assert.equal(merged.digest(), whole.digest());
		assert.equal(merged.rows, ROWS.length);
	});

	test('a changed byte, a lost row, an added row and a repeated row each change it', () => {
		const digest = checksumOf(ROWS).digest();
		const changed = [...ROWS];
		changed[17] = changed[17]!.replace('name', 'namf');
		assert.notEqual(checksumOf(changed).digest(), digest);
		assert.notEqual(checksumOf(ROWS.slice(1)).digest(), digest);
		assert.notEqual(checksumOf([...ROWS, 'extra']).digest(), digest);
		// a row twice is not the same multiset (an XOR alone would cancel the pair out)
		assert.notEqual(checksumOf([...ROWS, ROWS[3]!, ROWS[3]!]).digest(), checksumOf(ROWS).digest());
		// rows of every length up to a few blocks: the tail bytes count too
		for (let length = 1; length <= 9; length++) {
			const base = 'abcdefghi'.slice(0, length);
			assert.notEqual(checksumOf([base]).digest(), checksumOf([`${base.slice(0, -1)}Z`]).digest(), `length ${length}`);
		}
		// the empty row (a table of one column holding '') is a row
		assert.notEqual(checksumOf(['']).digest(), checksumOf([]).digest());
	});

	test('COPY text split anywhere across chunks gives the rows one by one', () => {
		const text = Buffer.from(ROWS.map((row) => `${row}\n`).join(''));
		const expected = checksumOf(ROWS).digest();
		for (const size of [1, 2, 3, 7, 64, 1000, text.length]) {
			const checksum = new RowChecksum();
			const rows = new CopyTextRows(checksum);
			for (let at = 0; at < text.length; at += size) rows.write(text.subarray(at, at + size));
			rows.end();
			assert.equal(checksum.digest(), expected, `chunks of ${size} bytes`);
			assert.equal(checksum.rows, ROWS.length);
		}
	});
});
