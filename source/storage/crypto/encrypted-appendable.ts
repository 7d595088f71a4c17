import {rm} from 'node:fs/promises';
import {IntegrityError, UsageError, WorkError} from '../../core/errors.ts';
import {partialPathOf} from '../archive/member-path.ts';
import {readBytes} from '../target/read-bytes.ts';
import type {AppendableArtifact, ArtifactStat, ArtifactTarget, OpenAppendOptions, OpenPartialOptions, PartialArtifact} from '../target/types.ts';
import {SegmentEncryptor} from './encrypt-stream.ts';
import {createHeader, DEFAULT_SEGMENT_LOG2, deriveKeys, HEADER_BYTES, isBoundTo, isEncryptedArtifact, parseHeader, type EncryptionHeader, type EncryptOptions, type SegmentKeys} from './header.ts';
import type {EncryptionKeySource} from './key.ts';
import {ciphertextSize, plaintextSize, segmentRangeFor, SegmentDecryptor} from './layout.ts';
import {SegmentedAppendableArtifact, type SegmentStore} from '../target/segmented-artifact.ts';

/*
 * An encrypted artifact that grows in place (a binlog file being copied), on any inner target. No
 * target can append to an encrypted artifact (its last segment carries the last flag, and a sync must
 * leave a whole, authenticated artifact behind), so an appendable artifact NAME lives, while it grows,
 * as segment artifacts `.NAME.eseg-<start>` of the inner target (`dir/.NAME.eseg-<start>` for a NAME in
 * a directory), `<start>` the plaintext offset of the segment's first byte in 16 digits. Each is one
 * whole DBBKENC artifact of its own (its own header: a fresh file salt, so its own payload key, and no
 * nonce is ever used twice under one key, however often a segment is rewritten), stored with the inner
 * target's put: a durable whole-artifact replace (a temporary file renamed, a PutObject). Its header is
 * bound to NAME and <start> (header.ts, isBoundTo): a segment moved to another offset or copied from
 * another artifact is refused, as the order of the segments inside one artifact is by their nonces.
 *
 * Every segment but the last holds exactly segmentBytes of plaintext; the last (the open one) is
 * re-encrypted and stored whole at each sync, so a sync costs one put of at most segmentBytes. seal
 * turns the segments into one ordinary encrypted artifact NAME (seekable as every other), then deletes
 * them, the last first; segments are always removed from the last to the first, so what a crash leaves
 * is contiguous from 0. The flat name keeps the segments beside NAME on a local directory (which has no
 * subdirectories) and clear of an S3 target's own `NAME.segments/` objects; it ends in `-` and 16 digits,
 * which no binlog name (`….000001`) does.
 */

export const DEFAULT_APPEND_SEGMENT_BYTES = 8 * 1024 * 1024;

const SEGMENT_MARK = '.eseg-';
const OFFSET_DIGITS = 16;
/** `dir/` (optional), `.`, NAME's last part, the mark, the start */
const SEGMENT_NAME = /^((?:.*\/)?)\.([^/]+)\.eseg-(\d{16})$/;

/** A segment artifact of the inner target. */
interface StoredSegment {
	/** its name in the inner target */
	name: string;
	/** the plaintext offset of its first byte in the artifact */
	start: number;
	storedSize: number;
	modifiedAt: Date;
}

/** A segment with the plaintext bytes it holds. */
interface SizedSegment extends StoredSegment {
	plainSize: number;
}

/** An encrypted artifact opened for reading: its verified header and keys, and its sizes. */
export interface OpenedEncrypted {
	storedSize: number;
	plainSize: number;
	header: EncryptionHeader;
	keys: SegmentKeys;
}

function splitName(name: string): {dir: string; base: string} {
	const slash = name.lastIndexOf('/') + 1;
	return {dir: name.slice(0, slash), base: name.slice(slash)};
}

/** The inner names of the segments of `name` all start with this. */
function segmentPrefixOf(name: string): string {
	const {dir, base} = splitName(name);
	return `${dir}.${base}${SEGMENT_MARK}`;
}

export function segmentNameOf(name: string, start: number): string {
	return `${segmentPrefixOf(name)}${String(start).padStart(OFFSET_DIGITS, '0')}`;
}

/** The artifact and start of segment artifact `inner`, or undefined when it is not one. */
export function parseSegmentName(inner: string): {name: string; start: number} | undefined {
	const match = SEGMENT_NAME.exec(inner);
	if (!match) return undefined;
	const start = Number(match[3]);
	return Number.isSafeInteger(start) ? {name: `${match[1]}${match[2]}`, start} : undefined;
}

/** `bytes` as one whole encrypted artifact, under a header of its own (bound to `binding` when given: header.ts). */
export async function encryptWhole(source: EncryptionKeySource, options: EncryptOptions, bytes: Uint8Array, binding?: Uint8Array): Promise<Buffer> {
	const {header, keys} = await createHeader(source, options, binding);
	const encryptor = new SegmentEncryptor(keys);
	return Buffer.concat([header.bytes, ...encryptor.push(bytes), encryptor.finish()]);
}

/**
 * What a segment's header is bound to: its artifact's name and its offset there. A segment moved to
 * another offset, or to another artifact, is told apart from the one written there, which the
 * segments' own authentication (each a whole artifact) could not.
 */
function bindingOf(name: string, start: number): Buffer {
	return Buffer.from(`dbbackup appendable segment\0${name}\0${start}`, 'utf8');
}

/**
 * Plaintext bytes `start` up to `end` of the encrypted artifact `name` of `inner`, fetching and opening
 * only the segments the range covers. An empty range reads nothing, except of an empty artifact: its
 * one segment is still checked.
 */
export async function* decryptRange(inner: ArtifactTarget, name: string, artifact: string, opened: OpenedEncrypted, start: number, end: number | undefined): AsyncGenerator<Buffer> {
	const {plainSize, keys} = opened;
	const from = Math.min(start, plainSize);
	const to = Math.min(end ?? plainSize, plainSize);
	if (to <= from && plainSize > 0) return;
	const range = segmentRangeFor(from, Math.max(from, to), opened.header, opened.storedSize, artifact);
	const decryptor = new SegmentDecryptor(keys, artifact, range.firstSegment, range.lastSegmentIndex);
	let skip = from - range.firstSegment * keys.segmentBytes;
	let left = Math.max(0, to - from);
	const give = (plain: Buffer): Buffer | undefined => {
		const piece = plain.subarray(Math.min(skip, plain.length), Math.min(plain.length, skip + left));
		skip = Math.max(0, skip - plain.length);
		left -= piece.length;
		return piece.length > 0 ? piece : undefined;
	};
	// the segments one stored chunk completes go out together: fewer hops through the stream, memory still about a chunk
	const batch = (plains: Buffer[]): Buffer | undefined => {
		const pieces = plains.map(give).filter((piece) => piece !== undefined);
		return pieces.length <= 1 ? pieces[0] : Buffer.concat(pieces);
	};
	for await (const chunk of inner.readRange(name, range.cipherStart, range.cipherEnd)) {
		const out = batch(decryptor.push(chunk as Buffer));
		if (out) yield out;
	}
	const out = batch(decryptor.end(range.lastSegment));
	if (out) yield out;
}

/** What the segments need of the encrypted target they belong to. */
export interface SegmentHost {
	readonly inner: ArtifactTarget;
	readonly source: EncryptionKeySource;
	readonly options: EncryptOptions;
	/** plaintext bytes of a full segment */
	readonly segmentBytes: number;
	/** an encrypted partial of the target: seal writes the stitched artifact through it */
	openPartial(name: string, options: OpenPartialOptions): Promise<PartialArtifact>;
}

/** The encrypted appendable artifacts of one encrypted target, as segments in its inner target. */
export class EncryptedSegments implements SegmentStore {
	/** the plaintext bytes of the cipher segments this target writes: a segment's size gives its plaintext size without its header */
	private readonly cipherSegmentBytes: number;

	constructor(private readonly host: SegmentHost) {
		if (!Number.isSafeInteger(host.segmentBytes) || host.segmentBytes < 1) throw new RangeError(`appendable segments of ${host.segmentBytes} bytes`);
		this.cipherSegmentBytes = 2 ** (host.options.segmentLog2 ?? DEFAULT_SEGMENT_LOG2);
	}

	/** The segments of `name`, in order of their start, with their plaintext sizes (not checked to be contiguous). */
	async segmentsOf(name: string): Promise<SizedSegment[]> {
		const prefix = segmentPrefixOf(name);
		const found: StoredSegment[] = [];
		for (const stat of await this.host.inner.list(prefix)) {
			const parsed = parseSegmentName(stat.name);
			if (parsed?.name === name) found.push({name: stat.name, start: parsed.start, storedSize: stat.bytes, modifiedAt: stat.modifiedAt});
		}
		return this.sized(found.sort((a, b) => a.start - b.start));
	}

	/** The artifact its segments make, undefined when it has none. Its size is what is contiguous from 0. */
	async stat(name: string): Promise<ArtifactStat | undefined> {
		return statOf(name, await this.segmentsOf(name));
	}

	/**
	 * The inner target's artifacts whose name starts with `prefix`, segments hidden: the artifact they
	 * make is listed instead (with its plaintext size), unless an artifact of its name is there (a seal
	 * that stopped before deleting them).
	 */
	async list(prefix = ''): Promise<ArtifactStat[]> {
		const {dir, base} = splitName(prefix);
		const listings = prefix === '' ? [await this.host.inner.list('')] : await Promise.all([this.host.inner.list(prefix), this.host.inner.list(`${dir}.${base}`)]);
		const artifacts = new Map<string, ArtifactStat>();
		const segmented = new Map<string, StoredSegment[]>();
		for (const stat of listings.flat()) {
			const parsed = parseSegmentName(stat.name);
			if (!parsed) {
				if (stat.name.startsWith(prefix)) artifacts.set(stat.name, stat);
				continue;
			}
			if (!parsed.name.startsWith(prefix)) continue;
			const segments = segmented.get(parsed.name) ?? [];
			if (!segments.some((segment) => segment.name === stat.name)) segments.push({name: stat.name, start: parsed.start, storedSize: stat.bytes, modifiedAt: stat.modifiedAt});
			segmented.set(parsed.name, segments);
		}
		for (const [name, segments] of segmented) {
			if (artifacts.has(name)) continue;
			const artifact = statOf(name, await this.sized(segments.sort((a, b) => a.start - b.start)));
			if (artifact) artifacts.set(name, artifact);
		}
		return [...artifacts.values()];
	}

	async openAppend(name: string, options: OpenAppendOptions): Promise<AppendableArtifact> {
		const [object, segments] = await Promise.all([this.host.inner.stat(name), this.segmentsOf(name)]);
		if (options.create === 'new') {
			if (object !== undefined || segments.length > 0) throw this.taken(name, segments.length > 0);
			// the empty artifact exists, durably, from here on
			await this.putSegment(name, 0, Buffer.alloc(0));
			return new SegmentedAppendableArtifact(name, this, 0, Buffer.alloc(0));
		}
		if (object !== undefined) throw await this.sealed(name, 'grow');
		if (segments.length === 0) throw this.missing(name);
		const size = this.checkContiguous(name, segments);
		const to = options.truncateTo ?? size;
		if (!Number.isSafeInteger(to) || to < 0 || to > size) throw new RangeError(`cannot cut ${this.describe(name)} to ${to} bytes: it has ${size}`);
		const {kept, tail} = to < size ? await this.cut(name, segments, to) : {kept: segments, tail: undefined};
		const last = kept.at(-1)!;
		if (last.plainSize >= this.host.segmentBytes) return new SegmentedAppendableArtifact(name, this, last.start + last.plainSize, Buffer.alloc(0));
		return new SegmentedAppendableArtifact(name, this, last.start, tail ?? (await this.readSegment(name, last, 0, last.plainSize)));
	}

	/** Plaintext bytes `start` up to `end` (the end when absent) of the artifact the segments of `name` make; undefined when it has none. */
	async rangeOf(name: string, start: number, end: number | undefined): Promise<AsyncGenerator<Buffer> | undefined> {
		const segments = await this.segmentsOf(name);
		if (segments.length === 0) return undefined;
		return this.stitch(name, segments, start, end);
	}

	async overwriteAt(name: string, offset: number, bytes: Uint8Array): Promise<void> {
		const [object, segments] = await Promise.all([this.host.inner.stat(name), this.segmentsOf(name)]);
		if (object !== undefined) throw await this.sealed(name, 'be changed in place');
		if (segments.length === 0) throw this.missing(name);
		const size = this.checkContiguous(name, segments);
		const end = offset + bytes.length;
		if (!Number.isSafeInteger(offset) || offset < 0 || end > size) throw new RangeError(`cannot write bytes ${offset} to ${end} of ${this.describe(name)}: it has ${size}`);
		for (const segment of segments) {
			const from = Math.max(offset, segment.start);
			const to = Math.min(end, segment.start + segment.plainSize);
			if (from >= to) continue;
			const content = await this.readSegment(name, segment, 0, segment.plainSize);
			content.set(bytes.subarray(from - offset, to - offset), from - segment.start);
			await this.putSegment(name, segment.start, content);
		}
	}

	/**
	 * The segments become the encrypted artifact `as` (`name` unless given), then are deleted, the last
	 * first. An artifact already there is a seal that stopped before its deletes: only those are left to do.
	 */
	async seal(name: string, as = name): Promise<void> {
		const segments = await this.segmentsOf(name);
		if (segments.length === 0) return;
		if ((await this.host.inner.stat(as)) === undefined) {
			const size = this.checkContiguous(name, segments);
			// a seal stopped half-way leaves a `.partial` on a local target: the writer holds the name, so it is a dead leftover
			const local = this.host.inner.localPath(as);
			if (local !== undefined) await rm(partialPathOf(local), {force: true});
			const partial = await this.host.openPartial(as, {replace: true});
			try {
				for await (const chunk of this.stitch(name, segments, 0, size)) await partial.write(chunk);
				await partial.commit();
			} catch (error) {
				await partial.abort();
				throw error;
			}
			await partial.release();
		}
		await this.deleteSegments(segments);
	}

	/** Deletes every segment of `name`, the last first. */
	async deleteAll(name: string): Promise<void> {
		await this.deleteSegments(await this.segmentsOf(name));
	}

	/** Stores segment `start` of `name` as `plaintext`, encrypted under a new header, replacing its earlier version durably. */
	async putSegment(name: string, start: number, plaintext: Uint8Array): Promise<void> {
		const segment = segmentNameOf(name, start);
		const sealed = await encryptWhole(this.host.source, this.host.options, plaintext, bindingOf(name, start));
		// a put stopped half-way (kill -9) leaves a `.partial` on a local target, which would refuse every later put
		const local = this.host.inner.localPath(segment);
		if (local !== undefined) await rm(partialPathOf(local), {force: true});
		await this.host.inner.put(segment, sealed);
	}

	describe(name: string): string {
		return this.host.inner.describe(name);
	}

	get segmentBytes(): number {
		return this.host.segmentBytes;
	}

	/**
	 * The plaintext sizes of `segments` (in order). A segment followed by another holds the bytes up to
	 * it when its size is the one those bytes give; otherwise, and for the last segment, its header says
	 * how its plaintext is cut (reading it needs no key). A size that lies is caught when it is read.
	 */
	private async sized(segments: StoredSegment[]): Promise<SizedSegment[]> {
		const sized: SizedSegment[] = [];
		for (const [index, segment] of segments.entries()) {
			const next = segments[index + 1];
			const expected = next === undefined ? undefined : next.start - segment.start;
			if (expected !== undefined && segment.storedSize === ciphertextSize(expected, {segmentBytes: this.cipherSegmentBytes})) {
				sized.push({...segment, plainSize: expected});
				continue;
			}
			const artifact = this.describe(segment.name);
			const header = parseHeader(await readBytes(this.host.inner, segment.name, 0, HEADER_BYTES), artifact);
			sized.push({...segment, plainSize: plaintextSize(segment.storedSize, header, artifact)});
		}
		return sized;
	}

	/** The size the segments make; a gap or an overlap is ENCRYPTED_SEGMENTS_INVALID. */
	private checkContiguous(name: string, segments: SizedSegment[]): number {
		let end = 0;
		for (const segment of segments) {
			if (segment.start !== end) {
				const problem = segment.start > end ? `leaves a gap after byte ${end}` : `overlaps the bytes before it, which end at byte ${end}`;
				throw new IntegrityError({
					code: 'ENCRYPTED_SEGMENTS_INVALID',
					message: `${this.describe(name)} is damaged: its encrypted segment at byte ${segment.start} (${this.describe(segment.name)}) ${problem}`,
					hint: `Something other than dbbackup removed or changed its segments (${this.describe(segmentPrefixOf(name))}*); move them away and write ${name} again.`,
				});
			}
			end += segment.plainSize;
		}
		return end;
	}

	/**
	 * Cuts the artifact to `to` bytes: the segments from there on are deleted (the last first, segment 0
	 * always kept), then the one `to` falls inside is rewritten cut. Returns the segments left and, when
	 * one was cut, its plaintext.
	 */
	private async cut(name: string, segments: SizedSegment[], to: number): Promise<{kept: SizedSegment[]; tail: Buffer | undefined}> {
		const kept = segments.filter((segment) => segment.start < to || segment.start === 0);
		await this.deleteSegments(segments.slice(kept.length));
		const last = kept.at(-1)!;
		if (last.start + last.plainSize <= to) return {kept, tail: undefined};
		const tail = await this.readSegment(name, last, 0, to - last.start);
		await this.putSegment(name, last.start, tail);
		return {kept: [...kept.slice(0, -1), {...last, plainSize: tail.length}], tail};
	}

	/** Plaintext bytes `from` up to `to` of one segment, in one buffer. */
	private async readSegment(name: string, segment: SizedSegment, from: number, to: number): Promise<Buffer> {
		const chunks: Buffer[] = [];
		for await (const chunk of this.segmentRange(name, segment, from, to)) chunks.push(chunk);
		return Buffer.concat(chunks, to - from);
	}

	/** Plaintext bytes `start` up to `end` (the end of the artifact when absent) of the segments, one segment at a time. */
	private async *stitch(name: string, segments: SizedSegment[], start: number, end: number | undefined): AsyncGenerator<Buffer> {
		const last = Math.min(end ?? Infinity, this.checkContiguous(name, segments));
		for (const segment of segments) {
			const from = Math.max(start, segment.start);
			const to = Math.min(last, segment.start + segment.plainSize);
			if (from < to) yield* this.segmentRange(name, segment, from - segment.start, to - segment.start);
		}
	}

	/**
	 * Plaintext bytes `from` up to `to` of one segment: its header read and checked against the key (a
	 * wrong key names the segment), then only the cipher segments the range covers.
	 */
	private async *segmentRange(name: string, segment: SizedSegment, from: number, to: number): AsyncGenerator<Buffer> {
		const artifact = this.describe(segment.name);
		let received = 0;
		try {
			const header = parseHeader(await readBytes(this.host.inner, segment.name, 0, HEADER_BYTES), artifact);
			const keys = await deriveKeys(this.host.source, header, artifact);
			if (!(await isBoundTo(this.host.source, header, bindingOf(name, segment.start), artifact))) throw this.misplaced(name, segment);
			const plainSize = plaintextSize(segment.storedSize, header, artifact);
			if (plainSize !== segment.plainSize) throw this.changed(name, segment, `it holds ${plainSize} bytes where ${segment.plainSize} were listed`);
			for await (const chunk of decryptRange(this.host.inner, segment.name, artifact, {storedSize: segment.storedSize, plainSize, header, keys}, from, to)) {
				received += chunk.length;
				yield chunk;
			}
		} catch (error) {
			// a segment rewritten (a sync, a cut) between the listing and its reading is no damage
			if (error instanceof IntegrityError && error.code === 'ENCRYPTED_DAMAGED' && (await this.rewrittenSince(segment))) throw this.changed(name, segment, 'it was rewritten', error);
			throw error;
		}
		if (received !== to - from) throw this.changed(name, segment, `it gave ${received} of the ${to - from} bytes asked`);
	}

	/** Whether the segment is no longer as it was listed (S3 times are whole seconds). */
	private async rewrittenSince(segment: StoredSegment): Promise<boolean> {
		const now = await this.host.inner.stat(segment.name).catch(() => undefined);
		return now === undefined || now.bytes !== segment.storedSize || Math.floor(now.modifiedAt.getTime() / 1000) !== Math.floor(segment.modifiedAt.getTime() / 1000);
	}

	private misplaced(name: string, segment: StoredSegment): IntegrityError {
		return new IntegrityError({
			code: 'ENCRYPTED_SEGMENTS_INVALID',
			message: `${this.describe(name)} is damaged: its encrypted segment at byte ${segment.start} (${this.describe(segment.name)}) was not written there: it was moved from another offset or another artifact`,
			hint: `Something other than dbbackup moved or replaced its segments (${this.describe(segmentPrefixOf(name))}*); nothing of it from byte ${segment.start} on can be trusted.`,
		});
	}

	private changed(name: string, segment: StoredSegment, problem: string, cause?: unknown): IntegrityError {
		return new IntegrityError({
			code: 'ENCRYPTED_SEGMENTS_INVALID',
			message: `${this.describe(name)} changed while being read: its encrypted segment at byte ${segment.start} (${this.describe(segment.name)}) ${problem}`,
			hint: 'Read it again once nothing writes to it.',
			cause,
		});
	}

	/** The last first: what a failure leaves stays contiguous from 0. A dead put's `.partial` of each goes with it. */
	private async deleteSegments(segments: StoredSegment[]): Promise<void> {
		for (const segment of [...segments].reverse()) {
			await this.host.inner.delete(segment.name);
			const local = this.host.inner.localPath(segment.name);
			if (local !== undefined) await rm(partialPathOf(local), {force: true});
		}
	}

	private taken(name: string, segmented: boolean): UsageError {
		const what = segmented ? `its encrypted segments (${this.describe(segmentPrefixOf(name))}*)` : 'the existing file';
		return new UsageError({code: 'ARTIFACT_EXISTS', message: `${this.describe(name)} already exists; dbbackup does not overwrite a backup`, hint: `Choose another output name, or move ${what} away first.`});
	}

	private async sealed(name: string, what: string): Promise<WorkError> {
		const encrypted = await readBytes(this.host.inner, name, 0, HEADER_BYTES).then(isEncryptedArtifact, () => true);
		if (!encrypted) {
			return new WorkError({
				code: 'ARTIFACT_SEALED',
				message: `${this.describe(name)} was written without encryption; it cannot ${what} encrypted`,
				hint: 'Move it (or the whole directory) away to write it again encrypted, or write without encryption.',
			});
		}
		return new WorkError({
			code: 'ARTIFACT_SEALED',
			message: `${this.describe(name)} is complete; it cannot ${what}`,
			hint: 'It was sealed into one encrypted artifact when its writing ended: write to another name, or move it away first.',
		});
	}

	private missing(name: string): WorkError {
		return new WorkError({code: 'ARTIFACT_MISSING', message: `${this.describe(name)} does not exist`});
	}
}

/** The artifact `segments` make: its size what is contiguous from 0, its time the newest segment's. */
function statOf(name: string, segments: SizedSegment[]): ArtifactStat | undefined {
	if (segments.length === 0) return undefined;
	let bytes = 0;
	for (const segment of segments) {
		if (segment.start !== bytes) break;
		bytes += segment.plainSize;
	}
	const modifiedAt = new Date(Math.max(...segments.map((segment) => segment.modifiedAt.getTime())));
	return {name, bytes, modifiedAt};
}
