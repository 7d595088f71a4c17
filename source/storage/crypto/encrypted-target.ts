import {Readable} from 'node:stream';
import {WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {readBytes} from '../target/read-bytes.ts';
import type {AppendableArtifact, AppendableTarget, ArtifactStat, ArtifactTarget, OpenAppendOptions, OpenPartialOptions, PartialArtifact, RemovedLeftover, SealOptions} from '../target/types.ts';
import {decryptRange, DEFAULT_APPEND_SEGMENT_BYTES, EncryptedSegments} from './encrypted-appendable.ts';
import {startEncryption, type SegmentEncryptor} from './encrypt-stream.ts';
import {notOurs} from './errors.ts';
import {deriveKeys, HEADER_BYTES, isEncryptedArtifact, parseHeader, type EncryptionHeader, type EncryptOptions, type SegmentKeys} from './header.ts';
import type {EncryptionKeySource} from './key.ts';
import {plaintextSize} from './layout.ts';

export {isEncryptedArtifact} from './header.ts';

export interface EncryptedTargetOptions extends EncryptOptions {
	/**
	 * An artifact without the DBBKENC header: 'read' gives its bytes as they are (a backup taken
	 * before encryption was turned on), 'refuse' fails with ENCRYPTED_NOT_OURS (nobody can pass off
	 * a plain artifact as the encrypted backup). Default 'read'.
	 */
	plainArtifacts?: 'read' | 'refuse';
	/** plaintext bytes of a segment of an appendable artifact (encrypted-appendable.ts; default 8 MiB) */
	appendSegmentBytes?: number;
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
 * each artifact's header), but the plaintext size of an appendable artifact. There is no local path
 * (readers go through readRange, which decrypts). Appendable artifacts, on any inner target, are
 * segment artifacts until sealed (encrypted-appendable.ts); every read sees them as one artifact.
 */
export class EncryptedTarget implements AppendableTarget {
	/** per name: the header read once (and its keys derived once), with the stored size it was read at */
	private readonly opened = new Map<string, Promise<OpenedArtifact>>();
	private readonly appendable: EncryptedSegments;

	constructor(
		readonly inner: ArtifactTarget,
		private readonly source: EncryptionKeySource,
		private readonly options: EncryptedTargetOptions = {},
	) {
		this.appendable = new EncryptedSegments({
			inner,
			source,
			options,
			segmentBytes: options.appendSegmentBytes ?? DEFAULT_APPEND_SEGMENT_BYTES,
			openPartial: (name, partialOptions) => this.openPartial(name, partialOptions),
		});
	}

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

	/**
	 * Opens appendable artifact `name` (encrypted-appendable.ts): 'new' refuses a name that has an
	 * artifact or segments; 'existing' continues the segments, and refuses a sealed artifact (WorkError
	 * ARTIFACT_SEALED).
	 */
	openAppend(name: string, options: OpenAppendOptions): Promise<AppendableArtifact> {
		this.opened.delete(name);
		return this.appendable.openAppend(name, options);
	}

	/** Rewrites the segments the bytes fall in; a sealed artifact is refused (WorkError ARTIFACT_SEALED). */
	overwriteAt(name: string, offset: number, bytes: Uint8Array): Promise<void> {
		return this.appendable.overwriteAt(name, offset, bytes);
	}

	/** The segments of `name` become one encrypted artifact (named `as` when given), like every other. Idempotent. */
	seal(name: string, options: SealOptions = {}): Promise<void> {
		return this.appendable.seal(name, options.as);
	}

	list(prefix?: string): Promise<ArtifactStat[]> {
		return this.appendable.list(prefix);
	}

	async stat(name: string): Promise<ArtifactStat | undefined> {
		const stat = await this.inner.stat(name);
		if (!stat) return this.appendable.stat(name);
		const opened = await this.open(name, stat.bytes);
		return opened.kind === 'encrypted' ? {...stat, bytes: opened.plainSize} : stat;
	}

	/** Whether artifact `name` is encrypted (false: it is read as it is). */
	async isEncrypted(name: string): Promise<boolean> {
		if (!(await this.inner.stat(name)) && (await this.appendable.stat(name))) return true;
		return (await this.open(name)).kind === 'encrypted';
	}

	readRange(name: string, start: number, end?: number): Readable {
		if (!(Number.isSafeInteger(start) && start >= 0) || (end !== undefined && !Number.isSafeInteger(end))) throw new RangeError(`bytes ${start} to ${end} of ${name}`);
		return Readable.from(this.plainRange(name, start, end), {objectMode: false});
	}

	/** The artifact and, of an appendable one, every segment. */
	async delete(name: string): Promise<void> {
		this.opened.delete(name);
		await this.inner.delete(name);
		await this.appendable.deleteAll(name);
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
		let opened: OpenedArtifact;
		try {
			opened = await this.open(name);
		} catch (error) {
			// no artifact of that name: an appendable one is its segments
			const segmented = (await this.inner.stat(name).catch(() => 'unknown')) === undefined ? await this.appendable.rangeOf(name, start, end) : undefined;
			if (!segmented) throw error;
			yield* segmented;
			return;
		}
		if (opened.kind === 'plain') {
			yield* this.inner.readRange(name, start, end);
			return;
		}
		yield* decryptRange(this.inner, name, this.describe(name), opened, start, end);
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
