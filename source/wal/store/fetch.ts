import {open, rename, rm} from 'node:fs/promises';
import path from 'node:path';
import {Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {IntegrityError, UsageError, WorkError} from '../../core/errors.ts';
import {decompressStream, type Compression} from '../../storage/compression.ts';
import {syncDirectory, writeAll} from '../../storage/durable-file.ts';
import {MeterStream} from '../../storage/hash.ts';
import type {ArtifactTarget} from '../../storage/target/types.ts';
import {readSegmentHeader} from '../protocol.ts';
import {readWalCheckpoint} from './checkpoint.ts';
import {isHistoryName, isSegmentName, parseStoredName, partialName, storedNamesOf} from './layout.ts';
import {readWalIndex, type IndexedWal} from './segment-index.ts';

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

export interface FetchedWal {
	name: string;
	/** the stored artifact it came from */
	source: string;
	/** bytes written to the destination */
	bytes: number;
	/** a `.partial` served with zeros up to the segment size */
	padded: boolean;
	/** checked against the store's index (size and SHA-256) */
	verified: boolean;
}

/**
 * What a restore_command needs: the segment or history file `name` of the store, written to `dest`
 * (decompressed; a temp name beside it, synced, then renamed over it). A segment only being filled is
 * served from its `.partial`, zero-padded to the segment size as pg_receivewal's are, so recovery can
 * use the WAL up to where the stream got. A file the store does not have is WAL_FETCH_NOT_FOUND (exit 1,
 * no hint: PostgreSQL asks for files that do not exist, and logs what it is told). `index`: the store's
 * index, read once by a caller fetching many files.
 */
export async function fetchWal(target: ArtifactTarget, name: string, dest: string, index?: readonly IndexedWal[]): Promise<FetchedWal> {
	if (name === '' || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
		throw new UsageError({code: 'WAL_FETCH_NAME_INVALID', message: `"${name}" is not a WAL file name`, hint: 'Give the file name PostgreSQL asks for (%f), e.g. 000000010000000000000003 or 00000002.history.'});
	}
	if (!isSegmentName(name) && !isHistoryName(name)) throw notFound(target, name);
	const entry = (index ?? (await readWalIndex(target)).files).find((file) => file.name === name);
	const candidates = isHistoryName(name) ? [name] : storedNamesOf(name);
	if (entry) candidates.sort((a, b) => Number(b === entry.stored) - Number(a === entry.stored));
	for (const candidate of candidates) {
		if (!(await target.stat(candidate))) continue;
		const stored = parseStoredName(candidate);
		const compression = stored?.kind === 'segment' ? stored.compression : 'none';
		const check = entry?.stored === candidate ? entry : undefined;
		const bytes = await copyTo(target, candidate, dest, {compression, check});
		return {name, source: target.describe(candidate), bytes, padded: false, verified: check !== undefined};
	}
	if (isSegmentName(name)) {
		const partial = partialName(name);
		const held = await target.stat(partial);
		if (held) {
			const segmentBytes = await segmentSizeOf(target, partial);
			if (held.bytes > segmentBytes) throw new IntegrityError({code: 'WAL_FETCH_CHECKSUM', message: `${target.describe(partial)} has ${held.bytes} bytes, more than a segment (${segmentBytes})`});
			const bytes = await copyTo(target, partial, dest, {compression: 'none', padTo: segmentBytes});
			return {name, source: target.describe(partial), bytes, padded: true, verified: false};
		}
	}
	throw notFound(target, name);
}

function notFound(target: ArtifactTarget, name: string): WorkError {
	return new WorkError({code: 'WAL_FETCH_NOT_FOUND', message: `${name} is not in the WAL store ${target.describe('')}`});
}

/** The segment size: the store's checkpoint says it, else the segment's own first page, else the default 16 MiB. */
async function segmentSizeOf(target: ArtifactTarget, partial: string): Promise<number> {
	const checkpoint = await readWalCheckpoint(target).catch(() => undefined);
	if (checkpoint) return checkpoint.segmentBytes;
	const chunks: Buffer[] = [];
	for await (const chunk of target.readRange(partial, 0, 64)) chunks.push(chunk as Buffer);
	return readSegmentHeader(Buffer.concat(chunks))?.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
}

interface CopyOptions {
	compression: Compression;
	/** the index's record: the bytes must match it */
	check?: IndexedWal;
	/** zeros after the bytes up to this size */
	padTo?: number;
}

/** `name` (decompressed) into a temp file beside `dest`, synced, checked, then renamed over `dest`. */
async function copyTo(target: ArtifactTarget, name: string, dest: string, options: CopyOptions): Promise<number> {
	const final = path.resolve(dest);
	const temp = path.join(path.dirname(final), `.${path.basename(final)}.dbbackup-${process.pid}.tmp`);
	let handle;
	try {
		handle = await open(temp, 'w', 0o600);
	} catch (error) {
		throw writeFailed(final, error);
	}
	const meter = new MeterStream();
	let written = 0;
	const file = handle;
	const sink = new Writable({
		write(chunk: Buffer, _encoding, done) {
			written += chunk.length;
			writeAll(file, chunk).then(() => done(), done);
		},
	});
	try {
		await pipeline(target.readRange(name, 0), decompressStream(options.compression), meter, sink);
		const check = options.check;
		if (check && (meter.bytes !== check.size || meter.sha256() !== check.sha256)) {
			throw new IntegrityError({
				code: 'WAL_FETCH_CHECKSUM',
				message: `${target.describe(name)} does not match the store's index: ${meter.bytes} bytes, sha256 ${meter.sha256()}; the index says ${check.size} bytes, sha256 ${check.sha256}`,
				hint: 'The stored file is damaged; it was not written to the destination.',
			});
		}
		if (options.padTo !== undefined && written < options.padTo) {
			const zeros = Buffer.alloc(Math.min(options.padTo - written, 1024 * 1024));
			while (written < options.padTo) {
				const piece = zeros.subarray(0, Math.min(zeros.length, options.padTo - written));
				await writeAll(file, piece);
				written += piece.length;
			}
		}
		await file.sync();
		await file.close();
		handle = undefined;
		await rename(temp, final);
	} catch (error) {
		await handle?.close().catch(() => undefined);
		await rm(temp, {force: true});
		if (error instanceof IntegrityError || (error as {code?: string}).code?.startsWith?.('S3_')) throw error;
		if ((error as NodeJS.ErrnoException).syscall !== undefined && ['write', 'open', 'rename', 'fsync'].includes((error as NodeJS.ErrnoException).syscall!)) throw writeFailed(final, error);
		throw error;
	}
	await syncDirectory(path.dirname(final));
	return written;
}

function writeFailed(dest: string, error: unknown): WorkError {
	return new WorkError({code: 'WAL_FETCH_WRITE_FAILED', message: `cannot write ${dest}: ${(error as Error).message}`, cause: error});
}
