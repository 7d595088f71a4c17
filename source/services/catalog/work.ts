import {lstat, readdir} from 'node:fs/promises';
import path from 'node:path';
import {sizeOf} from '../../storage/target/leftovers.ts';
import {isRunLocked} from '../../storage/target/run-lock.ts';
import type {CatalogWork} from './types.ts';

/** What a backup writes beside artifact X while it runs (storage/target/leftovers.ts): X.partial, X.meta.json.partial, .X.parts-*. */
const PARTIAL = /\.partial$/;
const SCRATCH = /^\..+\.(?:tar|sql)\.(?:parts|spill)-[^/]+$/;

export function whatOf(name: string): CatalogWork['what'] {
	if (SCRATCH.test(name)) return 'scratch';
	const artifact = name.replace(PARTIAL, '');
	if (/\.meta\.json$/.test(artifact)) return 'sidecar';
	if (/\.(?:tar|sql(?:\.gz|\.zst|\.lz4)?)$/i.test(artifact)) return 'backup';
	return 'other';
}

/**
 * The unfinished files of a local directory: `.partial` files and scratch directories, with their size
 * and whether a live run holds them (the flock each backup keeps on its `.partial`, probed without
 * waiting). Scratch beside a `.partial` belongs to that run.
 */
export async function localWork(dir: string): Promise<CatalogWork[]> {
	const names = (await readdir(dir)).filter((name) => PARTIAL.test(name) || SCRATCH.test(name));
	const work: CatalogWork[] = [];
	for (const name of names.sort()) {
		const file = path.join(dir, name);
		const info = await lstat(file).catch(() => undefined);
		if (!info) continue;
		const what = whatOf(name);
		// a scratch directory has no lock of its own: its run holds the archive's `.partial`
		const lockFile = what === 'scratch' ? path.join(dir, `${name.slice(1).replace(/\.(?:parts|spill)-[^/]+$/, '')}.partial`) : file;
		const running = info.isDirectory() && what !== 'scratch' ? undefined : await isRunLocked(lockFile);
		work.push({name, url: file, what, bytes: await sizeOf(file).catch(() => info.size), at: info.mtime.toISOString(), ...(running === undefined ? {} : {running})});
	}
	return work;
}
