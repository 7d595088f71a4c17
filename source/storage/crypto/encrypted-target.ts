import {Readable} from 'node:stream';
import {WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {readBytes} from '../target/read-bytes.ts';
import type {ArtifactStat, ArtifactTarget, OpenPartialOptions, PartialArtifact, RemovedLeftover} from '../target/types.ts';
import {startEncryption, type SegmentEncryptor} from './encrypt-stream.ts';
import {notOurs} from './errors.ts';
import {deriveKeys, HEADER_BYTES, isEncryptedArtifact, parseHeader, type EncryptionHeader, type EncryptOptions, type SegmentKeys} from './header.ts';
import type {EncryptionKeySource} from './key.ts';
import {plaintextSize, segmentRangeFor, SegmentDecryptor} from './layout.ts';

export {isEncryptedArtifact} from './header.ts';

export interface EncryptedTargetOptions extends EncryptOptions {
	/**
	 * An artifact without the DBBKENC header: 'read' gives its bytes as they are (a backup taken
	 * before encryption was turned on), 'refuse' fails with ENCRYPTED_NOT_OURS (nobody can pass off
	 * a plain artifact as the encrypted backup). Default 'read'.
	 */
	plainArtifacts?: 'read' | 'refuse';
}

/** An artifact opened for reading: its verified header and keys, or plain bytes. */
type OpenedArtifact =
	| {kind: 'plain'; storedSize: number}
	| {kind: 'encrypted'; storedSize: number; plainSize: number; header: EncryptionHeader; keys: SegmentKeys};

/** Writes the header with the first segments (or at commit), then whole segments, each write awaited (backpressure). */
class EncryptedPartialArtifact implements PartialArtifact {
	private header: Buffer | undefined;
	private sealed = false;
	private failure: {error: unknown} | undefined;

	constructor(
		private readonly inner: PartialArtifact,
		header: EncryptionHeader,
		private readonly encryptor: SegmentEncryptor,
		private readonly committed: () => void,
	) {
		this.header = header.bytes;
	}

	get name(): string {
		return this.inner.name;
	}

	get location(): string {
		return this.inner.location;
	}

	async write(bytes: Uint8Array): Promise<void> {
		this.throwIfFailed();
		await this.writeSealed(this.encryptor.push(bytes));
	}

	async commit(): Promise<void> {
		this.throwIfFailed();
		// a second commit is the inner target's to refuse (ARTIFACT_NOT_OPEN)
		if (!this.sealed) {
			this.sealed = true;
			await this.writeSealed([this.encryptor.finish()]);
		}
		await this.inner.commit();
		this.committed();
	}

	abort(): Promise<void> {
		return this.inner.abort();
	}

	release(): Promise<void> {
		return this.inner.release();
	}

	/** After a failed write the stored bytes are unknown: no write or commit may follow, only abort. */
	private throwIfFailed(): void {
		if (this.failure) throw this.failure.error;
	}

	private async writeSealed(segments: Buffer[]): Promise<void> {
		if (segments.length === 0) return;
		if (this.header) segments.unshift(this.header);
		this.header = undefined;
		await this.inner.write(segments.length === 1 ? segments[0]! : Buffer.concat(segments)).catch((error: unknown) => {
			this.failure = {error};
			throw error;
		});
	}
}

/**
 * A target whose artifacts are encrypted (format DBBKENC 1) in an inner target: every byte written is
 * encrypted, and reads are in plaintext coordinates, fetching and opening only the segments a range
 * covers. `stat` gives plaintext sizes; `list` gives the inner, stored sizes (a plaintext size needs
 * each artifact's header). There is no local path (readers go through readRange, which decrypts) and
 * no appending.
 */
export class EncryptedTarget implements ArtifactTarget {
	/** per name: the header read once (and its keys derived once), with the stored size it was read at */
	private readonly opened = new Map<string, Promise<OpenedArtifact>>();

	constructor(
		readonly inner: ArtifactTarget,
		private readonly source: EncryptionKeySource,
		private readonly options: EncryptedTargetOptions = {},
	) {}

	async openPartial(name: string, options?: OpenPartialOptions): Promise<PartialArtifact> {
		const {header, encryptor} = await startEncryption(this.source, this.options);
		const partial = await this.inner.openPartial(name, options);
		return new EncryptedPartialArtifact(partial, header, encryptor, () => this.opened.delete(name));
	}

	async put(name: string, bytes: Uint8Array): Promise<void> {
		const {header, encryptor} = await startEncryption(this.source, this.options);
		const sealed = Buffer.concat([header.bytes, ...encryptor.push(bytes), encryptor.finish()]);
		this.opened.delete(name);
		try {
			await this.inner.put(name, sealed);
		} finally {
			this.opened.delete(name);
		}
	}

	list(prefix?: string): Promise<ArtifactStat[]> {
		return this.inner.list(prefix);
	}

	async stat(name: string): Promise<ArtifactStat | undefined> {
		const stat = await this.inner.stat(name);
		if (!stat) return undefined;
		const opened = await this.open(name, stat.bytes);
		return opened.kind === 'encrypted' ? {...stat, bytes: opened.plainSize} : stat;
	}

	/** Whether artifact `name` is encrypted (false: it is read as it is). */
	async isEncrypted(name: string): Promise<boolean> {
		return (await this.open(name)).kind === 'encrypted';
	}

	readRange(name: string, start: number, end?: number): Readable {
		if (!(Number.isSafeInteger(start) && start >= 0) || (end !== undefined && !Number.isSafeInteger(end))) throw new RangeError(`bytes ${start} to ${end} of ${name}`);
		return Readable.from(this.plainRange(name, start, end), {objectMode: false});
	}

	async delete(name: string): Promise<void> {
		this.opened.delete(name);
		await this.inner.delete(name);
	}

	describe(name: string): string {
		return this.inner.describe(name);
	}

	localPath(): undefined {
		return undefined;
	}

	removeDeadLeftovers(bus?: EventBus): Promise<RemovedLeftover[]> {
		return this.inner.removeDeadLeftovers(bus);
	}

	private async *plainRange(name: string, start: number, end: number | undefined): AsyncGenerator<Buffer> {
		const opened = await this.open(name);
		if (opened.kind === 'plain') {
			yield* this.inner.readRange(name, start, end);
			return;
		}
		const artifact = this.describe(name);
		const {plainSize, keys} = opened;
		const from = Math.min(start, plainSize);
		const to = Math.min(end ?? plainSize, plainSize);
		// an empty range reads nothing, except of an empty artifact: its one segment is still checked
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
		for await (const chunk of this.inner.readRange(name, range.cipherStart, range.cipherEnd)) {
			const out = batch(decryptor.push(chunk as Buffer));
			if (out) yield out;
		}
		const out = batch(decryptor.end(range.lastSegment));
		if (out) yield out;
	}

	/** The header of `name` read and verified once, again when its stored size is seen to have changed. */
	private open(name: string, storedSize?: number): Promise<OpenedArtifact> {
		const cached = this.opened.get(name);
		if (cached && storedSize === undefined) return cached;
		const opened = cached ? cached.then((known) => (known.storedSize === storedSize ? known : this.read(name)), () => this.read(name)) : this.read(name);
		this.opened.set(name, opened);
		opened.catch(() => {
			if (this.opened.get(name) === opened) this.opened.delete(name);
		});
		return opened;
	}

	private async read(name: string): Promise<OpenedArtifact> {
		const artifact = this.describe(name);
		const first = await readBytes(this.inner, name, 0, HEADER_BYTES);
		const stat = await this.inner.stat(name);
		if (!stat) throw new WorkError({code: 'ARTIFACT_MISSING', message: `${artifact} does not exist`});
		if (!isEncryptedArtifact(first)) {
			if (this.options.plainArtifacts === 'refuse') throw notOurs(artifact);
			return {kind: 'plain', storedSize: stat.bytes};
		}
		const header = parseHeader(first, artifact);
		const keys = await deriveKeys(this.source, header, artifact);
		return {kind: 'encrypted', storedSize: stat.bytes, plainSize: plaintextSize(stat.bytes, header, artifact), header, keys};
	}
}
