import {commandLine, failureText, type CommandRunner} from './command-runner.ts';
import {known, unknown, type Fact, type FilesystemInfo, type SnapshotCapability} from './types.ts';

/** On ZFS the mount source is the dataset name; `zfs list` confirms it exists and the tool is there. */
export async function zfsSnapshot(fs: FilesystemInfo, run: CommandRunner): Promise<Fact<SnapshotCapability>> {
	const args = ['list', '-H', '-o', 'name', fs.device];
	const command = commandLine('zfs', args);
	const result = await run('zfs', args);
	if (result.notFound) {
		return known(
			{capable: false, backend: 'zfs', reason: `${fs.path} is on ZFS dataset ${fs.device}, but the zfs command is not installed (install zfsutils-linux)`},
			`${command}: command not found`,
		);
	}
	if (result.exitCode !== 0) return unknown(`${command} failed: ${failureText(result)}`);
	const dataset = result.stdout.split('\n')[0]?.trim();
	if (!dataset) return unknown(`${command} printed no dataset name`);
	const scope =
		fs.path === fs.mountPoint
			? 'a snapshot of it holds exactly the data directory'
			: `a snapshot holds everything in the dataset (mounted at ${fs.mountPoint}), not only the data directory`;
	return known({capable: true, backend: 'zfs', target: dataset, reason: `the data directory is on ZFS dataset ${dataset}: ${scope}`}, command);
}
