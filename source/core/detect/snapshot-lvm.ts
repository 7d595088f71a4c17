import {formatBytes} from '../format.ts';
import {commandLine, failureText, type CommandRunner} from './command-runner.ts';
import {known, unknown, type Fact, type FilesystemInfo, type SnapshotCapability} from './types.ts';

export function isDeviceMapper(device: string): boolean {
	return device.startsWith('/dev/mapper/') || /^\/dev\/dm-\d+$/.test(device);
}

interface LogicalVolume {
	vg: string;
	lv: string;
	attr: string;
	sizeBytes: number;
	pool: string;
}

/** One line of `lvs --noheadings --separator '|' --units b --nosuffix -o vg_name,lv_name,lv_attr,lv_size,pool_lv`. */
export function parseLvsLine(stdout: string): LogicalVolume | undefined {
	const line = stdout.split('\n').map((text) => text.trim()).find((text) => text.includes('|'));
	if (!line) return undefined;
	const [vg, lv, attr, size, pool] = line.split('|').map((field) => field.trim());
	if (!vg || !lv || !attr) return undefined;
	return {vg, lv, attr, sizeBytes: Number(size), pool: pool ?? ''};
}

interface VolumeGroup {
	freeBytes: number;
	freeExtents: number;
}

/** One line of `vgs --noheadings --separator '|' --units b --nosuffix -o vg_name,vg_free,vg_free_count`. */
export function parseVgsLine(stdout: string): VolumeGroup | undefined {
	const line = stdout.split('\n').map((text) => text.trim()).find((text) => text.includes('|'));
	if (!line) return undefined;
	const [, free, count] = line.split('|').map((field) => field.trim());
	const freeBytes = Number(free);
	const freeExtents = Number(count);
	if (!Number.isFinite(freeBytes) || !Number.isFinite(freeExtents)) return undefined;
	return {freeBytes, freeExtents};
}

/** LVM snapshots need the filesystem on a logical volume and, for a classic (thick) LV, free extents in its VG. */
export async function lvmSnapshot(fs: FilesystemInfo, run: CommandRunner): Promise<Fact<SnapshotCapability>> {
	const lvsArgs = ['--noheadings', '--separator', '|', '--units', 'b', '--nosuffix', '-o', 'vg_name,lv_name,lv_attr,lv_size,pool_lv', fs.device];
	const lvsCommand = commandLine('lvs', lvsArgs);
	const lvs = await run('lvs', lvsArgs);
	if (lvs.notFound) {
		return known(
			{capable: false, reason: `${fs.device} is a device-mapper device, but lvs is not installed (install lvm2) so it cannot be checked for LVM`},
			`${lvsCommand}: command not found`,
		);
	}
	if (lvs.exitCode !== 0) {
		if (/permission denied|non-root|root privileges/i.test(lvs.stderr)) return unknown(`${lvsCommand} failed: ${failureText(lvs)} (run as root)`);
		return known(
			{capable: false, reason: `${fs.device} is a device-mapper device but not an LVM logical volume (lvs: ${failureText(lvs)})`},
			lvsCommand,
		);
	}
	const volume = parseLvsLine(lvs.stdout);
	if (!volume) return unknown(`${lvsCommand} printed nothing that names a logical volume`);
	const name = `${volume.vg}/${volume.lv}`;
	const scope =
		fs.path === fs.mountPoint ? '' : ` (the snapshot holds the whole filesystem mounted at ${fs.mountPoint}, not only the data directory)`;
	if (volume.attr.startsWith('V')) {
		return known(
			{
				capable: true,
				backend: 'lvm',
				target: name,
				reason: `${name} is a thin logical volume${volume.pool ? ` in pool ${volume.vg}/${volume.pool}` : ''}: a thin snapshot takes its space from the pool${scope}`,
			},
			lvsCommand,
		);
	}
	const vgsArgs = ['--noheadings', '--separator', '|', '--units', 'b', '--nosuffix', '-o', 'vg_name,vg_free,vg_free_count', volume.vg];
	const vgsCommand = commandLine('vgs', vgsArgs);
	const vgs = await run('vgs', vgsArgs);
	const source = `${lvsCommand}; ${vgsCommand}`;
	if (vgs.notFound || vgs.exitCode !== 0) return unknown(`${name} is an LVM logical volume, but ${vgsCommand} failed: ${failureText(vgs)}`);
	const group = parseVgsLine(vgs.stdout);
	if (!group) return unknown(`${vgsCommand} printed no free-space figures for ${volume.vg}`);
	if (group.freeExtents <= 0) {
		return known(
			{
				capable: false,
				backend: 'lvm',
				target: name,
				reason: `${name} is an LVM logical volume, but volume group ${volume.vg} has no free extents for a snapshot (extend the VG or shrink a volume)`,
			},
			source,
		);
	}
	return known(
		{
			capable: true,
			backend: 'lvm',
			target: name,
			reason:
				`${name} (${formatBytes(volume.sizeBytes)}) is an LVM logical volume; volume group ${volume.vg} has ` +
				`${formatBytes(group.freeBytes)} free (${group.freeExtents} extents) for a snapshot, which must hold every change made while the backup runs${scope}`,
		},
		source,
	);
}
