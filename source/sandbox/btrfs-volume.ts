/**
 * A real btrfs filesystem on a loop device of our own, for the snapshot engine's tests and its bench: a
 * sparse image file (truncate) attached with `losetup --find --show` (so it is detached by name),
 * formatted with mkfs.btrfs, mounted with `mount -o loop`'s two steps done by hand, with subvolumes and
 * snapshots made on demand. `cleanup` unmounts (lazily after ten tries), detaches the loop device and
 * removes the directory, whatever state the caller left it in; it is safe to call more than once. Needs
 * root (mount, losetup); btrfs-progs is installed when missing (BTRFS_NEEDS).
 */
import {chmod, mkdir, mkdtemp, realpath, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {BTRFS_NEEDS, ensureDebianPackages} from './debian-packages.ts';
import {runCommand} from './run-command.ts';

export interface BtrfsVolumeOptions {
	log?: (line: string) => void;
	/** the image's size as truncate -s takes it (sparse: only what is written takes disk space); default 1G */
	size?: string;
	/** the temp directory's name prefix; default 'btrfs-volume-' */
	prefix?: string;
	/** where the temp directory is made; default the OS temp dir */
	parent?: string;
}

export interface BtrfsVolume {
	/** the temp directory holding the image and the mount point (mode 0755) */
	dir: string;
	/** where the filesystem is mounted */
	mnt: string;
	/** the loop device, '' once detached */
	readonly loop: string;
	/** `btrfs subvolume create mnt/NAME` (mode 0755, so the postgres or mysql OS user can pass) */
	subvolume(name: string): Promise<string>;
	/** `btrfs subvolume snapshot [-r] SOURCE mnt/NAME`; returns the snapshot's path */
	snapshot(source: string, name: string, options?: {readOnly?: boolean}): Promise<string>;
	/** `btrfs subvolume delete PATH` (a subvolume or snapshot of this volume) */
	deleteSubvolume(subvolume: string): Promise<void>;
	/** unmount, detach the loop device, remove the directory; safe to call more than once */
	cleanup(): Promise<void>;
}

export const btrfsNeedsRoot = process.getuid?.() !== 0 ? 'needs root to mount a btrfs image on a loop device' : false;

async function run(program: string, args: string[]): Promise<string> {
	return (await runCommand(program, args)).stdout;
}

export async function createBtrfsVolume(options: BtrfsVolumeOptions = {}): Promise<BtrfsVolume> {
	const log = options.log ?? (() => {});
	await ensureDebianPackages(BTRFS_NEEDS, log);
	const dir = await realpath(await mkdtemp(path.join(options.parent ?? os.tmpdir(), options.prefix ?? 'btrfs-volume-')));
	// a sandbox's PostgreSQL (or a restored mysqld) runs as its own OS user, which must enter every directory down to its data
	await chmod(dir, 0o755);
	const mnt = path.join(dir, 'mnt');
	const image = path.join(dir, 'btrfs.img');
	await mkdir(mnt);
	let loop = '';
	let mounted = false;
	let cleaning: Promise<void> | undefined;
	const cleanup = () => {
		cleaning ??= (async () => {
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
		})();
		return cleaning;
	};
	try {
		await run('truncate', ['-s', options.size ?? '1G', image]);
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
		async snapshot(source, name, snapshotOptions = {}) {
			const target = path.join(mnt, name);
			await run('btrfs', ['subvolume', 'snapshot', ...(snapshotOptions.readOnly ? ['-r'] : []), source, target]);
			return target;
		},
		async deleteSubvolume(subvolume) {
			await run('btrfs', ['subvolume', 'delete', subvolume]);
		},
		cleanup,
	};
}

/** The subvolumes below `mnt`, by their paths relative to it (`btrfs subvolume list`). */
export async function subvolumesUnder(mnt: string): Promise<string[]> {
	const listed = await run('btrfs', ['subvolume', 'list', mnt]);
	return listed
		.split('\n')
		.map((line) => /path (.+)$/.exec(line)?.[1])
		.filter((name): name is string => name !== undefined);
}
