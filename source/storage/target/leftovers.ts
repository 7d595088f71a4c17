import {lstat, readdir, rm} from 'node:fs/promises';
import path from 'node:path';
import type {EventBus} from '../../core/events.ts';
import {formatBytes} from '../../core/format.ts';
import {isRunLocked} from './run-lock.ts';
import type {RemovedLeftover} from './types.ts';

/** What a backup leaves beside artifact X while it runs: X.partial, X.meta.json.partial, .X.parts-*, and .X.spill-* (members spilled through the target, when it encrypts). */
const ARTIFACT = String.raw`(.+\.(?:tar|sql))`;
const PATTERNS = [new RegExp(`^${ARTIFACT}\\.partial$`), new RegExp(`^${ARTIFACT}\\.meta\\.json\\.partial$`), new RegExp(`^\\.${ARTIFACT}\\.parts-[^/]+$`), new RegExp(`^\\.${ARTIFACT}\\.spill-[^/]+$`)];

/**
 * A run holds the lock on its `.partial` within milliseconds of creating it; one younger than this is
 * left alone whatever the lock says, so a run that is starting is never mistaken for a dead one.
 */
const STARTING_GRACE_MS = 60_000;

function artifactOf(name: string): string | undefined {
	for (const pattern of PATTERNS) {
		const match = pattern.exec(name);
		if (match && !match[1]!.endsWith('.meta.json')) return match[1];
	}
	return undefined;
}

/** The bytes of a file, or of everything under a directory (a scratch directory of parts). */
export async function sizeOf(file: string): Promise<number> {
	const info = await lstat(file);
	if (!info.isDirectory()) return info.size;
	let bytes = 0;
	for (const entry of await readdir(file)) bytes += await sizeOf(path.join(file, entry)).catch(() => 0);
	return bytes;
}

async function modifiedAt(file: string): Promise<number | undefined> {
	return lstat(file).then(
		(info) => info.mtimeMs,
		() => undefined,
	);
}

/**
 * Whether the run that wrote artifact `artifact` of `dir` is over: its `.partial` (or, once published, the
 * artifact itself, which keeps the lock until the sidecar is written) is not locked. Unknown counts as alive.
 */
async function runIsOver(dir: string, artifact: string, now: number): Promise<boolean> {
	const partial = path.join(dir, `${artifact}.partial`);
	const partialTime = await modifiedAt(partial);
	if (partialTime !== undefined) {
		if (now - partialTime < STARTING_GRACE_MS) return false;
		return (await isRunLocked(partial)) === false;
	}
	const final = path.join(dir, artifact);
	if ((await modifiedAt(final)) !== undefined) return (await isRunLocked(final)) === false;
	// neither the partial nor the artifact: no run can be writing there. The directory is probed only to
	// learn whether flock works here at all; without it nothing is removed
	return (await isRunLocked(dir)) !== undefined;
}

/**
 * Removes the `.partial` files and `.parts-*` scratch directories of backups whose run has ended without
 * finishing (killed, crashed, power lost) from `dir`, and warns with each name and size. Leftovers of a
 * run still going are kept; where that cannot be told (no `flock` here) nothing is removed.
 */
export async function removeDeadLeftovers(dir: string, bus?: EventBus): Promise<RemovedLeftover[]> {
	let names: string[];
	try {
		names = await readdir(dir);
	} catch {
		return [];
	}
	const byArtifact = new Map<string, string[]>();
	for (const name of names) {
		const artifact = artifactOf(name);
		if (artifact !== undefined) byArtifact.set(artifact, [...(byArtifact.get(artifact) ?? []), name]);
	}
	const removed: RemovedLeftover[] = [];
	const now = Date.now();
	for (const [artifact, leftovers] of byArtifact) {
		if (!(await runIsOver(dir, artifact, now))) continue;
		const gone: RemovedLeftover[] = [];
		for (const name of leftovers) {
			const file = path.join(dir, name);
			try {
				const bytes = await sizeOf(file);
				await rm(file, {recursive: true, force: true});
				gone.push({path: file, bytes});
			} catch (error) {
				bus?.warn(`could not remove ${file}, left by a backup that is no longer running: ${(error as Error).message}`);
			}
		}
		if (gone.length > 0) {
			bus?.warn(`removed what a backup that is no longer running left of ${artifact}: ${gone.map((item) => `${path.basename(item.path)} (${formatBytes(item.bytes)})`).join(', ')}`, {code: 'LEFTOVERS_REMOVED'});
		}
		removed.push(...gone);
	}
	return removed;
}
