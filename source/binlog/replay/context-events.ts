/**
 * INTVAR, RAND and USER_VAR events carry what the next statement read from its session (LAST_INSERT_ID,
 * the RAND seeds, user variables): each becomes a SET statement run just before that statement. The text
 * is a binary string (one character per byte), as the replay connection sends it.
 */
import type {IntvarEvent, RandEvent, UserVarEvent} from '../event/decoded.ts';
import {binaryText, quoteName} from './binary-text.ts';

const INTVAR_LAST_INSERT_ID = 1;
const INTVAR_INSERT_ID = 2;

const STRING_RESULT = 0;
const REAL_RESULT = 1;
const INT_RESULT = 2;
const DECIMAL_RESULT = 4;
const UNSIGNED_FLAG = 1;
const BINARY_COLLATION = 63;

export interface CollationName {
	charset: string;
	collation: string;
}

export function intvarStatement(event: IntvarEvent): string {
	const name = event.subtype === INTVAR_LAST_INSERT_ID ? 'LAST_INSERT_ID' : event.subtype === INTVAR_INSERT_ID ? 'INSERT_ID' : undefined;
	if (!name) throw new Error(`INTVAR event of unknown type ${event.subtype}`);
	return `SET ${name}=${event.value}`;
}

export function randStatement(event: RandEvent): string {
	return `SET @@RAND_SEED1=${event.seed1}, @@RAND_SEED2=${event.seed2}`;
}

/** `SET @name := value`, the value written so that it keeps its type, character set and collation. */
export async function userVarStatement(event: UserVarEvent, collation: (id: number) => Promise<CollationName>): Promise<string> {
	return `SET @${quoteName(binaryText(event.name))} := ${await userVarValue(event, collation)}`;
}

async function userVarValue(event: UserVarEvent, collation: (id: number) => Promise<CollationName>): Promise<string> {
	if (event.isNull || event.value === undefined) return 'NULL';
	const value = event.value;
	switch (event.valueType) {
		case STRING_RESULT: {
			const hex = value.length === 0 ? "''" : `X'${value.toString('hex')}'`;
			if (event.charset === undefined || event.charset === BINARY_COLLATION) return `_binary ${hex}`;
			const name = await collation(event.charset);
			return `_${name.charset} ${hex} COLLATE ${quoteName(name.collation)}`;
		}
		case REAL_RESULT:
			return formatDouble(value.readDoubleLE(0));
		case INT_RESULT:
			return ((event.valueFlags ?? 0) & UNSIGNED_FLAG) !== 0 ? value.readBigUInt64LE(0).toString() : value.readBigInt64LE(0).toString();
		case DECIMAL_RESULT:
			return decodeBinaryDecimal(value.subarray(2), value[0]!, value[1]!);
		default:
			throw new Error(`user variable @${event.name} has value type ${event.valueType}, which cannot be replayed`);
	}
}

function formatDouble(number: number): string {
	// the shortest text that reads back as the same double; an exponent keeps it a DOUBLE literal
	const text = String(number);
	return /[eE]/.test(text) ? text : `${text}e0`;
}

/** Bytes that hold 0…9 decimal digits in MySQL's binary DECIMAL format. */
const DIGIT_BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

/**
 * MySQL's binary DECIMAL(precision, scale): integer then fraction digits, in big-endian groups of 9
 * digits per 4 bytes (fewer bytes for a partial group), sign in the first bit, negatives inverted.
 */
export function decodeBinaryDecimal(bytes: Buffer, precision: number, scale: number): string {
	const integerDigits = precision - scale;
	const leading = integerDigits % 9;
	const integerWords = Math.floor(integerDigits / 9);
	const fractionWords = Math.floor(scale / 9);
	const trailing = scale % 9;
	const size = DIGIT_BYTES[leading]! + integerWords * 4 + fractionWords * 4 + DIGIT_BYTES[trailing]!;
	const data = Buffer.from(bytes.subarray(0, size));
	const negative = (data[0]! & 0x80) === 0;
	data[0] = data[0]! ^ 0x80;
	if (negative) for (let index = 0; index < data.length; index++) data[index] = ~data[index]! & 0xff;
	let offset = 0;
	const read = (length: number): number => {
		const value = length === 0 ? 0 : data.readUIntBE(offset, length);
		offset += length;
		return value;
	};
	let integer = '';
	if (leading > 0) integer += String(read(DIGIT_BYTES[leading]!));
	for (let word = 0; word < integerWords; word++) integer += String(read(4)).padStart(9, '0');
	let fraction = '';
	for (let word = 0; word < fractionWords; word++) fraction += String(read(4)).padStart(9, '0');
	if (trailing > 0) fraction += String(read(DIGIT_BYTES[trailing]!)).padStart(trailing, '0');
	integer = integer.replace(/^0+(?=\d)/, '') || '0';
	return `${negative ? '-' : ''}${integer}${fraction ? `.${fraction}` : ''}`;
}
