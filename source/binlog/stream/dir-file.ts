import {readFile, rm} from 'node:fs/promises';
import {partialPathOf} from '../../storage/archive/member-path.ts';
import {writeFileDurably} from '../../storage/durable-file.ts';

/**
 * Writes one of the directory's own files (checkpoint, index, identity) durably, 0600. A `.partial` of
 * it can only be a dead leftover (kill -9 mid-write): the streamer holds the directory's lock, so no one
 * else writes there. It is removed first, or the exclusive create of writeFileDurably would refuse every
 * later write.
 */
export async function writeDirFile(file: string, text: string): Promise<void> {
	await rm(partialPathOf(file), {force: true});
	await writeFileDurably(file, text);
}

/**
 * Reads one of the directory's own JSON files: undefined when it does not exist; `bad(file, why)` when
 * it is not JSON or not of `version`; otherwise its fields, for the caller to check one by one.
 */
export async function readDirFile<T extends {version: number}>(file: string, version: number, bad: (file: string, why: string) => Error): Promise<Partial<T> | undefined> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw error;
	}
	let parsed: Partial<T>;
	try {
		parsed = JSON.parse(text) as Partial<T>;
	} catch (error) {
		throw bad(file, `it is not JSON (${(error as Error).message})`);
	}
	if (parsed.version !== version) throw bad(file, `its version is ${String(parsed.version)}, expected ${version}`);
	return parsed;
}
