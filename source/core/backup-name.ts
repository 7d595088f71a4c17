import {randomBytes} from 'node:crypto';
import path from 'node:path';
import {isObjectStoreUrl} from './object-store-url.ts';

/** 2026-11-15T14:03:27.512Z → "20261115T140327.512Z": sorts as the time does, no characters a filesystem or shell minds. */
export function utcStamp(date: Date): string {
	return date.toISOString().replace(/[-:]/g, '');
}

/** Four hex digits drawn once per run: two runs started in the same millisecond still get two names. */
export function runTag(): string {
	return randomBytes(2).toString('hex');
}

const NAMES_IN_FILE = 3;

/** A database name as part of a file name: letters, digits, `_`, `.` and `-` stay, anything else becomes `_`. */
function safeName(database: string): string {
	return database.replace(/[^\p{L}\p{N}_.-]/gu, '_');
}

/** What the file is named after: the database, up to three names joined by "+", "all", or "<n>-databases". */
function subject(databases: string[]): string {
	if (databases.length === 0) return 'all';
	if (databases.length <= NAMES_IN_FILE) return databases.map(safeName).join('+');
	return `${databases.length}-databases`;
}

/**
 * `<db>-<UTC stamp>-<tag>.tar|.sql`; `databases` empty means every database; an encrypted backup is
 * `encrypted-<UTC stamp>-<tag>…`, so that its name does not tell its databases. A name that would start with
 * `-` (read as an option by ls, tar, rm) or `.` (hidden) gets `db_` in front: `db_-x-….tar`.
 */
export function backupFileName(databases: string[], now: Date, format: 'archive' | 'sql' = 'archive', tag: string = runTag(), encrypted = false): string {
	let name = encrypted ? 'encrypted' : subject(databases);
	if (/^[-.]/.test(name)) name = `db_${name}`;
	return `${name}-${utcStamp(now)}-${tag}.${format === 'sql' ? 'sql' : 'tar'}`;
}

/** `<dir>/<backupFileName>`: the one naming rule of the command line and the terminal app. */
export function defaultBackupPath(dir: string, databases: string[], now: Date, format: 'archive' | 'sql' = 'archive', tag?: string, encrypted = false): string {
	const name = backupFileName(databases, now, format, tag, encrypted);
	// an s3:// prefix is a URL: path.join would fold its "//"
	return isObjectStoreUrl(dir) ? `${dir.replace(/\/?$/, '/')}${name}` : path.join(dir, name);
}
