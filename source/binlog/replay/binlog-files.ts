/**
 * The binlog files of a directory: the server's own files, or a copy written by `dbbackup binlog-stream`
 * (raw files, closed files maybe compressed, binlog-index.json with the SHA-256 of each closed file).
 */
import path from 'node:path';
import {UsageError} from '../../core/errors.ts';
import {isObjectStoreUrl} from '../../core/object-store-url.ts';
import type {Compression} from '../../storage/compression.ts';
import {directoryTarget, type StorageOptions} from '../../storage/target/index.ts';
import {readBytes} from '../../storage/target/read-bytes.ts';
import type {ArtifactStat, ArtifactTarget} from '../../storage/target/types.ts';
import {BINLOG_MAGIC} from '../event/header.ts';
import {compareBinlogNames} from '../file/binlog-dir.ts';
import {INDEX_NAME, readBinlogIndex} from '../stream/binlog-index.ts';
import {isBinlogName} from '../stream/checkpoint.ts';

export interface LocatedBinlog {
	/** the server's name for the file */
	name: string;
	/** where it is stored: the name itself, or `<name>.zst` / `<name>.gz` */
	stored: string;
	target: ArtifactTarget;
	compression: Compression;
	/** size and SHA-256 of the uncompressed file, from binlog-index.json (closed files only) */
	expected?: {size: number; sha256: string};
}

export interface BinlogCatalog {
	/** the directory or s3:// prefix, as the user gave it */
	dir: string;
	/** where the files are read from */
	target: ArtifactTarget;
	files: Map<string, LocatedBinlog>;
	/** every name, oldest first */
	names: string[];
	/** where the expected hashes come from, for messages */
	indexFile: string;
}

/**
 * Lists the binlogs in `dir` (a local directory or an s3:// prefix that binlog-stream writes): raw files
 * that start with the binlog magic, and the files binlog-index.json lists. With a key, an encrypted copy
 * is decrypted as it is read (and a plain one read as it is).
 */
export async function locateBinlogs(dir: string, storage: StorageOptions = {}): Promise<BinlogCatalog> {
	const location = isObjectStoreUrl(dir) ? dir : path.resolve(dir);
	const target = await directoryTarget(location, storage);
	let entries: ArtifactStat[];
	try {
		entries = await target.list();
	} catch (error) {
		const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
		if (!missing && isObjectStoreUrl(dir)) throw error;
		throw new UsageError({
			code: 'BINLOG_DIR_UNREADABLE',
			message: `--binlogs ${dir}: ${missing ? 'no such directory' : (error as Error).message}`,
			hint: 'Point --binlogs at the directory (or s3:// prefix) `dbbackup binlog-stream` writes, or at a copy of the server\'s binlog files.',
		});
	}
	const present = new Set(entries.map((entry) => entry.name));
	const files = new Map<string, LocatedBinlog>();
	for (const {name} of entries.filter((entry) => isBinlogName(entry.name))) {
		if (await startsWithMagic(target, name)) files.set(name, {name, stored: name, target, compression: 'none'});
	}
	for (const entry of (await readBinlogIndex(target)).files) {
		const expected = {size: entry.size, sha256: entry.sha256};
		if (present.has(entry.name)) files.set(entry.name, {name: entry.name, stored: entry.name, target, compression: 'none', expected});
		else if (present.has(entry.stored)) files.set(entry.name, {name: entry.name, stored: entry.stored, target, compression: entry.compression, expected});
	}
	return {dir: location, target, files, names: [...files.keys()].sort(compareBinlogNames), indexFile: target.describe(INDEX_NAME)};
}

async function startsWithMagic(target: ArtifactTarget, name: string): Promise<boolean> {
	try {
		return (await readBytes(target, name, 0, BINLOG_MAGIC.length)).equals(BINLOG_MAGIC);
	} catch {
		return false;
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
