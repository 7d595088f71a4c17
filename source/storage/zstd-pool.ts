import {createRequire} from 'node:module';
import {availableParallelism} from 'node:os';
import {Duplex} from 'node:stream';
import {Worker} from 'node:worker_threads';

/*
 * zstd-napi calls the zstd library synchronously on the calling thread (its CompressStream blocks the
 * event loop and several streams share one core). This pool runs zstd contexts in worker threads
 * instead: every stream owns a session on one worker for its whole life, input travels to the worker
 * in batches and output comes back in bounded pieces, each piece waiting for the reader to want more.
 *
 * The worker is plain CommonJS evaluated from a string so a single-file build needs no extra file.
 */
const WORKER_SOURCE = `
const {parentPort, workerData} = require('node:worker_threads');
const zstd = require(workerData.bindingPath);
const PIECE_BYTES = workerData.pieceBytes;
const sessions = new Map();
// Output is produced straight into this buffer (one per worker: messages run one at a time), then
// copied out at its exact size; the input buffer goes back to its stream for the next batch.
const work = new Uint8Array(PIECE_BYTES + Math.max(zstd.cStreamOutSize(), zstd.dStreamOutSize()));

// Contexts of finished sessions, reset and reused: a context's native memory (megabytes) is freed only
// when this thread collects garbage, which it seldom does, so a context per member piled up over a dump.
const freeContexts = {compress: [], decompress: []};
const FREE_CONTEXTS_KEPT = 4;

function openSession(message) {
	if (message.mode === 'compress') {
		const ctx = freeContexts.compress.pop() ?? new zstd.CCtx();
		ctx.reset(zstd.ResetDirective.sessionAndParameters);
		ctx.setParameter(zstd.CParameter.compressionLevel, message.level);
		ctx.setParameter(zstd.CParameter.checksumFlag, 1);
		return {mode: 'compress', ctx, window: zstd.cStreamOutSize(), input: null, spare: null, directive: 0, inFrame: false};
	}
	const ctx = freeContexts.decompress.pop() ?? new zstd.DCtx();
	ctx.reset(zstd.ResetDirective.sessionOnly);
	return {mode: 'decompress', ctx, window: zstd.dStreamOutSize(), input: null, spare: null, directive: 0, inFrame: false};
}

// Ends a session; its context is kept for the next one unless the session failed.
function closeSession(id, failed) {
	const session = sessions.get(id);
	sessions.delete(id);
	if (!session || failed || session.failure || !session.ctx) return;
	const free = freeContexts[session.mode];
	if (free.length < FREE_CONTEXTS_KEPT) free.push(session.ctx);
}

// Runs the session on its pending input until the input is used up (and, when ending, the frame is
// complete) or PIECE_BYTES of output are ready. Returns the output and whether the request is done.
function step(session) {
	let total = 0;
	let done = false;
	while (total < PIECE_BYTES) {
		const target = work.subarray(total, total + session.window);
		let remaining, produced, consumed;
		if (session.mode === 'compress') {
			[remaining, produced, consumed] = session.ctx.compressStream2(target, session.input, session.directive);
		} else {
			[remaining, produced, consumed] = session.ctx.decompressStream(target, session.input);
		}
		total += produced;
		session.input = session.input.subarray(consumed);
		if (session.input.length > 0) continue;
		if (session.mode === 'compress') {
			if (session.directive === zstd.EndDirective.continue || remaining === 0) { done = true; break; }
		} else if (produced < session.window || remaining === 0) {
			session.inFrame = remaining !== 0;
			done = true;
			break;
		}
	}
	return {out: work.slice(0, total), done};
}

function reply(id, session) {
	const {out, done} = step(session);
	const transfer = [out.buffer];
	const message = {id, out, done};
	if (done && session.spare) {
		message.spare = session.spare;
		transfer.push(session.spare.buffer);
		session.spare = null;
	}
	parentPort.postMessage(message, transfer);
	if (done && session.directive === zstd.EndDirective.end) closeSession(id, false);
}

parentPort.on('message', (message) => {
	const {id} = message;
	try {
		if (message.op === 'open') {
			// 'open' gets no answer: a failure waits for the session's first request
			try {
				sessions.set(id, openSession(message));
			} catch (error) {
				sessions.set(id, {failure: error instanceof Error ? error.message : String(error)});
			}
			return;
		}
		if (message.op === 'close') {
			closeSession(id, false);
			return;
		}
		const session = sessions.get(id);
		if (!session || session.failure) {
			closeSession(id, true);
			parentPort.postMessage({id, error: session ? session.failure : 'the zstd session is closed'});
			return;
		}
		if (message.op === 'data') {
			session.input = message.input;
			session.spare = new Uint8Array(message.input.buffer);
			session.directive = zstd.EndDirective.continue;
			reply(id, session);
		} else if (message.op === 'end') {
			if (session.mode === 'decompress') {
				closeSession(id, session.inFrame);
				if (session.inFrame) {
					parentPort.postMessage({id, error: 'the zstd data ends in the middle of a frame'});
					return;
				}
				parentPort.postMessage({id, out: new Uint8Array(0), done: true});
				return;
			}
			session.input = new Uint8Array(0);
			session.directive = zstd.EndDirective.end;
			reply(id, session);
		} else if (message.op === 'more') {
			reply(id, session);
		}
	} catch (error) {
		closeSession(id, true);
		parentPort.postMessage({id, error: error instanceof Error ? error.message : String(error)});
	}
});
`;

/** Input is gathered into batches of this size before it travels to a worker. */
const BATCH_BYTES = 256 * 1024;
/** A worker returns at most about this much output before it waits for the reader. */
const PIECE_BYTES = 1024 * 1024;

type Reply = {id: number; out: Uint8Array; done: boolean; spare?: Uint8Array} | {id: number; error: string};

interface PoolWorker {
	worker: Worker;
	sessions: Map<number, ZstdWorkerStream>;
	/** requests sent and not answered yet; the worker keeps the process alive only while there are some */
	awaiting: number;
}

const requireFromHere = createRequire(import.meta.url);
let bindingPath: string | undefined;
const workers: PoolWorker[] = [];
let nextSessionId = 1;

function spawnWorker(): PoolWorker {
	bindingPath ??= requireFromHere.resolve('zstd-napi/binding');
	// execArgv: [] so flags of the main process (--import tsx, --input-type=module) do not change how the
	// worker's CommonJS source runs
	const worker = new Worker(WORKER_SOURCE, {eval: true, execArgv: [], workerData: {bindingPath, pieceBytes: PIECE_BYTES}});
	const entry: PoolWorker = {worker, sessions: new Map(), awaiting: 0};
	worker.on('message', (message: Reply) => {
		// every request gets exactly one answer
		entry.awaiting--;
		if (entry.awaiting === 0) worker.unref();
		entry.sessions.get(message.id)?.onReply(message);
	});
	const fail = (error: Error) => {
		const index = workers.indexOf(entry);
		if (index !== -1) workers.splice(index, 1);
		for (const session of entry.sessions.values()) session.destroy(error);
		entry.sessions.clear();
	};
	worker.on('error', fail);
	worker.on('exit', (code) => fail(new Error(`the zstd worker thread exited (code ${code})`)));
	// after the listeners: adding a 'message' listener refs the worker again
	worker.unref();
	workers.push(entry);
	return entry;
}

/** An idle worker, a new one while the pool is below one per core, else the least busy. */
function pickWorker(): PoolWorker {
	const idle = workers.find((entry) => entry.sessions.size === 0);
	if (idle) return idle;
	if (workers.length < availableParallelism()) return spawnWorker();
	return workers.reduce((best, entry) => (entry.sessions.size < best.sessions.size ? entry : best));
}

/** Sends a message the worker answers; until it does, the process stays alive to hear the answer. */
function ask(entry: PoolWorker, message: object, transfer: ArrayBuffer[] = []): void {
	if (entry.awaiting === 0) entry.worker.ref();
	entry.awaiting++;
	entry.worker.postMessage(message, transfer);
}

/** A zstd compressor or decompressor whose work happens on a pool thread. Errors carry zstd's message. */
export class ZstdWorkerStream extends Duplex {
	private readonly id = nextSessionId++;
	private readonly entry: PoolWorker;
	private batch: Buffer[] = [];
	private batchBytes = 0;
	/** the buffer of the last batch, back from the worker, reused for the next one */
	private spare: Uint8Array | null = null;
	/** called when the worker has finished the request in flight */
	private requestDone: ((error?: Error | null) => void) | null = null;
	private ending = false;
	/** the worker holds more output for the request in flight and waits for the reader to ask */
	private moreWaiting = false;
	private released = false;

	/** `level`: compress only, resolved by compression.ts (resolveLevel) */
	constructor(mode: 'compress' | 'decompress', level = 0) {
		super({allowHalfOpen: true});
		this.entry = pickWorker();
		this.entry.sessions.set(this.id, this);
		this.entry.worker.postMessage({op: 'open', id: this.id, mode, level});
	}

	override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
		this.batch.push(chunk);
		this.batchBytes += chunk.length;
		if (this.batchBytes < BATCH_BYTES) {
			callback();
			return;
		}
		this.sendBatch(callback);
	}

	override _final(callback: (error?: Error | null) => void): void {
		const end = () => {
			this.ending = true;
			this.request({op: 'end', id: this.id}, callback);
		};
		if (this.batchBytes === 0) end();
		else this.sendBatch((error) => (error ? callback(error) : end()));
	}

	override _read(): void {
		if (!this.moreWaiting) return;
		this.moreWaiting = false;
		ask(this.entry, {op: 'more', id: this.id});
	}

	override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
		this.release();
		this.requestDone = null;
		callback(error);
	}

	/** @internal called by the pool with the worker's answer to this session's request */
	onReply(message: Reply): void {
		if ('error' in message) {
			this.release();
			this.finishRequest(new Error(message.error));
			return;
		}
		if (message.spare) this.spare = message.spare;
		const wantsMore = message.out.length === 0 ? true : this.push(Buffer.from(message.out.buffer, message.out.byteOffset, message.out.length));
		if (!message.done) {
			if (wantsMore) ask(this.entry, {op: 'more', id: this.id});
			else this.moreWaiting = true;
			return;
		}
		if (this.ending) {
			this.release();
			this.push(null);
		}
		this.finishRequest(null);
	}

	/**
	 * Copies the batch into a buffer this stream owns (the spare, when big enough), so transferring it to
	 * the worker never detaches memory a caller still holds.
	 */
	private sendBatch(callback: (error?: Error | null) => void): void {
		const room = this.spare && this.spare.byteLength >= this.batchBytes ? this.spare : new Uint8Array(Math.max(this.batchBytes, BATCH_BYTES));
		this.spare = null;
		let at = 0;
		for (const chunk of this.batch) {
			room.set(chunk, at);
			at += chunk.length;
		}
		const input = room.subarray(0, at);
		this.batch = [];
		this.batchBytes = 0;
		this.request({op: 'data', id: this.id, input}, callback, [room.buffer as ArrayBuffer]);
	}

	private request(message: object, callback: (error?: Error | null) => void, transfer: ArrayBuffer[] = []): void {
		if (this.released) {
			callback(new Error('the zstd worker session is closed'));
			return;
		}
		this.requestDone = callback;
		ask(this.entry, message, transfer);
	}

	private finishRequest(error: Error | null): void {
		const callback = this.requestDone;
		this.requestDone = null;
		if (callback) callback(error);
		else if (error) this.destroy(error);
	}

	private release(): void {
		if (this.released) return;
		this.released = true;
		this.entry.sessions.delete(this.id);
		this.entry.worker.postMessage({op: 'close', id: this.id});
	}
}
