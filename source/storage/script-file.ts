import {open, stat, type FileHandle} from 'node:fs/promises';
import {UsageError} from '../core/errors.ts';
import {partialPathOf} from './archive/member-path.ts';

/** A plain script being written: its `.partial` open for writing; renamed to the final name only when complete. */
export interface PartialScript {
	file: FileHandle;
	partial: string;
}

/** Refuses an output path that exists (a backup is never overwritten) and opens its `.partial`, only readable by the owner. */
export async function openPartialScript(path: string): Promise<PartialScript> {
	const taken = await stat(path).then(
		() => true,
		() => false,
	);
	if (taken) {
		throw new UsageError({code: 'ARTIFACT_EXISTS', message: `${path} already exists; dbbackup does not overwrite a backup`, hint: 'Choose another output path, or move the existing file away first.'});
	}
	const partial = partialPathOf(path);
	try {
		return {file: await open(partial, 'w', 0o600), partial};
	} catch (error) {
		throw new UsageError({code: 'ARTIFACT_PATH_UNWRITABLE', message: `cannot write ${partial}: ${(error as Error).message}`, hint: 'Check that the output directory exists and is writable.', cause: error});
	}
}
