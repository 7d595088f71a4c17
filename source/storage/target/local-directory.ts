import {constants, createReadStream, type Stats} from 'node:fs';
import {link, open, readdir, rename, rm, stat, unlink, type FileHandle} from 'node:fs/promises';
import path from 'node:path';
import {Readable} from 'node:stream';
import {UsageError, WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {partialPathOf} from '../archive/member-path.ts';
import {asOutputError, outputWriteError} from '../disk-errors.ts';
import {openPartial, syncDirectory, writeAll, writeFileDurably} from '../durable-file.ts';
import {removeDeadLeftovers} from './leftovers.ts';
import {holdRunLock, type RunLock} from './run-lock.ts';
import type {AppendableArtifact, AppendableTarget, ArtifactStat, OpenAppendOptions, OpenPartialOptions, PartialArtifact, RemovedLeftover, SealOptions} from './types.ts';

/**
 * A flush of the file to disk (fdatasync, on libuv's thread pool) starts each time this many bytes were
 * written since the last one, while writing goes on. The fsync that makes the artifact durable before it
 * is published then has only the tail left: for an 800 MB archive it took 0.26 s at the end, with the
 * dump already over.
 */
export const DEFAULT_FLUSH_EVERY_BYTES = 64 * 1024 * 1024;

const READ_CHUNK_BYTES = 1024 * 1024;

/** Link errors of filesystems without hard links, where only rename is left. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

function errnoOf(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException).code;
}

async function exists(file: string): Promise<boolean> {
	try {
		await stat(file);
		return true;
	} catch (error) {
		if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return false;
		throw error;
	}
}

function refuseExisting(file: string, what: string): UsageError {
	return new UsageError({code: 'ARTIFACT_EXISTS', message: `${file} ${what}; dbbackup does not overwrite a backup`, hint: 'Choose another output path, or move the existing file away first.'});
}

/** `partial` exists: a run that is writing the same artifact, or a dead run's leftover still locked or not yet looked at. */
function partialBusy(partial: string, cause: unknown): WorkError {
	return new WorkError({
		code: 'PARTIAL_EXISTS',
		message: `${partial} exists: another backup is writing this file, or one that stopped left it`,
		hint: 'Choose another output name. Leftovers of runs that ended are removed at the start of the next backup into their directory.',
		cause,
	});
}

function cannotCreate(partial: string, error: unknown) {
	return (
		outputWriteError(error, partial, 'create') ??
		new UsageError({code: 'ARTIFACT_PATH_UNWRITABLE', message: `cannot write ${partial}: ${(error as Error).message}`, hint: 'Check that the output directory exists and is writable.', cause: error})
	);
}

/**
 * Gives the complete `partial` its final name unless that name exists: link() fails with EEXIST where
 * rename() would silently replace a file that appeared meanwhile (another run's backup). On a
 * filesystem without hard links, the name is looked up just before a rename (not atomic, the best left).
 */
async function publishFile(partial: string, final: string): Promise<void> {
	try {
		await link(partial, final);
	} catch (error) {
		if (!NO_HARD_LINKS.has(errnoOf(error) ?? '')) throw error;
		if (await exists(final)) throw Object.assign(new Error(`${final} exists`), {code: 'EEXIST'});
		await rename(partial, final);
		return;
	}
	await unlink(partial);
}

/**
 * `<name>.partial` beside the final name, created exclusively and only readable by the owner, with an
 * flock (run-lock.ts) held on it while the run lives; published by link() + unlink().
 */
class LocalPartialArtifact implements PartialArtifact {
	private state: 'open' | 'committed' | 'removed' = 'open';
	private closed = false;
	private unflushedBytes = 0;
	/** the flush started while writing, if one is running or failed; it never rejects (a failure is recorded) */
	private flushing: Promise<void> | undefined;
	private flushFailure: {error: unknown} | undefined;

	constructor(
		readonly name: string,
		private readonly final: string,
		readonly location: string,
		private readonly file: FileHandle,
		private readonly lock: RunLock | undefined,
		private readonly flushEveryBytes: number,
		private readonly replace: boolean,
	) {}

	async write(bytes: Uint8Array): Promise<void> {
		this.throwIfFlushFailed();
		await writeAll(this.file, bytes).catch((error: unknown) => {
			throw this.writeError(error);
		});
		this.unflushedBytes += bytes.length;
		if (this.unflushedBytes >= this.flushEveryBytes && this.flushing === undefined) {
			this.unflushedBytes = 0;
			this.flushing = this.file.datasync().then(
				() => {
					this.flushing = undefined;
				},
				(error: unknown) => {
					this.flushFailure = {error};
				},
			);
		}
	}

	async commit(): Promise<void> {
		if (this.state !== 'open') throw new WorkError({code: 'ARTIFACT_NOT_OPEN', message: `cannot commit ${this.location}: it was already ${this.state}`});
		await this.flushing;
		this.throwIfFlushFailed();
		await this.file.sync().catch((error: unknown) => {
			throw this.writeError(error);
		});
		this.closed = true;
		await this.file.close().catch((error: unknown) => {
			throw this.writeError(error);
		});
		try {
			if (this.replace) await rename(this.location, this.final);
			else await publishFile(this.location, this.final);
		} catch (error) {
			if (errnoOf(error) !== 'EEXIST') throw outputWriteError(error, this.final, 'write') ?? error;
			await rm(this.location, {force: true});
			this.state = 'removed';
			throw refuseExisting(this.final, 'appeared while this backup was written; it was left as it is');
		}
		this.state = 'committed';
		await syncDirectory(path.dirname(this.final));
	}

	async abort(): Promise<void> {
		if (this.state === 'open') {
			this.state = 'removed';
			await this.flushing;
			if (!this.closed) await this.file.close().catch(() => undefined);
			this.closed = true;
			await rm(this.location, {force: true}).catch(() => undefined);
		}
		await this.release();
	}

	async release(): Promise<void> {
		await this.lock?.release();
	}

	private throwIfFlushFailed(): void {
		if (this.flushFailure) throw this.writeError(this.flushFailure.error);
	}

	private writeError(error: unknown): unknown {
		return outputWriteError(error, this.location, 'write') ?? error;
	}
}

/** every artifact, appendable ones included: binlogs can hold passwords (ALTER USER … IDENTIFIED BY) */
const ARTIFACT_MODE = 0o600;

/** A file of the directory opened in append mode (O_APPEND: every write lands at its end). */
class LocalAppendableArtifact implements AppendableArtifact {
	private closed = false;

	constructor(
		readonly name: string,
		private readonly file: string,
		private readonly handle: FileHandle,
		public size: number,
	) {}

	async write(bytes: Uint8Array): Promise<void> {
		await writeAll(this.handle, bytes).catch(asOutputError(this.file));
		this.size += bytes.length;
	}

	async sync(): Promise<void> {
		await this.handle.sync().catch(asOutputError(this.file));
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		await this.handle.close().catch(asOutputError(this.file));
	}
}

/** The artifacts of one local directory. */
export class LocalDirectoryTarget implements AppendableTarget {
	readonly root: string;

	constructor(root: string) {
		this.root = path.resolve(root);
	}

	async openPartial(name: string, options: OpenPartialOptions = {}): Promise<PartialArtifact> {
		const final = this.describe(name);
		const partial = partialPathOf(final);
		const taken = options.replace ? false : await exists(final).catch((error: unknown) => {
			throw cannotCreate(partial, error);
		});
		if (taken) throw refuseExisting(final, 'already exists');
		let file: FileHandle;
		try {
			file = await openPartial(partial);
		} catch (error) {
			if (errnoOf(error) === 'EEXIST') throw partialBusy(partial, error);
			throw cannotCreate(partial, error);
		}
		const lock = await holdRunLock(partial);
		return new LocalPartialArtifact(name, final, partial, file, lock, options.flushEveryBytes ?? DEFAULT_FLUSH_EVERY_BYTES, options.replace ?? false);
	}

	async openAppend(name: string, options: OpenAppendOptions): Promise<AppendableArtifact> {
		const file = this.describe(name);
		let handle: FileHandle;
		try {
			// 'existing' must not create: O_APPEND without O_CREAT
			handle = await open(file, options.create === 'new' ? 'ax' : constants.O_WRONLY | constants.O_APPEND, ARTIFACT_MODE);
		} catch (error) {
			if (options.create === 'new' && errnoOf(error) === 'EEXIST') throw refuseExisting(file, 'already exists');
			if (options.create === 'existing' && errnoOf(error) === 'ENOENT') throw new WorkError({code: 'ARTIFACT_MISSING', message: `${file} does not exist`, cause: error});
			throw outputWriteError(error, file, 'create') ?? error;
		}
		try {
			// a file written by an older version (or created under a loose umask) is made 0600 like the rest
			await handle.chmod(ARTIFACT_MODE);
			let {size} = await handle.stat();
			if (options.truncateTo !== undefined && options.truncateTo !== size) {
				if (options.truncateTo > size) throw new RangeError(`cannot cut ${file} to ${options.truncateTo} bytes: it has ${size}`);
				await handle.truncate(options.truncateTo);
				size = options.truncateTo;
			}
			if (options.create === 'new') await syncDirectory(this.root);
			return new LocalAppendableArtifact(name, file, handle, size);
		} catch (error) {
			await handle.close().catch(() => undefined);
			throw outputWriteError(error, file, 'write') ?? error;
		}
	}

	async overwriteAt(name: string, offset: number, bytes: Uint8Array): Promise<void> {
		const file = this.describe(name);
		let handle: FileHandle;
		try {
			handle = await open(file, 'r+');
		} catch (error) {
			if (errnoOf(error) === 'ENOENT') throw new WorkError({code: 'ARTIFACT_MISSING', message: `${file} does not exist`, cause: error});
			throw outputWriteError(error, file, 'write') ?? error;
		}
		try {
			const {size} = await handle.stat();
			const end = offset + bytes.length;
			if (offset < 0 || end > size) throw new RangeError(`cannot write bytes ${offset} to ${end} of ${file}: it has ${size}`);
			let done = 0;
			while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done, offset + done)).bytesWritten;
			await handle.sync();
		} catch (error) {
			throw outputWriteError(error, file, 'write') ?? error;
		} finally {
			await handle.close().catch(() => undefined);
		}
	}

	/**
	 * A file is already in its final form; with `as` it is renamed (link and unlink: a file of that name
	 * is never replaced) and the rename made durable. A rename that stopped between the two is finished.
	 */
	async seal(name: string, options: SealOptions = {}): Promise<void> {
		const as = options.as;
		if (as === undefined || as === name) return;
		const from = this.describe(name);
		const to = this.describe(as);
		const [source, existing] = await Promise.all([this.fileStats(name), this.fileStats(as)]);
		if (!source) {
			if (existing) return;
			throw new WorkError({code: 'ARTIFACT_MISSING', message: `${from} does not exist`});
		}
		try {
			if (existing) {
				if (existing.ino !== source.ino || existing.dev !== source.dev) throw refuseExisting(to, 'already exists');
				await unlink(from);
			} else {
				await publishFile(from, to);
			}
		} catch (error) {
			if (errnoOf(error) === 'EEXIST') throw refuseExisting(to, 'already exists');
			throw outputWriteError(error, to, 'write') ?? error;
		}
		await syncDirectory(this.root);
	}

	async put(name: string, bytes: Uint8Array): Promise<void> {
		const file = this.describe(name);
		try {
			await writeFileDurably(file, bytes);
		} catch (error) {
			throw outputWriteError(error, file, 'write') ?? error;
		}
		await syncDirectory(path.dirname(file));
	}

	async list(prefix = ''): Promise<ArtifactStat[]> {
		const found: ArtifactStat[] = [];
		for (const name of await readdir(this.root)) {
			if (!name.startsWith(prefix) || name.endsWith('.partial')) continue;
			const info = await this.fileStats(name).catch(() => undefined);
			if (info?.isFile()) found.push(statOf(name, info));
		}
		return found;
	}

	async stat(name: string): Promise<ArtifactStat | undefined> {
		const info = await this.fileStats(name);
		if (!info) return undefined;
		if (!info.isFile()) throw new UsageError({code: 'ARTIFACT_UNREADABLE', message: `${this.describe(name)} is not a file`});
		return statOf(name, info);
	}

	readRange(name: string, start: number, end?: number): Readable {
		if (end !== undefined && end <= start) return Readable.from([], {objectMode: false});
		return createReadStream(this.describe(name), {start, ...(end === undefined ? {} : {end: end - 1}), highWaterMark: READ_CHUNK_BYTES});
	}

	async delete(name: string): Promise<void> {
		await rm(this.describe(name), {force: true});
	}

	describe(name: string): string {
		return path.join(this.root, name);
	}

	localPath(name: string): string {
		return this.describe(name);
	}

	removeDeadLeftovers(bus?: EventBus): Promise<RemovedLeftover[]> {
		return removeDeadLeftovers(this.root, bus);
	}

	/** undefined when nothing has that name */
	private async fileStats(name: string): Promise<Stats | undefined> {
		try {
			return await stat(this.describe(name));
		} catch (error) {
			if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return undefined;
			throw error;
		}
	}
}

function statOf(name: string, info: Stats): ArtifactStat {
	return {name, bytes: info.size, modifiedAt: info.mtime};
}
