import type {ColumnInfo} from './catalog.ts';
import {columnReader, ESCAPES} from './values.ts';

/**
 * A row's `…` tuple text (the part between the parentheses of an INSERT's VALUES), built from the raw
 * field bytes straight into one Buffer. Same literals as `columnReader`'s encoders, without turning each
 * value into a JS string and back: integers and DECIMAL/DOUBLE/YEAR are copied as sent, text is copied
 * with the bytes that need a backslash escaped (the wire text is utf8mb4, whose multi-byte sequences
 * never contain those bytes), binary becomes 0x hex. BIT keeps the string encoder (rare).
 * `test/engines/mysql-logical/tuple-encoder.test.ts` checks it against the encoders value by value.
 */
export type TupleEncoder = (row: (Buffer | null)[]) => Buffer;

const NULL = Buffer.from('NULL');
const QUOTE = 0x27;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/** the escape letter after the backslash for each byte that needs one (quoteString's escapes), 0 for the others */
const ESCAPE = new Uint8Array(256);
for (const [character, escape] of Object.entries(ESCAPES)) ESCAPE[character.charCodeAt(0)] = escape.charCodeAt(1);

function escapedLength(raw: Buffer): number {
	let length = raw.length + 2;
	for (let index = 0; index < raw.length; index++) if (ESCAPE[raw[index]!] !== 0) length++;
	return length;
}

export function tupleEncoder(columns: ColumnInfo[]): TupleEncoder {
	const readers = columns.map(columnReader);
	const encoders = readers.map((reader) => reader.encode);
	const kinds = readers.map((reader) => reader.literal);
	const count = columns.length;
	return (row) => {
		let size = count - 1;
		let others: (Buffer | undefined)[] | undefined;
		for (let index = 0; index < count; index++) {
			const raw = row[index] ?? null;
			if (raw === null) {
				size += NULL.length;
				continue;
			}
			switch (kinds[index]) {
				case 'verbatim':
					size += raw.length;
					break;
				case 'text':
					size += escapedLength(raw);
					break;
				case 'binary':
					size += raw.length === 0 ? 3 : 2 + raw.length * 2;
					break;
				default: {
					const text = Buffer.from(encoders[index]!(raw), 'utf8');
					(others ??= [])[index] = text;
					size += text.length;
				}
			}
		}
		const out = Buffer.allocUnsafe(size);
		let at = 0;
		for (let index = 0; index < count; index++) {
			if (index > 0) out[at++] = COMMA;
			const raw = row[index] ?? null;
			if (raw === null) {
				at += NULL.copy(out, at);
				continue;
			}
			switch (kinds[index]) {
				case 'verbatim':
					at += raw.copy(out, at);
					break;
				case 'text': {
					out[at++] = QUOTE;
					let from = 0;
					for (let position = 0; position < raw.length; position++) {
						const escape = ESCAPE[raw[position]!]!;
						if (escape === 0) continue;
						at += raw.copy(out, at, from, position);
						out[at++] = BACKSLASH;
						out[at++] = escape;
						from = position + 1;
					}
					at += raw.copy(out, at, from);
					out[at++] = QUOTE;
					break;
				}
				case 'binary':
					if (raw.length === 0) {
						at += out.write("X''", at, 'latin1');
					} else {
						at += out.write('0x', at, 'latin1');
						at += out.write(raw.toString('hex').toUpperCase(), at, 'latin1');
					}
					break;
				default:
					at += others![index]!.copy(out, at);
			}
		}
		return out;
	};
}
