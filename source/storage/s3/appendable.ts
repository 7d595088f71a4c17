import {DeleteObjectCommand, ListObjectsV2Command} from '@aws-sdk/client-s3';
import {DbBackupError, IntegrityError, WorkError} from '../../core/errors.ts';
import type {AppendableArtifact, ArtifactStat, OpenAppendOptions} from '../target/types.ts';
import type {S3Connection} from './client.ts';
import {downloadRange} from './download.ts';
import {withS3Error, type S3ErrorContext} from './errors.ts';
import {nameTaken, putObject} from './put-object.ts';
import {withRetries, type RetryOptions} from './retry.ts';
import {MultipartUploader} from './uploader.ts';
import {formatS3Url} from './url.ts';
import {SegmentedAppendableArtifact, type SegmentStore} from '../target/segmented-artifact.ts';

/*
 * S3 cannot append, so an appendable artifact NAME lives, while it grows, as segment objects
 * `NAME.segments/<start>`, `<start>` the offset of the segment's first byte in 16 digits. Every segment
 * but the last holds exactly segmentBytes; the last (the open one) is re-uploaded whole at each sync, so a
 * sync costs one PUT of at most segmentBytes. seal turns the segments into the object NAME. Segments are
 * always removed from the last to the first, so what a crash leaves is still contiguous from 0.
 */

export const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;

const SEGMENTS_SUFFIX = '.segments/';
const OFFSET_DIGITS = 16;
const SEGMENT_NAME = /^\d{16}$/;

export interface Segment {
	key: string;
	start: number;
	bytes: number;
	modifiedAt: Date;
}

export interface SegmentStoreOptions {
	connection: S3Connection;
	bucket: string;
	/** the target's prefix: '' or ending in '/' */
	prefix: string;
	segmentBytes: number;
	/** of the multipart upload that seals a large artifact */
	partSize?: number;
	workers?: number;
	retry?: Omit<RetryOptions, 'signal' | 'onRetry'>;
	contentTypeOf(name: string): string;
	/** the object NAME itself (HeadObject), undefined when there is none */
	objectStat(name: string): Promise<ArtifactStat | undefined>;
}

/** Bytes of the segments contiguous from byte 0 (all of them, unless one is missing or overlaps). */
function contiguousBytes(segments: Segment[]): number {
	let end = 0;
	for (const segment of segments) {
		if (segment.start !== end) break;
		end += segment.bytes;
	}
	return end;
}

/** The appendable artifacts of one S3 target, as segments. */
export class S3Segments implements SegmentStore {
	readonly segmentBytes: number;

	constructor(private readonly options: SegmentStoreOptions) {
		this.segmentBytes = options.segmentBytes;
	}

	/** The artifact whose segments are under `commonPrefix` (a ListObjectsV2 CommonPrefix), if it is one of the target's. */
	nameOfPrefix(commonPrefix: string): string | undefined {
		if (!commonPrefix.startsWith(this.options.prefix) || !commonPrefix.endsWith(SEGMENTS_SUFFIX)) return undefined;
		const name = commonPrefix.slice(this.options.prefix.length, -SEGMENTS_SUFFIX.length);
		return name === '' || name.includes('/') ? undefined : name;
	}

	/** The segments of `name`, in order of their start. */
	async list(name: string): Promise<Segment[]> {
		const prefix = this.prefixOf(name);
		const segments: Segment[] = [];
		let token: string | undefined;
		do {
			const page = await this.request(() => this.options.connection.client.send(new ListObjectsV2Command({Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token})), {
				url: this.describe(name),
				action: 'list the segments of',
			});
			for (const object of page.Contents ?? []) {
				const key = object.Key ?? '';
				const offset = key.slice(prefix.length);
				if (!SEGMENT_NAME.test(offset)) continue;
				segments.push({key, start: Number(offset), bytes: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0)});
			}
			token = page.IsTruncated ? page.NextContinuationToken : undefined;
		} while (token);
		return segments.sort((a, b) => a.start - b.start);
	}

	/** The artifact its segments make, undefined when it has none. */
	async stat(name: string): Promise<ArtifactStat | undefined> {
		const segments = await this.list(name);
		if (segments.length === 0) return undefined;
		const modifiedAt = new Date(Math.max(...segments.map((segment) => segment.modifiedAt.getTime())));
		return {name, bytes: contiguousBytes(segments), modifiedAt};
	}

	async openAppend(name: string, options: OpenAppendOptions): Promise<AppendableArtifact> {
		const url = this.describe(name);
		const [object, segments] = await Promise.all([this.options.objectStat(name), this.list(name)]);
		if (options.create === 'new') {
			if (object !== undefined) throw nameTaken(url, 'already');
			if (segments.length > 0) throw nameTaken(url, 'already', `the objects under ${url}${SEGMENTS_SUFFIX}`);
			// the empty artifact exists, durably, from here on
			await this.putSegment(name, 0, Buffer.alloc(0));
			return new SegmentedAppendableArtifact(name, this, 0, Buffer.alloc(0));
		}
		if (object !== undefined) throw this.sealed(name, 'grow');
		if (segments.length === 0) throw this.missing(name);
		const size = this.checkContiguous(name, segments);
		const to = options.truncateTo ?? size;
		if (to < 0 || to > size) throw new RangeError(`cannot cut ${url} to ${to} bytes: it has ${size}`);
		const {kept, tail} = to < size ? await this.cut(name, segments, to) : {kept: segments, tail: undefined};
		const last = kept.at(-1)!;
		if (last.bytes >= this.segmentBytes) return new SegmentedAppendableArtifact(name, this, last.start + last.bytes, Buffer.alloc(0));
		return new SegmentedAppendableArtifact(name, this, last.start, tail ?? (await this.readSegment(name, last, 0, last.bytes)));
	}

	/** Bytes `start` up to `end` of the object `name`, or of its segments when there is no such object. */
	async *readRange(name: string, start: number, end: number | undefined): AsyncGenerator<Uint8Array> {
		let received = false;
		let notFound: unknown;
		try {
			for await (const chunk of downloadRange(this.options.connection, this.options.bucket, this.keyOf(name), start, end, this.options.retry)) {
				received = true;
				yield chunk as Uint8Array;
			}
			return;
		} catch (error) {
			if (received || !(error instanceof DbBackupError) || error.code !== 'S3_OBJECT_NOT_FOUND') throw error;
			notFound = error;
		}
		const segments = await this.list(name);
		if (segments.length === 0) throw notFound;
		yield* this.stitch(name, segments, start, end);
	}

	async overwriteAt(name: string, offset: number, bytes: Uint8Array): Promise<void> {
		const [object, segments] = await Promise.all([this.options.objectStat(name), this.list(name)]);
		if (object !== undefined) throw this.sealed(name, 'be changed in place');
		if (segments.length === 0) throw this.missing(name);
		const size = this.checkContiguous(name, segments);
		const end = offset + bytes.length;
		if (offset < 0 || end > size) throw new RangeError(`cannot write bytes ${offset} to ${end} of ${this.describe(name)}: it has ${size}`);
		for (const segment of segments) {
			const from = Math.max(offset, segment.start);
			const to = Math.min(end, segment.start + segment.bytes);
			if (from >= to) continue;
			const content = await this.readSegment(name, segment, 0, segment.bytes);
			content.set(bytes.subarray(from - offset, to - offset), from - segment.start);
			await this.putSegment(name, segment.start, content);
		}
	}

	/**
	 * The segments become the object `as` (`name` unless given), then are deleted. An object already
	 * there is a seal that stopped before its deletes: only those are left to do; one of `as` of
	 * another size is another artifact, never replaced (ARTIFACT_EXISTS).
	 */
	async seal(name: string, as = name): Promise<void> {
		const segments = await this.list(name);
		if (segments.length === 0) return;
		const object = await this.options.objectStat(as);
		if (object === undefined) await this.uploadWhole(name, segments, as);
		else if (as !== name && object.bytes !== this.checkContiguous(name, segments)) throw nameTaken(this.describe(as), 'already');
		await this.deleteSegments(segments);
	}

	async deleteAll(name: string): Promise<void> {
		await this.deleteSegments(await this.list(name));
	}

	/** One PutObject with Content-MD5, retried; replaces the segment's earlier version. */
	async putSegment(name: string, start: number, bytes: Uint8Array): Promise<void> {
		const key = this.segmentKey(name, start);
		await this.mapped(() => putObject(this.options.connection, this.options.bucket, key, bytes, {contentType: 'application/octet-stream', retry: this.options.retry}), {
			url: formatS3Url(this.options.bucket, key),
			action: 'upload',
		});
	}

	describe(name: string): string {
		return formatS3Url(this.options.bucket, this.keyOf(name));
	}

	private keyOf(name: string): string {
		return `${this.options.prefix}${name}`;
	}

	private prefixOf(name: string): string {
		return `${this.keyOf(name)}${SEGMENTS_SUFFIX}`;
	}

	private segmentKey(name: string, start: number): string {
		return `${this.prefixOf(name)}${String(start).padStart(OFFSET_DIGITS, '0')}`;
	}

	/** The size the segments make; a gap or an overlap is S3_SEGMENTS_INVALID. */
	private checkContiguous(name: string, segments: Segment[]): number {
		let end = 0;
		for (const segment of segments) {
			if (segment.start !== end) {
				const url = this.describe(name);
				const problem = segment.start > end ? `leaves a gap after byte ${end}` : `overlaps the bytes before it, which end at byte ${end}`;
				throw new IntegrityError({
					code: 'S3_SEGMENTS_INVALID',
					message: `${url} is damaged: its segment at byte ${segment.start} ${problem}`,
					hint: `Something other than dbbackup changed the objects under ${url}${SEGMENTS_SUFFIX}; move them away and write ${name} again.`,
				});
			}
			end += segment.bytes;
		}
		return end;
	}

	/**
	 * Cuts the artifact to `to` bytes: the segments from there on are deleted (the last first, segment 0
	 * always kept), then the one `to` falls inside is rewritten cut. Returns the segments left and, when
	 * one was cut, its bytes.
	 */
	private async cut(name: string, segments: Segment[], to: number): Promise<{kept: Segment[]; tail: Buffer | undefined}> {
		const kept = segments.filter((segment) => segment.start < to || segment.start === 0);
		await this.deleteSegments(segments.slice(kept.length));
		const last = kept.at(-1)!;
		if (last.start + last.bytes <= to) return {kept, tail: undefined};
		const tail = await this.readSegment(name, last, 0, to - last.start);
		await this.putSegment(name, last.start, tail);
		return {kept: [...kept.slice(0, -1), {...last, bytes: tail.length}], tail};
	}

	/** Bytes `from` up to `to` of one segment, checked to be all there. */
	private async readSegment(name: string, segment: Segment, from: number, to: number): Promise<Buffer> {
		const chunks: Uint8Array[] = [];
		for await (const chunk of this.segmentRange(name, segment, from, to)) chunks.push(chunk);
		return Buffer.concat(chunks);
	}

	/** Bytes `start` up to `end` (the end of the artifact when absent) of the segments, one ranged GET at a time. */
	private async *stitch(name: string, segments: Segment[], start: number, end: number | undefined): AsyncGenerator<Uint8Array> {
		const last = Math.min(end ?? Infinity, this.checkContiguous(name, segments));
		for (const segment of segments) {
			const from = Math.max(start, segment.start);
			const to = Math.min(last, segment.start + segment.bytes);
			if (from < to) yield* this.segmentRange(name, segment, from - segment.start, to - segment.start);
		}
	}

	/** A segment that ends early was cut or replaced after it was listed: another writer. */
	private async *segmentRange(name: string, segment: Segment, from: number, to: number): AsyncGenerator<Uint8Array> {
		let received = 0;
		for await (const chunk of downloadRange(this.options.connection, this.options.bucket, segment.key, from, to, this.options.retry)) {
			received += (chunk as Uint8Array).length;
			yield chunk as Uint8Array;
		}
		if (received !== to - from) {
			throw new IntegrityError({
				code: 'S3_SEGMENTS_INVALID',
				message: `${this.describe(name)} changed while being read: its segment at byte ${segment.start} ended after ${from + received} bytes where ${to} were listed`,
				hint: 'Read it again once nothing writes to it.',
			});
		}
	}

	/** The stitched segments of `name` as the object `as`: one PutObject when they fit in a segment, else a multipart upload streamed from them. */
	private async uploadWhole(name: string, segments: Segment[], as: string): Promise<void> {
		const size = this.checkContiguous(name, segments);
		const key = this.keyOf(as);
		const contentType = this.options.contentTypeOf(as);
		const {connection, bucket, retry} = this.options;
		if (size <= this.segmentBytes) {
			const chunks: Uint8Array[] = [];
			for await (const chunk of this.stitch(name, segments, 0, size)) chunks.push(chunk);
			await this.mapped(() => putObject(connection, bucket, key, Buffer.concat(chunks), {contentType, retry}), {url: this.describe(as), action: 'upload'});
			return;
		}
		const uploader = new MultipartUploader({connection, bucket, key, contentType, partSize: this.options.partSize, workers: this.options.workers, retry});
		try {
			for await (const chunk of this.stitch(name, segments, 0, size)) await uploader.write(chunk);
			await uploader.complete();
		} catch (error) {
			await uploader.abort();
			throw error;
		}
	}

	/** The last first: what a failure leaves stays contiguous from 0. */
	private async deleteSegments(segments: Segment[]): Promise<void> {
		for (const segment of [...segments].reverse()) {
			await this.request(() => this.options.connection.client.send(new DeleteObjectCommand({Bucket: this.options.bucket, Key: segment.key})), {
				url: formatS3Url(this.options.bucket, segment.key),
				action: 'delete',
			});
		}
	}

	private sealed(name: string, what: string): WorkError {
		return new WorkError({
			code: 'ARTIFACT_SEALED',
			message: `${this.describe(name)} is complete; it cannot ${what}`,
			hint: 'It was sealed into one object when its writing ended: write to another name, or move the object away first.',
		});
	}

	private missing(name: string): WorkError {
		return new WorkError({code: 'ARTIFACT_MISSING', message: `${this.describe(name)} does not exist`});
	}

	private request<T>(send: () => Promise<T>, context: Omit<S3ErrorContext, 'endpoint'>): Promise<T> {
		return this.mapped(() => withRetries(send, this.options.retry), context);
	}

	private mapped<T>(run: () => Promise<T>, context: Omit<S3ErrorContext, 'endpoint'>): Promise<T> {
		return withS3Error(run, {...context, endpoint: this.options.connection.endpoint});
	}
}
