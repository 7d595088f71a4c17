import path from 'node:path';

/** 2026-11-15T14:03:27.512Z → "20261115T140327Z": sortable, no characters a filesystem or shell minds. */
export function utcStamp(date: Date): string {
	return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

const NAMES_IN_FILE = 3;

/** What the file is named after: the database, a few names joined by "+", "all", or "<n>-databases". */
function subject(databases: string[]): string {
	if (databases.length === 0) return 'all';
	if (databases.length <= NAMES_IN_FILE) return databases.join('+');
	return `${databases.length}-databases`;
}

/** `<dir>/<db>-<UTC timestamp>.tar`; `databases` empty means every database. */
export function defaultBackupPath(dir: string, databases: string[], now: Date): string {
	const safe = databases.map((name) => name.replace(/[^\w.+-]/g, '_'));
	return path.join(dir, `${subject(safe)}-${utcStamp(now)}.tar`);
}
