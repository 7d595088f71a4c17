import {rm} from 'node:fs/promises';
import {partialPathOf} from '../../storage/archive/member-path.ts';
import {LocalDirectoryTarget} from '../../storage/target/local-directory.ts';
import {readBytes} from '../../storage/target/read-bytes.ts';
import type {ArtifactTarget} from '../../storage/target/types.ts';
import {storedLocalPath} from '../../storage/target/index.ts';

/**
 * The streamed copy's directory: its target, or a local path (the readers of a copy — replay, tests —
 * name it by path).
 */
export type BinlogDir = ArtifactTarget | string;

export function binlogTarget(dir: BinlogDir): ArtifactTarget {
	return typeof dir === 'string' ? new LocalDirectoryTarget(dir) : dir;
}

/**
 * Writes one of the directory's own files (checkpoint, index, identity) durably, 0600, through the
 * target's put. On a local target a `.partial` of it can only be a dead leftover (kill -9 mid-write):
 * the streamer holds the directory's lock, so no one else writes there. It is removed first, or the
 * exclusive create behind put would refuse every later write. (An object store has no such leftover.)
 */
export async function writeDirFile(dir: BinlogDir, name: string, text: string): Promise<void> {
	const target = binlogTarget(dir);
	const local = storedLocalPath(target, name);
	if (local !== undefined) await rm(partialPathOf(local), {force: true});
	await target.put(name, Buffer.from(text));
}

/** The text of one of the directory's own files; undefined when it does not exist. */
export async function readDirText(dir: BinlogDir, name: string): Promise<string | undefined> {
	const target = binlogTarget(dir);
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
 * Reads one of the directory's own JSON files: undefined when it does not exist; `bad(file, why)` when
 * it is not JSON or not of `version`; otherwise its fields, for the caller to check one by one.
 */
export async function readDirFile<T extends {version: number}>(dir: BinlogDir, name: string, version: number, bad: (file: string, why: string) => Error): Promise<Partial<T> | undefined> {
	const file = binlogTarget(dir).describe(name);
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
