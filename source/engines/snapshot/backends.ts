/**
 * The three snapshot backends behind one interface. Each knows its unit (a btrfs subvolume, an LVM
 * logical volume, a ZFS dataset), takes a read-only snapshot of it under a name, says where the
 * snapshot's copy of the data directory can be read, lists the snapshots a killed run left behind, and
 * removes one (also synchronously, from a signal handler).
 *
 *   btrfs  btrfs subvolume snapshot -r SUBVOL DIR/NAME        btrfs subvolume delete DIR/NAME
 *   LVM    lvcreate -s -n NAME -L SIZE VG/LV (thin: -s -kn)     umount; lvremove -f VG/NAME
 *          mount -o ro[,nouuid] /dev/VG/NAME MOUNTDIR
 *   ZFS    zfs snapshot [-r] DATASET@NAME                      zfs destroy [-r] DATASET@NAME
 *          read through MOUNTPOINT/.zfs/snapshot/NAME
 */
import {rmdirSync} from 'node:fs';
import {mkdir, readdir, rmdir} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {SnapshotBackend as BackendName} from '../../core/detect/types.ts';
import {WorkError} from '../../core/errors.ts';
import {
	lines,
	must,
	runRemoval,
	runRemovalSync,
	runSnapshotCommand,
	runSnapshotCommandSync,
	type CommandRunner,
	type RemovalStep,
	type SyncCommandRunner,
} from './commands.ts';
import {staleNames, type SnapshotName} from './names.ts';

export interface TakenSnapshot {
	name: string;
	/** where the snapshot's copy of the data directory is readable */
	root: string;
	/** where the snapshot's copy of the whole unit is readable */
	unitRoot: string;
}

export interface SnapshotBackend {
	readonly backend: BackendName;
	/** the unit in words: `btrfs subvolume /srv/mysql`, `LVM volume vg0/mysql`, `ZFS dataset tank/mysql` */
	readonly unit: string;
	take(name: string): Promise<TakenSnapshot>;
	/** after the snapshot's files were read: throws when the copy is not whole any more (a classic LVM snapshot that overflowed) */
	check(name: string): Promise<void>;
	remove(name: string): Promise<void>;
	/** remove() without giving up the thread: for signal handlers, where the process may exit right after */
	removeSync(name: string): void;
	/** snapshots with `prefix` whose run is gone (its process no longer runs), `own` excepted */
	listStale(prefix: string, own?: string): Promise<SnapshotName[]>;
}

export interface Runners {
	run?: CommandRunner;
	runSync?: SyncCommandRunner;
}

function inside(child: string, parent: string): string {
	const relative = path.relative(parent, child);
	if (relative.startsWith('..') || path.isAbsolute(relative)) {
		throw new WorkError({code: 'SNAPSHOT_OUT_OF_SCOPE', message: `${child} is not inside ${parent}, the root of the snapshot unit`});
	}
	return relative;
}

function errnoOf(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}

// ── btrfs ────────────────────────────────────────────────────────────────────────────────────────

export interface BtrfsOptions extends Runners {
	/** the subvolume holding the data directory (its path) */
	subvolume: string;
	datadir: string;
	/** where snapshots are made: a directory on the same btrfs filesystem, outside the subvolume's data directory */
	snapshotDir: string;
}

/** btrfs reports a missing subvolume in words that changed between releases. */
const BTRFS_GONE = /no such file or directory|not a subvolume|cannot find|does not exist/i;

export class BtrfsBackend implements SnapshotBackend {
	readonly backend = 'btrfs' as const;
	readonly unit: string;
	private readonly run: CommandRunner;
	private readonly runSync: SyncCommandRunner;

	constructor(private readonly options: BtrfsOptions) {
		this.unit = `btrfs subvolume ${options.subvolume}`;
		this.run = options.run ?? runSnapshotCommand;
		this.runSync = options.runSync ?? runSnapshotCommandSync;
	}

	path(name: string): string {
		return path.join(this.options.snapshotDir, name);
	}

	async take(name: string): Promise<TakenSnapshot> {
		const relative = inside(this.options.datadir, this.options.subvolume);
		await mkdir(this.options.snapshotDir, {recursive: true, mode: 0o700});
		const copy = this.path(name);
		await must(this.run, 'btrfs', ['subvolume', 'snapshot', '-r', this.options.subvolume, copy], `snapshotting ${this.unit}`);
		return {name, unitRoot: copy, root: path.join(copy, relative)};
	}

	async check(): Promise<void> {
		// a btrfs snapshot shares extents with its source and cannot overflow
	}

	private steps(name: string): RemovalStep[] {
		return [{program: 'btrfs', args: ['subvolume', 'delete', this.path(name)], gone: BTRFS_GONE}];
	}

	remove(name: string): Promise<void> {
		return runRemoval(this.steps(name), this.run);
	}

	removeSync(name: string): void {
		runRemovalSync(this.steps(name), this.runSync);
	}

	async listStale(prefix: string, own?: string): Promise<SnapshotName[]> {
		let names: string[];
		try {
			names = await readdir(this.options.snapshotDir);
		} catch (error) {
			if (errnoOf(error) === 'ENOENT') return [];
			throw error;
		}
		return staleNames(names.filter((name) => name.startsWith(prefix)), own).stale;
	}
}

/**
 * Where btrfs snapshots of `subvolume` go: `.dbbackup-snapshots` beside the subvolume when the subvolume
 * is below the mount point, else inside it when the data directory is not the subvolume itself (a
 * directory in the data directory would show up as a database). Undefined: nowhere safe.
 */
export function btrfsSnapshotDir(subvolume: string, mountPoint: string, datadir: string): string | undefined {
	if (subvolume !== mountPoint) return path.join(path.dirname(subvolume), '.dbbackup-snapshots');
	if (datadir !== subvolume) return path.join(subvolume, '.dbbackup-snapshots');
	return undefined;
}

// ── LVM ──────────────────────────────────────────────────────────────────────────────────────────

export interface LvmOptions extends Runners {
	/** volume group and logical volume holding the data directory's filesystem */
	vg: string;
	lv: string;
	/** where that filesystem is mounted, and its type (xfs needs nouuid to mount a snapshot beside its origin) */
	mountPoint: string;
	fsType: string;
	datadir: string;
	/** a thin volume: its snapshot takes space from the pool, no size */
	thin: boolean;
	/** classic snapshots: the copy-on-write space (`10G`); default 20% of the origin */
	size?: string;
	/** where snapshots are mounted (default: the OS temp dir's dbbackup-snapshots) */
	mountBase?: string;
}

/** lvremove's "Failed to find logical volume", umount's "not mounted" / "no mount point specified". */
const LV_GONE = /failed to find logical volume|not found|does not exist/i;
const NOT_MOUNTED = /not mounted|no mount point specified|mountpoint not found|no such file or directory/i;

export class LvmBackend implements SnapshotBackend {
	readonly backend = 'lvm' as const;
	readonly unit: string;
	private readonly run: CommandRunner;
	private readonly runSync: SyncCommandRunner;
	readonly mountBase: string;

	constructor(private readonly options: LvmOptions) {
		this.unit = `LVM volume ${options.vg}/${options.lv}`;
		this.run = options.run ?? runSnapshotCommand;
		this.runSync = options.runSync ?? runSnapshotCommandSync;
		this.mountBase = options.mountBase ?? path.join(os.tmpdir(), 'dbbackup-snapshots');
	}

	mountDir(name: string): string {
		return path.join(this.mountBase, name);
	}

	/** the lvcreate arguments for a snapshot called `name` */
	createArgs(name: string): string[] {
		const origin = `${this.options.vg}/${this.options.lv}`;
		if (this.options.thin) return ['-s', '-kn', '-n', name, origin];
		return ['-s', '-n', name, ...(this.options.size ? ['-L', this.options.size] : ['-l', '20%ORIGIN']), origin];
	}

	mountOptions(): string {
		return this.options.fsType === 'xfs' ? 'ro,nouuid' : 'ro';
	}

	async take(name: string): Promise<TakenSnapshot> {
		const relative = inside(this.options.datadir, this.options.mountPoint);
		await must(this.run, 'lvcreate', this.createArgs(name), `snapshotting ${this.unit}`);
		// a failure from here on leaves a volume the caller removes by its name (remove() tolerates what is not there)
		const dir = this.mountDir(name);
		await mkdir(dir, {recursive: true, mode: 0o700});
		await must(this.run, 'mount', ['-o', this.mountOptions(), `/dev/${this.options.vg}/${name}`, dir], `mounting the snapshot of ${this.unit} read-only`);
		return {name, unitRoot: dir, root: path.join(dir, relative)};
	}

	async check(name: string): Promise<void> {
		const args = ['--noheadings', '--separator', '|', '-o', 'lv_attr,snap_percent', `${this.options.vg}/${name}`];
		const [line] = lines(await must(this.run, 'lvs', args, `checking the snapshot of ${this.unit}`));
		const [attr = '', percent = ''] = (line ?? '').split('|').map((field) => field.trim());
		// lv_attr's fifth character is the state: I = invalid snapshot, S = invalid suspended snapshot
		if (attr[4] === 'I' || attr[4] === 'S' || Number.parseFloat(percent) >= 100) {
			throw new WorkError({
				code: 'SNAPSHOT_INVALIDATED',
				message: `the snapshot ${this.options.vg}/${name} of ${this.unit} overflowed its copy-on-write space while it was read (lv_attr ${attr}, ${percent || '?'}% used): its copy is unusable and the backup is discarded`,
				hint: 'Give the snapshot more space (backup.snapshot.lvm.snapshot_size, and free extents in the volume group), or back up when the server writes less.',
			});
		}
	}

	private steps(name: string): RemovalStep[] {
		return [
			{program: 'umount', args: [this.mountDir(name)], gone: NOT_MOUNTED},
			{program: 'lvremove', args: ['-f', `${this.options.vg}/${name}`], gone: LV_GONE},
		];
	}

	async remove(name: string): Promise<void> {
		await runRemoval(this.steps(name), this.run);
		await rmdir(this.mountDir(name)).catch((error: unknown) => {
			if (errnoOf(error) !== 'ENOENT') throw error;
		});
	}

	removeSync(name: string): void {
		runRemovalSync(this.steps(name), this.runSync);
		try {
			rmdirSync(this.mountDir(name));
		} catch (error) {
			if (errnoOf(error) !== 'ENOENT') throw error;
		}
	}

	async listStale(prefix: string, own?: string): Promise<SnapshotName[]> {
		const listed = await must(this.run, 'lvs', ['--noheadings', '-o', 'lv_name', this.options.vg], `listing the volumes of ${this.options.vg}`);
		const names = lines(listed).filter((name) => name.startsWith(prefix));
		// a mount directory whose volume is already gone (killed between lvremove and rmdir)
		try {
			for (const entry of await readdir(this.mountBase)) if (entry.startsWith(prefix)) names.push(entry);
		} catch (error) {
			if (errnoOf(error) !== 'ENOENT') throw error;
		}
		return staleNames(names, own).stale;
	}
}

// ── ZFS ──────────────────────────────────────────────────────────────────────────────────────────

export interface ZfsOptions extends Runners {
	dataset: string;
	/** where the dataset is mounted */
	mountPoint: string;
	datadir: string;
	/** `zfs snapshot -r`: the dataset and every child, atomically (a child holds redo logs or binlogs) */
	recursive: boolean;
}

const ZFS_GONE = /could not find any snapshots to destroy|dataset does not exist|no such/i;

export class ZfsBackend implements SnapshotBackend {
	readonly backend = 'zfs' as const;
	readonly unit: string;
	private readonly run: CommandRunner;
	private readonly runSync: SyncCommandRunner;

	constructor(private readonly options: ZfsOptions) {
		this.unit = `ZFS dataset ${options.dataset}${options.recursive ? ' and its children' : ''}`;
		this.run = options.run ?? runSnapshotCommand;
		this.runSync = options.runSync ?? runSnapshotCommandSync;
	}

	private recursive(): string[] {
		return this.options.recursive ? ['-r'] : [];
	}

	async take(name: string): Promise<TakenSnapshot> {
		const relative = inside(this.options.datadir, this.options.mountPoint);
		await must(this.run, 'zfs', ['snapshot', ...this.recursive(), `${this.options.dataset}@${name}`], `snapshotting ${this.unit}`);
		// the snapshot directory is there even with snapdir=hidden; it mounts itself when entered
		const copy = path.join(this.options.mountPoint, '.zfs', 'snapshot', name);
		return {name, unitRoot: copy, root: path.join(copy, relative)};
	}

	async check(): Promise<void> {
		// a ZFS snapshot is copy-on-write within the pool and cannot overflow
	}

	private steps(name: string): RemovalStep[] {
		return [{program: 'zfs', args: ['destroy', ...this.recursive(), `${this.options.dataset}@${name}`], gone: ZFS_GONE}];
	}

	remove(name: string): Promise<void> {
		return runRemoval(this.steps(name), this.run);
	}

	removeSync(name: string): void {
		runRemovalSync(this.steps(name), this.runSync);
	}

	async listStale(prefix: string, own?: string): Promise<SnapshotName[]> {
		const listed = await must(this.run, 'zfs', ['list', '-H', '-t', 'snapshot', '-o', 'name', '-d', '1', this.options.dataset], `listing the snapshots of ${this.options.dataset}`);
		const names = lines(listed)
			.filter((line) => line.startsWith(`${this.options.dataset}@`))
			.map((line) => line.slice(this.options.dataset.length + 1))
			.filter((name) => name.startsWith(prefix));
		return staleNames(names, own).stale;
	}
}
