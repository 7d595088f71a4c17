import {availableParallelism} from 'node:os';
import path from 'node:path';
import {Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import tar from 'tar-stream';
import {DbBackupError, UsageError, WorkError} from '../../core/errors.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import {extensionFor, parseCompression, resolveLevel, type Compression} from '../compression.ts';
import {compressionOf, encodingStream, stagesFor} from './member-stages.ts';
import {MeterStream} from '../hash.ts';
import {Slots} from '../slots.ts';
import {MANIFEST_FORMAT_VERSION, manifestProblems, serializeManifest, type Manifest, type ManifestMember} from './manifest.ts';
import {MANIFEST_NAME, memberPathProblem, sidecarPathOf} from './member-path.ts';
import {LocalSpillStore, SpillBuffer, TargetSpillStore, type SpillStore} from './spill-buffer.ts';
import {outputWriteError} from '../disk-errors.ts';
import {targetFor, type ArtifactTarget, type PartialArtifact, type StorageOptions} from '../target/index.ts';

export const DEFAULT_SPILL_THRESHOLD = 64 * 1024 * 1024;

export interface ArchiveWriterOptions {
	/** where the archive goes (a path; targetFor picks the target); written as a partial artifact, committed at the end */
	path: string;
	/** S3 settings and encryption of the target */
	storage?: StorageOptions;
	compression: Compression;
	/** codec level; the codec default when absent */
	level?: number;
	bus?: EventBus;
	/** replace an existing archive at `path` (default: refuse) */
	overwrite?: boolean;
	/** stored bytes of one member held in memory before it moves to a temp file (default 64 MiB) */
	spillThreshold?: number;
	/** where spilled members go (default: the archive's directory, or scratch artifacts beside it for a target that is not local); the local files are unlinked at once */
	spillDir?: string;
	/** members compressed at the same time (default: one per core); memory is about this × spillThreshold */
	concurrency?: number;
	/** bytes written between the flushes started while writing (default: the target's) */
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
	/** Waits for the members in progress, appends manifest.json, commits the archive, writes the sidecar. */
	finish(fields: ManifestFields): Promise<FinishedArchive>;
	/** Stops and removes the partial archive. Does nothing once finished. */
	abort(): Promise<void>;
}

type State = 'open' | 'finishing' | 'finished' | 'aborted';

/** The target's refusals of an output, worded for an archive (ARCHIVE_EXISTS, ARCHIVE_PATH_UNWRITABLE); `what` tells when the name was found taken. */
function inArchiveWords(error: unknown, file: string, what: string): unknown {
	if (!(error instanceof UsageError)) return error;
	if (error.code === 'ARTIFACT_EXISTS') {
		return new UsageError({
			code: 'ARCHIVE_EXISTS',
			message: `${file} ${what}; dbbackup does not overwrite an archive`,
			hint: 'Choose another output path, or move the existing archive away first.',
		});
	}
	if (error.code === 'ARTIFACT_PATH_UNWRITABLE') return new UsageError({code: 'ARCHIVE_PATH_UNWRITABLE', message: error.message, hint: error.hint, cause: error.cause});
	return error;
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
	readonly path: string;
	readonly partialPath: string;
	private state: State = 'open';
	/** set when the tar itself can no longer be trusted (a failed append or write, or an abort) */
	private failure: Error | null = null;
	private readonly pack = tar.pack();
	private readonly pumped: Promise<void>;
	private bytesWritten = 0;
	private appendTail: Promise<void> = Promise.resolve();
	private readonly members: ManifestMember[] = [];
	private readonly names = new Set<string>();
	private readonly inflight = new Set<Promise<unknown>>();
	private readonly slots: Slots;
	private readonly stop = new AbortController();
	private readonly progress?: ProgressReporter;

	/** where members too large for memory wait for their turn */
	private readonly spillStore: SpillStore;

	constructor(
		private readonly target: ArtifactTarget,
		private readonly file: PartialArtifact,
		private readonly compression: Compression,
		private readonly level: number | undefined,
		private readonly options: ArchiveWriterOptions,
	) {
		this.path = target.describe(file.name);
		this.partialPath = file.location;
		this.spillStore = spillStoreFor(target, file.name, options.spillDir);
		this.slots = new Slots(options.concurrency ?? availableParallelism());
		if (options.bus) this.progress = new ProgressReporter(options.bus, `write ${this.path}`, 'bytes');
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
				...(fields.physical === undefined ? {} : {physical: fields.physical}),
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
			this.throwIfFailed();
			await this.file.commit().catch((error: unknown) => {
				throw inArchiveWords(error, this.path, 'appeared while this archive was written; it was left as it is');
			});
		} catch (error) {
			const failure = error instanceof DbBackupError ? error : this.writeFailure(error);
			await this.discard(failure);
			throw failure;
		}
		this.state = 'finished';
		try {
			await this.target.put(sidecarPathOf(this.file.name), Buffer.from(serializeManifest(manifest)));
		} catch (error) {
			throw new WorkError({
				code: 'SIDECAR_WRITE_FAILED',
				message: `${this.path} is complete, but its sidecar ${sidecarPathOf(this.path)} could not be written: ${messageOf(outputWriteError(error, sidecarPathOf(this.path), 'write') ?? error)}`,
				hint: 'The archive holds the same manifest; the sidecar only serves catalogs.',
				cause: error,
			});
		} finally {
			await this.file.release();
		}
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
		await this.file.abort();
	}

	/** Moves the tar stream into the partial archive as the appends produce it. */
	private async pump(): Promise<void> {
		try {
			for await (const chunk of this.pack as AsyncIterable<Buffer>) {
				await this.file.write(chunk);
				this.bytesWritten += chunk.length;
				this.progress?.set(this.bytesWritten);
			}
		} catch (error) {
			this.writeFailed(error);
		}
	}

	private writeFailed(error: unknown): void {
		if (this.failure) return;
		this.failure = this.writeFailure(error);
		this.pack.destroy(this.failure);
		this.stop.abort(this.failure);
	}

	/** A failure to write or commit the partial archive, as the one-line error the user reads. */
	private writeFailure(error: unknown): DbBackupError {
		if (error instanceof DbBackupError) return error;
		return (
			outputWriteError(error, this.partialPath, 'write') ??
			new WorkError({
				code: 'ARCHIVE_WRITE_FAILED',
				message: `could not write ${this.partialPath}: ${messageOf(error)}`,
				hint: 'Check the free space and permissions of the destination.',
				cause: error,
			})
		);
	}

	private async compressAndAppend(
		memberPath: string,
		source: MemberSource,
		compression: Compression,
		level: number | undefined,
		rowsOption: MemberOptions['rows'],
	): Promise<ManifestMember> {
		let release: (() => void) | undefined;
		const stages = stagesFor(compression, level);
		const spillDir = this.spillStore.location;
		const spill = new SpillBuffer(this.options.spillThreshold ?? DEFAULT_SPILL_THRESHOLD, this.spillStore);
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
				await pipeline(input, raw, encodingStream(stages), stored, spill, {signal: this.stop.signal});
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
				compression: compressionOf(stages),
				stages,
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

/** A given spillDir, the archive's directory, or (a target with no local files, such as S3) scratch artifacts of the target: never local disk the user did not choose. */
function spillStoreFor(target: ArtifactTarget, name: string, spillDir: string | undefined): SpillStore {
	if (spillDir !== undefined) return new LocalSpillStore(spillDir);
	const local = target.localPath(name);
	return local === undefined ? new TargetSpillStore(target, name) : new LocalSpillStore(path.dirname(local));
}

/**
 * Starts an archive at `options.path` (a partial artifact of its target until `finish`). Refuses an
 * existing archive unless `overwrite`; a bad compression or level is a UsageError.
 */
export async function createArchiveWriter(options: ArchiveWriterOptions): Promise<ArchiveWriter> {
	const compression = parseCompression(options.compression);
	const level = resolveLevel(compression, options.level);
	for (const [key, value] of [['spillThreshold', options.spillThreshold], ['concurrency', options.concurrency], ['flushEveryBytes', options.flushEveryBytes]] as const) {
		if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`${key} must be a whole number above 0, not ${value}`);
	}
	const {target, name} = await targetFor(options.path, options.storage);
	const file = await target
		.openPartial(name, {replace: options.overwrite ?? false, ...(options.flushEveryBytes === undefined ? {} : {flushEveryBytes: options.flushEveryBytes})})
		.catch((error: unknown) => {
			throw inArchiveWords(error, target.describe(name), 'already exists');
		});
	return new TarArchiveWriter(target, file, compression, level, options);
}
