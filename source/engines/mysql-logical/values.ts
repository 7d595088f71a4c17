import type {ColumnInfo} from './catalog.ts';
import {quoteIdentifier} from './identifiers.ts';

/**
 * Exact SQL literals from the text protocol's raw bytes. Rows are read with a typeCast that returns
 * every field as the Buffer the server sent (NULL as null), so no value passes through a JS number or
 * Date: integers and DECIMAL keep every digit, dates keep zero dates and fractions, binary stays binary.
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

/** information_schema reports no charset (NULL) for these on MariaDB, "binary" on MySQL */
const BINARY_STRINGS = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

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

const verbatim: ValueEncoder = (raw) => (raw === null ? 'NULL' : raw.toString('latin1'));
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

/** Types whose values can exceed what the server returns from one CONCAT (max_allowed_packet). */
const UNBOUNDED = new Set(['mediumtext', 'longtext', 'mediumblob', 'longblob', 'json', ...SPATIAL]);
const TEXT_OR_BLOB = new Set(['tinytext', 'text', 'tinyblob', 'blob']);
/** With this many 64 KiB TEXT/BLOB columns, a row's literal (hex doubles binary) stays far below 16 MiB. */
const MAX_BOUNDED_LOBS = 30;

/**
 * The server-side form of `columnReader`: one expression per column giving the same SQL literal text,
 * NULL-safe, in utf8mb4 — so a row arrives as one ready `(…)` tuple and the dump does no per-value
 * work. Only for tables whose rows cannot exceed what CONCAT returns; null otherwise (the client-side
 * encoders are used).
 */
export function rowLiteralExpression(columns: ColumnInfo[]): string | null {
	if (columns.some((column) => UNBOUNDED.has(column.dataType))) return null;
	if (columns.filter((column) => TEXT_OR_BLOB.has(column.dataType)).length > MAX_BOUNDED_LOBS) return null;
	const parts = columns.map((column) => {
		const name = quoteIdentifier(column.name);
		if (column.dataType === 'float') return `COALESCE(CAST(CAST(${name} AS DOUBLE) AS CHAR), 'NULL')`;
		if (VERBATIM.has(column.dataType)) return `COALESCE(CAST(${name} AS CHAR), 'NULL')`;
		if (column.dataType === 'bit') return `IF(${name} IS NULL, 'NULL', CONCAT('b''', BIN(${name}), ''''))`;
		if (isBinaryColumn(column)) return `IF(${name} IS NULL, 'NULL', IF(LENGTH(${name}) = 0, 'X''''', CONCAT('0x', HEX(${name}))))`;
		return `CONVERT(QUOTE(${name}) USING utf8mb4)`;
	});
	// every part as bytes: no collation can clash, and the utf8mb4 text arrives unchanged
	return `CONCAT_WS(_binary',', ${parts.map((part) => `CAST(${part} AS BINARY)`).join(', ')})`;
}
