/**
 * A real btrfs filesystem for the snapshot engine's tests: an image file on a loop device of our own
 * (losetup --find --show, so it is detached by name), formatted, mounted, with subvolumes made on
 * demand. `cleanup` unmounts, detaches the loop device and removes the directory, whatever state the
 * test left it in. Needs root (mount, losetup); btrfs-progs is installed when missing (BTRFS_NEEDS).
 */
import {execFile} from 'node:child_process';
import {chmod, mkdir, mkdtemp, realpath, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {promisify} from 'node:util';
import {BTRFS_NEEDS, ensureDebianPackages} from '../../../source/sandbox/debian-packages.ts';

const exec = promisify(execFile);

export const notRoot = process.getuid?.() !== 0 ? 'needs root to mount a btrfs image on a loop device' : false;

export interface BtrfsFixture {
	/** the temp directory holding the image and the mount point */
	dir: string;
	/** where the filesystem is mounted */
	mnt: string;
	loop: string;
	/** `btrfs subvolume create mnt/NAME` (mode 0755, so the postgres OS user can pass) */
	subvolume(name: string): Promise<string>;
	cleanup(): Promise<void>;
}

export async function run(program: string, args: string[]): Promise<string> {
	const {stdout} = await exec(program, args, {maxBuffer: 16 * 1024 * 1024});
	return stdout;
}

export async function createBtrfs(log: (line: string) => void = () => {}, size = '1G'): Promise<BtrfsFixture> {
	await ensureDebianPackages(BTRFS_NEEDS, log);
	const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'snapshot-btrfs-')));
	// the sandbox's PostgreSQL runs as the postgres OS user, which must enter every directory down to its data
	await chmod(dir, 0o755);
	const mnt = path.join(dir, 'mnt');
	const image = path.join(dir, 'btrfs.img');
	await mkdir(mnt);
	let loop = '';
	let mounted = false;
	const cleanup = async () => {
		if (mounted) {
			for (let attempt = 1; ; attempt++) {
				try {
					await run('umount', [mnt]);
					break;
				} catch (error) {
					if (attempt >= 10) {
						await run('umount', ['-l', mnt]).catch(() => undefined);
						log(`umount ${mnt} failed, lazily unmounted: ${(error as Error).message}`);
						break;
					}
					await sleep(500);
				}
			}
			mounted = false;
		}
		if (loop) {
			await run('losetup', ['-d', loop]).catch((error: unknown) => log(`losetup -d ${loop}: ${(error as Error).message}`));
			loop = '';
		}
		await rm(dir, {recursive: true, force: true});
	};
	try {
		await run('truncate', ['-s', size, image]);
		loop = (await run('losetup', ['--find', '--show', image])).trim();
		await run('mkfs.btrfs', ['-q', loop]);
		await run('mount', [loop, mnt]);
		mounted = true;
		await chmod(mnt, 0o755);
	} catch (error) {
		await cleanup();
		throw error;
	}
	return {
		dir,
		mnt,
		get loop() {
			return loop;
		},
		async subvolume(name) {
			const subvolume = path.join(mnt, name);
			await run('btrfs', ['subvolume', 'create', subvolume]);
			await chmod(subvolume, 0o755);
			return subvolume;
		},
		cleanup,
	};
}

/** The subvolumes below `mnt` (btrfs subvolume list -o would need the path of each; names are enough here). */
export async function subvolumesUnder(mnt: string): Promise<string[]> {
	const listed = await run('btrfs', ['subvolume', 'list', mnt]);
	return listed
		.split('\n')
		.map((line) => /path (.+)$/.exec(line)?.[1])
		.filter((name): name is string => name !== undefined);
}
