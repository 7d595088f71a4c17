/** Bytes arriving in chunks of any size, taken off the front in pieces of chosen sizes, copying only what spans chunks. */
export class ByteQueue {
	private chunks: Buffer[] = [];
	/** bytes of chunks[0] already taken */
	private offset = 0;
	length = 0;

	push(chunk: Uint8Array): void {
		if (chunk.length === 0) return;
		this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
		this.length += chunk.length;
	}

	/** The first `count` bytes (no more than `length`), removed from the queue. */
	take(count: number): Buffer {
		if (count > this.length) throw new RangeError(`${count} bytes asked of ${this.length}`);
		this.length -= count;
		const first = this.chunks[0];
		if (first && first.length - this.offset >= count) return this.advance(first, count);
		const out = Buffer.allocUnsafe(count);
		let filled = 0;
		while (filled < count) {
			const chunk = this.chunks[0]!;
			const piece = this.advance(chunk, Math.min(count - filled, chunk.length - this.offset));
			piece.copy(out, filled);
			filled += piece.length;
		}
		return out;
	}

	private advance(chunk: Buffer, count: number): Buffer {
		const piece = chunk.subarray(this.offset, this.offset + count);
		this.offset += count;
		if (this.offset === chunk.length) {
			this.chunks.shift();
			this.offset = 0;
		}
		return piece;
	}
}
