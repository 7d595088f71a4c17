import {DbBackupError, IntegrityError, WorkError} from '../../core/errors.ts';
import {formatLsn, segmentFileName, segmentOf, segmentStart, type Lsn} from '../../core/pg-replication/lsn.ts';
import type {AppendableArtifact, AppendableTarget} from '../../storage/target/types.ts';
import {readSegmentHeader} from '../protocol.ts';
import {partialName} from '../store/layout.ts';

export interface SegmentSinkOptions {
	/** the store: every segment being filled is an appendable artifact `SEGMENT.partial` of it */
	target: AppendableTarget;
	segmentBytes: number;
	/** the cluster's system identifier: each segment's first page must carry it */
	systemId: string;
	/** sync after every batch written (--sync always: all the messages that arrived together share one sync) */
	syncEveryWrite: boolean;
	/** bytes queued above which the source is held, and below a quarter of which it goes on (default 2 MiB: 8 MiB cost 14 MiB of peak RSS catching up, and no speed) */
	highWaterBytes?: number;
	/** everything before `lsn` is durable (a sync finished) */
	onSynced(lsn: Lsn): void;
	/** the segment `name` is full, synced and closed: it can be completed (renamed, compressed, indexed) */
	onSegmentFull(name: string): void;
	/** writing failed (disk full, a segment that is not the cluster's): the stream must stop */
	onFailure(error: Error): void;
}

/**
 * Writes the WAL the server sends into segment files named as the server names them, in order, on one
 * async queue: the messages that arrive together go out in one write, cut where a segment ends; a full
 * segment is synced and closed before the next one is opened.
 */
export class WalSegmentSink {
	private timeline = 0;
	/** the end of what was handed to the sink: where the next bytes must start */
	position: Lsn = 0n;
	/** the end of what is written to the store */
	written: Lsn = 0n;
	/** the end of what is durable */
	synced: Lsn = 0n;
	private handle: AppendableArtifact | undefined;
	private handleName: string | undefined;
	private unsynced = false;
	private pending: Buffer[] = [];
	private pendingBytes = 0;
	private writeQueued = false;
	private chain: Promise<unknown> = Promise.resolve();
	private failure: Error | undefined;
	private waiters: Array<() => void> = [];
	private readonly highWater: number;
	private readonly segmentSize: bigint;

	constructor(private readonly options: SegmentSinkOptions) {
		this.highWater = options.highWaterBytes ?? 2 * 1024 * 1024;
		this.segmentSize = BigInt(options.segmentBytes);
	}

	/** Where the stream starts: `lsn` of `timeline` (the segment's `.partial` must hold exactly the bytes before it). */
	begin(timeline: number, lsn: Lsn): void {
		this.timeline = timeline;
		this.position = this.written = this.synced = lsn;
	}

	/** The segment file the next byte goes to. */
	get currentSegment(): string {
		return segmentFileName(this.timeline, segmentOf(this.written, this.options.segmentBytes), this.options.segmentBytes);
	}

	/** Queues WAL bytes that start at `position`; a returned promise holds the source until the queue drains. */
	append(bytes: Buffer): Promise<void> | undefined {
		if (this.failure) throw this.failure;
		// the payload is only valid during the callback that hands it over
		const copy = Buffer.from(bytes);
		this.pending.push(copy);
		this.pendingBytes += copy.length;
		this.position += BigInt(copy.length);
		if (!this.writeQueued) {
			this.writeQueued = true;
			void this.enqueue(async () => {
				// the socket's other messages of this tick join the batch
				await new Promise<void>((resolve) => setImmediate(resolve));
				this.writeQueued = false;
				await this.writePending();
				if (this.options.syncEveryWrite) await this.syncNow();
			}).catch(() => {});
		}
		if (this.pendingBytes <= this.highWater) return undefined;
		return new Promise<void>((resolve) => this.waiters.push(resolve));
	}

	/** Writes and syncs everything queued so far; resolves with the end of what is durable. */
	sync(): Promise<Lsn> {
		return this.enqueue(async () => {
			await this.writePending();
			await this.syncNow();
			return this.synced;
		});
	}

	/**
	 * The server ended `timeline`: what was written of it is synced and its last segment closed (it stays
	 * `.partial`, as the server leaves it), and the stream goes on at `lsn` of the next timeline.
	 */
	switchTimeline(timeline: number, lsn: Lsn): Promise<void> {
		return this.enqueue(async () => {
			await this.writePending();
			await this.closeHandle();
			this.begin(timeline, lsn);
		});
	}

	/** Writes, syncs and closes; the sink is done. */
	close(): Promise<void> {
		return this.enqueue(async () => {
			await this.writePending();
			await this.closeHandle();
		});
	}

	private enqueue<T>(work: () => Promise<T>): Promise<T> {
		const run = this.chain.then(() => {
			if (this.failure) throw this.failure;
			return work();
		});
		this.chain = run.catch((cause: unknown) => {
			if (this.failure) return;
			this.failure = isSinkError(cause) ? cause : writeFailed(this.options.target, this.handleName, cause as Error);
			this.release();
			this.options.onFailure(this.failure);
		});
		return run.catch((cause: unknown) => {
			throw this.failure ?? cause;
		});
	}

	private release(): void {
		const waiting = this.waiters;
		this.waiters = [];
		for (const resolve of waiting) resolve();
	}

	private async writePending(): Promise<void> {
		const buffers = this.pending;
		this.pending = [];
		let group: Buffer[] = [];
		let groupBytes = 0;
		const flushGroup = async () => {
			if (groupBytes === 0) return;
			await this.writeToSegment(group.length === 1 ? group[0]! : Buffer.concat(group, groupBytes));
			this.pendingBytes -= groupBytes;
			group = [];
			groupBytes = 0;
			if (this.pendingBytes < this.highWater / 4) this.release();
		};
		for (const buffer of buffers) {
			let offset = 0;
			while (offset < buffer.length) {
				const at = this.written + BigInt(groupBytes);
				const room = Number(this.segmentSize - (at % this.segmentSize));
				const piece = buffer.subarray(offset, offset + room);
				group.push(piece);
				groupBytes += piece.length;
				offset += piece.length;
				if (piece.length === room) {
					await flushGroup();
					await this.finishSegment();
				}
			}
		}
		await flushGroup();
	}

	private async writeToSegment(bytes: Buffer): Promise<void> {
		const offset = this.written % this.segmentSize;
		if (!this.handle) await this.openSegment(offset);
		if (offset === 0n) this.checkFirstPage(bytes);
		await this.handle!.write(bytes);
		this.written += BigInt(bytes.length);
		this.unsynced = true;
	}

	/** The first page of a segment names its cluster, its segment size and its own position. */
	private checkFirstPage(bytes: Buffer): void {
		const header = readSegmentHeader(bytes);
		if (!header) {
			if (bytes.length < 40) return;
			throw new IntegrityError({code: 'WAL_GAP', message: `the server sent ${this.currentSegment} without the long page header a segment starts with`, hint: 'Run wal-stream again; report this if it repeats.'});
		}
		const start = segmentStart(segmentOf(this.written, this.options.segmentBytes), this.options.segmentBytes);
		if (header.systemId !== this.options.systemId) {
			throw new IntegrityError({
				code: 'WAL_SYSTEM_ID_MISMATCH',
				message: `the server sent ${this.currentSegment} of system ${header.systemId}, but the stream is of system ${this.options.systemId}; it was not written`,
				hint: 'Another cluster answered on the same address: check --host/--port.',
			});
		}
		if (header.pageAddress !== start || header.segmentBytes !== this.options.segmentBytes) {
			throw new IntegrityError({
				code: 'WAL_GAP',
				message: `the server sent WAL for ${formatLsn(header.pageAddress)} (segments of ${header.segmentBytes} bytes) where ${this.currentSegment} starts at ${formatLsn(start)}`,
				hint: 'Run wal-stream again; report this if it repeats.',
			});
		}
	}

	private async openSegment(offset: bigint): Promise<void> {
		const name = this.currentSegment;
		const file = partialName(name);
		const {target} = this.options;
		if (offset === 0n) {
			try {
				this.handle = await target.openAppend(file, {create: 'new'});
			} catch (error) {
				if ((error as {code?: unknown}).code !== 'ARTIFACT_EXISTS') throw error;
				// left by a run that stopped before anything of it was durable: the server sends it all again
				this.handle = await target.openAppend(file, {create: 'existing', truncateTo: 0});
			}
		} else {
			this.handle = await target.openAppend(file, {create: 'existing'});
			if (BigInt(this.handle.size) !== offset) {
				const size = this.handle.size;
				await this.handle.close();
				this.handle = undefined;
				throw new WorkError({
					code: 'WAL_WRITE_FAILED',
					message: `cannot continue ${target.describe(file)} at byte ${offset}: it has ${size}`,
					hint: 'Something else changed the store while the streamer held it; run wal-stream again.',
				});
			}
		}
		this.handleName = name;
	}

	private async syncNow(): Promise<void> {
		if (this.handle && this.unsynced) await this.handle.sync();
		this.unsynced = false;
		if (this.written !== this.synced) {
			this.synced = this.written;
			this.options.onSynced(this.synced);
		}
	}

	private async finishSegment(): Promise<void> {
		const name = this.handleName!;
		await this.closeHandle();
		this.options.onSegmentFull(name);
	}

	private async closeHandle(): Promise<void> {
		if (!this.handle) return;
		await this.syncNow();
		await this.handle.close();
		this.handle = undefined;
		this.handleName = undefined;
	}
}

/** The sink's own refusals (a foreign segment, a mismatch) are reported as they are. */
function isSinkError(error: unknown): error is DbBackupError {
	return error instanceof DbBackupError && error.code.startsWith('WAL_');
}

/** A write, sync or open of the store failed (disk full, a read-only or vanished directory): named, not a bug. */
function writeFailed(target: AppendableTarget, segment: string | undefined, cause: Error): WorkError {
	const reason = cause instanceof DbBackupError && cause.cause instanceof Error ? cause.cause : cause;
	return new WorkError({
		code: 'WAL_WRITE_FAILED',
		message: `writing the WAL store ${target.describe(segment === undefined ? '' : partialName(segment))} failed: ${reason.message}`,
		hint: 'Free space or fix the store, then run wal-stream again: it resumes from its checkpoint.',
		cause,
	});
}
