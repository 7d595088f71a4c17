import {createReadStream} from 'node:fs';
import {mkdtemp, open, rm} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import {UsageError} from '../../core/errors.ts';
import {asOutputError, outputWriteError} from '../../storage/disk-errors.ts';
import {writeAll} from '../../storage/durable-file.ts';
import {targetFor, type ArtifactTarget, type StorageOptions} from '../../storage/target/index.ts';
import {SpillBuffer, TargetSpillStore} from '../../storage/archive/spill-buffer.ts';
import type {Chunk} from './chunks.ts';
import type {ChunkTarget, DumpOutput, DumpStart, TableWork} from './dump.ts';
import {createSequenceScript} from './sequences.ts';
import {createDatabase, createStoredObject, createTable, scriptFooter, scriptHeader} from './script-text.ts';

export interface ScriptOutputOptions {
	/** where the script goes (a path; targetFor picks the target) */
	path: string;
	storage?: StorageOptions;
}

/**
 * One plain SQL script, as the stock `mariadb`/`mysql` client restores it, written through the output's
 * target. Chunks wait in scratch files beside the output when the target is a local directory, or (a
 * target with no local files, such as S3) in memory up to a bound and in scratch artifacts of the target
 * beyond it; a table's section is appended as soon as all its chunks are in, so scratch use stays near
 * the script's own size.
 */
export async function createScriptOutput(options: ScriptOutputOptions): Promise<DumpOutput> {
	const {target, name} = await targetFor(options.path, options.storage);
	const script = await target.openPartial(name);
	let scratch: ChunkScratch;
	try {
		scratch = await chunkScratchFor(target, name, options.path);
	} catch (error) {
		await script.abort();
		throw error;
	}
	let bytes = 0;
	const write = async (text: string | Buffer) => {
		const buffer = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
		await script.write(buffer);
		bytes += buffer.length;
	};
	const fileIds = new Map<TableWork, number>();
	const fileOf = (work: TableWork, chunk: Chunk) => {
		if (!fileIds.has(work)) fileIds.set(work, fileIds.size);
		return `${fileIds.get(work)}-${chunk.index}.sql`;
	};
	// table sections are appended one at a time, in the order the tables complete, while workers go on
	let appending: Promise<void> = Promise.resolve();
	let appendFailure: {error: unknown} | undefined;
	const throwIfAppendFailed = () => {
		if (appendFailure) throw appendFailure.error;
	};

	return {
		async begin(start: DumpStart) {
			await write(
				scriptHeader({
					serverVersion: start.server.text,
					databases: start.databases,
					coordinates: start.coordinates,
					method: start.method,
					lockMs: start.lockMs,
					startedAt: start.startedAt,
				}),
			);
			for (const database of start.catalog.databases) {
				await write(createDatabase(database));
				for (const sequence of database.sequences) await write(createSequenceScript(sequence));
			}
		},

		async openChunk(work, chunk): Promise<ChunkTarget> {
			throwIfAppendFailed();
			return scratch.open(fileOf(work, chunk));
		},

		async tableComplete(work) {
			throwIfAppendFailed();
			appending = appending.then(async () => {
				if (appendFailure) return;
				try {
					await write(createTable(work.table));
					for (const chunk of work.chunks) {
						const key = fileOf(work, chunk);
						for await (const block of scratch.read(key)) await write(block);
						await scratch.remove(key);
					}
				} catch (error) {
					appendFailure = {error};
				}
			});
		},

		async writeObjects(start: DumpStart) {
			const {catalog} = start;
			await appending;
			throwIfAppendFailed();
			for (const database of catalog.databases) {
				for (const routine of database.routines) await write(createStoredObject(routine));
			}
			for (const view of catalog.views) await write(createStoredObject(view));
			for (const database of catalog.databases) {
				for (const trigger of database.triggers) await write(createStoredObject(trigger));
				for (const event of database.events) await write(createStoredObject(event));
			}
			if (start.users) await write(`\n${start.users}`);
		},

		async finish() {
			await write(scriptFooter());
			await script.commit();
			await scratch.dispose();
			await script.release();
			return bytes;
		},

		async abort() {
			await appending;
			await script.abort();
			await scratch.dispose();
		},
	};
}

/** Where chunks wait until their table is complete: written once, read back once, removed. */
interface ChunkScratch {
	open(key: string): Promise<ChunkTarget>;
	read(key: string): AsyncIterable<Buffer>;
	remove(key: string): Promise<void>;
	dispose(): Promise<void>;
}

/** Bytes of one chunk held in memory before it moves to a scratch artifact of a target that is not local. */
const REMOTE_CHUNK_MEMORY = 8 * 1024 * 1024;

async function chunkScratchFor(target: ArtifactTarget, name: string, output: string): Promise<ChunkScratch> {
	const local = target.localPath(name);
	return local === undefined ? remoteScratch(target, name) : await localScratch(join(dirname(local), `.${name}.parts-`), output);
}

async function localScratch(prefix: string, output: string): Promise<ChunkScratch> {
	let dir: string;
	try {
		dir = await mkdtemp(prefix);
	} catch (error) {
		throw outputWriteError(error, `${prefix}XXXXXX`, 'create') ?? new UsageError({
			code: 'ARTIFACT_PATH_UNWRITABLE',
			message: `cannot make a scratch directory beside ${output}: ${(error as Error).message}`,
			hint: 'Check that the output directory exists and is writable.',
			cause: error,
		});
	}
	return {
		async open(key) {
			const path = join(dir, key);
			const file = await open(path, 'w', 0o600).catch(asOutputError(path));
			return {
				write: (buffer) => writeAll(file, buffer).catch(asOutputError(path)),
				close: () => file.close(),
				async discard() {
					await file.close().catch(() => undefined);
					await rm(path, {force: true});
				},
			};
		},
		async *read(key) {
			for await (const block of createReadStream(join(dir, key), {highWaterMark: 1024 * 1024})) yield block as Buffer;
		},
		remove: (key) => rm(join(dir, key), {force: true}),
		dispose: () => rm(dir, {recursive: true, force: true}),
	};
}

function remoteScratch(target: ArtifactTarget, name: string): ChunkScratch {
	const store = new TargetSpillStore(target, name);
	const buffers = new Map<string, SpillBuffer>();
	const drop = async (key: string) => {
		await buffers.get(key)?.dispose();
		buffers.delete(key);
	};
	return {
		async open(key) {
			const buffer = new SpillBuffer(REMOTE_CHUNK_MEMORY, store);
			buffers.set(key, buffer);
			return {
				write: (bytes) => new Promise<void>((resolve, reject) => buffer.write(bytes, (error) => (error ? reject(error) : resolve()))),
				close: () => new Promise<void>((resolve) => buffer.end(resolve)),
				discard: () => drop(key),
			};
		},
		read(key) {
			const buffer = buffers.get(key);
			if (!buffer) throw new Error(`chunk ${key} was not written`);
			return buffer.chunks();
		},
		remove: drop,
		async dispose() {
			for (const key of [...buffers.keys()]) await drop(key);
		},
	};
}
