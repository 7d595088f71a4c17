import {runCommand, type CommandRunner} from './command-runner.ts';
import {findMount, readText, resolveExisting, type TextReader} from './mounts.ts';
import {btrfsSnapshot} from './snapshot-btrfs.ts';
import {isDeviceMapper, lvmSnapshot} from './snapshot-lvm.ts';
import {zfsSnapshot} from './snapshot-zfs.ts';
import {known, unknown, type Fact, type FilesystemInfo, type SnapshotCapability} from './types.ts';

export interface FilesystemFacts {
	filesystem: Fact<FilesystemInfo>;
	snapshot: Fact<SnapshotCapability>;
}

/** The filesystem that holds `dir` and whether it can be snapshotted (btrfs subvolume, LVM logical volume, ZFS dataset). */
export async function detectFilesystem(dir: string, run: CommandRunner = runCommand, read: TextReader = readText): Promise<FilesystemFacts> {
	const resolved = await resolveExisting(dir);
	if (!resolved.ok) return {filesystem: unknown(resolved.reason), snapshot: unknown(resolved.reason)};
	const mount = await findMount(resolved.path, run, read);
	if (!mount.known) return {filesystem: mount, snapshot: unknown(`the filesystem is unknown: ${mount.reason}`)};
	const filesystem =
		resolved.path === dir ? mount : known(mount.value, `${mount.source} (on ${resolved.path}, the real path of ${dir})`);
	return {filesystem, snapshot: await snapshotCapability(mount.value, run)};
}

export async function snapshotCapability(fs: FilesystemInfo, run: CommandRunner): Promise<Fact<SnapshotCapability>> {
	if (fs.fsType === 'btrfs') return btrfsSnapshot(fs, run);
	if (fs.fsType === 'zfs') return zfsSnapshot(fs, run);
	if (isDeviceMapper(fs.device)) return lvmSnapshot(fs, run);
	return known({capable: false, reason: notCapableReason(fs)}, `filesystem type ${fs.fsType} on ${fs.device || 'no device'}`);
}

function notCapableReason(fs: FilesystemInfo): string {
	const what =
		fs.fsType === 'overlay'
			? 'overlay (a container filesystem)'
			: fs.fsType === 'tmpfs'
				? 'tmpfs (memory, gone on reboot)'
				: `${fs.fsType} on ${fs.device || 'no device'}`;
	return (
		`the data directory is on ${what}, mounted at ${fs.mountPoint}, which cannot take snapshots: ` +
		'it would need to be a btrfs subvolume, a filesystem on an LVM logical volume, or a ZFS dataset'
	);
}
