/**
 * Snapshot names: a fixed prefix, the time the run started and its process id
 * (`dbbackup-snap-20250102T030405Z-4711`). Every name is valid for a btrfs subvolume, an LVM logical
 * volume and a ZFS snapshot, and says which run made it: a run killed before it could remove its
 * snapshot (kill -9, a power cut) leaves one whose process is gone, and the next run removes it by name.
 */

export const SNAPSHOT_PREFIX = 'dbbackup-snap-';

const NAME = /^dbbackup-snap-(\d{8}T\d{6}Z)-([1-9]\d{0,9})$/;

export interface SnapshotName {
	name: string;
	/** ISO time the run started */
	startedAt: string;
	pid: number;
}

/** This run's snapshot name. */
export function snapshotName(now: Date = new Date(), pid: number = process.pid): string {
	const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
	return `${SNAPSHOT_PREFIX}${stamp}-${pid}`;
}

/** The parts of a name this tool gave, or undefined for any other name. */
export function parseSnapshotName(name: string): SnapshotName | undefined {
	const match = NAME.exec(name);
	if (!match) return undefined;
	const stamp = match[1]!;
	const startedAt = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`;
	return {name, startedAt, pid: Number(match[2])};
}

export type ProcessAlive = (pid: number) => boolean;

export const processAlive: ProcessAlive = (pid) => {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
};

/**
 * Of the names a backend lists, those a dead run left: ours by their form, not `own` (this run's), and
 * whose process no longer runs (or is this process: an older run's pid, reused). A name whose process
 * still runs belongs to a backup in progress and is kept.
 */
export function staleNames(
	names: readonly string[],
	own: string | undefined,
	alive: ProcessAlive = processAlive,
	self: number = process.pid,
): {stale: SnapshotName[]; running: SnapshotName[]} {
	const stale: SnapshotName[] = [];
	const running: SnapshotName[] = [];
	for (const name of new Set(names)) {
		const parsed = parseSnapshotName(name);
		if (!parsed || name === own) continue;
		(parsed.pid !== self && alive(parsed.pid) ? running : stale).push(parsed);
	}
	return {stale, running};
}
