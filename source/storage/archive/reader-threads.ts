import {availableParallelism} from 'node:os';
import {WorkerPool, type Job, type JobListener, type WorkerThreadError} from '../workers/pool.ts';
import type {ByteRange, MemberProblem, PieceRequest, RangeHash, ReadReply, ReadRequest, ReadWorkerData} from '../workers/read-protocol.ts';

/*
 * The archive reader's threads (a pool of workers/pool.ts running workers/read-worker.ts), one per
 * core (at most four), started when first needed and shared by:
 *
 * - Members read as pieces: the stored bytes are read from the file, counted, hashed when asked, and
 *   decompressed (zstd, or none) straight into a few slots of shared memory that the reader hands out
 *   as pieces and takes back when released. Nothing is allocated per piece, so streaming a gigabyte
 *   costs the main thread no garbage collection and no copies, only two small messages per piece. A
 *   member's problems (cut, wrong size or SHA-256, corrupt frame) are found by the thread and reported
 *   in place of the end, so a consumer that waits for the end never takes bad data as whole.
 * - SHA-256 of byte ranges of a file, for checking a whole archive on every core.
 */

export type {ByteRange, MemberProblem, PieceRequest, RangeHash} from '../workers/read-protocol.ts';

/** Bytes per piece: large enough that the two messages per piece cost nothing next to its bytes. */
const SLOT_BYTES = 1024 * 1024;
/** Pieces in flight per member: one being written, one ready, one being filled. */
const SLOT_COUNT = 3;
/** Stored bytes read at a time: small enough to be still in the CPU cache when they are hashed or decompressed. */
const INPUT_BYTES = 256 * 1024;
const MAX_THREADS = 4;

/** A stretch of a member's content, valid until release(); release every piece exactly once. */
export interface MemberPiece {
	data: Buffer;
	release(): void;
}

/** The most threads the pool starts: one per core, at most four. */
export function readerThreadLimit(): number {
	return Math.min(availableParallelism(), MAX_THREADS);
}

const workerData: ReadWorkerData = {inputBytes: INPUT_BYTES};
const pool = new WorkerPool<ReadRequest, ReadReply>({entry: 'read-worker', name: 'archive reading', limit: readerThreadLimit, workerData});

/** slot memory of finished members, for the next ones: a new SharedArrayBuffer per member would pile up between collections */
const spareSlots: SharedArrayBuffer[] = [];
const MAX_SPARE_SLOTS = 8;

/** One member being read: the pieces the thread has filled, waiting for the consumer. */
class PieceSession implements AsyncIterableIterator<MemberPiece> {
	private readonly job: Job<ReadRequest, ReadReply>;
	private readonly slots = spareSlots.pop() ?? new SharedArrayBuffer(SLOT_BYTES * SLOT_COUNT);
	private readonly ready: MemberPiece[] = [];
	/** pieces handed out and not released yet */
	private outstanding = 0;
	/** the thread is done with the slots (it ended the member, or found it bad) */
	private workerDone = false;
	private ended = false;
	private closed = false;
	private problem: MemberProblem | undefined;
	private wake: (() => void) | undefined;

	constructor(
		request: PieceRequest,
		private readonly toError: (problem: MemberProblem) => Error,
	) {
		this.job = pool.open({onReply: (reply) => this.onReply(reply), onFailure: (error) => this.onFailure(error)});
		this.job.awaitReplies(true);
		this.job.send({op: 'open', ...request, slots: this.slots, slotBytes: SLOT_BYTES, slotCount: SLOT_COUNT});
	}

	[Symbol.asyncIterator](): this {
		return this;
	}

	async next(): Promise<IteratorResult<MemberPiece>> {
		for (;;) {
			const piece = this.ready.shift();
			if (piece) return {value: piece, done: false};
			if (this.problem) throw this.toError(this.problem);
			if (this.ended || this.closed) return {value: undefined, done: true};
			await new Promise<void>((resolve) => (this.wake = resolve));
		}
	}

	/** The consumer stopped early: the thread drops the member; pieces already handed out stay valid. */
	async return(): Promise<IteratorResult<MemberPiece>> {
		this.close();
		return {value: undefined, done: true};
	}

	private onFailure(error: WorkerThreadError): void {
		this.problem = {kind: 'read', message: error.message, code: error.code};
		// workerDone stays false: the thread failed, and may not have stopped writing
		this.job.end();
		this.wakeUp();
	}

	private onReply(reply: ReadReply): void {
		if ('hashed' in reply) return;
		if ('problem' in reply) {
			this.problem = reply.problem;
			this.workerDone = true;
			this.job.end();
		} else {
			if (reply.length > 0) this.ready.push(this.piece(reply.slot, reply.length));
			else if (!reply.end) this.release(reply.slot);
			if (reply.end) {
				this.ended = true;
				this.workerDone = true;
				this.job.end();
			}
		}
		this.wakeUp();
	}

	private wakeUp(): void {
		this.recycle();
		const wake = this.wake;
		this.wake = undefined;
		wake?.();
	}

	private piece(slot: number, length: number): MemberPiece {
		let released = false;
		this.outstanding += 1;
		return {
			data: Buffer.from(this.slots, slot * SLOT_BYTES, length),
			release: () => {
				if (released) return;
				released = true;
				this.outstanding -= 1;
				this.release(slot);
			},
		};
	}

	private release(slot: number): void {
		if (this.ended || this.closed || this.problem) {
			this.recycle();
			return;
		}
		this.job.send({op: 'release', slot});
	}

	private close(): void {
		if (this.closed) return;
		this.closed = true;
		// pieces never handed out will not be released
		this.outstanding -= this.ready.length;
		this.ready.length = 0;
		if (!this.ended && !this.problem) this.job.send({op: 'close'});
		this.job.end();
		this.recycle();
	}

	/**
	 * The slots go to the next member once the worker will not write them again and no piece of them is
	 * out. A member given up early is not recycled: its thread may still be filling a slot.
	 */
	private recycle(): void {
		if (!this.workerDone || this.outstanding > 0) return;
		if (spareSlots.length < MAX_SPARE_SLOTS && !spareSlots.includes(this.slots)) spareSlots.push(this.slots);
		this.workerDone = false;
	}
}

/**
 * The content of one member as pieces, read and checked on a pool thread (see above). The iterator
 * throws `toError(problem)` in place of its end when the member is bad; stopping early drops the member.
 */
export function readPieces(request: PieceRequest, toError: (problem: MemberProblem) => Error): AsyncIterableIterator<MemberPiece> {
	return new PieceSession(request, toError);
}

/**
 * The SHA-256 of each range of the file at `filePath`, in the order of `ranges`, hashed on `threads`
 * threads of the pool at once, largest ranges first. A read failure rejects with an error carrying its
 * errno code.
 */
export async function hashRangesOnThreads(filePath: string, ranges: readonly ByteRange[], threads: number): Promise<RangeHash[]> {
	const results: RangeHash[] = new Array(ranges.length);
	// largest first, so that no thread is left with a big range at the end
	const queue = ranges.map((_, index) => index).sort((a, b) => ranges[b]!.size - ranges[a]!.size);
	let failure: Error | undefined;
	await Promise.all(
		pool.openSpread(threads, () => new HashLane()).map(async (job) => {
			const lane = job.listener as HashLane;
			job.awaitReplies(true);
			try {
				for (let index = queue.shift(); index !== undefined && !failure; index = queue.shift()) {
					const reply = await lane.ask(job, ranges[index]!, filePath);
					if ('hashed' in reply) results[index] = reply.hashed;
					else if ('problem' in reply && reply.problem.kind === 'read') failure ??= Object.assign(new Error(reply.problem.message), reply.problem.code ? {code: reply.problem.code} : {});
					else failure ??= new Error('the archive reading thread gave an unexpected answer');
				}
			} finally {
				job.end();
			}
		}),
	);
	if (failure) throw failure;
	return results;
}

/** One thread's share of hashRangesOnThreads: one range at a time. */
class HashLane implements JobListener<ReadReply> {
	private answer: ((reply: ReadReply) => void) | undefined;

	ask(job: Job<ReadRequest, ReadReply>, range: ByteRange, path: string): Promise<ReadReply> {
		return new Promise((resolve) => {
			this.answer = resolve;
			job.send({op: 'hash', path, ...range});
		});
	}

	onReply(reply: ReadReply): void {
		this.answer?.(reply);
	}

	onFailure(error: WorkerThreadError): void {
		this.onReply({id: 0, problem: {kind: 'read', message: error.message, code: error.code}});
	}
}
