import {createRequire} from 'node:module';
import {Duplex} from 'node:stream';
import {WorkError} from '../core/errors.ts';

/*
 * lz4 streams in the standard LZ4 frame format (what the `lz4` command writes and reads), on lz4-napi
 * (lz4_flex, Rust, with prebuilt binaries). Its frame functions take and return whole buffers and run on
 * libuv's thread pool, as zlib does, so several streams compress on several cores and the event loop
 * stays free; the binding has no streaming encoder or decoder. So:
 *
 * - Compression cuts the input into blocks of BLOCK_BYTES and writes each as one frame with its content
 *   checksum. The frame format allows concatenated frames: `lz4 -d` and any frame decoder read the
 *   whole, and memory stays at about one block in and one out per stream.
 * - Decompression parses the frame structure here (magic, header, block sizes, end mark) and gives the
 *   binding one frame at a time, which it decodes and checks (header, block and content checksums). A
 *   frame larger than WHOLE_FRAME_BYTES (`lz4` run on a big file writes one frame for all of it) is
 *   given in groups of its blocks, each wrapped as a frame of its own, and its content checksum is
 *   checked here; that needs independent blocks, which `lz4` writes unless told -BD.
 *
 * Every frame the binding is given is complete and alone: it ignores whatever follows the first frame
 * and, without a content checksum, a cut end mark, so the parsing here is what finds a cut or trailing
 * bytes. lz4 has no levels here: lz4_flex has only LZ4's fast compressor (no HC, no acceleration).
 */

/** Input bytes per frame written; lz4_flex stores them as 4 MiB blocks (smaller inputs as smaller blocks). */
export const BLOCK_BYTES = 4 * 1024 * 1024;
/** The most content a frame (or group of blocks) may hold for the binding to decode it in one call. */
export const WHOLE_FRAME_BYTES = 8 * 1024 * 1024;

const FRAME_MAGIC = 0x184d2204;
const LEGACY_MAGIC = 0x184c2102;
/** skippable frames: 0x184D2A50 to 0x184D2A5F */
const SKIPPABLE_MAGIC = 0x184d2a50;
const FRAME_OPTIONS = {contentChecksum: true, blockChecksums: false};
/** 64 KiB, 256 KiB, 1 MiB, 4 MiB for BD block max size ids 4 to 7 */
const BLOCK_MAX: Readonly<Record<number, number>> = {4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024};

type Lz4Binding = typeof import('lz4-napi');
let binding: Lz4Binding | undefined;

/** lz4-napi, loaded when first used: a machine without its binary fails only when lz4 is asked for. */
function lz4(): Lz4Binding {
	try {
		binding ??= createRequire(import.meta.url)('lz4-napi') as Lz4Binding;
	} catch (error) {
		// the machine's fault, not the data's: a reader must not call the archive damaged for it
		throw new WorkError({
			code: 'CODEC_UNAVAILABLE',
			message: `the lz4 library (lz4-napi) cannot be loaded on this machine: ${messageOf(error)}`,
			hint: "Reinstall dbbackup's dependencies (npm ci); with the single-file build, copy the whole folder, .node files included.",
			cause: error,
		});
	}
	return binding;
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** A Duplex whose output waits for the reader: `pushOut` resolves once the reader wants more (or the stream is destroyed). */
abstract class Lz4Stream extends Duplex {
	private wake: (() => void) | null = null;

	constructor() {
		super({allowHalfOpen: true});
	}

	/** Pushes `out`; resolves false when the stream was destroyed meanwhile. */
	protected async pushOut(out: Buffer): Promise<boolean> {
		if (this.destroyed) return false;
		if (out.length === 0 || this.push(out)) return true;
		await new Promise<void>((resolve) => (this.wake = resolve));
		return !this.destroyed;
	}

	override _read(): void {
		const wake = this.wake;
		this.wake = null;
		wake?.();
	}

	override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
		this._read();
		callback(error);
	}
}

/** An lz4 compressor: concatenated LZ4 frames of BLOCK_BYTES of input each, with content checksums. */
export class Lz4CompressStream extends Lz4Stream {
	private chunks: Buffer[] = [];
	private bytes = 0;
	private frames = 0;

	override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
		this.chunks.push(chunk);
		this.bytes += chunk.length;
		if (this.bytes < BLOCK_BYTES) {
			callback();
			return;
		}
		this.compressBlocks(false).then(() => callback(), callback);
	}

	override _final(callback: (error?: Error | null) => void): void {
		this.compressBlocks(true).then(() => {
			this.push(null);
			callback();
		}, callback);
	}

	/** Compresses every full block; at the end the rest too, and an empty frame when there was no input at all (an empty file is no lz4 file). */
	private async compressBlocks(ending: boolean): Promise<void> {
		while (this.bytes >= BLOCK_BYTES || (ending && (this.bytes > 0 || this.frames === 0))) {
			const block = this.takeInput(Math.min(this.bytes, BLOCK_BYTES));
			const {compressFrame} = lz4();
			let frame: Buffer;
			try {
				frame = await compressFrame(block, FRAME_OPTIONS);
			} catch (error) {
				throw new Error(`lz4 compression failed: ${messageOf(error)}`, {cause: error});
			}
			this.frames += 1;
			if (!(await this.pushOut(frame))) return;
		}
	}

	/** The first `size` bytes written and not compressed yet, as one buffer. */
	private takeInput(size: number): Buffer {
		const parts: Buffer[] = [];
		let taken = 0;
		while (taken < size) {
			const chunk = this.chunks[0]!;
			const wanted = size - taken;
			if (chunk.length <= wanted) {
				parts.push(chunk);
				this.chunks.shift();
				taken += chunk.length;
			} else {
				parts.push(chunk.subarray(0, wanted));
				this.chunks[0] = chunk.subarray(wanted);
				taken += wanted;
			}
		}
		this.bytes -= size;
		return parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
	}
}

/** The bytes written to a decompressor and not parsed yet. */
class ByteQueue {
	private chunks: Buffer[] = [];
	/** bytes of the queue */
	length = 0;
	/** bytes taken since the start: where the next byte sits in the stored data */
	offset = 0;

	push(chunk: Buffer): void {
		if (chunk.length === 0) return;
		this.chunks.push(chunk);
		this.length += chunk.length;
	}

	/** The first `size` bytes (a few: a header, a block size), without taking them; the queue holds them. */
	peek(size: number): Buffer {
		const first = this.chunks[0]!;
		if (first.length >= size) return first.subarray(0, size);
		const parts: Buffer[] = [];
		for (let index = 0, gathered = 0; gathered < size; index++) {
			parts.push(this.chunks[index]!);
			gathered += this.chunks[index]!.length;
		}
		return Buffer.concat(parts, size);
	}

	uint32(at = 0): number {
		return this.peek(at + 4).readUInt32LE(at);
	}

	/** Takes the first `size` bytes, as pieces of the chunks written. */
	take(size: number): Buffer[] {
		const parts: Buffer[] = [];
		let left = size;
		while (left > 0) {
			const chunk = this.chunks[0]!;
			if (chunk.length <= left) {
				parts.push(chunk);
				this.chunks.shift();
				left -= chunk.length;
			} else {
				parts.push(chunk.subarray(0, left));
				this.chunks[0] = chunk.subarray(left);
				left = 0;
			}
		}
		this.length -= size;
		this.offset += size;
		return parts;
	}
}

/** What is known of the frame being read. */
interface FrameState {
	/** the frame's position in the stored data, for messages */
	index: number;
	offset: number;
	/** the header as stored; the frame is given to the binding whole while it stays small */
	header: Buffer;
	blockMax: number;
	independent: boolean;
	blockChecksums: boolean;
	contentChecksum: boolean;
	contentSize: bigint | undefined;
	/** set once the frame goes to the binding in groups of blocks: its content checksum is then checked here */
	hash: Xxh32 | undefined;
	decoded: number;
	expectedChecksum: number | undefined;
}

/** One call of the binding: `input` is a complete frame; `last` is the frame's (or group's) last. */
interface DecodeJob {
	frame: FrameState;
	input: Buffer[];
	last: boolean;
}

/** An lz4 decompressor for the LZ4 frame format (concatenated and skippable frames too); damaged or cut input makes it error. */
export class Lz4DecompressStream extends Lz4Stream {
	private readonly queue = new ByteQueue();
	private frameCount = 0;
	private frame: FrameState | undefined;
	/** blocks of the frame being read, not given to the binding yet */
	private blocks: Buffer[] = [];
	private blockCount = 0;
	/** bytes of a skippable frame still to skip */
	private skipping = 0;

	override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
		this.queue.push(chunk);
		this.decodeReady().then(() => callback(), callback);
	}

	override _final(callback: (error?: Error | null) => void): void {
		this.decodeReady()
			.then(() => {
				if (this.frame || this.skipping > 0 || this.queue.length > 0) {
					throw new Error(`the lz4 data ends in the middle of a frame (cut at byte ${this.queue.offset + this.queue.length})`);
				}
				this.push(null);
				callback();
			})
			.catch(callback);
	}

	/** Decodes every frame (or group of blocks) the input holds whole. */
	private async decodeReady(): Promise<void> {
		for (let job = this.nextJob(); job; job = this.nextJob()) {
			if (!(await this.pushOut(await this.decode(job)))) return;
		}
	}

	private async decode(job: DecodeJob): Promise<Buffer> {
		const {frame} = job;
		const {decompressFrame} = lz4();
		let out: Buffer;
		try {
			out = await decompressFrame(job.input.length === 1 ? job.input[0]! : Buffer.concat(job.input));
		} catch (error) {
			throw this.frameError(frame, `does not decode (${messageOf(error)})`, error);
		}
		frame.decoded += out.length;
		frame.hash?.update(out);
		if (job.last) {
			if (frame.hash && frame.contentChecksum && frame.hash.digest() !== frame.expectedChecksum) throw this.frameError(frame, 'does not match its content checksum');
			if (frame.contentSize !== undefined && BigInt(frame.decoded) !== frame.contentSize) {
				throw this.frameError(frame, `holds ${frame.decoded} bytes where its header says ${frame.contentSize}`);
			}
		}
		return out;
	}

	private frameError(frame: FrameState, problem: string, cause?: unknown): Error {
		return new Error(`lz4 frame ${frame.index} (at byte ${frame.offset}) ${problem}`, cause === undefined ? {} : {cause});
	}

	/** Parses what the input holds, up to the next call the binding is to make; undefined when more input is needed. */
	private nextJob(): DecodeJob | undefined {
		const queue = this.queue;
		for (;;) {
			if (this.skipping > 0) {
				const skipped = Math.min(this.skipping, queue.length);
				queue.take(skipped);
				this.skipping -= skipped;
				if (this.skipping > 0) return undefined;
			}
			if (!this.frame) {
				if (queue.length < 4) return undefined;
				const magic = queue.uint32();
				if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) {
					if (queue.length < 8) return undefined;
					this.skipping = queue.uint32(4);
					queue.take(8);
					continue;
				}
				if (magic === LEGACY_MAGIC) throw new Error(`the lz4 data at byte ${queue.offset} is in the legacy format (lz4 -l), which this version does not read`);
				if (magic !== FRAME_MAGIC) {
					throw new Error(`not lz4 data at byte ${queue.offset}: 0x${magic.toString(16).padStart(8, '0')} where a frame's magic number 0x184d2204 belongs`);
				}
				if (!this.readHeader()) return undefined;
				continue;
			}
			const frame = this.frame;
			if (queue.length < 4) return undefined;
			const word = queue.uint32();
			if (word === 0) {
				const trailer = 4 + (frame.contentChecksum ? 4 : 0);
				if (queue.length < trailer) return undefined;
				if (frame.contentChecksum) frame.expectedChecksum = queue.uint32(4);
				const end = Buffer.concat(queue.take(trailer));
				return this.finishFrame(end);
			}
			const size = word & 0x7fffffff;
			if (size > frame.blockMax) {
				throw this.frameError(frame, `has a block of ${size} bytes at byte ${queue.offset}, more than its ${frame.blockMax}-byte block size`);
			}
			const stored = 4 + size + (frame.blockChecksums ? 4 : 0);
			if (queue.length < stored) return undefined;
			// a group of blocks grown past what one call may decode goes first, as a frame of its own
			const job = (this.blockCount + 1) * frame.blockMax > WHOLE_FRAME_BYTES && this.blockCount > 0 ? this.groupJob(frame, false) : undefined;
			for (const part of queue.take(stored)) this.blocks.push(part);
			this.blockCount += 1;
			if (job) return job;
		}
	}

	/** Reads a frame header when the input holds all of it; false when more input is needed. */
	private readHeader(): boolean {
		const queue = this.queue;
		if (queue.length < 7) return false;
		const head = queue.peek(6);
		const flg = head[4]!;
		const bd = head[5]!;
		const length = 7 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0);
		if (queue.length < length) return false;
		const offset = queue.offset;
		const header = Buffer.concat(queue.take(length));
		const bad = (problem: string) => new Error(`lz4 frame ${this.frameCount} (at byte ${offset}) has a bad header: ${problem}`);
		if (flg >> 6 !== 1) throw bad(`version ${flg >> 6}, where this version reads 1`);
		if (flg & 0x02 || bd & 0x8f) throw bad('reserved bits are set');
		if (flg & 0x01) throw bad('it names a dictionary, which this version does not have');
		const blockMax = BLOCK_MAX[(bd >> 4) & 0x07];
		if (blockMax === undefined) throw bad(`block size id ${(bd >> 4) & 0x07}`);
		if (header[length - 1] !== ((xxh32(header.subarray(4, length - 1)) >>> 8) & 0xff)) throw bad('its checksum does not match');
		this.frame = {
			index: this.frameCount++,
			offset,
			header,
			blockMax,
			independent: (flg & 0x20) !== 0,
			blockChecksums: (flg & 0x10) !== 0,
			contentChecksum: (flg & 0x04) !== 0,
			contentSize: flg & 0x08 ? header.readBigUInt64LE(6) : undefined,
			hash: undefined,
			decoded: 0,
			expectedChecksum: undefined,
		};
		this.blocks = [];
		this.blockCount = 0;
		return true;
	}

	/** The frame's end mark (and content checksum) has been read: the whole frame, or its last group, is decoded. */
	private finishFrame(end: Buffer): DecodeJob {
		const frame = this.frame!;
		this.frame = undefined;
		if (!frame.hash) {
			const input = [frame.header, ...this.blocks, end];
			this.blocks = [];
			return {frame, input, last: true};
		}
		return this.groupJob(frame, true);
	}

	/**
	 * The blocks read so far as a frame of their own: the same block size and block checksums, no
	 * content size or checksum (checked here over all the groups instead). Only independent blocks can
	 * be decoded apart from the ones before them.
	 */
	private groupJob(frame: FrameState, last: boolean): DecodeJob {
		if (!frame.independent) {
			throw this.frameError(
				frame,
				`holds more than ${WHOLE_FRAME_BYTES / 1024 / 1024} MiB in linked blocks (lz4 -BD), which this version reads only up to that size; recompress it without -BD`,
			);
		}
		frame.hash ??= new Xxh32();
		const input = [groupHeader(frame), ...this.blocks, END_MARK];
		this.blocks = [];
		this.blockCount = 0;
		return {frame, input, last};
	}
}

const END_MARK = Buffer.alloc(4);

/** A frame header for a group of `frame`'s blocks: magic, FLG (version 1, independent blocks, its block checksum flag), BD, header checksum. */
function groupHeader(frame: FrameState): Buffer {
	const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60 | (frame.blockChecksums ? 0x10 : 0), frame.header[5]!, 0]);
	header[6] = (xxh32(header.subarray(4, 6)) >>> 8) & 0xff;
	return header;
}

const PRIME1 = 0x9e3779b1;
const PRIME2 = 0x85ebca77;
const PRIME3 = 0xc2b2ae3d;
const PRIME4 = 0x27d4eb2f;
const PRIME5 = 0x165667b1;

function rotl(value: number, bits: number): number {
	return (value << bits) | (value >>> (32 - bits));
}

function round(acc: number, lane: number): number {
	return Math.imul(rotl((acc + Math.imul(lane, PRIME2)) | 0, 13), PRIME1);
}

function lane(data: Uint8Array, at: number): number {
	return data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24);
}

/** XXH32 with seed 0, as the LZ4 frame format uses for its header, block and content checksums; fed in pieces. */
export class Xxh32 {
	private v1 = (PRIME1 + PRIME2) | 0;
	private v2 = PRIME2;
	private v3 = 0;
	private v4 = -PRIME1 | 0;
	/** the last bytes fed that do not fill a 16-byte stripe */
	private readonly tail = new Uint8Array(16);
	private tailLength = 0;
	/** bytes fed, modulo 2^32 as the digest uses them */
	private total = 0;
	private large = false;

	update(data: Uint8Array): this {
		let at = 0;
		this.total = (this.total + data.length) >>> 0;
		if (this.tailLength + data.length < 16) {
			this.tail.set(data, this.tailLength);
			this.tailLength += data.length;
			return this;
		}
		this.large = true;
		if (this.tailLength > 0) {
			at = 16 - this.tailLength;
			this.tail.set(data.subarray(0, at), this.tailLength);
			this.stripe(this.tail, 0);
			this.tailLength = 0;
		}
		let {v1, v2, v3, v4} = this;
		for (const end = data.length - 16; at <= end; at += 16) {
			v1 = round(v1, lane(data, at));
			v2 = round(v2, lane(data, at + 4));
			v3 = round(v3, lane(data, at + 8));
			v4 = round(v4, lane(data, at + 12));
		}
		this.v1 = v1;
		this.v2 = v2;
		this.v3 = v3;
		this.v4 = v4;
		this.tail.set(data.subarray(at), 0);
		this.tailLength = data.length - at;
		return this;
	}

	private stripe(data: Uint8Array, at: number): void {
		this.v1 = round(this.v1, lane(data, at));
		this.v2 = round(this.v2, lane(data, at + 4));
		this.v3 = round(this.v3, lane(data, at + 8));
		this.v4 = round(this.v4, lane(data, at + 12));
	}

	digest(): number {
		let h = this.large ? (rotl(this.v1, 1) + rotl(this.v2, 7) + rotl(this.v3, 12) + rotl(this.v4, 18)) | 0 : PRIME5;
		h = (h + this.total) | 0;
		let at = 0;
		for (; at + 4 <= this.tailLength; at += 4) h = Math.imul(rotl((h + Math.imul(lane(this.tail, at), PRIME3)) | 0, 17), PRIME4);
		for (; at < this.tailLength; at++) h = Math.imul(rotl((h + Math.imul(this.tail[at]!, PRIME5)) | 0, 11), PRIME1);
		h = Math.imul(h ^ (h >>> 15), PRIME2);
		h = Math.imul(h ^ (h >>> 13), PRIME3);
		return (h ^ (h >>> 16)) >>> 0;
	}
}

/** The XXH32 (seed 0) of `data`. */
export function xxh32(data: Uint8Array): number {
	return new Xxh32().update(data).digest();
}
