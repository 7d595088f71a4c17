import {randomBytes} from 'node:crypto';
import {open, rm, type FileHandle} from 'node:fs/promises';
import path from 'node:path';
import {Writable} from 'node:stream';
import type {ArtifactTarget, PartialArtifact} from '../target/types.ts';

/** Where a spill buffer puts what no longer fits in memory: written once, read back once, then disposed. */
export interface SpillFile {
	write(chunk: Buffer): Promise<void>;
	read(): AsyncIterable<Buffer>;
	dispose(): Promise<void>;
}

export interface SpillStore {
	/** where the spilled bytes go, for messages */
	readonly location: string;
	open(): Promise<SpillFile>;
}

/**
 * Spills to a temp file in `dir`, unlinked as soon as it is created (Linux keeps it alive through the
 * open handle), so a crash leaves nothing behind.
 */
export class LocalSpillStore implements SpillStore {
	constructor(readonly location: string) {}

	async open(): Promise<SpillFile> {
		const file = path.join(this.location, `.dbbackup-spill-${process.pid}-${randomBytes(6).toString('hex')}`);
		const handle = await open(file, 'wx+', 0o600);
		let leftPath: string | null = null;
		try {
			await rm(file);
		} catch {
			leftPath = file;
		}
		return {
			write: (chunk) => writeWhole(handle, chunk),
			async *read() {
				const stream = handle.createReadStream({start: 0, autoClose: false, highWaterMark: 1024 * 1024});
				for await (const chunk of stream) yield chunk as Buffer;
			},
			async dispose() {
				await handle.close();
				if (leftPath) await rm(leftPath, {force: true});
			},
		};
	}
}

async function writeWhole(file: FileHandle, chunk: Buffer): Promise<void> {
	let done = 0;
	while (done < chunk.length) {
		const {bytesWritten} = await file.write(chunk, done, chunk.length - done);
		done += bytesWritten;
	}
}

/**
 * Spills to a scratch artifact of the target itself (an object beside the archive in S3), so that a
 * member too large for memory touches no local disk. The scratch name starts with `.` and carries the
 * archive's name: a run that dies leaves it to the target's leftover sweep.
 */
export class TargetSpillStore implements SpillStore {
	private count = 0;

	constructor(
		private readonly target: ArtifactTarget,
		private readonly archiveName: string,
	) {}

	get location(): string {
		return this.target.describe(`.${this.archiveName}.spill-*`);
	}

	async open(): Promise<SpillFile> {
		const name = `.${this.archiveName}.spill-${process.pid}-${this.count++}-${randomBytes(4).toString('hex')}`;
		const target = this.target;
		const partial: PartialArtifact = await target.openPartial(name);
		let committed = false;
		return {
			write: (chunk) => partial.write(chunk),
			async *read() {
				await partial.commit();
				committed = true;
				for await (const chunk of target.readRange(name, 0)) yield chunk as Buffer;
			},
			async dispose() {
				await partial.abort();
				if (committed) await target.delete(name).catch(() => undefined);
				await partial.release();
			},
		};
	}
}

/**
 * A sink that holds what is written in memory up to `threshold` bytes, then moves it to the store's
 * spill file and keeps writing there. Read it back once with `chunks()`, then `dispose()`.
 */
export class SpillBuffer extends Writable {
	size = 0;
	private memory: Buffer[] = [];
	private file: SpillFile | null = null;
	private disposed = false;
	private readonly store: SpillStore;

	constructor(
		private readonly threshold: number,
		store: SpillStore | string,
	) {
		// kept after 'finish' so the content can be read back; a failure destroys it and frees the content
		super({autoDestroy: false});
		this.store = typeof store === 'string' ? new LocalSpillStore(store) : store;
	}

	/** true once the content lives in the spill file */
	get spilled(): boolean {
		return this.file !== null;
	}

	override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
		this.size += chunk.length;
		if (this.file) {
			this.file.write(chunk).then(() => callback(), callback);
			return;
		}
		this.memory.push(chunk);
		if (this.size <= this.threshold) {
			callback();
			return;
		}
		this.spill().then(() => callback(), callback);
	}

	override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
		this.dispose().then(() => callback(error), () => callback(error));
	}

	/** What was written, in order: from memory, or streamed back from the spill file. */
	async *chunks(): AsyncGenerator<Buffer> {
		if (!this.file) {
			yield* this.memory;
			return;
		}
		yield* this.file.read();
	}

	async dispose(): Promise<void> {
		this.disposed = true;
		this.memory = [];
		const file = this.file;
		this.file = null;
		await file?.dispose();
	}

	private async spill(): Promise<void> {
		const file = await this.store.open();
		if (this.disposed) {
			// destroyed while the file was being created
			await file.dispose();
			throw new Error('the spill buffer was disposed');
		}
		this.file = file;
		const held = this.memory;
		this.memory = [];
		for (const chunk of held) await file.write(chunk);
	}
}
