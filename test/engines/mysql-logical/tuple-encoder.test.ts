import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {ColumnInfo} from '../../../source/engines/mysql-logical/catalog.ts';
import {tupleWriter} from '../../../source/engines/mysql-logical/tuple-encoder.ts';
import {columnReader, ESCAPES} from '../../../source/engines/mysql-logical/values.ts';

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
function expected(row: (Buffer | null)[], of: ColumnInfo[] = columns): string {
	return `(${of.map((info, index) => columnReader(info).encode(row[index] ?? null)).join(',')})`;
}

/** a text-protocol row packet's payload: a length-encoded string per field, 0xFB for NULL */
function payload(row: (Buffer | null)[]): Buffer {
	return Buffer.concat(
		row.map((field) => {
			if (field === null) return Buffer.from([0xfb]);
			const length = field.length;
			if (length < 0xfb) return Buffer.concat([Buffer.from([length]), field]);
			if (length < 0x10000) return Buffer.concat([Buffer.from([0xfc, length & 0xff, length >> 8]), field]);
			if (length < 0x1000000) return Buffer.concat([Buffer.from([0xfd, length & 0xff, (length >> 8) & 0xff, length >> 16]), field]);
			const header = Buffer.alloc(9);
			header[0] = 0xfe;
			header.writeUIntLE(length, 1, 6);
			return Buffer.concat([header, field]);
		}),
	);
}

/** the tuple the writer makes of `row`, written at an offset into a buffer of exactly its bound, from a payload at an offset */
function encoded(of: ColumnInfo[], row: (Buffer | null)[]): string {
	const writer = tupleWriter(of);
	const body = payload(row);
	const packet = Buffer.concat([Buffer.from('head'), body, Buffer.from('tail')]);
	const out = Buffer.alloc(7 + writer.bound(body.length));
	const end = writer.write(packet, 4, 4 + body.length, out, 7);
	return out.subarray(7, end).toString('utf8');
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

test('the tuple writer writes exactly what the per-value encoders write, for every literal kind, NULLs and escapes', () => {
	for (const row of rows) assert.equal(encoded(columns, row), expected(row));
});

test('the tuple writer reads every length-encoding width, and its bound holds for values that double', () => {
	const text = column('mediumtext', 'utf8mb4');
	const blob = column('longblob', 'binary');
	for (const length of [0, 250, 251, 0xffff, 0x10000, 0xffffff, 0x1000000]) {
		const quotes = Buffer.alloc(length, "'");
		const bytes = Buffer.alloc(length, 0xab);
		assert.equal(encoded([text, blob], [quotes, bytes]), expected([quotes, bytes], [text, blob]), `length ${length}`);
	}
});

test('a row packet that does not hold the columns named fails with MALFORMED_ROW instead of writing a wrong tuple', () => {
	const writer = tupleWriter([column('int'), column('int')]);
	const out = Buffer.alloc(64);
	const short = payload([Buffer.from('1')]);
	assert.throws(() => writer.write(short, 0, short.length, out, 0), {code: 'MALFORMED_ROW'});
	const long = payload([Buffer.from('1'), Buffer.from('2'), Buffer.from('3')]);
	assert.throws(() => writer.write(long, 0, long.length, out, 0), {code: 'MALFORMED_ROW'});
	const cut = payload([Buffer.from('1'), Buffer.from('22')]).subarray(0, 4);
	assert.throws(() => writer.write(cut, 0, cut.length, out, 0), {code: 'MALFORMED_ROW'});
});

test('the tuple writer escapes every byte that needs it wherever it sits in a value', () => {
	const text = column('varchar', 'utf8mb4');
	for (const special of ['\0', '\n', '\r', '\\', "'", '"', '\x1a']) {
		for (const value of [special, `${special}x`, `x${special}`, `x${special}y${special}${special}`]) {
			const raw = Buffer.from(value, 'utf8');
			assert.equal(encoded([text], [raw]), `(${columnReader(text).encode(raw)})`);
		}
	}
});

/** the literal of text bytes as quoteString escapes them, byte by byte (bytes 0x80 and up are copied as they are) */
function quotedBytes(value: Buffer): Buffer {
	const parts: Buffer[] = [Buffer.from("'")];
	for (const byte of value) {
		const escape = ESCAPES[String.fromCharCode(byte)];
		parts.push(escape === undefined ? Buffer.from([byte]) : Buffer.from(escape, 'latin1'));
	}
	parts.push(Buffer.from("'"));
	return Buffer.concat(parts);
}

test('text long enough for the 16- and 4-byte paths: every byte value at every position and alignment is written as quoteString writes it', () => {
	const text = column('text', 'utf8mb4');
	const writer = tupleWriter([text]);
	// 7–37 bytes: the byte loop alone, then up to two 16-byte blocks followed by 4-byte words and a byte tail
	const filler = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789A');
	for (let length = 7; length <= filler.length; length++) {
		for (let at = 0; at < length; at++) {
			for (let byte = 0; byte < 256; byte++) {
				const value = Buffer.from(filler.subarray(0, length));
				value[at] = byte;
				const body = payload([value]);
				// the payload and the output start at every offset modulo 4, so the words fall everywhere
				const packet = Buffer.concat([Buffer.alloc(1 + ((byte + at) % 4), 0x20), body]);
				const out = Buffer.alloc(1 + ((byte + length) % 4) + writer.bound(body.length));
				const start = out.length - writer.bound(body.length);
				const end = writer.write(packet, packet.length - body.length, packet.length, out, start);
				const want = Buffer.concat([Buffer.from('('), quotedBytes(value), Buffer.from(')')]);
				assert.ok(out.subarray(start, end).equals(want), `byte ${byte} at ${at} of ${length}: ${out.subarray(start, end).toString('latin1')}`);
				if (byte < 0x80) assert.equal(want.toString('utf8'), `(${columnReader(text).encode(value)})`);
			}
		}
	}
	const prose = Buffer.from('Grüße, "quoted" and \'single\', a back\\slash, a tab\there,\r\nnew lines\n, NUL \0 and ^Z \x1a; emoji 😀 à la fin.', 'utf8');
	assert.equal(encoded([text], [prose]), `(${columnReader(text).encode(prose)})`);
});
