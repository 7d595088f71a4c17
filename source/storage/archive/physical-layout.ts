/**
 * The manifest's `physical` section: what a physical engine's archive holds besides its members. A
 * physical backup is a copy of a server's files (PostgreSQL's BASE_BACKUP: the data directory and each
 * tablespace, each sent as a tar stream). Their contents are stored as members (the files' bytes
 * concatenated in the order the server sent them and cut into members of a few MiB, so that one incoming
 * stream compresses on every core); the files themselves — paths, types, modes, sizes, link targets —
 * are listed here, so that a restore re-creates them exactly and can tell which bytes belong to which file.
 */
import type {ManifestProblem} from './manifest.ts';

export type PhysicalEntryType = 'directory' | 'file' | 'symlink';

export interface PhysicalEntry {
	/** relative to the archive's root (the data directory, or the tablespace's location), "/" between segments, no trailing "/" */
	path: string;
	type: PhysicalEntryType;
	/** permission bits as the server recorded them (0o7777 at most) */
	mode: number;
	/** files: their size; the next `size` bytes of the archive's content are theirs */
	size?: number;
	/** symlinks: where they point */
	target?: string;
}

export interface PhysicalArchive {
	/** `base` for the data directory, else the tablespace's OID */
	name: string;
	/** tablespaces: the absolute path of the tablespace on the source server (where `pg_tblspc/<oid>` pointed) */
	location?: string;
	/** the members holding the archive's content: its files' bytes in entry order, cut at member boundaries */
	members: string[];
	/** every directory, file and symlink, in the order the server sent them */
	entries: PhysicalEntry[];
}

export interface PhysicalLayout {
	/** the server's archives in the order it sent them (PostgreSQL: the tablespaces, then the data directory) */
	archives: PhysicalArchive[];
	/** the member holding the server's own backup manifest (PostgreSQL: `backup_manifest`, restored beside the data) */
	backupManifest?: string;
}

const ENTRY_TYPES: readonly PhysicalEntryType[] = ['directory', 'file', 'symlink'];

/** Why `value` cannot be an entry's path, or undefined: relative, "/" separated, no empty, "." or ".." segment, no control character. */
export function physicalPathProblem(value: unknown): string | undefined {
	if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
	if (Buffer.byteLength(value) > 4096) return 'is longer than 4096 bytes';
	if (value.startsWith('/')) return 'must be a relative path (it starts with "/")';
	if (value.includes('\\')) return 'must use "/" between segments, not "\\"';
	if (/[\u0000-\u001f\u007f]/.test(value)) return 'contains a control character';
	if (value.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) return 'has an empty, "." or ".." segment';
	return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Every problem of a manifest's `physical` section; `memberRawBytes` maps each member of the manifest
 * to its size before compression (an archive's members must hold exactly its files' bytes).
 */
export function physicalLayoutProblems(value: unknown, memberRawBytes: ReadonlyMap<string, number>): ManifestProblem[] {
	const problems: ManifestProblem[] = [];
	const add = (field: string, message: string) => problems.push({field, message});
	if (!isObject(value)) return [{field: 'physical', message: 'must be an object'}];
	const used = new Map<string, string>();
	const reference = (path: unknown, field: string): number | undefined => {
		if (typeof path !== 'string' || !memberRawBytes.has(path)) {
			add(field, `${JSON.stringify(path)} is not one of the manifest's members`);
			return undefined;
		}
		const first = used.get(path);
		if (first !== undefined) add(field, `repeats ${JSON.stringify(path)}, already listed at ${first}`);
		else used.set(path, field);
		return memberRawBytes.get(path);
	};
	if (value.backupManifest !== undefined) reference(value.backupManifest, 'physical.backupManifest');
	if (!Array.isArray(value.archives)) {
		add('physical.archives', 'must be an array');
		return problems;
	}
	if (value.archives.length === 0) add('physical.archives', 'must hold at least one archive');
	const names = new Set<string>();
	const locations = new Set<string>();
	value.archives.forEach((archive, index) => {
		const at = `physical.archives[${index}]`;
		if (!isObject(archive)) {
			add(at, 'must be an object');
			return;
		}
		if (typeof archive.name !== 'string' || !/^(base|[1-9][0-9]{0,9})$/.test(archive.name)) add(`${at}.name`, 'must be "base" or a tablespace OID');
		else if (names.has(archive.name)) add(`${at}.name`, `repeats ${JSON.stringify(archive.name)}`);
		else names.add(archive.name);
		if (archive.name === 'base' && archive.location !== undefined) add(`${at}.location`, 'must be absent for the data directory');
		if (archive.name !== 'base') {
			if (typeof archive.location !== 'string' || !archive.location.startsWith('/') || /[\u0000-\u001f\u007f]/.test(archive.location) || archive.location.split('/').includes('..')) {
				add(`${at}.location`, 'must be an absolute path without ".." or control characters');
			} else if (locations.has(archive.location)) {
				add(`${at}.location`, `repeats ${JSON.stringify(archive.location)}`);
			} else {
				locations.add(archive.location);
			}
		}
		let stored = 0;
		if (Array.isArray(archive.members)) {
			archive.members.forEach((member, memberIndex) => {
				stored += reference(member, `${at}.members[${memberIndex}]`) ?? 0;
			});
		} else {
			add(`${at}.members`, 'must be an array');
		}
		if (!Array.isArray(archive.entries)) {
			add(`${at}.entries`, 'must be an array');
			return;
		}
		const paths = new Set<string>();
		let content = 0;
		archive.entries.forEach((entry, entryIndex) => {
			const entryAt = `${at}.entries[${entryIndex}]`;
			if (!isObject(entry)) {
				add(entryAt, 'must be an object');
				return;
			}
			const pathProblem = physicalPathProblem(entry.path);
			if (pathProblem) add(`${entryAt}.path`, pathProblem);
			else if (paths.has(entry.path as string)) add(`${entryAt}.path`, `repeats ${JSON.stringify(entry.path)}`);
			else paths.add(entry.path as string);
			if (!(ENTRY_TYPES as readonly unknown[]).includes(entry.type)) add(`${entryAt}.type`, `must be one of ${ENTRY_TYPES.join(', ')}`);
			if (!isCount(entry.mode) || entry.mode > 0o7777) add(`${entryAt}.mode`, 'must be permission bits, a whole number from 0 to 4095 (0o7777)');
			if (entry.type === 'file') {
				if (isCount(entry.size)) content += entry.size;
				else add(`${entryAt}.size`, 'must be a whole number of 0 or more');
			} else if (entry.size !== undefined) {
				add(`${entryAt}.size`, 'is only for files');
			}
			if (entry.type === 'symlink') {
				if (typeof entry.target !== 'string' || entry.target.length === 0 || entry.target.includes('\u0000')) add(`${entryAt}.target`, 'must be a non-empty string');
			} else if (entry.target !== undefined) {
				add(`${entryAt}.target`, 'is only for symlinks');
			}
		});
		if (Array.isArray(archive.members) && content !== stored) {
			add(`${at}.members`, `hold ${stored} bytes, but the archive's files add up to ${content}`);
		}
	});
	return problems;
}
