import type {Config} from '../../core/config/types.ts';
import type {SnapshotSettings} from '../types.ts';

/** backup.snapshot.* (with --snapshot-backend merged in as backup.snapshot.backend) as the engine takes them. */
export function snapshotSettingsFrom(config: Config['backup']['snapshot']): SnapshotSettings {
	return {
		...(config.backend === 'auto' ? {} : {backend: config.backend}),
		...(config.btrfs.subvolume ? {btrfsSubvolume: config.btrfs.subvolume} : {}),
		...(config.lvm.volume_group ? {lvmVolumeGroup: config.lvm.volume_group} : {}),
		...(config.lvm.snapshot_size ? {lvmSnapshotSize: config.lvm.snapshot_size} : {}),
		...(config.zfs.dataset ? {zfsDataset: config.zfs.dataset} : {}),
	};
}
