/*
 * A zstd-stream.ts thread: runs zstd contexts for many sessions, one message at a time. Input arrives
 * in batches, output goes back in pieces of at most about `pieceBytes`, each waiting for the reader.
 */
import {workerData} from 'node:worker_threads';
import type {CCtx, DCtx} from 'zstd-napi/binding.js';
import type {CompressReply, CompressRequest, CompressWorkerData} from './compress-protocol.ts';
import {loadZstd, poolPort} from './thread-side.ts';

const zstd = loadZstd();
const port = poolPort<CompressRequest, CompressReply>();
const {pieceBytes} = workerData as CompressWorkerData;

type Session =
	| {failure: string}
	| {
			failure?: undefined;
			mode: 'compress' | 'decompress';
			ctx: CCtx | DCtx;
			/** output room per zstd call */
			window: number;
			input: Uint8Array;
			/** the last batch's buffer, to hand back once its request is done */
			spare: Uint8Array | null;
			directive: number;
			/** decompress: the input so far ends inside a frame */
			inFrame: boolean;
	  };
type OpenSession = Exclude<Session, {failure: string}>;

const sessions = new Map<number, Session>();
// Output is produced straight into this buffer (messages run one at a time), then copied out at its
// exact size; the input buffer goes back to its stream for the next batch.
const work = new Uint8Array(pieceBytes + Math.max(zstd.cStreamOutSize(), zstd.dStreamOutSize()));

// Contexts of finished sessions, reset and reused: a context's native memory (megabytes) is freed only
// when this thread collects garbage, which it seldom does, so a context per member piled up over a dump.
const freeContexts = {compress: [] as CCtx[], decompress: [] as DCtx[]};
const FREE_CONTEXTS_KEPT = 4;

function openSession(mode: 'compress' | 'decompress', level: number): OpenSession {
	const empty = new Uint8Array(0);
	if (mode === 'compress') {
		const ctx = freeContexts.compress.pop() ?? new zstd.CCtx();
		ctx.reset(zstd.ResetDirective.sessionAndParameters);
		ctx.setParameter(zstd.CParameter.compressionLevel, level);
		ctx.setParameter(zstd.CParameter.checksumFlag, 1);
		return {mode, ctx, window: zstd.cStreamOutSize(), input: empty, spare: null, directive: 0, inFrame: false};
	}
	const ctx = freeContexts.decompress.pop() ?? new zstd.DCtx();
	ctx.reset(zstd.ResetDirective.sessionOnly);
	return {mode, ctx, window: zstd.dStreamOutSize(), input: empty, spare: null, directive: 0, inFrame: false};
}

/** Ends a session; its context is kept for the next one unless the session failed. */
function closeSession(id: number, failed: boolean): void {
	const session = sessions.get(id);
	sessions.delete(id);
	if (!session || failed || session.failure !== undefined) return;
	if (session.mode === 'compress') {
		if (freeContexts.compress.length < FREE_CONTEXTS_KEPT) freeContexts.compress.push(session.ctx as CCtx);
	} else if (freeContexts.decompress.length < FREE_CONTEXTS_KEPT) {
		freeContexts.decompress.push(session.ctx as DCtx);
	}
}

/**
 * Runs the session on its pending input until the input is used up (and, when ending, the frame is
 * complete) or `pieceBytes` of output are ready. Returns the output and whether the request is done.
 */
function step(session: OpenSession): {out: Uint8Array; done: boolean} {
	let total = 0;
	let done = false;
	while (total < pieceBytes) {
		const target = work.subarray(total, total + session.window);
		const [remaining, produced, consumed] =
			session.mode === 'compress'
				? (session.ctx as CCtx).compressStream2(target, session.input, session.directive)
				: (session.ctx as DCtx).decompressStream(target, session.input);
		total += produced;
		session.input = session.input.subarray(consumed);
		if (session.input.length > 0) continue;
		if (session.mode === 'compress') {
			if (session.directive === zstd.EndDirective.continue || remaining === 0) {
				done = true;
				break;
			}
		} else if (produced < session.window || remaining === 0) {
			session.inFrame = remaining !== 0;
			done = true;
			break;
		}
	}
	return {out: work.slice(0, total), done};
}

function reply(id: number, session: OpenSession): void {
	const {out, done} = step(session);
	const transfer = [out.buffer as ArrayBuffer];
	const message: CompressReply = {id, out, done};
	if (done && session.spare) {
		message.spare = session.spare;
		transfer.push(session.spare.buffer as ArrayBuffer);
		session.spare = null;
	}
	port.reply(message, transfer);
	if (done && session.directive === zstd.EndDirective.end) closeSession(id, false);
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

port.onRequest((request) => {
	const {id} = request;
	try {
		if (request.op === 'open') {
			try {
				sessions.set(id, openSession(request.mode, request.level));
			} catch (error) {
				sessions.set(id, {failure: messageOf(error)});
			}
			return;
		}
		if (request.op === 'close') {
			closeSession(id, false);
			return;
		}
		const session = sessions.get(id);
		if (!session || session.failure !== undefined) {
			closeSession(id, true);
			port.reply({id, error: session ? session.failure : 'the zstd session is closed'});
			return;
		}
		if (request.op === 'data') {
			session.input = request.input;
			session.spare = new Uint8Array(request.input.buffer);
			session.directive = zstd.EndDirective.continue;
			reply(id, session);
		} else if (request.op === 'end') {
			if (session.mode === 'decompress') {
				closeSession(id, session.inFrame);
				if (session.inFrame) port.reply({id, error: 'the zstd data ends in the middle of a frame'});
				else port.reply({id, out: new Uint8Array(0), done: true});
				return;
			}
			session.input = new Uint8Array(0);
			session.directive = zstd.EndDirective.end;
			reply(id, session);
		} else {
			reply(id, session);
		}
	} catch (error) {
		closeSession(id, true);
		port.reply({id, error: messageOf(error)});
	}
});
