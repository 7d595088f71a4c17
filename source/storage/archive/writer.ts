import {rename, rm, stat, type FileHandle} from 'node:fs/promises';
import {availableParallelism} from 'node:os';
import path from 'node:path';
import {Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import tar from 'tar-stream';
import {DbBackupError, UsageError, WorkError} from '../../core/errors.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import {compressStream, extensionFor, parseCompression, resolveLevel, type Compression} from '../compression.ts';
import {MeterStream} from '../hash.ts';
import {Slots} from '../slots.ts';
import {MANIFEST_FORMAT_VERSION, manifestProblems, serializeManifest, type Manifest, type ManifestMember} from './manifest.ts';
import {MANIFEST_NAME, memberPathProblem, partialPathOf, sidecarPathOf} from './member-path.ts';
import {SpillBuffer} from './spill-buffer.ts';
import {openPartial, partialBusy, publishFile, syncDirectory, writeAll, writeFileDurably} from '../durable-file.ts';
import {holdRunLock, type RunLock} from '../run-lock.ts';
import {outputWriteError} from '../disk-errors.ts';

export const DEFAULT_SPILL_THRESHOLD = 64 * 1024 * 1024;

/**
 * The writer starts a flush of the file to disk (fdatasync, on libuv's thread pool) each time this many
 * bytes were written since the last one, while it goes on writing. The fsync that makes the archive
 * durable before its rename then has only the tail left: for an 800 MB archive it took 0.26 s at the end,
 * with the dump already over.
 */
export const DEFAULT_FLUSH_EVERY_BYTES = 64 * 1024 * 1024;

export interface ArchiveWriterOptions {
	/** the final archive path; the writer writes `<path>.partial` and renames it at the end */
	path: string;
	compression: Compression;
	/** codec level; the codec default when absent */
	level?: number;
	bus?: EventBus;
	/** replace an existing archive at `path` (default: refuse) */
	overwrite?: boolean;
	/** stored bytes of one member held in memory before it moves to a temp file (default 64 MiB) */
	spillThreshold?: number;
	/** where spilled members go (default: the archive's directory); the files are unlinked at once */
	spillDir?: string;
	/** members compressed at the same time (default: one per core); memory is about this × spillThreshold */
	concurrency?: number;
	/** bytes written between the flushes started while writing (default DEFAULT_FLUSH_EVERY_BYTES) */
	flushEveryBytes?: number;
}

export interface MemberOptions {
	/** a function is read once the source has ended (a streamed chunk knows its rows only then) */
	rows?: number | (() => number);
	/** this member's compression when it differs from the archive's (e.g. none for data already compressed) */
	compression?: Compression;
	level?: number;
}

export type MemberSource = Buffer | Uint8Array | string | Readable | AsyncIterable<Buffer | Uint8Array | string>;

/** What the caller gives `finish`; the writer adds formatVersion and members, and finishedAt when absent. */
export type ManifestFields = Omit<Manifest, 'formatVersion' | 'members' | 'finishedAt'> & {finishedAt?: string};

export interface FinishedArchive {
	path: string;
	bytes: number;
	manifest: Manifest;
}

export interface ArchiveWriter {
	readonly path: string;
	readonly partialPath: string;
	/**
	 * Compresses `source` as member `name` + the compression's extension and appends it; resolves with
	 * its manifest entry. Calls may overlap: members compress in parallel, appends take turns. A member
	 * that fails before it is appended leaves the archive usable; a failed append makes `finish` refuse.
	 */
	addMember(name: string, source: MemberSource, options?: MemberOptions): Promise<ManifestMember>;
	/** Waits for the members in progress, appends manifest.json, syncs and renames, writes the sidecar. */
	finish(fields: ManifestFields): Promise<FinishedArchive>;
	/** Stops and removes the `.partial`. Does nothing once finished. */
	abort(): Promise<void>;
}

type State = 'open' | 'finishing' | 'finished' | 'aborted';

async function exists(file: string): Promise<boolean> {
	try {
		await stat(file);
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
		throw error;
	}
}

function refuseExisting(file: string, what = 'already exists'): UsageError {
	return new UsageError({
		code: 'ARCHIVE_EXISTS',
		message: `${file} ${what}; dbbackup does not overwrite an archive`,
		hint: 'Choose another output path, or move the existing archive away first.',
	});
}

function checkRows(name: string, rows: number): number {
	if (!(Number.isSafeInteger(rows) && rows >= 0)) {
		throw new WorkError({code: 'MEMBER_ROWS_INVALID', message: `${name}: rows must be a whole number of 0 or more, not ${rows}`});
	}
	return rows;
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** Resolves when the tar entry can take more data; rejects if it closes or fails first. */
function drained(entry: NodeJS.EventEmitter): Promise<void> {
	return new Promise((resolve, reject) => {
		const cleanup = () => {
			entry.off('drain', onDrain);
			entry.off('close', onClose);
			entry.off('error', onError);
		};
		const onDrain = () => {
			cleanup();
			resolve();
		};
		const onClose = () => {
			cleanup();
			reject(new Error('the tar entry closed before its data was written'));
		};
		const onError = (error: Error) => {
			cleanup();
			reject(error);
		};
		entry.on('drain', onDrain);
		entry.on('close', onClose);
		entry.on('error', onError);
	});
}

class TarArchiveWriter implements ArchiveWriter {
	readonly partialPath: string;
	private state: State = 'open';
	/** set when the tar itself can no longer be trusted (a failed append or write, or an abort) */
	private failure: Error | null = null;
	private readonly pack = tar.pack();
	private readonly pumped: Promise<void>;
	private bytesWritten = 0;
	private unflushedBytes = 0;
	/** the flush started while writing, if one is running; it never rejects (a failure is recorded) */
	private flushing: Promise<void> | undefined;
	private appendTail: Promise<void> = Promise.resolve();
	private readonly members: ManifestMember[] = [];
	private readonly names = new Set<string>();
	private readonly inflight = new Set<Promise<unknown>>();
	private readonly slots: Slots;
	private readonly stop = new AbortController();
	private readonly progress?: ProgressReporter;

	constructor(
		readonly path: string,
		private readonly file: FileHandle,
		private readonly lock: RunLock | undefined,
		private readonly compression: Compression,
		private readonly level: number | undefined,
		private readonly options: ArchiveWriterOptions,
	) {
		this.partialPath = partialPathOf(path);
		this.slots = new Slots(options.concurrency ?? availableParallelism());
		if (options.bus) this.progress = new ProgressReporter(options.bus, `write ${path}`, 'bytes');
		this.pumped = this.pump();
	}

	addMember(name: string, source: MemberSource, options: MemberOptions = {}): Promise<ManifestMember> {
		try {
			this.assertOpen('add a member');
			const compression = options.compression === undefined ? this.compression : parseCompression(options.compression);
			const level =
				options.compression === undefined && options.level === undefined ? this.level : resolveLevel(compression, options.level);
			if (typeof options.rows === 'number') checkRows(name, options.rows);
			const memberPath = name + extensionFor(compression);
			const problem = memberPathProblem(name) ?? memberPathProblem(memberPath);
			if (problem) throw new WorkError({code: 'MEMBER_NAME_INVALID', message: `member name ${JSON.stringify(name)} ${problem}`});
			if (this.names.has(memberPath)) {
				throw new WorkError({code: 'MEMBER_REPEATED', message: `${memberPath} is already in ${this.partialPath}`});
			}
			this.names.add(memberPath);
			const task = this.compressAndAppend(memberPath, source, compression, level, options.rows);
			this.inflight.add(task);
			const forget = () => this.inflight.delete(task);
			task.then(forget, forget);
			return task;
		} catch (error) {
			return Promise.reject(error);
		}
	}

	async finish(fields: ManifestFields): Promise<FinishedArchive> {
		this.assertOpen('finish');
		this.state = 'finishing';
		let manifest: Manifest;
		try {
			await Promise.allSettled([...this.inflight]);
			this.throwIfFailed();
			manifest = {
				formatVersion: MANIFEST_FORMAT_VERSION,
				tool: fields.tool,
				engine: fields.engine,
				dbType: fields.dbType,
				server: fields.server,
				databases: fields.databases,
				members: [...this.members],
				...(fields.objects === undefined ? {} : {objects: fields.objects}),
				coordinates: fields.coordinates,
				startedAt: fields.startedAt,
				finishedAt: fields.finishedAt ?? new Date().toISOString(),
				...(fields.lockMs === undefined ? {} : {lockMs: fields.lockMs}),
				options: fields.options,
			};
			const problems = manifestProblems(manifest);
			if (problems.length > 0) {
				const [first] = problems;
				throw new WorkError({
					code: 'MANIFEST_INVALID',
					message: `the manifest for ${this.path} is not valid: ${first!.field} ${first!.message}`,
					hint: 'This is a bug in the engine that wrote the archive.',
				});
			}
			const text = Buffer.from(serializeManifest(manifest));
			await this.append(() => this.appendEntry(MANIFEST_NAME, text.length, [text]));
			this.pack.finalize();
			await this.pumped;
			await this.flushing;
			this.throwIfFailed();
			await this.file.sync();
			await this.file.close();
			if (this.options.overwrite) await rename(this.partialPath, this.path);
			else await publishFile(this.partialPath, this.path, exists).catch((error: NodeJS.ErrnoException) => {
				throw error.code === 'EEXIST' ? refuseExisting(this.path, 'appeared while this archive was written; it was left as it is') : error;
			});
		} catch (error) {
			const failure = error instanceof DbBackupError ? error : (outputWriteError(error, this.partialPath, 'write') ?? error);
			await this.discard(failure instanceof Error ? failure : new Error(String(failure)));
			throw failure;
		}
		this.state = 'finished';
		try {
			await writeFileDurably(sidecarPathOf(this.path), serializeManifest(manifest));
		} catch (error) {
			throw new WorkError({
				code: 'SIDECAR_WRITE_FAILED',
				message: `${this.path} is complete, but its sidecar ${sidecarPathOf(this.path)} could not be written: ${messageOf(outputWriteError(error, sidecarPathOf(this.path), 'write') ?? error)}`,
				hint: 'The archive holds the same manifest; the sidecar only serves catalogs.',
				cause: error,
			});
		}
		await syncDirectory(path.dirname(this.path));
		await this.lock?.release();
		this.progress?.finish();
		this.options.bus?.log('info', `wrote ${this.path}`, {bytes: this.bytesWritten, members: manifest.members.length});
		return {path: this.path, bytes: this.bytesWritten, manifest};
	}

	async abort(): Promise<void> {
		if (this.state === 'finished' || this.state === 'aborted') return;
		await this.discard(new WorkError({code: 'ARCHIVE_ABORTED', message: `writing ${this.path} was aborted`}));
	}

	private async discard(reason: Error): Promise<void> {
		this.state = 'aborted';
		this.failure ??= reason;
		this.stop.abort(reason);
		this.slots.refuseWaiting(reason);
		this.pack.destroy(reason);
		await this.pumped;
		await this.flushing;
		await this.file.close().catch(() => undefined);
		await rm(this.partialPath, {force: true});
		await this.lock?.release();
	}

	/** Moves the tar stream into the `.partial` file as the appends produce it. */
	private async pump(): Promise<void> {
		try {
			for await (const chunk of this.pack as AsyncIterable<Buffer>) {
				await writeAll(this.file, chunk);
				this.bytesWritten += chunk.length;
				this.progress?.set(this.bytesWritten);
				this.unflushedBytes += chunk.length;
				if (this.unflushedBytes >= (this.options.flushEveryBytes ?? DEFAULT_FLUSH_EVERY_BYTES) && this.flushing === undefined) {
					this.unflushedBytes = 0;
					this.flushing = this.file.datasync().then(
						() => {
							this.flushing = undefined;
						},
						(error: unknown) => this.writeFailed(error),
					);
				}
			}
		} catch (error) {
			this.writeFailed(error);
		}
	}

	private writeFailed(error: unknown): void {
		if (this.failure) return;
		this.failure =
			outputWriteError(error, this.partialPath, 'write') ??
			new WorkError({
				code: 'ARCHIVE_WRITE_FAILED',
				message: `could not write ${this.partialPath}: ${messageOf(error)}`,
				hint: 'Check the free space and permissions of the destination.',
				cause: error,
			});
		this.pack.destroy(this.failure);
		this.stop.abort(this.failure);
	}

	private async compressAndAppend(
		memberPath: string,
		source: MemberSource,
		compression: Compression,
		level: number | undefined,
		rowsOption: MemberOptions['rows'],
	): Promise<ManifestMember> {
		let release: (() => void) | undefined;
		const spillDir = this.options.spillDir ?? path.dirname(this.path);
		const spill = new SpillBuffer(this.options.spillThreshold ?? DEFAULT_SPILL_THRESHOLD, spillDir);
		let appended = false;
		try {
			release = await this.slots.acquire();
			this.throwIfFailed();
			const raw = new MeterStream({sha256: false});
			const stored = new MeterStream();
			const input = typeof source === 'string' || source instanceof Uint8Array ? Readable.from([source]) : source;
			// The pipeline destroys its streams with an AbortError when the writer stops; a caller waiting on
			// its source (a COPY stream, a chunk's drain) would see that instead of why the writer stopped.
			// Registered before the pipeline's own listener, this one gives the source the real failure first.
			const failSource = () => {
				if (typeof (input as Readable).destroy === 'function') (input as Readable).destroy(this.stop.signal.reason as Error);
			};
			this.stop.signal.addEventListener('abort', failSource, {once: true});
			try {
				await pipeline(input, raw, compressStream(compression, level), stored, spill, {signal: this.stop.signal});
			} catch (error) {
				this.throwIfFailed();
				if (error instanceof DbBackupError) throw error;
				throw (
					outputWriteError(error, spillDir, 'write') ??
					new WorkError({code: 'MEMBER_WRITE_FAILED', message: `${memberPath} could not be compressed: ${messageOf(error)}`, cause: error})
				);
			} finally {
				this.stop.signal.removeEventListener('abort', failSource);
			}
			const rows = typeof rowsOption === 'function' ? checkRows(memberPath, rowsOption()) : rowsOption;
			const member: ManifestMember = {
				path: memberPath,
				bytes: stored.bytes,
				rawBytes: raw.bytes,
				sha256: stored.sha256(),
				compression,
				...(rows === undefined ? {} : {rows}),
			};
			await this.append(async () => {
				await this.appendEntry(memberPath, member.bytes, spill.chunks());
				this.members.push(member);
			});
			appended = true;
			this.options.bus?.log('debug', `archived ${memberPath}`, {rawBytes: member.rawBytes, bytes: member.bytes, spilled: spill.spilled});
			return member;
		} finally {
			if (!appended) this.names.delete(memberPath);
			release?.();
			await spill.dispose();
		}
	}

	/** Runs appends one at a time; a failed append poisons the archive. */
	private append(task: () => Promise<void>): Promise<void> {
		const run = this.appendTail.then(async () => {
			this.throwIfFailed();
			try {
				await task();
			} catch (error) {
				this.throwIfFailed();
				this.failure = outputWriteError(error, this.partialPath, 'write') ?? new WorkError({code: 'ARCHIVE_WRITE_FAILED', message: `could not append to ${this.partialPath}: ${messageOf(error)}`, cause: error});
				this.pack.destroy(this.failure);
				throw this.failure;
			}
		});
		this.appendTail = run.catch(() => undefined);
		return run;
	}

	private appendEntry(name: string, size: number, chunks: AsyncIterable<Buffer> | Buffer[]): Promise<void> {
		return new Promise((resolve, reject) => {
			const entry = this.pack.entry({name, size, mode: 0o644, mtime: new Date()}, (error) => (error ? reject(error) : resolve()));
			// failures arrive through the callback above; without a listener streamx would throw them
			entry.on('error', () => undefined);
			(async () => {
				for await (const chunk of chunks) {
					if (chunk.length > 0 && !entry.write(chunk)) await drained(entry as unknown as NodeJS.EventEmitter);
				}
				entry.end(undefined);
			})().catch((error: Error) => {
				entry.destroy(error);
				reject(error);
			});
		});
	}

	private assertOpen(action: string): void {
		if (this.state !== 'open') {
			throw new WorkError({code: 'ARCHIVE_WRITER_CLOSED', message: `cannot ${action}: the writer of ${this.path} is ${this.state}`});
		}
	}

	private throwIfFailed(): void {
		if (this.failure) throw this.failure;
	}
}

/**
 * Starts an archive at `options.path` (written as `<path>.partial` until `finish`). Refuses an existing
 * archive unless `overwrite`; a bad compression or level is a UsageError.
 */
export async function createArchiveWriter(options: ArchiveWriterOptions): Promise<ArchiveWriter> {
	const compression = parseCompression(options.compression);
	const level = resolveLevel(compression, options.level);
	for (const [key, value] of [['spillThreshold', options.spillThreshold], ['concurrency', options.concurrency], ['flushEveryBytes', options.flushEveryBytes]] as const) {
		if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`${key} must be a whole number above 0, not ${value}`);
	}
	const finalPath = path.resolve(options.path);
	if (!options.overwrite && (await exists(finalPath))) throw refuseExisting(finalPath);
	let file: FileHandle;
	try {
		file = await openPartial(partialPathOf(finalPath));
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'EEXIST') throw partialBusy(partialPathOf(finalPath), error);
		const refused = outputWriteError(error, partialPathOf(finalPath), 'create');
		if (refused) throw refused;
		if (code === 'ENOENT' || code === 'ENOTDIR') {
			throw new UsageError({
				code: 'ARCHIVE_PATH_UNWRITABLE',
				message: `cannot write ${partialPathOf(finalPath)}: ${messageOf(error)}`,
				hint: 'Check that the output directory exists and is writable.',
				cause: error,
			});
		}
		throw error;
	}
	const lock = await holdRunLock(partialPathOf(finalPath));
	return new TarArchiveWriter(finalPath, file, lock, compression, level, options);
}
