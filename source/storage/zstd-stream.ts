import {availableParallelism} from 'node:os';
import {Duplex} from 'node:stream';
import type {CompressReply, CompressRequest, CompressWorkerData} from './workers/compress-protocol.ts';
import {WorkerPool, type Job} from './workers/pool.ts';
import {ensureZstdLoadable} from './zstd-available.ts';

/*
 * zstd-napi calls the zstd library synchronously on the calling thread (its CompressStream blocks the
 * event loop and several streams share one core). These streams run zstd contexts on the threads of a
 * pool (workers/pool.ts, workers/compress-worker.ts) instead: every stream owns a session on one thread
 * for its whole life, input travels to the thread in batches and output comes back in bounded pieces,
 * each piece waiting for the reader to want more.
 */

/** Input is gathered into batches of this size before it travels to a thread. */
const BATCH_BYTES = 256 * 1024;
/** A thread returns at most about this much output before it waits for the reader. */
const PIECE_BYTES = 1024 * 1024;

const workerData: CompressWorkerData = {pieceBytes: PIECE_BYTES};
type AskedRequest = Omit<Extract<CompressRequest, {op: 'data'}>, 'id'> | {op: 'end' | 'more'};

const pool = new WorkerPool<CompressRequest, CompressReply>({entry: 'compress-worker', name: 'zstd', limit: availableParallelism, workerData});

/** A zstd compressor or decompressor whose work happens on a pool thread. Errors carry zstd's message. */
export class ZstdWorkerStream extends Duplex {
	private readonly job: Job<CompressRequest, CompressReply>;
	private batch: Buffer[] = [];
	private batchBytes = 0;
	/** the buffer of the last batch, back from the thread, reused for the next one */
	private spare: Uint8Array | null = null;
	/** called when the thread has finished the request in flight */
	private requestDone: ((error?: Error | null) => void) | null = null;
	private ending = false;
	/** the thread holds more output for the request in flight and waits for the reader to ask */
	private moreWaiting = false;
	private released = false;

	/** `level`: compress only, resolved by compression.ts (resolveLevel) */
	constructor(mode: 'compress' | 'decompress', level = 0) {
		ensureZstdLoadable();
		super({allowHalfOpen: true});
		this.job = pool.open({onReply: (reply) => this.onReply(reply), onFailure: (error) => this.destroy(error)});
		this.job.send({op: 'open', mode, level});
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
			this.request({op: 'end'}, callback);
		};
		if (this.batchBytes === 0) end();
		else this.sendBatch((error) => (error ? callback(error) : end()));
	}

	override _read(): void {
		if (!this.moreWaiting) return;
		this.moreWaiting = false;
		this.ask({op: 'more'});
	}

	override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
		this.release();
		this.requestDone = null;
		callback(error);
	}

	/** The thread's answer to this session's request in flight. */
	private onReply(message: CompressReply): void {
		this.job.awaitReplies(false);
		if ('error' in message) {
			this.release();
			this.finishRequest(new Error(message.error));
			return;
		}
		if (message.spare) this.spare = message.spare;
		const wantsMore = message.out.length === 0 ? true : this.push(Buffer.from(message.out.buffer, message.out.byteOffset, message.out.length));
		if (!message.done) {
			if (wantsMore) this.ask({op: 'more'});
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
	 * the thread never detaches memory a caller still holds.
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
		this.request({op: 'data', input}, callback, [room.buffer as ArrayBuffer]);
	}

	/** Sends a request the thread answers exactly once. */
	private ask(request: AskedRequest, transfer: ArrayBuffer[] = []): void {
		this.job.awaitReplies(true);
		this.job.send(request, transfer);
	}

	private request(request: AskedRequest, callback: (error?: Error | null) => void, transfer: ArrayBuffer[] = []): void {
		if (this.released) {
			callback(new Error('the zstd worker session is closed'));
			return;
		}
		this.requestDone = callback;
		this.ask(request, transfer);
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
		this.job.end();
		this.job.send({op: 'close'});
	}
}
