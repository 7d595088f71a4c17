import {ByteQueue} from './byte-queue.ts';
import {damaged, segmentDamaged} from './errors.ts';
import {HEADER_BYTES, type SegmentKeys} from './header.ts';
import {openSegment, TAG_BYTES} from './segment.ts';

/*
 * Where plaintext bytes sit in an encrypted artifact. With S plaintext bytes a segment and P in all,
 * there are n = max(1, ceil(P / S)) segments, each stored as ciphertext ‖ 16-byte tag, after the header:
 * ciphertext size C = HEADER_BYTES + 16·n + P.
 */

type Segmented = {segmentBytes: number};

/** Segments of an artifact of `plainSize` bytes: an empty artifact still has one (empty, last) segment. */
export function segmentCount(plainSize: number, {segmentBytes}: Segmented): number {
	return Math.max(1, Math.ceil(plainSize / segmentBytes));
}

/** The size of the artifact that encrypts `plainSize` bytes. */
export function ciphertextSize(plainSize: number, header: Segmented): number {
	return HEADER_BYTES + segmentCount(plainSize, header) * TAG_BYTES + plainSize;
}

/**
 * The plaintext size of an encrypted artifact of `size` bytes; ENCRYPTED_DAMAGED for a size no
 * plaintext gives (cut inside a header or a tag, or an empty last segment after full ones).
 */
export function plaintextSize(size: number, header: Segmented, artifact = 'the artifact'): number {
	const stored = header.segmentBytes + TAG_BYTES;
	const body = size - HEADER_BYTES;
	const full = Math.floor(body / stored);
	const rest = body % stored;
	const impossible = body < TAG_BYTES || (rest > 0 && rest < TAG_BYTES) || (rest === TAG_BYTES && full > 0);
	if (impossible) throw damaged(artifact, `its size, ${size} bytes, is not one an encrypted artifact has (it was cut or extended)`);
	return full * header.segmentBytes + (rest === 0 ? 0 : rest - TAG_BYTES);
}

export interface SegmentRange {
	firstSegment: number;
	/** the last segment the range needs (inclusive) */
	lastSegment: number;
	/** the stored bytes of those segments: [cipherStart, cipherEnd) */
	cipherStart: number;
	cipherEnd: number;
	/** the artifact's last segment, the one sealed with the last flag */
	lastSegmentIndex: number;
	plainSize: number;
}

/**
 * The segments holding plaintext bytes [plainStart, plainEnd) of an artifact of `size` stored bytes,
 * and where they are stored. An empty range gives the segment at plainStart (clamped), so that even
 * an empty artifact's one segment can be checked.
 */
export function segmentRangeFor(plainStart: number, plainEnd: number, header: Segmented, size: number, artifact?: string): SegmentRange {
	const plainSize = plaintextSize(size, header, artifact);
	if (!(plainStart >= 0 && plainEnd >= plainStart && plainEnd <= plainSize)) throw new RangeError(`bytes ${plainStart} to ${plainEnd} of ${plainSize}`);
	const {segmentBytes} = header;
	const lastSegmentIndex = segmentCount(plainSize, header) - 1;
	const firstSegment = Math.min(Math.floor(plainStart / segmentBytes), lastSegmentIndex);
	const lastSegment = plainEnd > plainStart ? Math.floor((plainEnd - 1) / segmentBytes) : firstSegment;
	const stored = segmentBytes + TAG_BYTES;
	return {
		firstSegment,
		lastSegment,
		cipherStart: HEADER_BYTES + firstSegment * stored,
		cipherEnd: lastSegment === lastSegmentIndex ? size : HEADER_BYTES + (lastSegment + 1) * stored,
		lastSegmentIndex,
		plainSize,
	};
}

/**
 * Opens consecutive stored segments from `firstSegment` on, fed in chunks of any size: each segment's
 * plaintext comes out only once it authenticated. With `lastSegmentIndex` (the artifact's size is known)
 * the last flag expected of each segment follows from it; without, the bytes left at `end()` are the last
 * segment and every one before is not, which is what catches a cut at a segment boundary.
 */
export class SegmentDecryptor {
	/** the segment the next bytes belong to */
	next: number;
	private readonly queue = new ByteQueue();
	private readonly stored: number;

	constructor(
		private readonly keys: SegmentKeys,
		private readonly artifact: string,
		firstSegment = 0,
		private readonly lastSegmentIndex?: number,
	) {
		this.next = firstSegment;
		this.stored = keys.segmentBytes + TAG_BYTES;
	}

	push(chunk: Uint8Array): Buffer[] {
		this.queue.push(chunk);
		const out: Buffer[] = [];
		const known = this.lastSegmentIndex;
		while (known === undefined ? this.queue.length > this.stored : this.next < known && this.queue.length >= this.stored) {
			out.push(this.open(this.queue.take(this.stored), false));
		}
		if (known !== undefined && this.queue.length > (this.next === known ? this.stored : 0) && this.next >= known) {
			throw damaged(this.artifact, `it has bytes after its last segment (${known})`);
		}
		return out;
	}

	/**
	 * The rest, at the end of the bytes: the last segment when the size is unknown. With a known size,
	 * `through` is the last segment the bytes were to hold; anything short of it is a cut.
	 */
	end(through?: number): Buffer[] {
		const known = this.lastSegmentIndex;
		if (known === undefined) {
			if (this.queue.length < TAG_BYTES) throw damaged(this.artifact, `it ends inside segment ${this.next}`);
			return [this.open(this.queue.take(this.queue.length), true)];
		}
		const out: Buffer[] = [];
		if (this.next === known && this.queue.length >= TAG_BYTES && (through ?? known) >= known) out.push(this.open(this.queue.take(this.queue.length), true));
		if (this.queue.length > 0 || this.next <= (through ?? known)) throw damaged(this.artifact, `it ends ${this.queue.length > 0 ? 'inside' : 'before'} segment ${this.next}`);
		return out;
	}

	private open(stored: Buffer, last: boolean): Buffer {
		const plaintext = openSegment(this.keys, this.next, last, stored);
		if (!plaintext) throw segmentDamaged(this.artifact, this.next, this.keys.segmentBytes);
		this.next += 1;
		return plaintext;
	}
}

/**
 * The plaintext of the consecutive stored segments in `buffer`, the first of them segment
 * `firstSegment`, of an artifact whose last segment is `lastSegmentIndex`. Authenticates them all
 * before returning anything.
 */
export function decryptSegments(buffer: Buffer, firstSegment: number, keys: SegmentKeys, lastSegmentIndex: number, artifact = 'the artifact'): Buffer {
	const decryptor = new SegmentDecryptor(keys, artifact, firstSegment, lastSegmentIndex);
	const stored = keys.segmentBytes + TAG_BYTES;
	const through = Math.min(lastSegmentIndex, firstSegment + Math.max(1, Math.ceil(buffer.length / stored)) - 1);
	return Buffer.concat([...decryptor.push(buffer), ...decryptor.end(through)]);
}
