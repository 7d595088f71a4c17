import {createHash} from 'node:crypto';
import {
	AbortMultipartUploadCommand,
	CompleteMultipartUploadCommand,
	CreateMultipartUploadCommand,
	HeadObjectCommand,
	UploadPartCommand,
	type CompletedPart,
} from '@aws-sdk/client-s3';
import {WorkError, type DbBackupError} from '../../core/errors.ts';
import {formatBytes} from '../../core/format.ts';
import type {S3Connection} from './client.ts';
import {s3Error} from './errors.ts';
import {MAX_PARTS, partSizeFor} from './part-size.ts';
import {nameTaken, md5Base64, objectSettings, putObject, sha256Of} from './put-object.ts';
import {s3CodeOf, withRetries, type RetryOptions} from './retry.ts';
import {formatS3Url} from './url.ts';

/** A part S3 has accepted: what a resume journal keeps. */
export interface UploadedPart {
	partNumber: number;
	size: number;
	etag: string;
	/** hex */
	sha256: string;
}

export interface UploaderStats {
	/** bytes of the parts (or the single object) S3 has accepted */
	bytesSent: number;
	partsInFlight: number;
	/** requests tried again, all kinds together */
	retries: number;
	partsDone: number;
	/** bytes held in part buffers now (the part being filled and those being sent) */
	bufferedBytes: number;
	peakBufferedBytes: number;
}

export interface MultipartUploaderOptions {
	connection: S3Connection;
	bucket: string;
	key: string;
	contentType?: string;
	/** stops the upload and removes what was sent, like abort() */
	signal?: AbortSignal;
	/** the settings' partSize and workers, unless given here */
	partSize?: number;
	workers?: number;
	retry?: Omit<RetryOptions, 'signal' | 'onRetry'>;
	onPart?: (part: UploadedPart) => void;
	/** the figures, each time a part is accepted or a request is tried again (the terminal app's upload line) */
	onProgress?: (stats: UploaderStats) => void;
}

export interface CompleteOptions {
	/** refuse (UsageError ARTIFACT_EXISTS, the upload aborted) when an object of that key exists by then */
	ifAbsent?: boolean;
}

export interface CompletedUpload {
	bytes: number;
	/** 0 when the object went as a single PutObject */
	parts: number;
}

interface PartBuffer {
	partNumber: number;
	buffer: Buffer;
	filled: number;
}

/** Attempts of the AbortMultipartUpload that cleans up: it is best effort, leftovers are swept later. */
const ABORT_ATTEMPTS = 3;

/** The ETag S3 gives a multipart object: the MD5 of the parts' MD5s, then `-<parts>`. */
function multipartEtag(parts: CompletedPart[]): string {
	const md5s = parts.map((part) => Buffer.from((part.ETag ?? '').replaceAll('"', ''), 'hex'));
	return `${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${parts.length}`;
}

/**
 * Writes one object from a stream of unknown length: bytes gather into the part being filled; full
 * parts upload in parallel, up to `workers`, each kept in memory until S3 accepts it (so every retry
 * re-sends the same bytes, with their Content-MD5). A write waits while `workers` parts are in flight
 * and the current one is full: memory stays within (workers + 1) × part size. Parts that grew (part-size.ts)
 * go fewer at a time, within the bytes `workers` first-size parts take. A stream smaller than one part
 * is a single PutObject. A part that fails for good aborts the whole upload; the pending or next write
 * (or complete) rejects with the mapped error once the abort was sent.
 */
export class MultipartUploader {
	readonly url: string;
	private readonly connection: S3Connection;
	private readonly bucket: string;
	private readonly key: string;
	private readonly firstPartSize: number;
	private readonly workers: number;
	private readonly inFlightBudget: number;
	private readonly controller = new AbortController();
	private state: 'open' | 'completing' | 'completed' | 'aborted' = 'open';
	private current: PartBuffer | undefined;
	private nextPartNumber = 1;
	/** a part was sent: the object goes as a multipart upload, not a single PutObject */
	private multipart = false;
	private uploadId: Promise<string> | undefined;
	private readonly inFlight = new Map<number, Promise<void>>();
	private inFlightBytes = 0;
	private readonly parts: CompletedPart[] = [];
	private totalBytes = 0;
	private failure: DbBackupError | undefined;
	private aborting: Promise<void> | undefined;
	private readonly counters: UploaderStats = {bytesSent: 0, partsInFlight: 0, retries: 0, partsDone: 0, bufferedBytes: 0, peakBufferedBytes: 0};
	/** a long-lived signal must not keep finished uploads alive */
	private detachSignal = () => {};

	constructor(private readonly options: MultipartUploaderOptions) {
		this.connection = options.connection;
		this.bucket = options.bucket;
		this.key = options.key;
		this.url = formatS3Url(options.bucket, options.key);
		this.firstPartSize = options.partSize ?? options.connection.settings.partSize;
		this.workers = options.workers ?? options.connection.settings.workers;
		this.inFlightBudget = this.workers * this.firstPartSize;
		const {signal} = options;
		if (signal?.aborted) void this.abort();
		else if (signal) {
			const onAbort = () => void this.abort();
			signal.addEventListener('abort', onAbort, {once: true});
			this.detachSignal = () => signal.removeEventListener('abort', onAbort);
		}
	}

	/** Resolves once the bytes are taken (copied); one write at a time. */
	async write(bytes: Uint8Array): Promise<void> {
		await this.throwIfStopped();
		if (this.state !== 'open') throw this.notOpen('write to');
		let offset = 0;
		while (offset < bytes.length) {
			if (this.current === undefined && this.nextPartNumber > MAX_PARTS) {
				this.fail(this.tooLarge(), 'upload');
				await this.throwIfStopped();
			}
			const part = (this.current ??= this.newPart());
			const taken = Math.min(part.buffer.length - part.filled, bytes.length - offset);
			part.buffer.set(bytes.subarray(offset, offset + taken), part.filled);
			part.filled += taken;
			offset += taken;
			this.totalBytes += taken;
			if (part.filled === part.buffer.length) {
				this.current = undefined;
				await this.send(part);
				await this.throwIfStopped();
			}
		}
	}

	/**
	 * Sends what is left and makes the object whole under its key: CompleteMultipartUpload (retried; a
	 * retry answered NoSuchUpload succeeded when the object is there with our size), or one PutObject.
	 * Any failure aborts the upload.
	 */
	async complete(options: CompleteOptions = {}): Promise<CompletedUpload> {
		await this.throwIfStopped();
		if (this.state !== 'open') throw this.notOpen('complete');
		this.state = 'completing';
		try {
			if (!this.multipart) {
				await this.putWhole(this.current, options.ifAbsent ?? false);
				this.releaseBuffer(this.current);
				this.current = undefined;
			} else {
				const last = this.current;
				this.current = undefined;
				if (last && last.filled > 0) await this.send(last);
				else this.releaseBuffer(last);
				await Promise.all(this.inFlight.values());
				await this.throwIfStopped();
				await this.completeUpload(await this.startUpload(), options.ifAbsent ?? false);
			}
		} catch (error) {
			this.fail(error, 'complete the upload of');
			await this.throwIfStopped();
			throw error;
		}
		this.state = 'completed';
		this.detachSignal();
		return {bytes: this.totalBytes, parts: this.parts.length};
	}

	/** Stops, waits for the parts in flight, and aborts the multipart upload. Never throws; after complete it does nothing. */
	async abort(): Promise<void> {
		if (this.state === 'completed') return;
		if (this.state !== 'aborted') {
			this.state = 'aborted';
			this.controller.abort();
		}
		this.aborting ??= this.abortUpload();
		await this.aborting;
	}

	stats(): UploaderStats {
		return {...this.counters, partsInFlight: this.inFlight.size};
	}

	private tooLarge(): WorkError {
		return new WorkError({
			code: 'S3_OBJECT_TOO_LARGE',
			message: `cannot upload ${this.url}: it needs more than S3's ${MAX_PARTS.toLocaleString('en-US')} parts (${formatBytes(this.totalBytes)} so far)`,
			hint: 'Use a larger S3 partSize.',
		});
	}

	private newPart(): PartBuffer {
		const partNumber = this.nextPartNumber++;
		const size = partSizeFor(partNumber, this.firstPartSize);
		this.counters.bufferedBytes += size;
		this.counters.peakBufferedBytes = Math.max(this.counters.peakBufferedBytes, this.counters.bufferedBytes);
		return {partNumber, buffer: Buffer.allocUnsafe(size), filled: 0};
	}

	private releaseBuffer(part: PartBuffer | undefined): void {
		if (part) this.counters.bufferedBytes -= part.buffer.length;
	}

	private hasRoomFor(bytes: number): boolean {
		if (this.inFlight.size >= this.workers) return false;
		return this.inFlight.size === 0 || this.inFlightBytes + bytes <= this.inFlightBudget;
	}

	/** Starts uploading a full (or the last) part once there is room; resolves when it started, not when it is done. */
	private async send(part: PartBuffer): Promise<void> {
		this.multipart = true;
		while (!this.hasRoomFor(part.filled) && this.failure === undefined && this.state !== 'aborted') {
			await Promise.race(this.inFlight.values());
		}
		if (this.failure !== undefined || this.state === 'aborted') {
			this.releaseBuffer(part);
			return;
		}
		const bytes = part.filled;
		this.inFlightBytes += bytes;
		const done = this.uploadPart(part.partNumber, part.buffer.subarray(0, bytes)).finally(() => {
			this.inFlight.delete(part.partNumber);
			this.inFlightBytes -= bytes;
			this.releaseBuffer(part);
		});
		this.inFlight.set(part.partNumber, done);
	}

	private retryOptions(): RetryOptions {
		return {
			...this.options.retry,
			signal: this.controller.signal,
			onRetry: () => {
				this.counters.retries += 1;
				this.reportProgress();
			},
		};
	}

	private startUpload(): Promise<string> {
		this.uploadId ??= withRetries(async () => {
			const created = await this.connection.client.send(
				new CreateMultipartUploadCommand({
					Bucket: this.bucket,
					Key: this.key,
					ContentType: this.options.contentType,
					ChecksumAlgorithm: this.connection.settings.checksum ? 'SHA256' : undefined,
					...objectSettings(this.connection),
				}),
				// not cut short by abort: an upload the server made and we never heard of could not be aborted
			);
			if (!created.UploadId) {
				throw new WorkError({code: 'S3_RESPONSE_INVALID', message: `cannot upload ${this.url}: ${this.connection.endpoint} started a multipart upload without an UploadId`, hint: 'The server does not speak S3 multipart uploads as expected; check the endpoint.'});
			}
			return created.UploadId;
		}, this.retryOptions());
		return this.uploadId;
	}

	/** Never rejects: a part that fails for good is recorded (fail) and stops the upload. */
	private async uploadPart(partNumber: number, body: Buffer): Promise<void> {
		try {
			const uploadId = await this.startUpload();
			const sha256 = sha256Of(body);
			const checksum = this.connection.settings.checksum ? sha256.toString('base64') : undefined;
			const contentMd5 = md5Base64(body);
			const answer = await withRetries(
				() =>
					this.connection.client.send(
						new UploadPartCommand({Bucket: this.bucket, Key: this.key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length, ContentMD5: contentMd5, ChecksumSHA256: checksum}),
						{abortSignal: this.controller.signal},
					),
				this.retryOptions(),
			);
			const etag = answer.ETag ?? '';
			this.parts.push({PartNumber: partNumber, ETag: etag, ChecksumSHA256: checksum});
			this.counters.bytesSent += body.length;
			this.counters.partsDone += 1;
			this.options.onPart?.({partNumber, size: body.length, etag, sha256: sha256.toString('hex')});
			this.reportProgress();
		} catch (error) {
			this.fail(error, `upload part ${partNumber} of`);
		}
	}

	private async putWhole(part: PartBuffer | undefined, ifAbsent: boolean): Promise<void> {
		const body = part ? part.buffer.subarray(0, part.filled) : Buffer.alloc(0);
		await putObject(this.connection, this.bucket, this.key, body, {contentType: this.options.contentType, ifAbsent, retry: this.retryOptions(), abortSignal: this.controller.signal});
		this.counters.bytesSent += body.length;
		this.reportProgress();
	}

	private reportProgress(): void {
		this.options.onProgress?.(this.stats());
	}

	private async completeUpload(uploadId: string, ifAbsent: boolean): Promise<void> {
		const parts = [...this.parts].sort((a, b) => a.PartNumber! - b.PartNumber!);
		let conditional = ifAbsent;
		const send = () =>
			this.connection.client.send(
				new CompleteMultipartUploadCommand({Bucket: this.bucket, Key: this.key, UploadId: uploadId, MultipartUpload: {Parts: parts}, IfNoneMatch: conditional ? '*' : undefined}),
				{abortSignal: this.controller.signal},
			);
		// the answer's ETag is not checked: Ceph RGW answers an empty one
		await withRetries(async (attempt) => {
			try {
				await send();
			} catch (error) {
				const code = s3CodeOf(error);
				if (conditional && code === 'NotImplemented') {
					// a server without conditional writes; the target looked for the name just before
					conditional = false;
					await send();
					return;
				}
				// an earlier try completed it and its answer was lost: the upload is gone (Ceph RGW says
				// NoSuchKey), the object is there
				const gone = code === 'NoSuchUpload' || code === 'NoSuchKey' || (conditional && code === 'PreconditionFailed');
				if (attempt > 1 && gone && (await this.objectIsOurs(parts))) return;
				if (conditional && code === 'PreconditionFailed') throw nameTaken(this.url, 'meanwhile');
				throw error;
			}
		}, this.retryOptions());
	}

	/** Whether the object under the key is the one this upload made: our size, and our ETag when it is a multipart one. */
	private async objectIsOurs(parts: CompletedPart[]): Promise<boolean> {
		const head = await withRetries(() => this.connection.client.send(new HeadObjectCommand({Bucket: this.bucket, Key: this.key}), {abortSignal: this.controller.signal}), this.retryOptions()).catch(() => undefined);
		if (head?.ContentLength !== this.totalBytes) return false;
		const etag = (head.ETag ?? '').replaceAll('"', '');
		// s3rver's ETag is no multipart one; Ceph's and AWS's are
		if (!/-\d+$/.test(etag)) return true;
		return etag === multipartEtag(parts);
	}

	private notOpen(what: string): WorkError {
		return new WorkError({code: 'ARTIFACT_NOT_OPEN', message: `cannot ${what} ${this.url}: the upload was already ${this.state}`});
	}

	/** Records the first failure that ends the upload, stops the rest and starts the abort. */
	private fail(error: unknown, action: string): void {
		if (this.failure !== undefined || this.state === 'aborted') return;
		this.failure = s3Error(error, {url: this.url, action, endpoint: this.connection.endpoint});
		this.controller.abort(this.failure);
		this.aborting ??= this.abortUpload();
	}

	/** Throws the failure (once its abort was sent) or, after abort(), that the upload was stopped. */
	private async throwIfStopped(): Promise<void> {
		if (this.failure !== undefined) {
			await this.aborting;
			throw this.failure;
		}
		if (this.state === 'aborted') {
			await this.aborting;
			throw new WorkError({code: 'S3_UPLOAD_ABORTED', message: `the upload of ${this.url} was stopped`, hint: 'The backup was stopped before it was complete; run it again.', cause: this.options.signal?.reason});
		}
	}

	private async abortUpload(): Promise<void> {
		this.detachSignal();
		await Promise.all(this.inFlight.values());
		this.releaseBuffer(this.current);
		this.current = undefined;
		const uploadId = await this.uploadId?.catch(() => undefined);
		if (uploadId === undefined) return;
		const abort = new AbortMultipartUploadCommand({Bucket: this.bucket, Key: this.key, UploadId: uploadId});
		await withRetries(() => this.connection.client.send(abort), {...this.options.retry, attempts: ABORT_ATTEMPTS}).catch(() => {
			// the upload already gone (NoSuchUpload), a server without the call (s3rver: MethodNotAllowed,
			// others: NotImplemented), or a failure: what is left is swept by removeDeadLeftovers after a
			// day, or by a bucket lifecycle rule
		});
	}
}
