/**
 * A real btrfs filesystem for the snapshot engine's tests: source/sandbox/btrfs-volume.ts (an image on
 * a loop device of our own, formatted, mounted, subvolumes on demand, a cleanup that always unmounts and
 * detaches) under the names the tests use. Needs root (mount, losetup).
 */
import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import {btrfsNeedsRoot, createBtrfsVolume, subvolumesUnder, type BtrfsVolume} from '../../../source/sandbox/btrfs-volume.ts';

const exec = promisify(execFile);

export {subvolumesUnder};

export const notRoot = btrfsNeedsRoot;

export type BtrfsFixture = BtrfsVolume;

export async function run(program: string, args: string[]): Promise<string> {
	const {stdout} = await exec(program, args, {maxBuffer: 16 * 1024 * 1024});
	return stdout;
}

export function createBtrfs(log: (line: string) => void = () => {}, size = '1G'): Promise<BtrfsFixture> {
	return createBtrfsVolume({log, size, prefix: 'snapshot-btrfs-'});
}
