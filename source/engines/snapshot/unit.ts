/**
 * Which unit a snapshot of the data directory takes, and the backend that takes it: detected from the
 * data directory's filesystem (core/detect), checked against --snapshot-backend and the
 * backup.snapshot.* keys, which name what the data directory must be in (a mismatch is refused, never
 * silently snapshotting something else).
 */
import path from 'node:path';
import {commandLine, failureText} from '../../core/detect/command-runner.ts';
import {detectFilesystem} from '../../core/detect/filesystem.ts';
import {parseLvsLine} from '../../core/detect/snapshot-lvm.ts';
import type {FilesystemInfo, SnapshotCapability} from '../../core/detect/types.ts';
import {EngineUnavailableError} from '../../core/errors.ts';
import type {SnapshotSettings} from '../types.ts';
import {BtrfsBackend, btrfsSnapshotDir, LvmBackend, ZfsBackend, type Runners, type SnapshotBackend} from './backends.ts';
import {runSnapshotCommand, toolMissing} from './commands.ts';
import {btrfsProbe, lvmProbe, zfsProbe, type UnitProbe} from './scope.ts';

export interface SnapshotUnit {
	filesystem: FilesystemInfo;
	capability: SnapshotCapability;
	probe: UnitProbe;
	/** the backend, once the scope check said whether a ZFS snapshot must be recursive */
	backend(options: {recursive: boolean}): SnapshotBackend;
}

function unavailable(message: string, hint?: string): EngineUnavailableError {
	return new EngineUnavailableError({code: 'SNAPSHOT_UNAVAILABLE', message, hint: hint ?? 'Run `dbbackup detect` to see the data directory\'s filesystem, and `dbbackup engine list` for the engines that can run.'});
}

function mismatch(message: string, hint: string): EngineUnavailableError {
	return new EngineUnavailableError({code: 'SNAPSHOT_BACKEND_MISMATCH', message, hint});
}

/** The unit holding `datadir`, as detected and as the settings allow. */
export async function resolveUnit(datadir: string, settings: SnapshotSettings = {}, runners: Runners & {mountBase?: string} = {}): Promise<SnapshotUnit> {
	const facts = await detectFilesystem(datadir, runners.run ?? runSnapshotCommand);
	if (!facts.filesystem.known) throw unavailable(`the filesystem of the data directory ${datadir} is unknown: ${facts.filesystem.reason}`);
	if (!facts.snapshot.known) throw unavailable(`whether ${datadir} can be snapshotted is unknown: ${facts.snapshot.reason}`);
	const filesystem = facts.filesystem.value;
	const capability = facts.snapshot.value;
	if (settings.backend && capability.backend && settings.backend !== capability.backend) {
		throw mismatch(
			`--snapshot-backend ${settings.backend} (or backup.snapshot.backend) was asked for, but the data directory ${datadir} is on ${capability.backend} (${filesystem.fsType} ${filesystem.device} at ${filesystem.mountPoint})`,
			`Leave --snapshot-backend out (auto) or give ${capability.backend}.`,
		);
	}
	if (!capability.capable || !capability.backend || !capability.target) {
		throw unavailable(`the data directory ${datadir} cannot be snapshotted: ${capability.reason}`);
	}
	const realDatadir = filesystem.path;
	if (capability.backend === 'btrfs') {
		const subvolume = capability.target;
		if (settings.btrfsSubvolume && path.resolve(settings.btrfsSubvolume) !== subvolume) {
			throw mismatch(`backup.snapshot.btrfs.subvolume is ${settings.btrfsSubvolume}, but the data directory ${datadir} lies in the btrfs subvolume ${subvolume}`, 'Correct the key or remove it (the subvolume is detected).');
		}
		const snapshotDir = btrfsSnapshotDir(subvolume, filesystem.mountPoint, realDatadir);
		if (!snapshotDir) {
			throw unavailable(
				`the data directory ${realDatadir} is the top level of its btrfs filesystem (mounted at ${filesystem.mountPoint}): a snapshot would have to be made inside the data directory itself`,
				`Make the data directory a subvolume of its own (btrfs subvolume create), or a directory below the mount point.`,
			);
		}
		const probe = await btrfsProbe(subvolume);
		return {filesystem, capability, probe, backend: () => new BtrfsBackend({subvolume, datadir: realDatadir, snapshotDir, ...runners})};
	}
	if (capability.backend === 'lvm') {
		const [vg = '', lv = ''] = capability.target.split('/');
		if (settings.lvmVolumeGroup && settings.lvmVolumeGroup !== vg) {
			throw mismatch(`backup.snapshot.lvm.volume_group is ${settings.lvmVolumeGroup}, but the data directory ${datadir} is on ${capability.target}`, 'Correct the key or remove it (the volume is detected).');
		}
		const run = runners.run ?? runSnapshotCommand;
		const lvsArgs = ['--noheadings', '--separator', '|', '--units', 'b', '--nosuffix', '-o', 'vg_name,lv_name,lv_attr,lv_size,pool_lv', `${vg}/${lv}`];
		const lvs = await run('lvs', lvsArgs);
		if (lvs.notFound) throw toolMissing('lvs');
		const volume = lvs.exitCode === 0 ? parseLvsLine(lvs.stdout) : undefined;
		if (!volume) throw unavailable(`${commandLine('lvs', lvsArgs)} did not describe ${capability.target}: ${failureText(lvs)}`);
		const probe = await lvmProbe(capability.target, filesystem.mountPoint);
		return {
			filesystem,
			capability,
			probe,
			backend: () =>
				new LvmBackend({
					vg,
					lv,
					mountPoint: filesystem.mountPoint,
					fsType: filesystem.fsType,
					datadir: realDatadir,
					thin: volume.attr.startsWith('V'),
					...(settings.lvmSnapshotSize ? {size: settings.lvmSnapshotSize} : {}),
					...runners,
				}),
		};
	}
	const dataset = capability.target;
	if (settings.zfsDataset && settings.zfsDataset !== dataset) {
		throw mismatch(`backup.snapshot.zfs.dataset is ${settings.zfsDataset}, but the data directory ${datadir} is in the ZFS dataset ${dataset}`, 'Correct the key or remove it (the dataset is detected).');
	}
	const probe = await zfsProbe(dataset, filesystem.mountPoint);
	return {
		filesystem,
		capability,
		probe,
		backend: ({recursive}) => new ZfsBackend({dataset, mountPoint: filesystem.mountPoint, datadir: realDatadir, recursive, ...runners}),
	};
}
