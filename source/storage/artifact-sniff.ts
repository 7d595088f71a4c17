/**
 * What the first bytes of a file say it is: the magic numbers of the containers a restore may be given,
 * and the header lines the dump tools write at the top of a plain SQL script.
 */
import {isUtf8} from 'node:buffer';
import type {DbType} from '../core/detect/types.ts';

/** How much of a file (decompressed, for a compressed script) is read to tell what it is. */
export const SNIFF_BYTES = 1024;

export type Magic = 'tar' | 'zstd' | 'gzip' | 'lz4' | 'pg-custom' | 'other';

/** What the header of a plain SQL script says wrote it. */
export interface ScriptHeader {
	dbType: DbType;
	/** "a PostgreSQL plain SQL dump (pg_dump)" */
	writer: string;
}

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
/** the LZ4 frame format's magic (0x184D2204, little-endian) */
const LZ4_MAGIC = Buffer.from([0x04, 0x22, 0x4d, 0x18]);
/** pg_dump -Fc (and the members of -Fd/-Ft) */
const PG_CUSTOM_MAGIC = Buffer.from('PGDMP', 'latin1');

export function magicOf(head: Buffer): Magic {
	if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
	if (head.subarray(0, 4).equals(ZSTD_MAGIC)) return 'zstd';
	if (head.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip';
	if (head.subarray(0, 4).equals(LZ4_MAGIC)) return 'lz4';
	if (head.subarray(0, 5).equals(PG_CUSTOM_MAGIC)) return 'pg-custom';
	return 'other';
}

/** The name of a tar's first member (pg_dump -Ft starts with `toc.dat`). */
export function tarFirstMember(head: Buffer): string {
	const field = head.subarray(0, 100);
	const end = field.indexOf(0);
	return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

/** Header lines, each at the start of a line; the first one in the file wins. */
const HEADERS: ReadonlyArray<{line: RegExp} & ScriptHeader> = [
	{line: /^-- PostgreSQL database dump\r?$/m, dbType: 'postgres', writer: 'a PostgreSQL plain SQL dump (pg_dump)'},
	{line: /^-- PostgreSQL database cluster dump\r?$/m, dbType: 'postgres', writer: 'a PostgreSQL cluster dump (pg_dumpall)'},
	{line: /^-- PostgreSQL database .*, dumped by dbbackup\r?$/m, dbType: 'postgres', writer: 'a PostgreSQL SQL script (dbbackup --format sql)'},
	{line: /^-- MySQL dump \d/m, dbType: 'mysql', writer: 'a MySQL SQL dump (mysqldump)'},
	{line: /^-- MariaDB dump \d/m, dbType: 'mysql', writer: 'a MariaDB SQL dump (mariadb-dump)'},
	{line: /^-- dbbackup SQL dump of /m, dbType: 'mysql', writer: 'a MySQL/MariaDB SQL script (dbbackup --format sql)'},
];

/** The dump tool a script's header names (pg_dump, mysqldump, mariadb-dump, ours); undefined for a script without one (hand-written). */
export function scriptHeaderOf(head: Buffer): ScriptHeader | undefined {
	const text = head.toString('latin1');
	let found: {at: number; header: ScriptHeader} | undefined;
	for (const {line, dbType, writer} of HEADERS) {
		const at = text.search(line);
		if (at !== -1 && (!found || at < found.at)) found = {at, header: {dbType, writer}};
	}
	return found?.header;
}

/** Up to 3 bytes at the end that may be a UTF-8 sequence the read cut short. */
function withoutCutSequence(head: Buffer): Buffer {
	for (let back = 1; back <= Math.min(3, head.length); back++) {
		const byte = head[head.length - back]!;
		if ((byte & 0xc0) === 0xc0) return head.subarray(0, head.length - back);
		if ((byte & 0xc0) !== 0x80) break;
	}
	return head;
}

/**
 * How a script starts: a comment (`--`, `/*`, `#`), a psql meta-command (`\`), or a word followed by
 * a space or `(`: what every SQL script, hand-written or dumped, begins with after blank lines.
 */
const LOOKS_LIKE_SQL = /^(?:\uFEFF|\xEF\xBB\xBF)?[\s]*(?:--|\/\*|#|\\|[A-Za-z_]{2,}[\s(;])/;

/**
 * Why `head` is no SQL script (binary), or undefined when it may be one. A NUL byte is never in SQL text
 * (the dump tools write `\0`). Bytes that are not UTF-8 can be, in a latin1 script or a binary string a
 * dump wrote raw, so they count only when the file does not even start like SQL.
 */
export function binaryReason(head: Buffer): string | undefined {
	if (head.includes(0)) return 'NUL bytes in its first KiB';
	if (!isUtf8(withoutCutSequence(head)) && !LOOKS_LIKE_SQL.test(head.toString('latin1'))) return 'its first KiB is not UTF-8 and does not start like SQL';
	return undefined;
}
