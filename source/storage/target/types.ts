import type {Readable} from 'node:stream';
import type {EventBus} from '../../core/events.ts';

/*
 * Where the bytes of a backup go: a local directory today, an object store next. Names are relative to
 * the target's root (`shop-20261207T140327.512Z-3f9a.tar`, `shop-….tar.meta.json`). Every failure is a
 * DbBackupError when its cause is known (the output refused, the name taken); other errors pass through
 * for the caller to word.
 */

export interface ArtifactStat {
	name: string;
	bytes: number;
	modifiedAt: Date;
}

export interface OpenPartialOptions {
	/** commit replaces an artifact of that name instead of refusing (default: refuse) */
	replace?: boolean;
	/** bytes written between the flushes to durable storage started while writing */
	flushEveryBytes?: number;
}

/** A removed leftover of a run that ended without finishing: where it was, and its size. */
export interface RemovedLeftover {
	path: string;
	bytes: number;
}

/**
 * An artifact being written. Nothing under its final name exists until commit; the run that opened it
 * holds a claim on the name (no second run writes it, and no leftover sweep takes it for dead) until
 * release or abort.
 */
export interface PartialArtifact {
	/** the final name */
	readonly name: string;
	/** where the unfinished bytes are, for messages (the `.partial` file) */
	readonly location: string;
	/** Resolves once the bytes are accepted; one write at a time. A failed background flush rejects the next write. */
	write(bytes: Uint8Array): Promise<void>;
	/**
	 * Makes the artifact complete under its name, atomically: it is whole and durable before it can be
	 * seen there, and a crash leaves either nothing or all of it. An artifact that appeared under the name
	 * meanwhile is never replaced (UsageError ARTIFACT_EXISTS, the partial removed) unless opened with
	 * `replace`. The claim lasts until release, so what the run writes beside it (the sidecar) is covered.
	 */
	commit(): Promise<void>;
	/** Removes what was written and ends the claim. After commit it only ends the claim. Never throws. */
	abort(): Promise<void>;
	/** Ends the run's claim on the name (after commit, and after what is written beside it). */
	release(): Promise<void>;
}

export interface OpenAppendOptions {
	/**
	 * 'new': the artifact must not exist (UsageError ARTIFACT_EXISTS); it is created empty, its name
	 * durable before this resolves. 'existing': it must exist (WorkError ARTIFACT_MISSING); writes go
	 * to its end.
	 */
	create: 'new' | 'existing';
	/** with 'existing': first cut the artifact to this many bytes (no more than it has) */
	truncateTo?: number;
}

export interface SealOptions {
	/** the artifact's final name, when it is not `name` */
	as?: string;
}

/**
 * An artifact that grows in place for as long as it is open (a binlog file being copied), visible
 * under its name from the start: unlike a partial, what is synced stays there, complete or not. Only
 * one writer appends to a name at a time; the caller holds that claim (the binlog directory's lock).
 */
export interface AppendableArtifact {
	readonly name: string;
	/** its bytes so far: the size it was opened at (after truncateTo) plus what was written */
	readonly size: number;
	/** Appends; resolves once the bytes are accepted (backpressure). One write at a time. */
	write(bytes: Uint8Array): Promise<void>;
	/** Resolves once everything written so far is durable. */
	sync(): Promise<void>;
	/** Ends the writing, without a sync of its own (sync first to have the tail durable). */
	close(): Promise<void>;
}

export interface ArtifactTarget {
	/**
	 * Opens artifact `name` to append to it, 0600 (optional: targets that cannot grow an artifact in
	 * place lack it). A disk-level refusal is outputWriteError's one-line error; others pass through.
	 */
	openAppend?(name: string, options: OpenAppendOptions): Promise<AppendableArtifact>;
	/**
	 * Replaces `bytes.length` bytes at `offset` of appendable artifact `name`, durably, once it is closed
	 * and before seal (a closed binlog's in-use flag is cleared this way). A range past its end is a
	 * RangeError, a missing artifact WorkError ARTIFACT_MISSING; an object store refuses a sealed one
	 * (WorkError ARTIFACT_SEALED).
	 */
	overwriteAt?(name: string, offset: number, bytes: Uint8Array): Promise<void>;
	/**
	 * Appendable artifact `name` will not grow again: stores it in the target's final form (an object
	 * store turns its segments into one object; a directory has nothing to do). Idempotent. With `as`,
	 * it is stored under that name instead and `name` is gone (a rename: the file being filled,
	 * `X.partial`, becomes `X`); an artifact already there under `as` is never replaced, unless `name`
	 * is gone or the same file (a seal that stopped half-way, finished).
	 */
	seal?(name: string, options?: SealOptions): Promise<void>;
	/**
	 * Starts artifact `name` for this run alone. Refuses a name that exists (UsageError ARTIFACT_EXISTS)
	 * unless `replace`, and one another run is writing or a dead run left (WorkError PARTIAL_EXISTS).
	 */
	openPartial(name: string, options?: OpenPartialOptions): Promise<PartialArtifact>;
	/** Writes a small artifact whole, durably, replacing one of that name: a sidecar of an artifact the run just committed. */
	put(name: string, bytes: Uint8Array): Promise<void>;
	/** The complete artifacts whose name starts with `prefix`, in no particular order. */
	list(prefix?: string): Promise<ArtifactStat[]>;
	/** undefined when there is no artifact `name` */
	stat(name: string): Promise<ArtifactStat | undefined>;
	/** Bytes `start` up to `end` (exclusive; the end of the artifact when absent). */
	readRange(name: string, start: number, end?: number): Readable;
	/** Removes artifact `name`; nothing happens when there is none. */
	delete(name: string): Promise<void>;
	/** Where `name` is, as a user reads it in a message: a path, a URL. */
	describe(name: string): string;
	/** The local file of `name` for readers that open it themselves (worker threads), or undefined when the target is not local. */
	localPath(name: string): string | undefined;
	/** Removes, with a warning each, what runs that ended without finishing left; anything a live run holds is kept. */
	removeDeadLeftovers(bus?: EventBus): Promise<RemovedLeftover[]>;
}

/** A target that can grow artifacts in place (binlog streaming writes to one). */
export type AppendableTarget = ArtifactTarget & Required<Pick<ArtifactTarget, 'openAppend'>>;
