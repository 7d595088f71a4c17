/**
 * A table's rows as a multiset, in 96 bits: the checksum a backup records per table in its manifest
 * and `verify --restore-test` recomputes on the restored copy. Each row is hashed as the dump reads it
 * (MySQL: the text-protocol row packet of the dump's SELECT; PostgreSQL: the COPY text line), with two
 * murmur3-style 32-bit lanes of different seeds; the lanes are summed (mod 2^32) and their mix XORed
 * over all rows. The order rows arrive in, and how a table is split into chunks read in parallel, do
 * not count: the same rows give the same checksum. It finds changed, lost and added rows; it is not a
 * defence against someone forging a table to a checksum.
 */

/** names the algorithm in the recorded value, so a later change cannot compare unlike with like */
export const ROW_CHECKSUM_PREFIX = 'rowsum1:';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const SEED_A = 0x9747b28c;
const SEED_B = 0x5bd1e995;

function finalMix(hash: number, length: number): number {
	let h = hash ^ length;
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	h ^= h >>> 16;
	return h >>> 0;
}

export class RowChecksum {
	rows = 0;
	private sumA = 0;
	private sumB = 0;
	private mixed = 0;

	/** Adds the row held in `bytes[start, end)`. */
	addRow(bytes: Uint8Array, start: number, end: number): void {
		let a = SEED_A;
		let b = SEED_B;
		let at = start;
		const blocksEnd = start + ((end - start) & ~3);
		while (at < blocksEnd) {
			let k = bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
			k = Math.imul(k, C1);
			k = (k << 15) | (k >>> 17);
			k = Math.imul(k, C2);
			a ^= k;
			a = (a << 13) | (a >>> 19);
			a = (Math.imul(a, 5) + 0xe6546b64) | 0;
			b ^= k;
			b = (b << 17) | (b >>> 15);
			b = (Math.imul(b, 5) + 0x52dce729) | 0;
			at += 4;
		}
		const tail = end - at;
		if (tail > 0) {
			let k = bytes[at]!;
			if (tail > 1) k ^= bytes[at + 1]! << 8;
			if (tail > 2) k ^= bytes[at + 2]! << 16;
			k = Math.imul(k, C1);
			k = (k << 15) | (k >>> 17);
			k = Math.imul(k, C2);
			a ^= k;
			b ^= k;
		}
		const length = end - start;
		const hashA = finalMix(a, length);
		const hashB = finalMix(b ^ hashA, length);
		this.sumA = (this.sumA + hashA) >>> 0;
		this.sumB = (this.sumB + hashB) >>> 0;
		this.mixed = (this.mixed ^ finalMix(hashA ^ ((hashB << 16) | (hashB >>> 16)), length)) >>> 0;
		this.rows += 1;
	}

	/** Adds another part of the same table (a chunk read on another connection). */
	merge(other: RowChecksum): void {
		this.sumA = (this.sumA + other.sumA) >>> 0;
		this.sumB = (this.sumB + other.sumB) >>> 0;
		this.mixed = (this.mixed ^ other.mixed) >>> 0;
		this.rows += other.rows;
	}

	/** `rowsum1:` and 24 hex digits; the row count is recorded beside it. */
	digest(): string {
		const hex = (value: number) => value.toString(16).padStart(8, '0');
		return `${ROW_CHECKSUM_PREFIX}${hex(this.sumA)}${hex(this.sumB)}${hex(this.mixed)}`;
	}
}

const NEWLINE = 0x0a;

/**
 * Feeds COPY text (one row per line; a newline inside a value is written `\n`, so every 0x0A ends a
 * row) into `checksum`, row by row across the chunks the stream happens to deliver.
 */
export class CopyTextRows {
	private carry: Buffer | undefined;

	constructor(private readonly checksum: RowChecksum) {}

	write(chunk: Buffer): void {
		let from = 0;
		let newline = chunk.indexOf(NEWLINE, from);
		if (this.carry !== undefined && newline >= 0) {
			const row = Buffer.concat([this.carry, chunk.subarray(0, newline)]);
			this.checksum.addRow(row, 0, row.length);
			this.carry = undefined;
			from = newline + 1;
			newline = chunk.indexOf(NEWLINE, from);
		}
		while (newline >= 0) {
			this.checksum.addRow(chunk, from, newline);
			from = newline + 1;
			newline = chunk.indexOf(NEWLINE, from);
		}
		if (from < chunk.length) this.carry = this.carry === undefined ? Buffer.from(chunk.subarray(from)) : Buffer.concat([this.carry, chunk.subarray(from)]);
	}

	/** The text ended; a last row without its newline (COPY always ends rows with one) still counts. */
	end(): void {
		if (this.carry !== undefined) this.checksum.addRow(this.carry, 0, this.carry.length);
		this.carry = undefined;
	}
}
