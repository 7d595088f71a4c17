import {DbBackupError, WorkError} from '../../core/errors.ts';
import {readBytes} from '../../storage/target/read-bytes.ts';
import type {AppendableArtifact, AppendableTarget} from '../../storage/target/types.ts';
import {BINLOG_MAGIC, FIRST_EVENT_POSITION, FORMAT_DESCRIPTION_FLAGS_OFFSET, LOG_EVENT_BINLOG_IN_USE_F} from '../event/header.ts';

/** The end of a complete transaction in the copy. */
export interface Boundary {
	file: string;
	position: number;
	gtid: string;
	/** the transaction's event time, seconds since the epoch */
	timestamp: number;
}

type Item =
	| {kind: 'data'; bytes: Buffer}
	| {kind: 'boundary'; boundary: Boundary}
	| {kind: 'switch'; file: string; position: number}
	| {kind: 'finish'}
	| {kind: 'sync'};

export interface FileSinkOptions {
	/** the output directory: every file of the copy is an appendable artifact of it, 0600 (binlogs can hold passwords) */
	target: AppendableTarget;
	/** fsync as soon as a transaction is complete (group commit: one fsync per drained batch) */
	syncEveryCommit: boolean;
	/** queued bytes above which the source is paused, and below a quarter of which it resumes */
	highWaterBytes?: number;
	onPause(): void;
	onResume(): void;
	/** a boundary is on disk and fsync'd */
	onDurable(boundary: Boundary): void;
	/** a file was completed (it ended with ROTATE or STOP, or the server moved on), fsync'd and closed */
	onFileClosed(file: string): void;
	/** writing failed (disk full, a file that does not match): the stream must stop */
	onFailure(error: Error): void;
}

/**
 * Appends events to the binlog file being copied, in order, on one async queue: consecutive events go
 * out in one write, and with `syncEveryCommit` one fsync covers every commit in the batch.
 */
export class BinlogFileSink {
	private readonly items: Item[] = [];
	private queuedBytes = 0;
	private paused = false;
	private draining: Promise<void> | undefined;
	private failure: Error | undefined;
	private handle: AppendableArtifact | undefined;
	private fileName: string | undefined;
	private offset = 0;
	private written: Boundary | undefined;
	private durable: Boundary | undefined;
	private unsynced = false;
	private readonly highWater: number;

	constructor(private readonly options: FileSinkOptions) {
		this.highWater = options.highWaterBytes ?? 4 * 1024 * 1024;
	}

	/** continue `file` at `position` (it must be that long), or create it with the magic when position is 4 */
	switchTo(file: string, position: number): void {
		this.push({kind: 'switch', file, position});
	}

	/**
	 * the current file is complete without a ROTATE (the server's STOP event at a clean shutdown): sync,
	 * close, clear its in-use flag as the server does, and report it closed
	 */
	finishFile(): void {
		this.push({kind: 'finish'});
	}

	append(event: Buffer): void {
		this.queuedBytes += event.length;
		this.push({kind: 'data', bytes: event});
		if (!this.paused && this.queuedBytes > this.highWater) {
			this.paused = true;
			this.options.onPause();
		}
	}

	boundary(boundary: Boundary): void {
		this.push({kind: 'boundary', boundary});
	}

	/** fsync what is written (the interval sync, and before stopping) */
	sync(): void {
		this.push({kind: 'sync'});
	}

	/** wait until everything queued so far is written (and synced where asked) */
	async settle(): Promise<void> {
		while (this.draining) await this.draining;
		if (this.failure) throw this.failure;
	}

	/** sync, close the file; the sink is done */
	async close(): Promise<void> {
		this.sync();
		try {
			await this.settle();
		} finally {
			await this.handle?.close();
			this.handle = undefined;
		}
	}

	private push(item: Item): void {
		if (this.failure) throw this.failure;
		this.items.push(item);
		this.draining ??= this.drain().then(
			() => {
				this.draining = undefined;
			},
			(cause: Error) => {
				const error = isSinkError(cause) ? cause : writeFailed(this.options.target, this.fileName, cause);
				this.failure = error;
				this.draining = undefined;
				this.options.onFailure(error);
			},
		);
	}

	private async drain(): Promise<void> {
		// let the socket's other events of this tick join the batch
		await new Promise<void>((resolve) => setImmediate(resolve));
		while (this.items.length > 0) {
			const batch: Buffer[] = [];
			let syncWanted = false;
			// one splice for the batch: shift() per item is quadratic when a stall has queued many events
			let taken = 0;
			for (; taken < this.items.length; taken++) {
				const item = this.items[taken]!;
				if (item.kind === 'data') {
					batch.push(item.bytes);
				} else if (item.kind === 'boundary') {
					this.written = item.boundary;
					if (this.options.syncEveryCommit) syncWanted = true;
				} else if (item.kind === 'sync') {
					syncWanted = true;
				} else {
					break;
				}
			}
			this.items.splice(0, taken);
			if (batch.length > 0) await this.write(batch);
			if (syncWanted) await this.syncNow();
			const next = this.items[0];
			if (next?.kind === 'switch') {
				this.items.shift();
				await this.openFile(next.file, next.position);
			} else if (next?.kind === 'finish') {
				this.items.shift();
				await this.closeCurrent();
			}
			if (this.paused && this.queuedBytes < this.highWater / 4) {
				this.paused = false;
				this.options.onResume();
			}
		}
	}

	private async write(batch: Buffer[]): Promise<void> {
		if (!this.handle) throw new WorkError({code: 'BINLOG_NO_FILE', message: 'an event arrived before the server named the binlog file it belongs to'});
		const bytes = batch.length === 1 ? batch[0]! : Buffer.concat(batch);
		await this.handle.write(bytes);
		this.offset += bytes.length;
		this.queuedBytes -= bytes.length;
		this.unsynced = true;
	}

	private async syncNow(): Promise<void> {
		if (this.handle && this.unsynced) await this.handle.sync();
		this.unsynced = false;
		if (this.written && this.written !== this.durable) {
			this.durable = this.written;
			this.options.onDurable(this.written);
		}
	}

	private async closeCurrent(): Promise<void> {
		const previous = this.fileName;
		if (this.handle) {
			await this.syncNow();
			await this.handle.close();
			this.handle = undefined;
		}
		this.fileName = undefined;
		if (previous !== undefined) {
			await clearInUse(this.options.target, previous);
			this.options.onFileClosed(previous);
		}
	}

	private async openFile(file: string, position: number): Promise<void> {
		if (this.fileName !== file) {
			await this.closeCurrent();
		} else if (this.handle) {
			await this.syncNow();
			await this.handle.close();
			this.handle = undefined;
		}
		const {target} = this.options;
		const full = target.describe(file);
		if (position === FIRST_EVENT_POSITION) {
			this.handle = await createFresh(target, file);
			await this.handle.write(BINLOG_MAGIC);
		} else {
			const size = await target.stat(file).then((info) => info?.bytes ?? -1, () => -1);
			if (size !== position) {
				throw new WorkError({
					code: 'BINLOG_COPY_MISMATCH',
					message: `cannot continue ${full} at position ${position}: the file is ${size < 0 ? 'missing' : `${size} bytes long`}`,
					hint: 'The copy in the output directory does not match the resume point; move the directory away and stream again.',
				});
			}
			// appended at its end; a copy made by an older version may be 0640, openAppend makes it 0600
			this.handle = await target.openAppend(file, {create: 'existing'});
		}
		this.fileName = file;
		this.offset = position;
	}
}

/**
 * A new file of the copy (0600, as every artifact). A file already there is only replaced when it holds no
 * more than the magic (a crash right after creating it); anything longer is not ours to overwrite.
 */
async function createFresh(target: AppendableTarget, file: string): Promise<AppendableArtifact> {
	try {
		return await target.openAppend(file, {create: 'new'});
	} catch (error) {
		if ((error as {code?: unknown}).code !== 'ARTIFACT_EXISTS') throw error;
	}
	const size = (await target.stat(file))?.bytes ?? 0;
	if (size > BINLOG_MAGIC.length) {
		throw new WorkError({
			code: 'BINLOG_COPY_MISMATCH',
			message: `cannot start ${target.describe(file)}: a ${size}-byte file of that name is already there`,
			hint: 'The copy in the output directory does not match what the server sends; move the file (or the directory) away and stream again.',
		});
	}
	return target.openAppend(file, {create: 'existing', truncateTo: 0});
}

/**
 * What the server does when it closes a binlog: clear the in-use flag of its format description event,
 * one byte rewritten in place (on an object store, in the segment that holds it).
 */
export async function clearInUse(target: AppendableTarget, name: string): Promise<void> {
	const flags = await readBytes(target, name, FORMAT_DESCRIPTION_FLAGS_OFFSET, FORMAT_DESCRIPTION_FLAGS_OFFSET + 1);
	if (flags.length !== 1 || (flags[0]! & LOG_EVENT_BINLOG_IN_USE_F) === 0) return;
	if (!target.overwriteAt) throw new Error(`${target.describe(name)}: this target cannot rewrite a byte in place to clear the binlog's in-use flag`);
	await target.overwriteAt(name, FORMAT_DESCRIPTION_FLAGS_OFFSET, Buffer.from([flags[0]! & ~LOG_EVENT_BINLOG_IN_USE_F]));
}

/** The sink's own refusals (BINLOG_COPY_MISMATCH, BINLOG_NO_FILE) are reported as they are. */
function isSinkError(error: unknown): error is DbBackupError {
	return error instanceof DbBackupError && error.code.startsWith('BINLOG_');
}

/**
 * A write, sync or open of the copy failed (disk full, a read-only or vanished directory): named, not a
 * bug. The target words a disk-level refusal itself (DISK_FULL …); it stays the cause, and the message
 * keeps the system's words as before.
 */
function writeFailed(target: AppendableTarget, file: string | undefined, cause: Error): WorkError {
	const reason = cause instanceof DbBackupError && cause.cause instanceof Error ? cause.cause : cause;
	return new WorkError({
		code: 'BINLOG_WRITE_FAILED',
		message: `writing the binlog copy ${target.describe(file ?? '')} failed: ${reason.message}`,
		hint: 'Free space or fix the directory, then run binlog-stream again: it resumes from the last complete transaction.',
		cause,
	});
}
