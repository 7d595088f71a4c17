import {createHash} from 'node:crypto';
import {IntegrityError} from '../../core/errors.ts';
import type {Compression} from '../../storage/compression.ts';
import {removeCompressedSource, storeClosedFile, type StoredClosedFile} from '../../storage/target/closed-artifact.ts';
import {readDirFile, storeTarget, writeDirFile, type StoreDir} from '../../storage/target/dir-file.ts';
import {INDEX_NAME, partialName} from './layout.ts';

const INDEX_VERSION = 1;

/** One completed segment (or history file) of the store. */
export interface IndexedWal extends StoredClosedFile {
	/** the server's file name */
	name: string;
	closedAt: string;
}

export interface WalIndex {
	version: 1;
	files: IndexedWal[];
}

export async function readWalIndex(dir: StoreDir): Promise<WalIndex> {
	const parsed = await readDirFile<WalIndex>(dir, INDEX_NAME, INDEX_VERSION, badIndex);
	if (!parsed) return {version: INDEX_VERSION, files: []};
	if (!Array.isArray(parsed.files)) throw badIndex(storeTarget(dir).describe(INDEX_NAME), 'its "files" is not a list');
	return parsed as WalIndex;
}

function badIndex(file: string, why: string): IntegrityError {
	return new IntegrityError({
		code: 'WAL_INDEX_INVALID',
		message: `${file} cannot be read: ${why}`,
		hint: 'Restore the file from a copy, or move it away: segments completed from then on are listed again.',
	});
}

async function record(dir: StoreDir, entry: IndexedWal): Promise<void> {
	const index = await readWalIndex(dir);
	index.files = [...index.files.filter((file) => file.name !== entry.name), entry].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	await writeDirFile(dir, INDEX_NAME, `${JSON.stringify(index, null, 2)}\n`);
}

/**
 * A segment is complete (its `.partial` full and synced): it becomes `SEGMENT` (renamed; in S3 one
 * object), or `SEGMENT.zst` (`.gz`, `.lz4`) with the `.partial` removed once that is whole, and is
 * recorded with its size and SHA-256. Safe to run again after a crash half-way.
 */
export async function completeSegment(dir: StoreDir, segment: string, compression: Compression): Promise<IndexedWal> {
	const target = storeTarget(dir);
	const source = partialName(segment);
	const stored = await storeClosedFile(target, source, compression, segment);
	const entry: IndexedWal = {name: segment, ...stored, closedAt: new Date().toISOString()};
	await record(target, entry);
	await removeCompressedSource(target, source, stored);
	return entry;
}

/** A timeline history file, stored whole (it is small and never changes) and recorded like a segment. */
export async function storeHistoryFile(dir: StoreDir, name: string, content: Buffer): Promise<void> {
	const target = storeTarget(dir);
	await target.put(name, content);
	const sha256 = createHash('sha256').update(content).digest('hex');
	await record(target, {name, size: content.length, sha256, stored: name, compression: 'none', storedSize: content.length, storedSha256: sha256, closedAt: new Date().toISOString()});
}
