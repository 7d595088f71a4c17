import {createRequire} from 'node:module';
import {availableParallelism} from 'node:os';
import {Worker} from 'node:worker_threads';

/*
 * The archive reader's threads, one per core (at most four), started when first needed and shared by:
 *
 * - Members read as pieces: the stored bytes are read from the file, counted, hashed when asked, and
 *   decompressed (zstd, or none) straight into a few slots of shared memory that the reader hands out
 *   as pieces and takes back when released. Nothing is allocated per piece, so streaming a gigabyte
 *   costs the main thread no garbage collection and no copies, only two small messages per piece. A
 *   member's problems (cut, wrong size or SHA-256, corrupt frame) are found by the thread and reported
 *   in place of the end, so a consumer that waits for the end never takes bad data as whole.
 * - SHA-256 of byte ranges of a file, for checking a whole archive on every core.
 *
 * The worker is plain CommonJS evaluated from a string so a single-file build needs no extra file.
 */
const WORKER_SOURCE = `
const {parentPort, workerData} = require('node:worker_threads');
const {closeSync, openSync, readSync} = require('node:fs');
const {createHash} = require('node:crypto');
let zstd;
const sessions = new Map();
let hashBuffer;
// a decompression context holds its window (megabytes of native memory) until this thread collects
// garbage, which it hardly makes: contexts and input buffers go back here for the next member
const spare = [];

function finish(session, problem) {
	sessions.delete(session.id);
	try { closeSync(session.fd); } catch {}
	session.finished = true;
	if (session.dctx) {
		session.dctx.reset(zstd.ResetDirective.sessionOnly);
		spare.push({dctx: session.dctx, input: session.input});
		session.dctx = null;
	}
	return problem;
}

/** Reads up to \`length\` stored bytes into \`target\` at \`offset\`: counted and hashed. Zero at the end of the member. */
function readStored(session, target, offset, length) {
	const want = Math.min(length, session.end - session.position);
	if (want === 0) return 0;
	const read = readSync(session.fd, target, offset, want, session.position);
	if (read === 0) return -1;
	if (session.hash) session.hash.update(target.subarray(offset, offset + read));
	session.position += read;
	session.stored += read;
	return read;
}

/** The problem with the member once its input is used up, or null. */
function endProblem(session) {
	if (session.stored !== session.size) return {kind: 'stored-size', bytes: session.stored};
	if (session.hash) {
		const sha256 = session.hash.digest('hex');
		if (sha256 !== session.sha256) return {kind: 'sha256', sha256};
	}
	if (session.frameOpen) return {kind: 'corrupt', message: 'the zstd data ends in the middle of a frame'};
	if (session.raw !== session.rawBytes) return {kind: 'raw-size', bytes: session.raw};
	return null;
}

/** Fills slot \`slot\`; returns its length and, at the end of the member, the problem or null. */
function fill(session, slot) {
	const target = session.slots.subarray(slot * session.slotBytes, (slot + 1) * session.slotBytes);
	let filled = 0;
	if (!session.dctx) {
		while (filled < target.length) {
			const read = readStored(session, target, filled, target.length - filled);
			if (read === -1) return {filled, end: true, problem: {kind: 'stored-size', bytes: session.stored}};
			if (read === 0) break;
			filled += read;
		}
		session.raw += filled;
		return session.position < session.end ? {filled, end: false} : {filled, end: true, problem: endProblem(session)};
	}
	for (;;) {
		if (session.pending.length === 0 && session.position < session.end) {
			const read = readStored(session, session.input, 0, session.input.length);
			if (read === -1) return {filled, end: true, problem: {kind: 'stored-size', bytes: session.stored}};
			session.pending = session.input.subarray(0, read);
		}
		const [remaining, produced, consumed] = session.dctx.decompressStream(target.subarray(filled), session.pending);
		filled += produced;
		session.raw += produced;
		session.pending = session.pending.subarray(consumed);
		// a crafted member may inflate far past what the manifest promised: stop as soon as it does
		if (session.raw > session.rawBytes) return {filled, end: true, problem: {kind: 'raw-size', bytes: session.raw}};
		// 0: the frame is decoded and flushed. Called again without input after that, zstd answers how
		// much the next frame's header needs, which says nothing about the frame just done.
		if (consumed > 0) session.frameOpen = remaining !== 0;
		else if (remaining === 0) session.frameOpen = false;
		if (filled === target.length) return {filled, end: false};
		// room left in the output with the input used up: zstd holds nothing more back
		if (session.pending.length === 0 && session.position >= session.end) return {filled, end: true, problem: endProblem(session)};
	}
}

function produce(session) {
	while (!session.finished && session.free.length > 0) {
		const slot = session.free.shift();
		let result;
		try {
			result = fill(session, slot);
		} catch (error) {
			const message = error instanceof Error ? error.message : String(error);
			// a failed system call (fs errors name theirs) is a read failure; anything else is zstd refusing the data
			const problem = error && error.syscall ? {kind: 'read', message, code: error.code} : {kind: 'corrupt', message};
			parentPort.postMessage({id: session.id, problem: finish(session, problem)});
			return;
		}
		if (!result.end) {
			parentPort.postMessage({id: session.id, slot, length: result.filled});
			continue;
		}
		const problem = finish(session, result.problem);
		parentPort.postMessage(problem ? {id: session.id, problem} : {id: session.id, slot, length: result.filled, end: true});
	}
}

parentPort.on('message', (message) => {
	if (message.op === 'open') {
		const session = {
			id: message.id, size: message.size, rawBytes: message.rawBytes, sha256: message.sha256,
			position: message.start, end: message.start + message.size, stored: 0, raw: 0,
			hash: message.sha256 ? createHash('sha256') : null, dctx: null, input: null, pending: null, frameOpen: false,
			slots: new Uint8Array(message.slots), slotBytes: message.slotBytes, free: [], finished: false, fd: -1,
		};
		for (let slot = 0; slot < message.slotCount; slot++) session.free.push(slot);
		try {
			session.fd = openSync(message.path, 'r');
			if (message.compression === 'zstd') {
				zstd ??= require(workerData.bindingPath);
				const reused = spare.pop();
				session.dctx = reused ? reused.dctx : new zstd.DCtx();
				session.input = reused ? reused.input : Buffer.allocUnsafe(workerData.inputBytes);
				session.pending = session.input.subarray(0, 0);
			}
		} catch (error) {
			if (session.fd !== -1) try { closeSync(session.fd); } catch {}
			parentPort.postMessage({id: session.id, problem: {kind: 'read', message: error.message, code: error.code}});
			return;
		}
		sessions.set(session.id, session);
		produce(session);
	} else if (message.op === 'release') {
		const session = sessions.get(message.id);
		if (!session) return;
		session.free.push(message.slot);
		produce(session);
	} else if (message.op === 'close') {
		const session = sessions.get(message.id);
		if (session) finish(session, null);
	} else if (message.op === 'hash') {
		hashBuffer ??= Buffer.allocUnsafe(workerData.inputBytes);
		let fd = -1;
		try {
			fd = openSync(message.path, 'r');
			const hash = createHash('sha256');
			let done = 0;
			while (done < message.size) {
				const read = readSync(fd, hashBuffer, 0, Math.min(hashBuffer.length, message.size - done), message.start + done);
				if (read === 0) break;
				hash.update(hashBuffer.subarray(0, read));
				done += read;
			}
			parentPort.postMessage({id: message.id, hashed: {bytes: done, sha256: hash.digest('hex')}});
		} catch (error) {
			parentPort.postMessage({id: message.id, problem: {kind: 'read', message: error.message, code: error.code}});
		} finally {
			if (fd !== -1) try { closeSync(fd); } catch {}
		}
	}
});
`;

/** Bytes per piece: large enough that the two messages per piece cost nothing next to its bytes. */
const SLOT_BYTES = 1024 * 1024;
/** Pieces in flight per member: one being written, one ready, one being filled. */
const SLOT_COUNT = 3;
/** Stored bytes read at a time: small enough to be still in the CPU cache when they are hashed or decompressed. */
const INPUT_BYTES = 256 * 1024;
const MAX_THREADS = 4;

/** What the worker found wrong with a member, for the reader to word as an error naming member and archive. */
export type MemberProblem =
	| {kind: 'stored-size'; bytes: number}
	| {kind: 'sha256'; sha256: string}
	| {kind: 'raw-size'; bytes: number}
	| {kind: 'corrupt'; message: string}
	| {kind: 'read'; message: string; code?: string};

/** A stretch of a member's content, valid until release(); release every piece exactly once. */
export interface MemberPiece {
	data: Buffer;
	release(): void;
}

export interface PieceRequest {
	path: string;
	/** where the member's stored bytes start in the file, and how many there are */
	start: number;
	size: number;
	compression: 'zstd' | 'none';
	/** bytes after decompression */
	rawBytes: number;
	/** when given, the stored bytes must hash to it */
	sha256?: string;
}

export interface ByteRange {
	start: number;
	size: number;
}

export interface RangeHash {
	/** bytes read: fewer than the range's size when the file ends first */
	bytes: number;
	sha256: string;
}

type Reply =
	| {id: number; slot: number; length: number; end?: boolean}
	| {id: number; hashed: RangeHash}
	| {id: number; problem: MemberProblem};

/** Whoever waits for the answers to one request id. */
interface Listener {
	onReply(reply: Reply): void;
}

interface PoolWorker {
	worker: Worker;
	/** requests in progress; the thread keeps the process alive only while there are some */
	sessions: Map<number, Listener>;
}

const requireFromHere = createRequire(import.meta.url);
const workers: PoolWorker[] = [];
/** slot memory of finished members, for the next ones: a new SharedArrayBuffer per member would pile up between collections */
const spareSlots: SharedArrayBuffer[] = [];
const MAX_SPARE_SLOTS = 8;
let nextRequestId = 1;

function spawnWorker(): PoolWorker {
	// execArgv: [] so flags of the main process (--import tsx…) do not change how the worker's CommonJS source runs
	const worker = new Worker(WORKER_SOURCE, {
		eval: true,
		execArgv: [],
		workerData: {bindingPath: requireFromHere.resolve('zstd-napi/binding'), inputBytes: INPUT_BYTES},
	});
	const entry: PoolWorker = {worker, sessions: new Map()};
	worker.on('message', (reply: Reply) => entry.sessions.get(reply.id)?.onReply(reply));
	const fail = (error: Error) => {
		const index = workers.indexOf(entry);
		if (index !== -1) workers.splice(index, 1);
		for (const session of entry.sessions.values()) session.onReply({id: 0, problem: {kind: 'read', message: error.message}});
		entry.sessions.clear();
	};
	worker.on('error', fail);
	worker.on('exit', (code) => fail(new Error(`the archive reading thread exited (code ${code})`)));
	// after the listeners: adding a 'message' listener refs the worker again; a session refs it while open
	worker.unref();
	workers.push(entry);
	return entry;
}

/** The most threads the pool starts: one per core, at most four. */
export function readerThreadLimit(): number {
	return Math.min(availableParallelism(), MAX_THREADS);
}

/** An idle worker, a new one while the pool is below its limit, else the least busy. */
function pickWorker(): PoolWorker {
	const idle = workers.find((entry) => entry.sessions.size === 0);
	if (idle) return idle;
	if (workers.length < readerThreadLimit()) return spawnWorker();
	return workers.reduce((best, entry) => (entry.sessions.size < best.sessions.size ? entry : best));
}

function listen(entry: PoolWorker, id: number, listener: Listener): void {
	entry.sessions.set(id, listener);
	if (entry.sessions.size === 1) entry.worker.ref();
}

function unlisten(entry: PoolWorker, id: number): void {
	if (!entry.sessions.delete(id)) return;
	if (entry.sessions.size === 0) entry.worker.unref();
}

/** One member being read: the pieces the worker has filled, waiting for the consumer. */
class PieceSession implements AsyncIterableIterator<MemberPiece> {
	private readonly id = nextRequestId++;
	private readonly entry: PoolWorker;
	private readonly slots = spareSlots.pop() ?? new SharedArrayBuffer(SLOT_BYTES * SLOT_COUNT);
	private readonly ready: MemberPiece[] = [];
	/** pieces handed out and not released yet */
	private outstanding = 0;
	/** the worker is done with the slots (it ended the member, or found it bad) */
	private workerDone = false;
	private ended = false;
	private closed = false;
	private problem: MemberProblem | undefined;
	private wake: (() => void) | undefined;

	constructor(
		request: PieceRequest,
		private readonly toError: (problem: MemberProblem) => Error,
	) {
		this.entry = pickWorker();
		listen(this.entry, this.id, this);
		this.entry.worker.postMessage({op: 'open', id: this.id, ...request, slots: this.slots, slotBytes: SLOT_BYTES, slotCount: SLOT_COUNT});
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

	/** The consumer stopped early: the worker drops the member; pieces already handed out stay valid. */
	async return(): Promise<IteratorResult<MemberPiece>> {
		this.close();
		return {value: undefined, done: true};
	}

	/** @internal the worker's answer */
	onReply(reply: Reply): void {
		if ('hashed' in reply) return;
		if ('problem' in reply) {
			this.problem = reply.problem;
			// id 0: the thread failed, and may not have stopped writing
			this.workerDone = reply.id !== 0;
			this.detach();
		} else {
			if (reply.length > 0) this.ready.push(this.piece(reply.slot, reply.length));
			else if (!reply.end) this.release(reply.slot);
			if (reply.end) {
				this.ended = true;
				this.workerDone = true;
				this.detach();
			}
		}
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
		this.entry.worker.postMessage({op: 'release', id: this.id, slot});
	}

	private close(): void {
		if (this.closed) return;
		this.closed = true;
		// pieces never handed out will not be released
		this.outstanding -= this.ready.length;
		this.ready.length = 0;
		if (!this.ended && !this.problem) this.entry.worker.postMessage({op: 'close', id: this.id});
		this.detach();
		this.recycle();
	}

	/**
	 * The slots go to the next member once the worker will not write them again and no piece of them is
	 * out. A member given up early is not recycled: its worker may still be filling a slot.
	 */
	private recycle(): void {
		if (!this.workerDone || this.outstanding > 0) return;
		if (spareSlots.length < MAX_SPARE_SLOTS && !spareSlots.includes(this.slots)) spareSlots.push(this.slots);
		this.workerDone = false;
	}

	private detach(): void {
		unlisten(this.entry, this.id);
	}
}

/**
 * The content of one member as pieces, read and checked on a worker thread (see above). The iterator
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
	while (workers.length < Math.min(threads, readerThreadLimit())) spawnWorker();
	const lanes = [...workers].sort((a, b) => a.sessions.size - b.sessions.size).slice(0, Math.max(1, threads));
	const results: RangeHash[] = new Array(ranges.length);
	// largest first, so that no thread is left with a big range at the end
	const queue = ranges.map((_, index) => index).sort((a, b) => ranges[b]!.size - ranges[a]!.size);
	let failure: Error | undefined;
	await Promise.all(
		lanes.map(async (entry) => {
			for (let index = queue.shift(); index !== undefined && !failure; index = queue.shift()) {
				const id = nextRequestId++;
				const reply = await new Promise<Reply>((resolve) => {
					listen(entry, id, {onReply: resolve});
					entry.worker.postMessage({op: 'hash', id, path: filePath, ...ranges[index]});
				});
				unlisten(entry, id);
				if ('hashed' in reply) results[index] = reply.hashed;
				else if ('problem' in reply && reply.problem.kind === 'read') failure ??= Object.assign(new Error(reply.problem.message), reply.problem.code ? {code: reply.problem.code} : {});
				else failure ??= new Error('the archive reading thread gave an unexpected answer');
			}
		}),
	);
	if (failure) throw failure;
	return results;
}
