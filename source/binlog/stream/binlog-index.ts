import {createReadStream, createWriteStream} from 'node:fs';
import {chmod, readFile, rename, rm, stat} from 'node:fs/promises';
import path from 'node:path';
import {Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {IntegrityError} from '../../core/errors.ts';
import {compressStream, extensionFor, type Compression} from '../../storage/compression.ts';
import {syncDirectory} from '../../storage/durable-file.ts';
import {MeterStream} from '../../storage/hash.ts';
import {partialPathOf} from '../../storage/archive/member-path.ts';
import {compareBinlogNames} from '../file/binlog-dir.ts';
import {BINLOG_FILE_MODE} from './binlog-file-sink.ts';
import {writeDirFile} from './dir-file.ts';

export const INDEX_NAME = 'binlog-index.json';
const INDEX_VERSION = 1;

/** One closed binlog file of the copy. */
export interface IndexedBinlog {
	/** the server's file name */
	name: string;
	/** bytes and SHA-256 of the binlog itself (uncompressed) */
	size: number;
	sha256: string;
	/** the file holding it in the directory: the name itself, or `<name>.zst` / `<name>.gz` */
	stored: string;
	compression: Compression;
	storedSize: number;
	storedSha256: string;
	closedAt: string;
}

export interface BinlogIndex {
	version: 1;
	files: IndexedBinlog[];
}

export function indexPath(dir: string): string {
	return path.join(dir, INDEX_NAME);
}

export async function readBinlogIndex(dir: string): Promise<BinlogIndex> {
	const file = indexPath(dir);
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {version: INDEX_VERSION, files: []};
		throw error;
	}
	try {
		const parsed = JSON.parse(text) as BinlogIndex;
		if (parsed.version !== INDEX_VERSION || !Array.isArray(parsed.files)) throw new Error(`version ${String(parsed.version)}`);
		return parsed;
	} catch (error) {
		throw new IntegrityError({
			code: 'BINLOG_INDEX_INVALID',
			message: `${file} cannot be read: ${(error as Error).message}`,
			hint: 'Restore the file from a copy, or remove it: the streamer lists closed files again as it closes them.',
		});
	}
}

/**
 * Records a closed file: hashes it and, when asked, compresses it beside itself (through a `.partial`,
 * checked by size) and removes the raw file. Safe to run again after a crash half-way.
 */
export async function indexClosedBinlog(dir: string, name: string, compression: Compression): Promise<IndexedBinlog> {
	const raw = path.join(dir, name);
	const rawMeter = new MeterStream();
	const stored = compression === 'none' ? name : `${name}${extensionFor(compression)}`;
	let storedMeter: MeterStream;
	if (compression === 'none') {
		await pipeline(createReadStream(raw), rawMeter, new Writable({write: (_chunk, _encoding, done) => done()}));
		storedMeter = rawMeter;
	} else {
		storedMeter = new MeterStream();
		const target = path.join(dir, stored);
		const partial = partialPathOf(target);
		await pipeline(createReadStream(raw), rawMeter, compressStream(compression), storedMeter, createWriteStream(partial, {mode: BINLOG_FILE_MODE, flush: true}));
		// a .partial left by a crash keeps its old mode when written again
		await chmod(partial, BINLOG_FILE_MODE);
		await rename(partial, target);
		await syncDirectory(dir);
	}
	const entry: IndexedBinlog = {
		name,
		size: rawMeter.bytes,
		sha256: rawMeter.sha256(),
		stored,
		compression,
		storedSize: storedMeter.bytes,
		storedSha256: storedMeter.sha256(),
		closedAt: new Date().toISOString(),
	};
	const index = await readBinlogIndex(dir);
	index.files = [...index.files.filter((file) => file.name !== name), entry].sort((a, b) => compareBinlogNames(a.name, b.name));
	await writeDirFile(indexPath(dir), `${JSON.stringify(index, null, 2)}\n`);
	if (compression !== 'none') {
		const {size} = await stat(path.join(dir, stored));
		if (size === entry.storedSize) await rm(raw);
	}
	return entry;
}
