/**
 * Cuts one archive's content (its files' bytes, concatenated in the order the server sends them) into
 * members of `packBytes`, so that a single incoming tar stream still compresses on every core: a full
 * pack goes to the archive writer, which compresses it on a worker thread, while the next one fills.
 * The packs are a fixed set of buffers, reused: when all are full and compressing, `write` returns a
 * promise and the caller (the replication connection) waits. Memory is count × packBytes, whatever the
 * size of the files.
 */
import type {ManifestMember} from '../../storage/archive/manifest.ts';

/** What a member's bytes travel to the compressor in: small enough that no stage copies a whole pack again. */
const SLICE_BYTES = 256 * 1024;

/** A fixed set of pack buffers shared by every archive of a backup. */
export class PackBuffers {
	private readonly free: Buffer[] = [];
	private made = 0;
	private readonly waiting: Array<(buffer: Buffer) => void> = [];

	constructor(
		readonly packBytes: number,
		private readonly count: number,
	) {}

	/** A free buffer now, or a promise of the next one given back. */
	take(): Buffer | Promise<Buffer> {
		const spare = this.free.pop();
		if (spare) return spare;
		if (this.made < this.count) {
			this.made += 1;
			return Buffer.allocUnsafe(this.packBytes);
		}
		return new Promise((resolve) => this.waiting.push(resolve));
	}

	give(buffer: Buffer): void {
		const next = this.waiting.shift();
		if (next) next(buffer);
		else this.free.push(buffer);
	}
}

export type AddPack = (name: string, slices: Buffer[]) => Promise<ManifestMember>;

export class ContentPacker {
	private buffer: Buffer | undefined;
	private fill = 0;
	private sequence = 0;
	private failure: unknown;
	/** the members in content order, as the writer settles them */
	readonly members: Array<Promise<ManifestMember>> = [];
	/** raw bytes taken */
	bytes = 0;

	constructor(
		private readonly buffers: PackBuffers,
		private readonly add: AddPack,
		/** member names are `<prefix>/<6-digit sequence>` (the writer adds the compression's extension) */
		private readonly prefix: string,
	) {}

	/** Takes `chunk` (copied before this returns or, when it must wait for a pack, before it waits); a promise when the caller must wait. */
	write(chunk: Buffer): void | Promise<void> {
		if (this.failure !== undefined) throw this.failure;
		let at = 0;
		while (at < chunk.length) {
			if (!this.buffer) {
				const next = this.buffers.take();
				if (next instanceof Promise) return this.waitThenWrite(next, Buffer.from(chunk.subarray(at)));
				this.buffer = next;
				this.fill = 0;
			}
			const take = Math.min(this.buffer.length - this.fill, chunk.length - at);
			chunk.copy(this.buffer, this.fill, at, at + take);
			this.fill += take;
			this.bytes += take;
			at += take;
			if (this.fill === this.buffer.length) this.submit();
		}
	}

	/** The archive's content ended: the pack being filled goes too. */
	flush(): void {
		if (this.failure !== undefined) throw this.failure;
		if (this.buffer && this.fill > 0) this.submit();
		else if (this.buffer) this.buffers.give(this.buffer);
		this.buffer = undefined;
	}

	/** Gives back the pack being filled without writing it (the backup failed). */
	discard(): void {
		if (this.buffer) this.buffers.give(this.buffer);
		this.buffer = undefined;
	}

	private async waitThenWrite(next: Promise<Buffer>, rest: Buffer): Promise<void> {
		this.buffer = await next;
		this.fill = 0;
		const more = this.write(rest);
		if (more) await more;
	}

	private submit(): void {
		const buffer = this.buffer!;
		const used = this.fill;
		this.buffer = undefined;
		this.fill = 0;
		const slices: Buffer[] = [];
		for (let start = 0; start < used; start += SLICE_BYTES) slices.push(buffer.subarray(start, Math.min(used, start + SLICE_BYTES)));
		const member = this.add(`${this.prefix}/${String(this.sequence++).padStart(6, '0')}`, slices);
		this.members.push(member);
		member.then(
			() => this.buffers.give(buffer),
			(error: unknown) => {
				this.failure ??= error;
				this.buffers.give(buffer);
			},
		);
	}
}
