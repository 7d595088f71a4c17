/**
 * The binlog files of a directory: the server's own files, or a copy written by `dbbackup binlog-stream`
 * (raw files, closed files maybe compressed, binlog-index.json with the SHA-256 of each closed file).
 */
import {open, readdir} from 'node:fs/promises';
import path from 'node:path';
import {UsageError} from '../../core/errors.ts';
import type {Compression} from '../../storage/compression.ts';
import {BINLOG_MAGIC} from '../event/header.ts';
import {compareBinlogNames} from '../file/binlog-dir.ts';
import {indexPath, readBinlogIndex} from '../stream/binlog-index.ts';
import {isBinlogName} from '../stream/checkpoint.ts';

export interface LocatedBinlog {
	/** the server's name for the file */
	name: string;
	path: string;
	compression: Compression;
	/** size and SHA-256 of the uncompressed file, from binlog-index.json (closed files only) */
	expected?: {size: number; sha256: string};
}

export interface BinlogCatalog {
	dir: string;
	files: Map<string, LocatedBinlog>;
	/** every name, oldest first */
	names: string[];
	/** where the expected hashes come from, for messages */
	indexFile: string;
}

/** Lists the binlogs in `dir`: raw files that start with the binlog magic, and the files binlog-index.json lists. */
export async function locateBinlogs(dir: string): Promise<BinlogCatalog> {
	let entries: string[];
	try {
		entries = await readdir(dir);
	} catch (error) {
		throw new UsageError({
			code: 'BINLOG_DIR_UNREADABLE',
			message: `--binlogs ${dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (error as Error).message}`,
			hint: 'Point --binlogs at the directory `dbbackup binlog-stream --output` writes, or at a copy of the server\'s binlog files.',
		});
	}
	const present = new Set(entries);
	const files = new Map<string, LocatedBinlog>();
	for (const name of entries.filter(isBinlogName)) {
		if (await startsWithMagic(path.join(dir, name))) files.set(name, {name, path: path.join(dir, name), compression: 'none'});
	}
	for (const entry of (await readBinlogIndex(dir)).files) {
		const expected = {size: entry.size, sha256: entry.sha256};
		if (present.has(entry.name)) files.set(entry.name, {name: entry.name, path: path.join(dir, entry.name), compression: 'none', expected});
		else if (present.has(entry.stored)) files.set(entry.name, {name: entry.name, path: path.join(dir, entry.stored), compression: entry.compression, expected});
	}
	return {dir, files, names: [...files.keys()].sort(compareBinlogNames), indexFile: indexPath(dir)};
}

async function startsWithMagic(file: string): Promise<boolean> {
	let handle;
	try {
		handle = await open(file, 'r');
		const head = Buffer.alloc(BINLOG_MAGIC.length);
		const {bytesRead} = await handle.read(head, 0, head.length, 0);
		return bytesRead === head.length && head.equals(BINLOG_MAGIC);
	} catch {
		return false;
	} finally {
		await handle?.close();
	}
}

/** `mariadb-bin.000009` → `mariadb-bin.000010`: the file a server opens next (after a restart, with no ROTATE). */
export function nextBinlogName(name: string): string {
	const dot = name.lastIndexOf('.');
	const digits = name.slice(dot + 1);
	return `${name.slice(0, dot)}.${(BigInt(digits) + 1n).toString().padStart(digits.length, '0')}`;
}

export function binlogBase(name: string): string {
	return name.slice(0, name.lastIndexOf('.'));
}

/** The catalog's files of the same series as `name` (same base name), oldest first. */
export function seriesOf(catalog: BinlogCatalog, name: string): string[] {
	const base = binlogBase(name);
	return catalog.names.filter((candidate) => binlogBase(candidate) === base);
}
