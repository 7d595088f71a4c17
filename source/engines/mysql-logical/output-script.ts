import {createReadStream} from 'node:fs';
import {mkdtemp, open, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {UsageError} from '../../core/errors.ts';
import {asOutputError, outputWriteError} from '../../storage/disk-errors.ts';
import {writeAll} from '../../storage/durable-file.ts';
import {targetFor} from '../../storage/target/index.ts';
import type {Chunk} from './chunks.ts';
import type {ChunkTarget, DumpOutput, DumpStart, TableWork} from './dump.ts';
import {createSequenceScript} from './sequences.ts';
import {createDatabase, createStoredObject, createTable, scriptFooter, scriptHeader} from './script-text.ts';

export interface ScriptOutputOptions {
	/** where the script goes (a path; targetFor picks the target) */
	path: string;
}

/**
 * One plain SQL script, as the stock `mariadb`/`mysql` client restores it, written through the output's
 * target. Chunks go to scratch files on the local disk, beside the output when the target is a local
 * directory (else in the temp directory; the S3 target will revisit where they go); a table's section
 * is appended as soon as all its chunks are in, so disk use stays near the script's own size.
 */
export async function createScriptOutput(options: ScriptOutputOptions): Promise<DumpOutput> {
	const {target, name} = targetFor(options.path);
	const script = await target.openPartial(name);
	let scratch: string;
	const scratchPrefix = join(dirname(target.localPath(name) ?? join(tmpdir(), name)), `.${name}.parts-`);
	try {
		scratch = await mkdtemp(scratchPrefix);
	} catch (error) {
		await script.abort();
		throw outputWriteError(error, `${scratchPrefix}XXXXXX`, 'create') ?? new UsageError({
			code: 'ARTIFACT_PATH_UNWRITABLE',
			message: `cannot make a scratch directory beside ${options.path}: ${(error as Error).message}`,
			hint: 'Check that the output directory exists and is writable.',
			cause: error,
		});
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
		return join(scratch, `${fileIds.get(work)}-${chunk.index}.sql`);
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
			const path = fileOf(work, chunk);
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

		async tableComplete(work) {
			throwIfAppendFailed();
			appending = appending.then(async () => {
				if (appendFailure) return;
				try {
					await write(createTable(work.table));
					for (const chunk of work.chunks) {
						const path = fileOf(work, chunk);
						for await (const block of createReadStream(path, {highWaterMark: 1024 * 1024})) await write(block as Buffer);
						await rm(path, {force: true});
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
			await rm(scratch, {recursive: true, force: true});
			await script.release();
			return bytes;
		},

		async abort() {
			await appending;
			await script.abort();
			await rm(scratch, {recursive: true, force: true});
		},
	};
}
