import {WorkError} from '../../core/errors.ts';
import type {AppendableArtifact} from './types.ts';

/**
 * Where an appendable artifact kept as whole segments (an object store cannot append; an encrypted blob
 * cannot grow) stores them: each put replaces the segment at `start` with `bytes`, durably.
 */
export interface SegmentStore {
	readonly segmentBytes: number;
	putSegment(name: string, start: number, bytes: Uint8Array): Promise<void>;
	/** the artifact as a message names it */
	describe(name: string): string;
}

/**
 * The open segment in memory, from its start to the artifact's end: writes extend it, a full one is
 * stored and the next begins; sync stores it again, whole, when it has bytes the stored one lacks.
 */
export class SegmentedAppendableArtifact implements AppendableArtifact {
	private readonly buffer: Buffer;
	private filled: number;
	private stored: number;
	private closed = false;
	/** puts one after another: a short sync landing after the full segment's put would cut it */
	private puts: Promise<void> = Promise.resolve();

	constructor(
		readonly name: string,
		private readonly store: SegmentStore,
		/** where the open segment starts */
		private start: number,
		openBytes: Uint8Array,
	) {
		this.buffer = Buffer.allocUnsafe(store.segmentBytes);
		this.buffer.set(openBytes);
		this.filled = openBytes.length;
		this.stored = openBytes.length;
	}

	get size(): number {
		return this.start + this.filled;
	}

	async write(bytes: Uint8Array): Promise<void> {
		this.throwIfClosed('write to');
		let offset = 0;
		while (offset < bytes.length) {
			if (this.filled === this.buffer.length) await this.serially(() => this.freeze());
			const taken = Math.min(this.buffer.length - this.filled, bytes.length - offset);
			this.buffer.set(bytes.subarray(offset, offset + taken), this.filled);
			this.filled += taken;
			offset += taken;
		}
		if (this.filled === this.buffer.length) await this.serially(() => this.freeze());
	}

	async sync(): Promise<void> {
		this.throwIfClosed('sync');
		await this.serially(() => this.storeOpen());
	}

	async close(): Promise<void> {
		if (this.closed) return;
		await this.serially(() => this.storeOpen());
		this.closed = true;
	}

	private serially(task: () => Promise<void>): Promise<void> {
		const run = this.puts.then(task);
		this.puts = run.catch(() => undefined);
		return run;
	}

	/** The full open segment is stored (unless a sync already stored it whole) and the next one starts after it. */
	private async freeze(): Promise<void> {
		if (this.filled < this.buffer.length) return;
		await this.storeOpen();
		this.start += this.filled;
		this.filled = 0;
		this.stored = 0;
	}

	private async storeOpen(): Promise<void> {
		const filled = this.filled;
		if (filled === this.stored) return;
		await this.store.putSegment(this.name, this.start, this.buffer.subarray(0, filled));
		this.stored = filled;
	}

	private throwIfClosed(what: string): void {
		if (this.closed) throw new WorkError({code: 'ARTIFACT_NOT_OPEN', message: `cannot ${what} ${this.store.describe(this.name)}: it was closed`});
	}
}
