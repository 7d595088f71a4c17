import {createHash} from 'node:crypto';
import {open} from 'node:fs/promises';
import {hashRangesOnThreads, readerThreadLimit, type ByteRange, type RangeHash} from './reader-threads.ts';

/*
 * SHA-256 of stretches of one file, read into a reused buffer. Checking a whole archive before a
 * restore happens while the server has nothing to do yet, so it may take every core: with enough bytes
 * to repay it, the ranges are shared out to the reader's threads (reader-threads.ts), which the reads
 * that follow use too.
 */

export type {ByteRange, RangeHash} from './reader-threads.ts';

/** Below this many bytes in all, the ranges are hashed on the calling thread: threads would not pay for their start. */
const THREADED_MIN_BYTES = 64 * 1024 * 1024;
/** Read size: small enough that the bytes read are still in the CPU cache when they are hashed. */
const READ_BYTES = 256 * 1024;

async function hashOnThisThread(filePath: string, ranges: readonly ByteRange[]): Promise<RangeHash[]> {
	const file = await open(filePath, 'r');
	try {
		const buffer = Buffer.allocUnsafe(READ_BYTES);
		const hashes: RangeHash[] = [];
		for (const {start, size} of ranges) {
			const hash = createHash('sha256');
			let done = 0;
			while (done < size) {
				const {bytesRead} = await file.read(buffer, 0, Math.min(buffer.length, size - done), start + done);
				if (bytesRead === 0) break;
				hash.update(buffer.subarray(0, bytesRead));
				done += bytesRead;
			}
			hashes.push({bytes: done, sha256: hash.digest('hex')});
		}
		return hashes;
	} finally {
		await file.close();
	}
}

export interface HashOptions {
	/**
	 * Threads to hash on. By default one per core (at most four) when there are at least 64 MiB to hash,
	 * else none; 0 or 1 hashes on this thread.
	 */
	threads?: number;
}

/**
 * The SHA-256 and the number of bytes read of each range of the file at `filePath`, in the order of
 * `ranges`. A read failure (the file is gone, an I/O error) rejects with an error carrying its errno code.
 */
export async function hashFileRanges(filePath: string, ranges: readonly ByteRange[], options: HashOptions = {}): Promise<RangeHash[]> {
	const total = ranges.reduce((sum, range) => sum + range.size, 0);
	const wanted = options.threads ?? (total < THREADED_MIN_BYTES ? 0 : readerThreadLimit());
	const threads = Math.min(wanted, ranges.length);
	if (threads < 2) return hashOnThisThread(filePath, ranges);
	return hashRangesOnThreads(filePath, ranges, threads);
}
