import {Readable} from 'node:stream';
import {setTimeout as sleep} from 'node:timers/promises';
import {GetObjectCommand} from '@aws-sdk/client-s3';
import {WorkError} from '../../core/errors.ts';
import type {S3Connection} from './client.ts';
import {s3Error} from './errors.ts';
import {backoffDelay, DEFAULT_ATTEMPTS, failureKind, s3CodeOf, type RetryOptions} from './retry.ts';
import {formatS3Url} from './url.ts';

export type DownloadOptions = Omit<RetryOptions, 'onRetry'>;

interface ContentRange {
	first: number;
	last: number;
	total: number | undefined;
}

function parseContentRange(header: string | undefined): ContentRange | undefined {
	const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header ?? '');
	if (!match) return undefined;
	return {first: Number(match[1]), last: Number(match[2]), total: match[3] === '*' ? undefined : Number(match[3])};
}

/**
 * Bytes `start` up to `end` (exclusive; the end of the object when absent) of an object, as a stream that
 * pulls from one ranged GET at a time (backpressure: the object is never held whole). A body that ends
 * early or breaks (a reset) is resumed from the next byte with a new ranged GET of the same version
 * (If-Match its ETag), after a backoff; `attempts` failures in a row without a byte received give up. A
 * range past the end gives what there is, like a file. A missing object is S3_OBJECT_NOT_FOUND.
 */
export function downloadRange(connection: S3Connection, bucket: string, key: string, start: number, end?: number, options: DownloadOptions = {}): Readable {
	if (end !== undefined && end <= start) return Readable.from([], {objectMode: false});
	return Readable.from(rangeChunks(connection, bucket, key, start, end, options), {objectMode: false});
}

async function* rangeChunks(connection: S3Connection, bucket: string, key: string, start: number, end: number | undefined, options: DownloadOptions): AsyncGenerator<Uint8Array> {
	const url = formatS3Url(bucket, key);
	const invalid = (problem: string) =>
		new WorkError({code: 'S3_RESPONSE_INVALID', message: `cannot read ${url}: ${connection.endpoint} ${problem}`, hint: 'Read it again; if this repeats, check the server or what is between it and this machine (a proxy).'});
	const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
	let position = start;
	/** the last byte wanted (inclusive); known once the first answer told the object's size */
	let last = end === undefined ? Infinity : end - 1;
	let etag: string | undefined;
	let failures = 0;
	while (position <= last) {
		try {
			const answer = await connection.client.send(
				new GetObjectCommand({Bucket: bucket, Key: key, Range: `bytes=${position}-${last === Infinity ? '' : last}`, IfMatch: etag}),
				{abortSignal: options.signal},
			);
			const range = parseContentRange(answer.ContentRange) ?? (position === 0 && answer.ContentLength !== undefined ? {first: 0, last: answer.ContentLength - 1, total: answer.ContentLength} : undefined);
			if (range === undefined || range.first !== position) throw invalid(`answered bytes ${answer.ContentRange ?? '(no Content-Range)'} to a request from byte ${position}`);
			if (answer.ContentLength !== range.last - range.first + 1) throw invalid(`sent Content-Length ${answer.ContentLength} for the range ${answer.ContentRange}`);
			if (range.total !== undefined) last = Math.min(last, range.total - 1);
			etag ??= answer.ETag;
			for await (const chunk of answer.Body as AsyncIterable<Uint8Array>) {
				const wanted = Math.min(chunk.length, last - position + 1);
				if (wanted <= 0) break;
				position += wanted;
				failures = 0;
				yield wanted === chunk.length ? chunk : chunk.subarray(0, wanted);
			}
			// a body that ended early without an error: the loop asks for the rest
			if (position <= last) failures += 1;
		} catch (error) {
			const code = s3CodeOf(error);
			// the range starts at or past the end: nothing to give, as reading a file there gives nothing
			if (code === 'InvalidRange' && position === start) return;
			if (code === 'PreconditionFailed') throw invalid(`holds another version of the object than the one this read started on: it changed while being read`);
			failures += 1;
			if (failureKind(error) === undefined || failures >= attempts || options.signal?.aborted) {
				throw s3Error(error, {url, action: 'read', endpoint: connection.endpoint});
			}
		}
		if (failures > 0 && position <= last) {
			if (failures >= attempts) throw invalid(`ended the object's bytes early ${failures} times in a row, at byte ${position}`);
			await sleep(backoffDelay(failures - 1, options.baseMs, options.maxMs), undefined, {signal: options.signal});
		}
	}
}
