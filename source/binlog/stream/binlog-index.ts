import {IntegrityError} from '../../core/errors.ts';
import type {Compression} from '../../storage/compression.ts';
import {removeCompressedSource, storeClosedFile, type StoredClosedFile} from '../../storage/target/closed-artifact.ts';
import {compareBinlogNames} from '../file/binlog-dir.ts';
import {binlogTarget, readDirText, writeDirFile, type BinlogDir} from './dir-file.ts';

export const INDEX_NAME = 'binlog-index.json';
const INDEX_VERSION = 1;

/** One closed binlog file of the copy: its size and SHA-256, and the file holding it (the name itself, or `<name>.zst` / `<name>.gz`). */
export interface IndexedBinlog extends StoredClosedFile {
	/** the server's file name */
	name: string;
	closedAt: string;
}

export interface BinlogIndex {
	version: 1;
	files: IndexedBinlog[];
}

export async function readBinlogIndex(dir: BinlogDir): Promise<BinlogIndex> {
	const file = binlogTarget(dir).describe(INDEX_NAME);
	const text = await readDirText(dir, INDEX_NAME);
	if (text === undefined) return {version: INDEX_VERSION, files: []};
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
 * Records a closed file: hashes it and, when asked, compresses it beside itself and removes the raw file
 * (storage/target/closed-artifact.ts); uncompressed, it is sealed (one object on an object store). Safe
 * to run again after a crash half-way.
 */
export async function indexClosedBinlog(dir: BinlogDir, name: string, compression: Compression): Promise<IndexedBinlog> {
	const target = binlogTarget(dir);
	const stored = await storeClosedFile(target, name, compression);
	const entry: IndexedBinlog = {name, ...stored, closedAt: new Date().toISOString()};
	const index = await readBinlogIndex(target);
	index.files = [...index.files.filter((file) => file.name !== name), entry].sort((a, b) => compareBinlogNames(a.name, b.name));
	await writeDirFile(target, INDEX_NAME, `${JSON.stringify(index, null, 2)}\n`);
	await removeCompressedSource(target, name, stored);
	return entry;
}
