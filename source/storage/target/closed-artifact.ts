import {rm} from 'node:fs/promises';
import {Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {partialPathOf} from '../archive/member-path.ts';
import {compressStream, extensionFor, type Compression} from '../compression.ts';
import {MeterStream} from '../hash.ts';
import {storedLocalPath} from './index.ts';
import type {ArtifactTarget, PartialArtifact} from './types.ts';

/** A closed file of a stream store as it is kept: its own bytes' size and SHA-256, and the artifact holding them. */
export interface StoredClosedFile {
	/** bytes and SHA-256 of the file itself (uncompressed) */
	size: number;
	sha256: string;
	/** the artifact holding it: the final name itself, or `<final>.zst` / `.gz` / `.lz4` */
	stored: string;
	compression: Compression;
	storedSize: number;
	storedSha256: string;
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
 * Keeps an appendable artifact that will not grow again (a closed binlog, a completed WAL segment) in
 * its final form, hashed: uncompressed, it is sealed (one object on an object store), under `finalName`
 * when that differs (`X.partial` becomes `X`); compressed, it is written beside itself as
 * `<finalName>.zst` (`.gz`, `.lz4`) through the target's partial artifact, committed in place of any
 * earlier attempt. Safe to run again after a crash half-way. The raw artifact of a compressed one is
 * left for the caller to remove (removeCompressedSource) once it has recorded the result.
 */
export async function storeClosedFile(target: ArtifactTarget, name: string, compression: Compression, finalName: string = name): Promise<StoredClosedFile> {
	const rawMeter = new MeterStream();
	const stored = compression === 'none' ? finalName : `${finalName}${extensionFor(compression)}`;
	let storedMeter: MeterStream;
	if (compression === 'none') {
		// an object store keeps the file being written as segments: the closed file becomes one object
		await target.seal?.(name, finalName === name ? undefined : {as: finalName});
		await pipeline(target.readRange(finalName, 0), rawMeter, new Writable({write: (_chunk, _encoding, done) => done()}));
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
	return {size: rawMeter.bytes, sha256: rawMeter.sha256(), stored, compression, storedSize: storedMeter.bytes, storedSha256: storedMeter.sha256()};
}

/** Once a compressed copy is recorded: the raw artifact goes, if the compressed one is there whole. */
export async function removeCompressedSource(target: ArtifactTarget, name: string, file: StoredClosedFile): Promise<void> {
	if (file.compression === 'none' || file.stored === name) return;
	const info = await target.stat(file.stored);
	if (info?.bytes === file.storedSize) await target.delete(name);
}
