/**
 * The WAL a point-in-time recovery replays, copied out of the wal-stream store into the restored data
 * directory before the server starts (the default; --wal-fetch leaves it in the store and lets the
 * restore_command fetch each file). The server's restore_command then only copies a local file: it
 * runs as the server's OS user, who may not be able to read a store root wrote, nor hold the store's
 * AWS credentials, and it does not start a program per segment. Every file is checked against the
 * store's index as it is copied; recovery_end_command removes the directory once recovery is over.
 */
import {chmod, chown, mkdir, stat, statfs} from 'node:fs/promises';
import path from 'node:path';
import {UsageError} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {ProgressReporter} from '../core/events.ts';
import {parseSegmentFileName} from '../core/pg-replication/lsn.ts';
import type {ArtifactStat} from '../storage/target/types.ts';
import type {StorageOptions} from '../storage/target/index.ts';
import {directoryTarget} from '../storage/target/index.ts';
import {fetchWal} from '../wal/store/fetch.ts';
import {listStore, parseStoredName} from '../wal/store/layout.ts';
import {readWalIndex} from '../wal/store/segment-index.ts';

/** Under pg_wal: PostgreSQL reads only WAL-named files there, and a base backup leaves pg_wal's contents out. */
export const STAGE_DIRECTORY = path.join('pg_wal', 'dbbackup-recovery');
/** Files copied at once. */
const COPIES_AT_ONCE = 4;

export interface WalStagePlan {
	/** the names PostgreSQL asks for: timeline history files, then segments in order */
	names: string[];
	/** bytes they take once copied (segments are whole, a `.partial` is padded) */
	bytes: number;
}

/**
 * Which files of the store a recovery from segment `first` needs: every timeline history file, and
 * every segment (of any timeline, the one being filled included) from `first` on, up to `last` when the
 * target's segment is known.
 */
export function walFilesToStage(listed: readonly ArtifactStat[], segmentBytes: number, first: bigint, last?: bigint): WalStagePlan {
	const histories = new Set<string>();
	const segments = new Map<string, bigint>();
	for (const {name} of listed) {
		const stored = parseStoredName(name);
		if (!stored) continue;
		if (stored.kind === 'history') {
			histories.add(stored.name);
			continue;
		}
		const segment = parseSegmentFileName(stored.segment, segmentBytes)?.segment;
		if (segment === undefined || segment < first || (last !== undefined && segment > last)) continue;
		segments.set(stored.segment, segment);
	}
	const ordered = [...segments.keys()].sort((a, b) => {
		const difference = segments.get(a)! - segments.get(b)!;
		return difference < 0n ? -1 : difference > 0n ? 1 : a < b ? -1 : 1;
	});
	return {names: [...[...histories].sort(), ...ordered], bytes: ordered.length * segmentBytes + histories.size * 1024};
}

/** Refuses a stage that does not fit beside the restore on the data directory's filesystem. */
export async function checkStageSpace(dataDirectory: string, bytes: number, what: string): Promise<void> {
	let probe = path.resolve(dataDirectory);
	while (!(await stat(probe).then(() => true, () => false))) {
		const parent = path.dirname(probe);
		if (parent === probe) return;
		probe = parent;
	}
	const space = await statfs(probe);
	const free = space.bavail * space.bsize;
	if (free < bytes) {
		const mib = (value: number) => `${Math.ceil(value / (1024 * 1024))} MiB`;
		throw new UsageError({
			code: 'PITR_NO_SPACE',
			message: `${what} need about ${mib(bytes)} on the filesystem of ${dataDirectory}, which has ${mib(free)} free`,
			hint: 'Free space there, restore into a directory on a larger filesystem, or give --wal-fetch to leave the WAL in the store (the server then fetches each file as it needs it).',
		});
	}
}

/** Copies `plan.names` from the store into `<dataDirectory>/pg_wal/dbbackup-recovery/`, owned as the data directory is. */
export async function stageWal(store: string, storage: StorageOptions, plan: WalStagePlan, dataDirectory: string, bus: EventBus): Promise<{directory: string; files: number; bytes: number}> {
	const directory = path.join(dataDirectory, STAGE_DIRECTORY);
	const {uid, gid} = await stat(dataDirectory);
	const asRoot = process.getuid?.() === 0;
	await mkdir(directory, {mode: 0o700});
	await chmod(directory, 0o700);
	if (asRoot) await chown(directory, uid, gid);
	const target = await directoryTarget(store, storage);
	const index = (await readWalIndex(target)).files;
	const progress = new ProgressReporter(bus, `WAL from ${store}`, 'bytes', plan.bytes);
	progress.begin();
	let next = 0;
	let bytes = 0;
	await Promise.all(
		Array.from({length: Math.min(COPIES_AT_ONCE, plan.names.length)}, async () => {
			while (next < plan.names.length) {
				const name = plan.names[next++]!;
				const dest = path.join(directory, name);
				const fetched = await fetchWal(target, name, dest, index);
				if (asRoot) await chown(dest, uid, gid);
				bytes += fetched.bytes;
				progress.add(fetched.bytes);
			}
		}),
	);
	progress.setTotal(bytes);
	progress.finish();
	return {directory, files: plan.names.length, bytes};
}

/** Lists the store (for walFilesToStage). */
export async function listWalStore(store: string, storage: StorageOptions): Promise<ArtifactStat[]> {
	return listStore(await directoryTarget(store, storage));
}
