import {WorkError} from '../../core/errors.ts';
import type {ColumnInfo} from './catalog.ts';
import {bitLiteral, columnReader, ESCAPES, type LiteralKind} from './values.ts';

/**
 * A row's `(…)` tuple for an INSERT's VALUES, written straight from the text-protocol row packet (one
 * length-encoded string or 0xFB NULL per column) into the statement being built. Same literals as
 * `columnReader`'s encoders, without a JS value per field: integers and DECIMAL/DOUBLE/YEAR are copied as
 * sent, text is copied with the bytes that need a backslash escaped (the wire text is utf8mb4, whose
 * multi-byte sequences never contain those bytes), binary becomes 0x hex, BIT b'…'.
 * `test/engines/mysql-logical/tuple-encoder.test.ts` checks it against the encoders value by value.
 */
export interface TupleWriter {
	/** the most bytes the tuple of a row payload of `length` bytes can take */
	bound(length: number): number;
	/** writes the tuple of the payload `row[start, end)` into `out` at `at`; returns where it ended */
	write(row: Buffer, start: number, end: number, out: Buffer, at: number): number;
}

const NULL_MARKER = 0xfb;
const QUOTE = 0x27;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN = 0x28;
const CLOSE = 0x29;
const N = 0x4e;
const U = 0x55;
const L = 0x4c;
const X = 0x58;
const ZERO = 0x30;
const LOWER_X = 0x78;

const KIND_CODES: Record<LiteralKind, number> = {verbatim: 0, text: 1, binary: 2, bit: 3};

/** the escape letter after the backslash for each byte that needs one (quoteString's escapes), 0 for the others */
const ESCAPE = new Uint8Array(256);
for (const [character, escape] of Object.entries(ESCAPES)) {
	const byte = character.charCodeAt(0);
	// the text loop looks a byte up only when it is ' or below, or the backslash
	if (byte > QUOTE && byte !== BACKSLASH) throw new Error(`tuple encoder: escaped byte ${byte} is outside the range the text loop checks`);
	// and writeText's word test must flag it
	if (!(byte < 0x0e || byte === 0x1a || byte === 0x22 || byte === QUOTE || byte === BACKSLASH)) throw new Error(`tuple encoder: escaped byte ${byte} is not flagged by the word test`);
	ESCAPE[byte] = escape.charCodeAt(1);
}

const HEX_DIGITS = Buffer.from('0123456789ABCDEF', 'latin1');

/** the literal of a BIT value is at most b'' around 64 digits */
const BIT_LITERAL_BYTES = 67;

/** A DataView over the memory of the last buffer it was asked about: rows arrive in the same socket chunk, statements in the same buffer. */
class LastView {
	private last: Buffer | undefined;
	private view: DataView | undefined;

	of(buffer: Buffer): DataView {
		// compare the Buffer itself: reading `.buffer` on every call cost about 10 ns, 4 % of a sysbench row
		if (buffer !== this.last) {
			if (this.last === undefined || buffer.buffer !== this.view!.buffer) this.view = new DataView(buffer.buffer);
			this.last = buffer;
		}
		return this.view!;
	}
}

const inputViews = new LastView();
const outputViews = new LastView();

/** text fields shorter than this go straight to the byte loop: the 4-byte path is not worth setting up for them */
const WORD_PATH_MIN = 8;

/**
 * Copies text `row[start, end)` to `out` at `at` with the bytes that need it escaped; returns where it
 * ended. Four bytes at a time: a word in which no byte can need an escape is copied whole. The test
 * flags any byte below 0x0E (NUL, \n and \r among them) or equal to 0x1A, '"', "'" or the backslash,
 * with the "has a byte less than n" and "has a zero byte" bit tricks (exact, no borrow crosses an
 * unflagged byte); a flagged word goes through the byte loop. Text rarely has those bytes, so most words
 * take one read, about twenty integer operations and one write, where the byte loop took four of each.
 */
function writeText(row: Buffer, start: number, end: number, out: Buffer, at: number): number {
	let position = start;
	if (end - start >= WORD_PATH_MIN) {
		const input = inputViews.of(row);
		const output = outputViews.of(out);
		const inputBase = row.byteOffset;
		const outputBase = out.byteOffset;
		for (;;) {
			while (position + 4 <= end) {
				const word = input.getUint32(inputBase + position, true);
				const sub = word ^ 0x1a1a1a1a;
				const dquote = word ^ 0x22222222;
				const quote = word ^ 0x27272727;
				const backslash = word ^ 0x5c5c5c5c;
				const flagged =
					((word - 0x0e0e0e0e) & ~word) |
					((sub - 0x01010101) & ~sub) |
					((dquote - 0x01010101) & ~dquote) |
					((quote - 0x01010101) & ~quote) |
					((backslash - 0x01010101) & ~backslash);
				if ((flagged & 0x80808080) !== 0) break;
				output.setUint32(outputBase + at, word, true);
				at += 4;
				position += 4;
			}
			if (position + 4 > end) break;
			at = writeTextBytes(row, position, position + 4, out, at);
			position += 4;
		}
	}
	return writeTextBytes(row, position, end, out, at);
}

function writeTextBytes(row: Buffer, start: number, end: number, out: Buffer, at: number): number {
	for (let position = start; position < end; position++) {
		const byte = row[position]!;
		// every byte that needs an escape is ' or below, or the backslash: one compare for most text
		const escape = byte > QUOTE && byte !== BACKSLASH ? 0 : ESCAPE[byte]!;
		if (escape === 0) {
			out[at++] = byte;
		} else {
			out[at++] = BACKSLASH;
			out[at++] = escape;
		}
	}
	return at;
}

/** A row packet that does not hold the columns the SELECT named: a protocol or product bug, never the data. */
function malformedRow(detail: string): WorkError {
	return new WorkError({code: 'MALFORMED_ROW', message: `the server sent a row the dump cannot read: ${detail}`, hint: 'Report this with the server version; the table definition may help.'});
}

export function tupleWriter(columns: ColumnInfo[]): TupleWriter {
	const kinds = Uint8Array.from(columns.map((column) => KIND_CODES[columnReader(column).literal]));
	const count = kinds.length;
	const bits = kinds.filter((kind) => kind === KIND_CODES.bit).length;
	return {
		// each field at most doubles (escapes, hex) plus 4 (quotes, 0x, NULL for its 1-byte marker, comma)
		bound: (length) => 2 * length + 4 * count + bits * BIT_LITERAL_BYTES + 2,
		write(row, start, end, out, at) {
			let position = start;
			out[at++] = OPEN;
			for (let index = 0; index < count; index++) {
				if (index > 0) out[at++] = COMMA;
				if (position >= end) throw malformedRow(`it ends before column ${index + 1} of ${count}`);
				const marker = row[position]!;
				if (marker === NULL_MARKER) {
					out[at++] = N;
					out[at++] = U;
					out[at++] = L;
					out[at++] = L;
					position += 1;
					continue;
				}
				let length: number;
				if (marker < NULL_MARKER) {
					length = marker;
					position += 1;
				} else if (marker === 0xfc) {
					length = row[position + 1]! | (row[position + 2]! << 8);
					position += 3;
				} else if (marker === 0xfd) {
					length = row[position + 1]! | (row[position + 2]! << 8) | (row[position + 3]! << 16);
					position += 4;
				} else {
					length = row.readUIntLE(position + 1, 6);
					position += 9;
				}
				const valueEnd = position + length;
				if (valueEnd > end) throw malformedRow(`it ends inside column ${index + 1} of ${count}`);
				switch (kinds[index]) {
					case 0:
						for (; position < valueEnd; position++) out[at++] = row[position]!;
						break;
					case 1:
						out[at++] = QUOTE;
						at = writeText(row, position, valueEnd, out, at);
						position = valueEnd;
						out[at++] = QUOTE;
						break;
					case 2:
						if (length === 0) {
							out[at++] = X;
							out[at++] = QUOTE;
							out[at++] = QUOTE;
							break;
						}
						out[at++] = ZERO;
						out[at++] = LOWER_X;
						for (; position < valueEnd; position++) {
							const byte = row[position]!;
							out[at++] = HEX_DIGITS[byte >> 4]!;
							out[at++] = HEX_DIGITS[byte & 15]!;
						}
						break;
					default:
						at += out.write(bitLiteral(row.subarray(position, valueEnd)), at, 'latin1');
						position = valueEnd;
				}
			}
			if (position !== end) throw malformedRow(`${end - position} byte(s) follow its ${count} column(s)`);
			out[at++] = CLOSE;
			return at;
		},
	};
}
