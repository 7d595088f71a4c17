/**
 * Binlog column types and how each one is stored in a row image, from the TABLE_MAP metadata: MySQL's
 * table_def / calc_field_size (libbinlogevents) and MariaDB's rpl_utility.cc, which agree except for
 * MariaDB's compressed BLOB/VARCHAR types (140, 141).
 *
 * columnMeta convention (one number per column, as both servers' table_def hold it):
 * - FLOAT, DOUBLE: pack length; BLOB family, GEOMETRY, JSON, VECTOR: bytes of the length prefix (1–4);
 *   TIME2, DATETIME2, TIMESTAMP2: fractional digits
 * - VARCHAR: maximum length in bytes (uint16 LE as written)
 * - NEWDECIMAL: precision << 8 | scale; STRING, ENUM, SET: first byte << 8 | second byte (real type, length)
 * - BIT: bits % 8 | (bits / 8) << 8
 */
export const ColumnType = {
	DECIMAL: 0,
	TINY: 1,
	SHORT: 2,
	LONG: 3,
	FLOAT: 4,
	DOUBLE: 5,
	NULL: 6,
	TIMESTAMP: 7,
	LONGLONG: 8,
	INT24: 9,
	DATE: 10,
	TIME: 11,
	DATETIME: 12,
	YEAR: 13,
	NEWDATE: 14,
	VARCHAR: 15,
	BIT: 16,
	TIMESTAMP2: 17,
	DATETIME2: 18,
	TIME2: 19,
	/** MariaDB: BLOB/TEXT … COMPRESSED, stored like BLOB */
	MARIADB_BLOB_COMPRESSED: 140,
	/** MariaDB: VARCHAR … COMPRESSED, stored like VARCHAR (its maximum length counts a header byte) */
	MARIADB_VARCHAR_COMPRESSED: 141,
	/** MySQL 9 */
	VECTOR: 242,
	JSON: 245,
	NEWDECIMAL: 246,
	ENUM: 247,
	SET: 248,
	TINY_BLOB: 249,
	MEDIUM_BLOB: 250,
	LONG_BLOB: 251,
	BLOB: 252,
	VAR_STRING: 253,
	STRING: 254,
	GEOMETRY: 255,
} as const;

/** How many metadata bytes the TABLE_MAP holds for a column of this type; undefined for unknown types. */
export function metadataLength(type: number): number | undefined {
	switch (type) {
		case ColumnType.FLOAT:
		case ColumnType.DOUBLE:
		case ColumnType.TINY_BLOB:
		case ColumnType.MEDIUM_BLOB:
		case ColumnType.LONG_BLOB:
		case ColumnType.BLOB:
		case ColumnType.MARIADB_BLOB_COMPRESSED:
		case ColumnType.GEOMETRY:
		case ColumnType.JSON:
		case ColumnType.VECTOR:
		case ColumnType.TIME2:
		case ColumnType.DATETIME2:
		case ColumnType.TIMESTAMP2:
			return 1;
		case ColumnType.VARCHAR:
		case ColumnType.VAR_STRING:
		case ColumnType.MARIADB_VARCHAR_COMPRESSED:
		case ColumnType.BIT:
		case ColumnType.NEWDECIMAL:
		case ColumnType.STRING:
		case ColumnType.ENUM:
		case ColumnType.SET:
			return 2;
		case ColumnType.DECIMAL:
		case ColumnType.TINY:
		case ColumnType.SHORT:
		case ColumnType.LONG:
		case ColumnType.NULL:
		case ColumnType.TIMESTAMP:
		case ColumnType.LONGLONG:
		case ColumnType.INT24:
		case ColumnType.DATE:
		case ColumnType.TIME:
		case ColumnType.DATETIME:
		case ColumnType.YEAR:
		case ColumnType.NEWDATE:
			return 0;
		default:
			return undefined;
	}
}

/** The metadata bytes at `offset` as one number (see the convention above). */
export function readMetadata(type: number, bytes: Buffer, offset: number): number {
	switch (metadataLength(type)) {
		case 1:
			return bytes[offset]!;
		case 2:
			if (type === ColumnType.VARCHAR || type === ColumnType.VAR_STRING || type === ColumnType.MARIADB_VARCHAR_COMPRESSED || type === ColumnType.BIT) {
				return bytes[offset]! | (bytes[offset + 1]! << 8);
			}
			return (bytes[offset]! << 8) | bytes[offset + 1]!;
		default:
			return 0;
	}
}

const DIGITS_PER_WORD = 9;
const BYTES_FOR_DIGITS = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

/** Bytes of a DECIMAL(precision, scale) in the binary row format: 4 per 9 digits, fewer for the rest. */
export function decimalBinarySize(precision: number, scale: number): number {
	const integer = precision - scale;
	return (
		Math.floor(integer / DIGITS_PER_WORD) * 4 +
		BYTES_FOR_DIGITS[integer % DIGITS_PER_WORD]! +
		Math.floor(scale / DIGITS_PER_WORD) * 4 +
		BYTES_FOR_DIGITS[scale % DIGITS_PER_WORD]!
	);
}

/** CHAR's maximum byte length: above 255 the server folds the high bits into the real-type byte. */
export function stringMaxLength(meta: number): number {
	const first = meta >> 8;
	const second = meta & 0xff;
	if ((first & 0x30) !== 0x30) return second | (((first & 0x30) ^ 0x30) << 4);
	return second;
}

/**
 * A column's stored size in a row image: a number ≥ 0 is a fixed size; a negative −k means a k-byte
 * little-endian length prefix followed by that many bytes. undefined: a type this decoder cannot size.
 */
export function storedSize(type: number, meta: number): number | undefined {
	switch (type) {
		case ColumnType.TINY:
		case ColumnType.YEAR:
			return 1;
		case ColumnType.SHORT:
			return 2;
		case ColumnType.INT24:
		case ColumnType.DATE:
		case ColumnType.NEWDATE:
		case ColumnType.TIME:
			return 3;
		case ColumnType.LONG:
		case ColumnType.TIMESTAMP:
			return 4;
		case ColumnType.LONGLONG:
		case ColumnType.DATETIME:
			return 8;
		case ColumnType.NULL:
			return 0;
		case ColumnType.FLOAT:
		case ColumnType.DOUBLE:
		case ColumnType.DECIMAL:
			return meta;
		case ColumnType.NEWDECIMAL:
			return decimalBinarySize(meta >> 8, meta & 0xff);
		case ColumnType.TIME2:
			return 3 + ((meta + 1) >> 1);
		case ColumnType.TIMESTAMP2:
			return 4 + ((meta + 1) >> 1);
		case ColumnType.DATETIME2:
			return 5 + ((meta + 1) >> 1);
		case ColumnType.BIT:
			return (meta >> 8) + ((meta & 0xff) > 0 ? 1 : 0);
		case ColumnType.VARCHAR:
		case ColumnType.VAR_STRING:
		case ColumnType.MARIADB_VARCHAR_COMPRESSED:
			return meta > 255 ? -2 : -1;
		case ColumnType.TINY_BLOB:
		case ColumnType.MEDIUM_BLOB:
		case ColumnType.LONG_BLOB:
		case ColumnType.BLOB:
		case ColumnType.MARIADB_BLOB_COMPRESSED:
		case ColumnType.GEOMETRY:
		case ColumnType.JSON:
		case ColumnType.VECTOR:
			return meta >= 1 && meta <= 4 ? -meta : undefined;
		case ColumnType.ENUM:
		case ColumnType.SET:
			return meta & 0xff;
		case ColumnType.STRING: {
			const realType = (meta >> 8) | 0x30;
			if (realType === ColumnType.ENUM || realType === ColumnType.SET) return meta & 0xff;
			return stringMaxLength(meta) > 255 ? -2 : -1;
		}
		default:
			return undefined;
	}
}
