import {rm, stat, type FileHandle} from 'node:fs/promises';
import {UsageError} from '../core/errors.ts';
import {partialPathOf} from './archive/member-path.ts';
import {outputWriteError} from './disk-errors.ts';
import {openPartial, partialBusy, publishFile} from './durable-file.ts';
import {holdRunLock, type RunLock} from './run-lock.ts';

/** A plain script being written: its `.partial` open for writing; renamed to the final name only when complete. */
export interface PartialScript {
	file: FileHandle;
	partial: string;
	/** gives the closed, complete `.partial` its final name; refuses a final name that appeared meanwhile */
	publish(): Promise<void>;
	/** lets go of the run's claim on the `.partial` (after publish, or after it was removed) */
	release(): Promise<void>;
}

const exists = (file: string) =>
	stat(file).then(
		() => true,
		() => false,
	);

function refuseExisting(path: string, what: string): UsageError {
	return new UsageError({code: 'ARTIFACT_EXISTS', message: `${path} ${what}; dbbackup does not overwrite a backup`, hint: 'Choose another output path, or move the existing file away first.'});
}

/** Refuses an output path that exists (a backup is never overwritten) and creates its `.partial` for this run alone, only readable by the owner. */
export async function openPartialScript(path: string): Promise<PartialScript> {
	if (await exists(path)) throw refuseExisting(path, 'already exists');
	const partial = partialPathOf(path);
	let file: FileHandle;
	try {
		file = await openPartial(partial);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw partialBusy(partial, error);
		throw outputWriteError(error, partial, 'create') ?? new UsageError({code: 'ARTIFACT_PATH_UNWRITABLE', message: `cannot write ${partial}: ${(error as Error).message}`, hint: 'Check that the output directory exists and is writable.', cause: error});
	}
	const lock: RunLock | undefined = await holdRunLock(partial);
	return {
		file,
		partial,
		async publish() {
			try {
				await publishFile(partial, path, exists);
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
				await rm(partial, {force: true});
				throw refuseExisting(path, 'appeared while this backup was written; it was left as it is');
			}
		},
		release: async () => lock?.release(),
	};
}
