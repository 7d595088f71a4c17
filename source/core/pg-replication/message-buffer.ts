/**
 * The bytes read from the socket and not parsed yet, kept as the chunks they arrived in. A message is
 * handed out as a view into its chunk when it lies inside one, else copied once into a buffer of its
 * own size: BASE_BACKUP sends its data in CopyData messages of about 256 KiB, larger than the socket's
 * 64 KiB reads, and joining every read to the unparsed rest copied each message 2.5 times over.
 */
export class MessageBuffer {
	private chunks: Buffer[] = [];
	/** bytes of chunks[0] already taken */
	private offset = 0;
	length = 0;

	push(chunk: Buffer): void {
		if (chunk.length === 0) return;
		this.chunks.push(chunk);
		this.length += chunk.length;
	}

	/** The byte at `index` from the start (index < length). */
	byteAt(index: number): number {
		let at = index + this.offset;
		for (const chunk of this.chunks) {
			if (at < chunk.length) return chunk[at]!;
			at -= chunk.length;
		}
		throw new RangeError(`byte ${index} of ${this.length}`);
	}

	/** The big-endian 32-bit integer at `index` (index + 4 <= length). */
	uint32At(index: number): number {
		return ((this.byteAt(index) << 24) | (this.byteAt(index + 1) << 16) | (this.byteAt(index + 2) << 8) | this.byteAt(index + 3)) >>> 0;
	}

	/** Takes the first `count` bytes (count <= length): a view when they lie in one chunk, else one copy. */
	take(count: number): Buffer {
		if (count === 0) return Buffer.alloc(0);
		const first = this.chunks[0]!;
		if (first.length - this.offset >= count) {
			const view = first.subarray(this.offset, this.offset + count);
			this.advance(count);
			return view;
		}
		const out = Buffer.allocUnsafe(count);
		let filled = 0;
		while (filled < count) {
			const chunk = this.chunks[0]!;
			const piece = Math.min(chunk.length - this.offset, count - filled);
			chunk.copy(out, filled, this.offset, this.offset + piece);
			filled += piece;
			this.advance(piece);
		}
		return out;
	}

	/** Drops the first `count` bytes. */
	skip(count: number): void {
		while (count > 0) {
			const piece = Math.min(this.chunks[0]!.length - this.offset, count);
			this.advance(piece);
			count -= piece;
		}
	}

	/** Everything left, as one buffer, and the buffer emptied. */
	drain(): Buffer {
		return this.take(this.length);
	}

	private advance(count: number): void {
		this.offset += count;
		this.length -= count;
		if (this.offset === this.chunks[0]!.length) {
			this.chunks.shift();
			this.offset = 0;
		}
	}
}
