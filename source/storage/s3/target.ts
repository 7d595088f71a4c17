import {Readable} from 'node:stream';
import {
	AbortMultipartUploadCommand,
	DeleteObjectCommand,
	HeadBucketCommand,
	HeadObjectCommand,
	ListMultipartUploadsCommand,
	ListObjectsV2Command,
	ListPartsCommand,
	type MultipartUpload,
} from '@aws-sdk/client-s3';
import {DbBackupError, UsageError, WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {formatBytes} from '../../core/format.ts';
import type {AppendableArtifact, AppendableTarget, ArtifactStat, OpenAppendOptions, OpenPartialOptions, PartialArtifact, RemovedLeftover, SealOptions} from '../target/types.ts';
import {DEFAULT_SEGMENT_BYTES, S3Segments} from './appendable.ts';
import {createS3Connection, type S3Connection} from './client.ts';
import {s3Error, withS3Error, type S3ErrorContext} from './errors.ts';
import {httpStatusOf, s3CodeOf, withRetries, type RetryOptions} from './retry.ts';
import type {S3Settings} from './settings.ts';
import {nameTaken, putObject} from './put-object.ts';
import {MultipartUploader, type UploadedPart, type UploaderStats} from './uploader.ts';
import {formatS3Url, parseS3Url} from './url.ts';

/** What a backup spills beside archive X in the bucket while it runs (storage/archive/spill-buffer.ts). */
const SCRATCH_OBJECT = /^\.(.+\.(?:tar|sql))\.spill-[^/]+$/;

/** An unfinished multipart upload older than this is a dead run's: no backup runs for a day between two parts. */
export const DEAD_UPLOAD_AGE_MS = 24 * 60 * 60 * 1000;

const CONTENT_TYPES: Record<string, string> = {'.tar': 'application/x-tar', '.json': 'application/json', '.sql': 'application/sql'};

function contentTypeOf(name: string): string {
	const extension = /\.[a-z]+$/i.exec(name)?.[0].toLowerCase() ?? '';
	return CONTENT_TYPES[extension] ?? 'application/octet-stream';
}

function isNotFound(error: unknown): boolean {
	const code = s3CodeOf(error);
	return code === 'NotFound' || code === 'NoSuchKey' || httpStatusOf(error) === 404;
}

export interface S3TargetOptions {
	/** retries of every request (tests shorten the backoff) */
	retry?: Omit<RetryOptions, 'signal' | 'onRetry'>;
	/** the settings' partSize and workers, unless given here */
	partSize?: number;
	workers?: number;
	/** called with each part S3 accepted, for a resume journal */
	onPart?: (name: string, part: UploadedPart) => void;
	/** the upload's figures as parts are accepted and requests retried */
	onProgress?: (url: string, stats: UploaderStats) => void;
	/** the size of an appendable artifact's segments (appendable.ts; default 8 MiB) */
	appendSegmentBytes?: number;
}

/** A multipart upload that becomes the object at commit. */
class S3PartialArtifact implements PartialArtifact {
	private state: 'open' | 'committed' | 'removed' = 'open';

	constructor(
		readonly name: string,
		readonly location: string,
		private readonly url: string,
		private readonly uploader: MultipartUploader,
		private readonly target: S3Target,
		private readonly replace: boolean,
	) {}

	write(bytes: Uint8Array): Promise<void> {
		return this.uploader.write(bytes);
	}

	async commit(): Promise<void> {
		if (this.state !== 'open') throw new WorkError({code: 'ARTIFACT_NOT_OPEN', message: `cannot commit ${this.location}: it was already ${this.state}`});
		// a conditional Complete (If-None-Match) is atomic where the server has it; this look covers the rest
		if (!this.replace && (await this.target.stat(this.name)) !== undefined) {
			this.state = 'removed';
			await this.uploader.abort();
			throw nameTaken(this.url, 'meanwhile');
		}
		try {
			await this.uploader.complete({ifAbsent: !this.replace});
		} catch (error) {
			this.state = 'removed';
			throw error;
		}
		this.state = 'committed';
	}

	async abort(): Promise<void> {
		if (this.state !== 'open') return;
		this.state = 'removed';
		await this.uploader.abort();
	}

	/** Nothing is held: S3 has no lock to release. */
	async release(): Promise<void> {}

	stats(): UploaderStats {
		return this.uploader.stats();
	}
}

/**
 * The objects under one prefix of a bucket (`s3://bucket/prefix/`), as artifacts named relative to it.
 * It lists like a directory: only the objects directly under the prefix. Partials are multipart uploads;
 * there is no lock, so two runs writing one name are told apart at commit (ARTIFACT_EXISTS). Appendable
 * artifacts are segment objects until sealed (appendable.ts); every read sees them as one artifact.
 */
export class S3Target implements AppendableTarget {
	readonly connection: S3Connection;
	readonly bucket: string;
	/** '' or ending in '/' */
	readonly prefix: string;
	private readonly segments: S3Segments;

	constructor(
		connection: S3Connection,
		bucket: string,
		prefix: string,
		private readonly options: S3TargetOptions = {},
	) {
		this.connection = connection;
		this.bucket = bucket;
		this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
		this.segments = new S3Segments({
			connection,
			bucket,
			prefix: this.prefix,
			segmentBytes: options.appendSegmentBytes ?? DEFAULT_SEGMENT_BYTES,
			partSize: options.partSize,
			workers: options.workers,
			retry: options.retry,
			contentTypeOf,
			objectStat: (name) => this.objectStat(name),
		});
	}

	keyOf(name: string): string {
		return `${this.prefix}${name}`;
	}

	describe(name: string): string {
		return formatS3Url(this.bucket, this.keyOf(name));
	}

	/** The prefix as a URL, for messages about the whole target. */
	get url(): string {
		return formatS3Url(this.bucket, this.prefix);
	}

	/** Fails fast, with the mapped error (bucket missing, access denied, unreachable, no credentials), before any work starts. */
	async checkBucket(): Promise<void> {
		await this.request(() => this.connection.client.send(new HeadBucketCommand({Bucket: this.bucket})), {url: this.url, action: 'use', missing: 'bucket'});
	}

	async openPartial(name: string, options: OpenPartialOptions = {}): Promise<PartialArtifact> {
		const url = this.describe(name);
		const replace = options.replace ?? false;
		if (!replace && (await this.stat(name)) !== undefined) throw nameTaken(url, 'already');
		const uploader = new MultipartUploader({
			connection: this.connection,
			bucket: this.bucket,
			key: this.keyOf(name),
			contentType: contentTypeOf(name),
			partSize: this.options.partSize,
			workers: this.options.workers,
			retry: this.options.retry,
			onPart: this.options.onPart && ((part) => this.options.onPart!(name, part)),
			onProgress: this.options.onProgress && ((stats) => this.options.onProgress!(url, stats)),
		});
		return new S3PartialArtifact(name, `${url} (multipart upload, not yet complete)`, url, uploader, this, replace);
	}

	openAppend(name: string, options: OpenAppendOptions): Promise<AppendableArtifact> {
		return this.segments.openAppend(name, options);
	}

	overwriteAt(name: string, offset: number, bytes: Uint8Array): Promise<void> {
		return this.segments.overwriteAt(name, offset, bytes);
	}

	seal(name: string, options: SealOptions = {}): Promise<void> {
		return this.segments.seal(name, options.as);
	}

	/** One PutObject with Content-MD5, retried; replaces an object of that name. */
	async put(name: string, bytes: Uint8Array): Promise<void> {
		await this.mapped(() => putObject(this.connection, this.bucket, this.keyOf(name), bytes, {contentType: contentTypeOf(name), retry: this.options.retry}), {url: this.describe(name), action: 'upload'});
	}

	/** The objects, and the appendable artifacts (sized from their segments) that have no object yet. */
	async list(prefix = ''): Promise<ArtifactStat[]> {
		const {objects, segmented} = await this.listDirectory(prefix);
		const names = new Set(objects.map((object) => object.name));
		const found = [...objects];
		for (const name of segmented.filter((candidate) => !names.has(candidate))) {
			const artifact = await this.segments.stat(name);
			if (artifact) found.push(artifact);
		}
		return found;
	}

	/** The objects directly under the prefix, and the names whose segments are. */
	private async listDirectory(prefix: string): Promise<{objects: ArtifactStat[]; segmented: string[]}> {
		const objects: ArtifactStat[] = [];
		const segmented: string[] = [];
		let token: string | undefined;
		do {
			const page = await this.request(
				() => this.connection.client.send(new ListObjectsV2Command({Bucket: this.bucket, Prefix: this.keyOf(prefix), Delimiter: '/', ContinuationToken: token})),
				{url: this.url, action: 'list'},
			);
			for (const object of page.Contents ?? []) {
				const name = (object.Key ?? '').slice(this.prefix.length);
				if (name === '') continue;
				objects.push({name, bytes: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0)});
			}
			for (const common of page.CommonPrefixes ?? []) {
				const name = this.segments.nameOfPrefix(common.Prefix ?? '');
				if (name !== undefined) segmented.push(name);
			}
			token = page.IsTruncated ? page.NextContinuationToken : undefined;
		} while (token);
		return {objects, segmented};
	}

	async stat(name: string): Promise<ArtifactStat | undefined> {
		const object = await this.objectStat(name);
		if (object) return object;
		try {
			return await this.segments.stat(name);
		} catch (error) {
			// as HeadObject's bare 404 always said: no artifact there; the first write names the missing bucket
			if (error instanceof DbBackupError && error.code === 'S3_BUCKET_NOT_FOUND') return undefined;
			throw error;
		}
	}

	/** The object `name` (HeadObject), without looking for segments. */
	private async objectStat(name: string): Promise<ArtifactStat | undefined> {
		try {
			const head = await withRetries(() => this.connection.client.send(new HeadObjectCommand({Bucket: this.bucket, Key: this.keyOf(name)})), this.options.retry);
			return {name, bytes: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0)};
		} catch (error) {
			if (isNotFound(error)) return undefined;
			throw s3Error(error, {url: this.describe(name), action: 'look up', endpoint: this.connection.endpoint});
		}
	}

	readRange(name: string, start: number, end?: number): Readable {
		if (end !== undefined && end <= start) return Readable.from([], {objectMode: false});
		return Readable.from(this.segments.readRange(name, start, end), {objectMode: false});
	}

	/** The object and the segments of `name`. */
	async delete(name: string): Promise<void> {
		await this.deleteObject(name);
		await this.segments.deleteAll(name);
	}

	private async deleteObject(name: string): Promise<void> {
		await this.request(() => this.connection.client.send(new DeleteObjectCommand({Bucket: this.bucket, Key: this.keyOf(name)})), {url: this.describe(name), action: 'delete'});
	}

	localPath(): undefined {
		return undefined;
	}

	/**
	 * Aborts the multipart uploads under the prefix that were started more than a day ago (a run that
	 * ended without finishing), with a warning each. Servers without ListMultipartUploads (s3rver) have
	 * nothing to sweep. Segments are no leftovers: a stopped binlog stream resumes them, days later maybe.
	 */
	async removeDeadLeftovers(bus?: EventBus): Promise<RemovedLeftover[]> {
		const removed = await this.removeDeadScratch(bus);
		let uploads: MultipartUpload[];
		try {
			uploads = await this.multipartUploads();
		} catch (error) {
			if (s3CodeOf(error) === 'NotImplemented') return removed;
			throw s3Error(error, {url: this.url, action: 'list the unfinished uploads under', endpoint: this.connection.endpoint});
		}
		const now = Date.now();
		for (const upload of uploads) {
			const key = upload.Key ?? '';
			const name = key.slice(this.prefix.length);
			if (!key.startsWith(this.prefix) || name === '' || name.includes('/') || upload.UploadId === undefined) continue;
			if (upload.Initiated === undefined || now - upload.Initiated.getTime() < DEAD_UPLOAD_AGE_MS) continue;
			const url = this.describe(name);
			const bytes = await this.uploadedBytes(key, upload.UploadId);
			const size = bytes === undefined ? '' : `${formatBytes(bytes)}, `;
			try {
				await withRetries(() => this.connection.client.send(new AbortMultipartUploadCommand({Bucket: this.bucket, Key: key, UploadId: upload.UploadId})), this.options.retry);
			} catch (error) {
				// another sweep took it first
				if (s3CodeOf(error) === 'NoSuchUpload') continue;
				bus?.warn(`could not abort the unfinished upload of ${url}, left by a backup that is no longer running: ${s3Error(error, {url, action: 'abort the upload of', endpoint: this.connection.endpoint}).message}`);
				continue;
			}
			removed.push({path: url, bytes: bytes ?? 0});
			bus?.warn(`removed the unfinished upload of ${url} (${size}started ${upload.Initiated.toISOString()}), left by a backup that is no longer running`, {code: 'LEFTOVERS_REMOVED'});
		}
		return removed;
	}

	/** Scratch objects (`.NAME.spill-*`, members a backup spilled) older than a day: their run died before it could delete them. Never segments. */
	private async removeDeadScratch(bus?: EventBus): Promise<RemovedLeftover[]> {
		const removed: RemovedLeftover[] = [];
		const now = Date.now();
		for (const object of (await this.listDirectory('.')).objects) {
			if (!SCRATCH_OBJECT.test(object.name) || now - object.modifiedAt.getTime() < DEAD_UPLOAD_AGE_MS) continue;
			await this.deleteObject(object.name);
			removed.push({path: this.describe(object.name), bytes: object.bytes});
			bus?.warn(`removed the scratch object ${this.describe(object.name)} (${formatBytes(object.bytes)}, written ${object.modifiedAt.toISOString()}), left by a backup that is no longer running`, {code: 'LEFTOVERS_REMOVED'});
		}
		return removed;
	}

	private async multipartUploads(): Promise<MultipartUpload[]> {
		const uploads: MultipartUpload[] = [];
		let keyMarker: string | undefined;
		let uploadIdMarker: string | undefined;
		do {
			const page = await withRetries(
				() => this.connection.client.send(new ListMultipartUploadsCommand({Bucket: this.bucket, Prefix: this.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker})),
				this.options.retry,
			);
			uploads.push(...(page.Uploads ?? []));
			keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
			uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
		} while (keyMarker !== undefined);
		return uploads;
	}

	/** The bytes an unfinished upload holds, for the warning; undefined where the server cannot list parts. */
	private async uploadedBytes(key: string, uploadId: string): Promise<number | undefined> {
		let bytes = 0;
		let marker: string | undefined;
		try {
			do {
				const page = await this.connection.client.send(new ListPartsCommand({Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker}));
				for (const part of page.Parts ?? []) bytes += part.Size ?? 0;
				marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
			} while (marker !== undefined);
		} catch {
			return undefined;
		}
		return bytes;
	}

	/** `send`, retried, its failure mapped to the one-line error */
	private request<T>(send: () => Promise<T>, context: Omit<S3ErrorContext, 'endpoint'>): Promise<T> {
		return this.mapped(() => withRetries(send, this.options.retry), context);
	}

	private mapped<T>(run: () => Promise<T>, context: Omit<S3ErrorContext, 'endpoint'>): Promise<T> {
		return withS3Error(run, {...context, endpoint: this.connection.endpoint});
	}
}

/** The target and name of the object at `url` (`s3://bucket/dir/name.tar`: the target over `s3://bucket/dir/`). */
export function s3TargetFor(url: string, settings: S3Settings, options?: S3TargetOptions): {target: S3Target; name: string} {
	const {bucket, key} = parseS3Url(url);
	const slash = key.lastIndexOf('/');
	const name = key.slice(slash + 1);
	if (name === '') {
		throw new UsageError({code: 'S3_URL_INVALID', message: `${url}: names a prefix, not an object`, hint: 'End the URL with the backup file name (s3://BUCKET/PATH/NAME), or give the prefix where a directory is expected.'});
	}
	return {target: new S3Target(createS3Connection(settings), bucket, key.slice(0, slash + 1), options), name};
}

/** The target whose root is the prefix `url` (`s3://bucket/dir/`; a missing final slash is added). */
export function s3DirectoryTarget(url: string, settings: S3Settings, options?: S3TargetOptions): S3Target {
	const {bucket, key} = parseS3Url(url);
	return new S3Target(createS3Connection(settings), bucket, key, options);
}
