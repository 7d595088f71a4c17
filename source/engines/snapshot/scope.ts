/**
 * The scope check: a snapshot is consistent only if everything the server writes together is in the
 * one unit the snapshot freezes at once — a btrfs subvolume (snapshots do not descend into nested
 * subvolumes), one LVM logical volume (one filesystem), one ZFS dataset (or a dataset and its children
 * with `zfs snapshot -r`). And the archive holds the data directory's copy: files a restore needs (redo
 * and undo logs, the system tablespace, tablespaces, pg_wal) must lie inside the data directory too.
 * Binary logs need only be in the unit: they are not needed to start the restored server.
 */
import {lstat, readdir, realpath, stat} from 'node:fs/promises';
import path from 'node:path';
import {runCommand} from '../../core/detect/command-runner.ts';
import {findMount, isInside} from '../../core/detect/mounts.ts';
import {EngineUnavailableError} from '../../core/errors.ts';

export interface ScopePlace {
	/** what it is, for the reason: `binary logs (log_bin_basename)` */
	what: string;
	/** absolute path; for `prefix`, a file name prefix whose directory counts (log_bin_basename) */
	path: string;
	/** archive: a restore needs it, so it must be in the data directory (and the unit); unit: it must be in the unit */
	need: 'archive' | 'unit';
	prefix?: boolean;
}

export type Membership = {inside: true; child?: string} | {inside: false; why: string};

/** Whether a (real, existing) path is in the snapshot unit. */
export interface UnitProbe {
	/** the unit in words */
	unit: string;
	contains(realPath: string): Promise<Membership>;
}

export interface ScopeResult {
	/** each place with the real path it was checked at */
	checked: Array<{what: string; path: string}>;
	/** ZFS: places in child datasets (the snapshot must be recursive) */
	children: string[];
}

function errnoOf(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** realpath of the place, or of its nearest existing ancestor (a binlog basename, a directory not made yet). */
async function resolvePlace(place: ScopePlace): Promise<string> {
	let candidate = place.prefix ? path.dirname(place.path) : place.path;
	for (;;) {
		try {
			return await realpath(candidate);
		} catch (error) {
			if (errnoOf(error) !== 'ENOENT' || path.dirname(candidate) === candidate) throw error;
			candidate = path.dirname(candidate);
		}
	}
}

/**
 * Every place inside the unit, and every place a restore needs inside the data directory; else an
 * EngineUnavailableError (exit 4) with every reason. Symlinks in the data directory's top two levels
 * (MyISAM DATA DIRECTORY files, a database directory moved elsewhere, pg_wal, tablespace links) count as
 * places a restore needs.
 */
export async function checkScope(datadir: string, places: ScopePlace[], probe: UnitProbe): Promise<ScopeResult> {
	const realDatadir = await realpath(datadir);
	const all: ScopePlace[] = [{what: 'the data directory', path: realDatadir, need: 'archive'}, ...places, ...(await linkedPlaces(realDatadir))];
	const problems: string[] = [];
	const checked: ScopeResult['checked'] = [];
	const children = new Set<string>();
	const seen = new Set<string>();
	for (const place of all) {
		let real: string;
		try {
			real = await resolvePlace(place);
		} catch (error) {
			problems.push(`${place.what} at ${place.path} cannot be examined: ${(error as Error).message}`);
			continue;
		}
		const key = `${place.what}\u0000${real}`;
		if (seen.has(key)) continue;
		seen.add(key);
		checked.push({what: place.what, path: real});
		const shown = real === place.path ? place.path : `${place.path} (really ${real})`;
		const membership = await probe.contains(real);
		if (!membership.inside) {
			problems.push(`${place.what} at ${shown} is outside ${probe.unit}: ${membership.why}`);
			continue;
		}
		if (membership.child) children.add(membership.child);
		if (place.need === 'archive' && !isInside(real, realDatadir)) {
			problems.push(`${place.what} at ${shown} is outside the data directory ${realDatadir}: the archive holds the data directory's copy alone, and a restore needs these files`);
		}
	}
	if (problems.length > 0) {
		throw new EngineUnavailableError({
			code: 'SNAPSHOT_OUT_OF_SCOPE',
			message: `a snapshot of ${probe.unit} would not hold a consistent, restorable copy: ${problems.join('; ')}`,
			hint: 'Keep the data directory, redo/undo logs, binary logs, WAL and tablespaces in one subvolume, logical volume or dataset, inside the data directory; or use another engine (`dbbackup engine list`).',
		});
	}
	return {checked, children: [...children]};
}

/** Symlinks in the data directory and in its subdirectories, as places a restore needs. */
async function linkedPlaces(datadir: string): Promise<ScopePlace[]> {
	const places: ScopePlace[] = [];
	const visit = async (dir: string, depth: number) => {
		let entries;
		try {
			entries = await readdir(dir, {withFileTypes: true});
		} catch (error) {
			if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return;
			throw error;
		}
		for (const entry of entries) {
			const full = path.join(dir, entry.name);
			if (entry.isSymbolicLink()) {
				places.push({what: `the link ${path.relative(datadir, full)} in the data directory`, path: full, need: 'archive'});
			} else if (entry.isDirectory() && depth < 2) {
				await visit(full, depth + 1);
			}
		}
	};
	await visit(datadir, 1);
	return places;
}

/** btrfs: the subvolume's own files share its device number; a nested subvolume or another mount has its own. */
export async function btrfsProbe(subvolume: string): Promise<UnitProbe> {
	const root = await realpath(subvolume);
	const {dev} = await stat(root);
	const unit = `btrfs subvolume ${root}`;
	return {
		unit,
		async contains(real) {
			if (!isInside(real, root)) return {inside: false, why: `it is not under ${root}`};
			if ((await lstat(real)).dev !== dev) {
				return {inside: false, why: 'it is in a nested subvolume or another filesystem mounted below it, and a btrfs snapshot does not descend into those'};
			}
			return {inside: true};
		},
	};
}

/** LVM: everything on the logical volume's filesystem, mounted at `mountPoint`. */
export async function lvmProbe(volume: string, mountPoint: string): Promise<UnitProbe> {
	const root = await realpath(mountPoint);
	const {dev} = await stat(root);
	return {
		unit: `LVM volume ${volume} (mounted at ${root})`,
		async contains(real) {
			if (!isInside(real, root) || (await lstat(real)).dev !== dev) {
				return {inside: false, why: 'it is on another filesystem (another logical volume), which the snapshot does not freeze at the same moment'};
			}
			return {inside: true};
		},
	};
}

/** ZFS: the dataset itself, or one of its children (then the snapshot is taken with -r, atomically across them). */
export async function zfsProbe(dataset: string, mountPoint: string): Promise<UnitProbe> {
	const root = await realpath(mountPoint);
	const {dev} = await stat(root);
	return {
		unit: `ZFS dataset ${dataset}`,
		async contains(real) {
			if (isInside(real, root) && (await lstat(real)).dev === dev) return {inside: true};
			const mount = await findMount(real, runCommand);
			if (mount.known && mount.value.fsType === 'zfs' && mount.value.device.startsWith(`${dataset}/`)) return {inside: true, child: mount.value.device};
			const where = mount.known ? `${mount.value.fsType} ${mount.value.device || ''} at ${mount.value.mountPoint}`.trim() : 'another filesystem';
			return {inside: false, why: `it is on ${where}, not in ${dataset} or one of its children`};
		},
	};
}
