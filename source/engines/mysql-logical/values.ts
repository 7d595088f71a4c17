import type {ColumnInfo} from './catalog.ts';
import {quoteIdentifier} from './identifiers.ts';

/**
 * Exact SQL literals from the text protocol's raw bytes: no value passes through a JS number or Date, so
 * integers and DECIMAL keep every digit, dates keep zero dates and fractions, binary stays binary. The
 * dump's rows go through tuple-encoder.ts (the same literals, byte by byte); these string encoders serve
 * chunk boundaries and the encoder's tests.
 */

const SPATIAL = new Set([
	'geometry',
	'point',
	'linestring',
	'polygon',
	'multipoint',
	'multilinestring',
	'multipolygon',
	'geometrycollection',
	'geomcollection',
]);

/**
 * information_schema reports no charset (NULL) for these on MariaDB, "binary" on MySQL; MySQL 9's VECTOR
 * (packed float32s) has none either, and takes its bytes back only as a binary literal
 */
const BINARY_STRINGS = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'vector']);

const VERBATIM = new Set([
	'tinyint',
	'smallint',
	'mediumint',
	'int',
	'integer',
	'bigint',
	'decimal',
	'numeric',
	'double',
	'real',
	'year',
]);

export type ValueEncoder = (raw: Buffer | null) => string;

/** the form of a column's literal: the bytes as sent, quoted and escaped text, hex, or b'…' */
export type LiteralKind = 'verbatim' | 'text' | 'binary' | 'bit';

export interface ColumnReader {
	column: ColumnInfo;
	/** what to put in the SELECT list for this column */
	selectExpression: string;
	literal: LiteralKind;
	encode: ValueEncoder;
}

/** each character a quoted string escapes, and its escape */
export const ESCAPES: Readonly<Record<string, string>> = {
	'\0': '\\0',
	'\n': '\\n',
	'\r': '\\r',
	'\\': '\\\\',
	"'": "\\'",
	'"': '\\"',
	'\x1a': '\\Z',
};

/** A quoted string literal, valid whatever the session's sql_mode (backslash escapes on, no ANSI quotes). */
export function quoteString(value: string): string {
	return `'${value.replace(/[\0\n\r\\'"\x1a]/g, (character) => ESCAPES[character])}'`;
}

/** Binary data as a hex literal; X'' for the empty string (a bare 0x is not valid SQL). */
export function hexLiteral(bytes: Buffer): string {
	return bytes.length === 0 ? "X''" : `0x${bytes.toString('hex').toUpperCase()}`;
}

/** BIT(n) values arrive as big-endian bytes. */
export function bitLiteral(bytes: Buffer): string {
	let bits = '';
	for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
	return `b'${bits || '0'}'`;
}

/** Whether a number's text is `-0`: DOUBLE's negative zero, which MySQL stores and sends; as a literal, `-0` is the integer 0. */
export function isNegativeZero(bytes: Buffer, start = 0, end = bytes.length): boolean {
	return end - start === 2 && bytes[start] === 0x2d && bytes[start + 1] === 0x30;
}
/** `-0e0` (a DOUBLE literal) keeps the sign of a negative zero */
export const NEGATIVE_ZERO_LITERAL = '-0e0';
const verbatim: ValueEncoder = (raw) => (raw === null ? 'NULL' : isNegativeZero(raw) ? NEGATIVE_ZERO_LITERAL : raw.toString('latin1'));
const quotedText: ValueEncoder = (raw) => (raw === null ? 'NULL' : quoteString(raw.toString('utf8')));
const binary: ValueEncoder = (raw) => (raw === null ? 'NULL' : hexLiteral(raw));
const bit: ValueEncoder = (raw) => (raw === null ? 'NULL' : bitLiteral(raw));

export function isBinaryColumn(column: ColumnInfo): boolean {
	return column.charset === 'binary' || BINARY_STRINGS.has(column.dataType) || SPATIAL.has(column.dataType) || column.dataType === 'bit';
}

/**
 * How one column is read and written back:
 * - FLOAT is read as CAST(… AS DOUBLE): the server's text form of a FLOAT keeps 6 digits and loses bits
 *   (16777217 prints as 16777200); the double's text is the float's exact value, which rounds back to it.
 * - Integers, DECIMAL, DOUBLE, YEAR: the server's text, unquoted (DOUBLE's text round-trips exactly).
 * - BIT as b'…'; BINARY/VARBINARY/BLOB and spatial values (their internal SRID+WKB form) as hex.
 * - Everything else (text in any charset, received as utf8mb4; dates and times; ENUM/SET; JSON) quoted.
 */
export function columnReader(column: ColumnInfo): ColumnReader {
	const name = quoteIdentifier(column.name);
	if (column.dataType === 'float') {
		return {column, selectExpression: `CAST(${name} AS DOUBLE)`, literal: 'verbatim', encode: verbatim};
	}
	if (VERBATIM.has(column.dataType)) return {column, selectExpression: name, literal: 'verbatim', encode: verbatim};
	if (column.dataType === 'bit') return {column, selectExpression: name, literal: 'bit', encode: bit};
	if (isBinaryColumn(column)) return {column, selectExpression: name, literal: 'binary', encode: binary};
	return {column, selectExpression: name, literal: 'text', encode: quotedText};
}

/** mysql2 typeCast: every field as the raw bytes the server sent. */
export function rawBytes(field: {buffer(): Buffer | null}): Buffer | null {
	return field.buffer();
}

/** The columns an INSERT must name: every stored column, visible or not, but no generated one. */
export function insertableColumns(columns: ColumnInfo[]): ColumnInfo[] {
	return columns.filter((column) => !column.generated);
}
