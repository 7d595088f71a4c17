import {rm} from 'node:fs/promises';
import {partialPathOf} from '../archive/member-path.ts';
import {LocalDirectoryTarget} from './local-directory.ts';
import {readBytes} from './read-bytes.ts';
import type {ArtifactTarget} from './types.ts';
import {storedLocalPath} from './index.ts';

/**
 * A store a streamer keeps (a binlog copy, a WAL archive): its target, or a local path (the readers of a
 * store — replay, wal-fetch, tests — name it by path).
 */
export type StoreDir = ArtifactTarget | string;

export function storeTarget(dir: StoreDir): ArtifactTarget {
	return typeof dir === 'string' ? new LocalDirectoryTarget(dir) : dir;
}

/**
 * Writes one of the store's own files (checkpoint, index, identity, lease) durably, 0600, through the
 * target's put. On a local target a `.partial` of it can only be a dead leftover (kill -9 mid-write):
 * the streamer holds the directory's lock, so no one else writes there. It is removed first, or the
 * exclusive create behind put would refuse every later write. (An object store has no such leftover.)
 */
export async function writeDirFile(dir: StoreDir, name: string, text: string): Promise<void> {
	const target = storeTarget(dir);
	const local = storedLocalPath(target, name);
	if (local !== undefined) await rm(partialPathOf(local), {force: true});
	await target.put(name, Buffer.from(text));
}

/** The text of one of the store's own files; undefined when it does not exist. */
export async function readDirText(dir: StoreDir, name: string): Promise<string | undefined> {
	const target = storeTarget(dir);
	if (!(await target.stat(name))) return undefined;
	try {
		return (await readBytes(target, name)).toString('utf8');
	} catch (error) {
		// replaced by rename, never removed while streaming; gone only if someone removed it meanwhile
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw error;
	}
}

/**
 * Reads one of the store's own JSON files: undefined when it does not exist; `bad(file, why)` when
 * it is not JSON or not of `version`; otherwise its fields, for the caller to check one by one.
 */
export async function readDirFile<T extends {version: number}>(dir: StoreDir, name: string, version: number, bad: (file: string, why: string) => Error): Promise<Partial<T> | undefined> {
	const file = storeTarget(dir).describe(name);
	const text = await readDirText(dir, name);
	if (text === undefined) return undefined;
	let parsed: Partial<T>;
	try {
		parsed = JSON.parse(text) as Partial<T>;
	} catch (error) {
		throw bad(file, `it is not JSON (${(error as Error).message})`);
	}
	if (parsed.version !== version) throw bad(file, `its version is ${String(parsed.version)}, expected ${version}`);
	return parsed;
}
