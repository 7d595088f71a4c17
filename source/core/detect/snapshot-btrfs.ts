import path from 'node:path';
import {commandLine, failureText, type CommandRunner} from './command-runner.ts';
import {isInside} from './mounts.ts';
import {known, unknown, type Fact, type FilesystemInfo, type SnapshotCapability} from './types.ts';

/**
 * A btrfs snapshot is taken of a subvolume. The data directory is either a subvolume itself, or lies
 * inside one (at worst the mounted one); `btrfs subvolume show` on it and then on each parent up to the
 * mount point finds which.
 */
export async function btrfsSnapshot(fs: FilesystemInfo, run: CommandRunner): Promise<Fact<SnapshotCapability>> {
	const commands: string[] = [];
	for (let dir = fs.path; ; dir = path.dirname(dir)) {
		const args = ['subvolume', 'show', dir];
		commands.push(commandLine('btrfs', args));
		const result = await run('btrfs', args);
		const source = commands.join('; ');
		if (result.notFound) {
			return known(
				{capable: false, backend: 'btrfs', reason: `${fs.path} is on btrfs, but the btrfs command is not installed (install btrfs-progs)`},
				`findmnt: fstype btrfs; ${source}: command not found`,
			);
		}
		if (result.exitCode === 0) {
			const name = subvolumeName(result.stdout);
			if (dir === fs.path) {
				return known(
					{
						capable: true,
						backend: 'btrfs',
						target: dir,
						reason: `the data directory is btrfs subvolume ${name}: a snapshot of it holds exactly the data directory`,
					},
					source,
				);
			}
			return known(
				{
					capable: true,
					backend: 'btrfs',
					target: dir,
					reason:
						`the data directory is not a subvolume itself; it lies inside btrfs subvolume ${name} at ${dir}, ` +
						`so a snapshot holds everything under ${dir}, not only the data directory ` +
						`(make ${fs.path} a subvolume of its own to snapshot only the data)`,
				},
				source,
			);
		}
		if (!/not a btrfs subvolume/i.test(result.stderr)) {
			return unknown(`${commandLine('btrfs', args)} failed: ${failureText(result)}`);
		}
		if (dir === fs.mountPoint || !isInside(path.dirname(dir), fs.mountPoint) || dir === path.dirname(dir)) {
			return unknown(`no btrfs subvolume found between ${fs.path} and its mount point ${fs.mountPoint} (${source})`);
		}
	}
}

/** The first line of `btrfs subvolume show` is the subvolume's path from the top level ("/" for the top level itself). */
function subvolumeName(stdout: string): string {
	const first = stdout.split('\n')[0]?.trim() ?? '';
	if (first === '/' || first === '') return '"/" (the top level of the filesystem)';
	return `"${first}"`;
}
