import {rm} from 'node:fs/promises';
import {Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {IntegrityError} from '../../core/errors.ts';
import {compressStream, extensionFor, type Compression} from '../../storage/compression.ts';
import {partialPathOf} from '../../storage/archive/member-path.ts';
import {MeterStream} from '../../storage/hash.ts';
import type {PartialArtifact} from '../../storage/target/types.ts';
import {compareBinlogNames} from '../file/binlog-dir.ts';
import {binlogTarget, readDirText, writeDirFile, type BinlogDir} from './dir-file.ts';
import {storedLocalPath} from '../../storage/target/index.ts';

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

/** A sink that writes what it is given into `partial`, one write at a time (its backpressure). */
function partialWriter(partial: PartialArtifact): Writable {
	return new Writable({
		write: (chunk: Buffer, _encoding, done) => {
			partial.write(chunk).then(() => done(), done);
		},
	});
}

/**
 * Records a closed file: hashes it and, when asked, compresses it beside itself (through the target's
 * partial artifact, committed in place of any earlier attempt, and checked by size) and removes the raw
 * file; uncompressed, it is sealed (one object on an object store). Safe to run again after a crash half-way.
 */
export async function indexClosedBinlog(dir: BinlogDir, name: string, compression: Compression): Promise<IndexedBinlog> {
	const target = binlogTarget(dir);
	const rawMeter = new MeterStream();
	const stored = compression === 'none' ? name : `${name}${extensionFor(compression)}`;
	let storedMeter: MeterStream;
	if (compression === 'none') {
		// an object store keeps the file being copied as segments: the closed file becomes one object
		await target.seal?.(name);
		await pipeline(target.readRange(name, 0), rawMeter, new Writable({write: (_chunk, _encoding, done) => done()}));
		storedMeter = rawMeter;
	} else {
		storedMeter = new MeterStream();
		// a crash half-way leaves a `.partial` of the compressed file: on a local target, a dead leftover
		// (the streamer holds the directory's lock) that would make the partial's exclusive create refuse
		const local = storedLocalPath(target, stored);
		if (local !== undefined) await rm(partialPathOf(local), {force: true});
		const partial = await target.openPartial(stored, {replace: true});
		try {
			await pipeline(target.readRange(name, 0), rawMeter, compressStream(compression), storedMeter, partialWriter(partial));
			await partial.commit();
		} catch (error) {
			await partial.abort();
			throw error;
		}
		await partial.release();
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
	const index = await readBinlogIndex(target);
	index.files = [...index.files.filter((file) => file.name !== name), entry].sort((a, b) => compareBinlogNames(a.name, b.name));
	await writeDirFile(target, INDEX_NAME, `${JSON.stringify(index, null, 2)}\n`);
	if (compression !== 'none') {
		const info = await target.stat(stored);
		if (info?.bytes === entry.storedSize) await target.delete(name);
	}
	return entry;
}
