import {Transform} from 'node:stream';
import {createHeader, type EncryptionHeader, type EncryptOptions, type SegmentKeys} from './header.ts';
import type {EncryptionKeySource} from './key.ts';
import {sealSegment} from './segment.ts';

/**
 * Seals plaintext into segments. A full segment is sealed only once a byte after it arrives, since
 * whether it is the last one (its flag) is known only then; `finish` seals what is held as the last.
 */
export class SegmentEncryptor {
	private readonly pending: Buffer;
	private filled = 0;
	private index = 0;
	private finished = false;

	constructor(private readonly keys: SegmentKeys) {
		this.pending = Buffer.allocUnsafe(keys.segmentBytes);
	}

	/** The segments `bytes` completed (whole, stored form: ciphertext ‖ tag), in order; `bytes` may be reused after. */
	push(bytes: Uint8Array): Buffer[] {
		if (this.finished) throw new Error('the encryptor was finished');
		const size = this.keys.segmentBytes;
		const sealed: Buffer[] = [];
		let offset = 0;
		while (offset < bytes.length) {
			if (this.filled === size) {
				sealed.push(sealSegment(this.keys, this.index++, false, this.pending));
				this.filled = 0;
			}
			// whole segments straight from the input when more follows them
			if (this.filled === 0 && bytes.length - offset > size) {
				sealed.push(sealSegment(this.keys, this.index++, false, bytes.subarray(offset, offset + size)));
				offset += size;
				continue;
			}
			const count = Math.min(size - this.filled, bytes.length - offset);
			this.pending.set(bytes.subarray(offset, offset + count), this.filled);
			this.filled += count;
			offset += count;
		}
		return sealed;
	}

	/** The last segment (empty only when nothing at all was pushed). */
	finish(): Buffer {
		if (this.finished) throw new Error('the encryptor was finished');
		this.finished = true;
		return sealSegment(this.keys, this.index++, true, this.pending.subarray(0, this.filled));
	}
}

/** A header for a new artifact and the encryptor of its segments. */
export async function startEncryption(source: EncryptionKeySource, options: EncryptOptions = {}): Promise<{header: EncryptionHeader; encryptor: SegmentEncryptor}> {
	const {header, keys} = await createHeader(source, options);
	return {header, encryptor: new SegmentEncryptor(keys)};
}

/** Plaintext in, a whole encrypted artifact out: the header, then the segments. */
export function createEncryptStream(source: EncryptionKeySource, options: EncryptOptions = {}): Transform {
	let started: Promise<SegmentEncryptor> | undefined;
	const start = (stream: Transform) =>
		(started ??= startEncryption(source, options).then(({header, encryptor}) => {
			stream.push(header.bytes);
			return encryptor;
		}));
	return new Transform({
		transform(chunk: Buffer, _encoding, callback) {
			start(this).then(
				(encryptor) => {
					for (const segment of encryptor.push(chunk)) this.push(segment);
					callback();
				},
				(error: unknown) => callback(error as Error),
			);
		},
		flush(callback) {
			start(this).then(
				(encryptor) => callback(null, encryptor.finish()),
				(error: unknown) => callback(error as Error),
			);
		},
	});
}
