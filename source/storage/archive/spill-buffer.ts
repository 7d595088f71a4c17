import {randomBytes} from 'node:crypto';
import {open, rm, type FileHandle} from 'node:fs/promises';
import path from 'node:path';
import {Writable} from 'node:stream';

/**
 * A sink that holds what is written in memory up to `threshold` bytes, then moves it to a temp file in
 * `dir` and keeps writing there. The temp file is unlinked as soon as it is created (Linux keeps it
 * alive through the open handle), so a crash leaves nothing behind. Read it back once with `chunks()`,
 * then `dispose()`.
 */
export class SpillBuffer extends Writable {
	size = 0;
	private memory: Buffer[] = [];
	private file: FileHandle | null = null;
	/** set when the file could not be unlinked at once; removed by dispose */
	private filePath: string | null = null;
	private disposed = false;

	constructor(
		private readonly threshold: number,
		private readonly dir: string,
	) {
		// kept after 'finish' so the content can be read back; a failure destroys it and frees the content
		super({autoDestroy: false});
	}

	/** true once the content lives in a temp file */
	get spilled(): boolean {
		return this.file !== null;
	}

	override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
		this.size += chunk.length;
		if (this.file) {
			this.writeToFile(this.file, [chunk]).then(() => callback(), callback);
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

	/** What was written, in order: from memory, or streamed back from the temp file. */
	async *chunks(): AsyncGenerator<Buffer> {
		if (!this.file) {
			yield* this.memory;
			return;
		}
		const stream = this.file.createReadStream({start: 0, autoClose: false, highWaterMark: 1024 * 1024});
		for await (const chunk of stream) yield chunk as Buffer;
	}

	async dispose(): Promise<void> {
		this.disposed = true;
		this.memory = [];
		const file = this.file;
		this.file = null;
		await file?.close();
		if (this.filePath) await rm(this.filePath, {force: true});
		this.filePath = null;
	}

	private async spill(): Promise<void> {
		const target = path.join(this.dir, `.dbbackup-spill-${process.pid}-${randomBytes(6).toString('hex')}`);
		const file = await open(target, 'wx+', 0o600);
		try {
			await rm(target);
		} catch {
			this.filePath = target;
		}
		if (this.disposed) {
			// destroyed while the file was being created
			await file.close();
			if (this.filePath) await rm(this.filePath, {force: true});
			throw new Error('the spill buffer was disposed');
		}
		this.file = file;
		const held = this.memory;
		this.memory = [];
		await this.writeToFile(file, held);
	}

	private async writeToFile(file: FileHandle, chunks: Buffer[]): Promise<void> {
		for (const chunk of chunks) {
			let done = 0;
			while (done < chunk.length) {
				const {bytesWritten} = await file.write(chunk, done, chunk.length - done);
				done += bytesWritten;
			}
		}
	}
}
