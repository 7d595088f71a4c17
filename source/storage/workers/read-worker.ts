/*
 * An archive/reader-threads.ts thread: reads members' stored bytes, counts and hashes them, and
 * decompresses them (zstd, or none) straight into the member's slots of shared memory; hashes byte
 * ranges of a file. A member's problem is answered in place of its end.
 */
import {createHash, type Hash} from 'node:crypto';
import {closeSync, openSync, readSync} from 'node:fs';
import {workerData} from 'node:worker_threads';
import type {DCtx} from 'zstd-napi/binding.js';
import type {MemberProblem, ReadReply, ReadRequest, ReadWorkerData} from './read-protocol.ts';
import {loadZstd, poolPort, type Zstd} from './thread-side.ts';

const port = poolPort<ReadRequest, ReadReply>();
const {inputBytes} = workerData as ReadWorkerData;

interface Session {
	id: number;
	size: number;
	rawBytes: number;
	sha256: string | undefined;
	/** next stored byte to read, and the end of the member's stored bytes, in the file */
	position: number;
	end: number;
	stored: number;
	raw: number;
	hash: Hash | null;
	dctx: DCtx | null;
	input: Buffer | null;
	/** read and not yet decompressed */
	pending: Buffer;
	/** the zstd data so far ends inside a frame */
	frameOpen: boolean;
	slots: Uint8Array;
	slotBytes: number;
	/** slots the consumer does not hold */
	free: number[];
	finished: boolean;
	fd: number;
}

type FillResult = {filled: number; end: false} | {filled: number; end: true; problem: MemberProblem | null};

let zstd: Zstd | undefined;
const sessions = new Map<number, Session>();
let hashBuffer: Buffer | undefined;
// a decompression context holds its window (megabytes of native memory) until this thread collects
// garbage, which it hardly makes: contexts and input buffers go back here for the next member
const spare: {dctx: DCtx; input: Buffer}[] = [];

function errnoOf(error: unknown): {message: string; code?: string; syscall?: string} {
	const {message, code, syscall} = error as NodeJS.ErrnoException;
	return {message: message ?? String(error), ...(code ? {code} : {}), ...(syscall ? {syscall} : {})};
}

function closeQuietly(fd: number): void {
	if (fd === -1) return;
	try {
		closeSync(fd);
	} catch {
		// nothing was written through it: a failed close loses nothing
	}
}

function finish(session: Session, problem: MemberProblem | null): MemberProblem | null {
	sessions.delete(session.id);
	closeQuietly(session.fd);
	session.finished = true;
	if (session.dctx) {
		session.dctx.reset(zstd!.ResetDirective.sessionOnly);
		spare.push({dctx: session.dctx, input: session.input!});
		session.dctx = null;
	}
	return problem;
}

/** Reads up to `length` stored bytes into `target` at `offset`: counted and hashed. Zero at the end of the member, -1 when the file ends first. */
function readStored(session: Session, target: Uint8Array, offset: number, length: number): number {
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
function endProblem(session: Session): MemberProblem | null {
	if (session.stored !== session.size) return {kind: 'stored-size', bytes: session.stored};
	if (session.hash) {
		const sha256 = session.hash.digest('hex');
		if (sha256 !== session.sha256) return {kind: 'sha256', sha256};
	}
	if (session.frameOpen) return {kind: 'corrupt', message: 'the zstd data ends in the middle of a frame'};
	if (session.raw !== session.rawBytes) return {kind: 'raw-size', bytes: session.raw};
	return null;
}

/** Fills slot `slot`; returns its length and, at the end of the member, the problem or null. */
function fill(session: Session, slot: number): FillResult {
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
			const read = readStored(session, session.input!, 0, session.input!.length);
			if (read === -1) return {filled, end: true, problem: {kind: 'stored-size', bytes: session.stored}};
			session.pending = session.input!.subarray(0, read);
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

function produce(session: Session): void {
	while (!session.finished && session.free.length > 0) {
		const slot = session.free.shift()!;
		let result: FillResult;
		try {
			result = fill(session, slot);
		} catch (error) {
			const {message, code, syscall} = errnoOf(error);
			// a failed system call (fs errors name theirs) is a read failure; anything else is zstd refusing the data
			const problem: MemberProblem = syscall ? {kind: 'read', message, ...(code ? {code} : {})} : {kind: 'corrupt', message};
			port.reply({id: session.id, problem: finish(session, problem)!});
			return;
		}
		if (!result.end) {
			port.reply({id: session.id, slot, length: result.filled});
			continue;
		}
		const problem = finish(session, result.problem);
		port.reply(problem ? {id: session.id, problem} : {id: session.id, slot, length: result.filled, end: true});
	}
}

function readProblem(error: unknown): MemberProblem {
	const {message, code} = errnoOf(error);
	return {kind: 'read', message, ...(code ? {code} : {})};
}

function open(request: Extract<ReadRequest, {op: 'open'}>): void {
	const session: Session = {
		id: request.id,
		size: request.size,
		rawBytes: request.rawBytes,
		sha256: request.sha256,
		position: request.start,
		end: request.start + request.size,
		stored: 0,
		raw: 0,
		hash: request.sha256 ? createHash('sha256') : null,
		dctx: null,
		input: null,
		pending: Buffer.alloc(0),
		frameOpen: false,
		slots: new Uint8Array(request.slots),
		slotBytes: request.slotBytes,
		free: Array.from({length: request.slotCount}, (_, slot) => slot),
		finished: false,
		fd: -1,
	};
	try {
		session.fd = openSync(request.path, 'r');
		if (request.compression === 'zstd') {
			zstd ??= loadZstd();
			const reused = spare.pop();
			session.dctx = reused ? reused.dctx : new zstd.DCtx();
			session.input = reused ? reused.input : Buffer.allocUnsafe(inputBytes);
			session.pending = session.input.subarray(0, 0);
		}
	} catch (error) {
		closeQuietly(session.fd);
		port.reply({id: session.id, problem: readProblem(error)});
		return;
	}
	sessions.set(session.id, session);
	produce(session);
}

function hashRange(request: Extract<ReadRequest, {op: 'hash'}>): void {
	hashBuffer ??= Buffer.allocUnsafe(inputBytes);
	let fd = -1;
	try {
		fd = openSync(request.path, 'r');
		const hash = createHash('sha256');
		let done = 0;
		while (done < request.size) {
			const read = readSync(fd, hashBuffer, 0, Math.min(hashBuffer.length, request.size - done), request.start + done);
			if (read === 0) break;
			hash.update(hashBuffer.subarray(0, read));
			done += read;
		}
		port.reply({id: request.id, hashed: {bytes: done, sha256: hash.digest('hex')}});
	} catch (error) {
		port.reply({id: request.id, problem: readProblem(error)});
	} finally {
		closeQuietly(fd);
	}
}

port.onRequest((request) => {
	switch (request.op) {
		case 'open':
			open(request);
			break;
		case 'release': {
			const session = sessions.get(request.id);
			if (!session) return;
			session.free.push(request.slot);
			produce(session);
			break;
		}
		case 'close': {
			const session = sessions.get(request.id);
			if (session) finish(session, null);
			break;
		}
		case 'hash':
			hashRange(request);
			break;
	}
});
