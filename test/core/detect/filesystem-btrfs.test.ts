import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdir, mkdtemp, realpath, rm, stat} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {detectFilesystem} from '../../../source/core/detect/filesystem.ts';

const exec = promisify(execFile);
const notRoot = process.getuid?.() !== 0 ? 'needs root to mount a btrfs image on a loop device' : false;

describe('detectFilesystem on a real btrfs filesystem (loop-mounted image)', {skip: notRoot}, () => {
	let dir: string;
	let mnt: string;
	let mounted = false;

	before(async () => {
		dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'detect-btrfs-')));
		mnt = path.join(dir, 'mnt');
		const image = path.join(dir, 'btrfs.img');
		await mkdir(mnt);
		await exec('truncate', ['-s', '300M', image]);
		await exec('mkfs.btrfs', ['-q', image]);
		await exec('mount', ['-o', 'loop', image, mnt]);
		mounted = true;
		await exec('btrfs', ['subvolume', 'create', path.join(mnt, 'mysql')]);
		await mkdir(path.join(mnt, 'mysql', 'shop'));
		await mkdir(path.join(mnt, 'plain'));
	});

	after(async () => {
		if (mounted) await exec('umount', [mnt]);
		await rm(dir, {recursive: true, force: true});
	});

	test('a data directory that is a subvolume: capable, target the subvolume, and a snapshot of it works', async () => {
		const datadir = path.join(mnt, 'mysql');
		const {filesystem, snapshot} = await detectFilesystem(datadir);
		assert.ok(filesystem.known, JSON.stringify(filesystem));
		assert.equal(filesystem.value.fsType, 'btrfs');
		assert.equal(filesystem.value.mountPoint, mnt);
		assert.match(filesystem.value.device, /^\/dev\/loop\d+$/);
		assert.ok(snapshot.known, JSON.stringify(snapshot));
		assert.equal(snapshot.value.capable, true);
		assert.equal(snapshot.value.backend, 'btrfs');
		assert.equal(snapshot.value.target, datadir);
		assert.match(snapshot.value.reason, /is btrfs subvolume "mysql": a snapshot of it holds exactly the data directory/);
		assert.equal(snapshot.source, `btrfs subvolume show ${datadir}`);

		const copy = path.join(mnt, 'mysql-snap');
		await exec('btrfs', ['subvolume', 'snapshot', '-r', snapshot.value.target ?? '', copy]);
		assert.ok((await stat(path.join(copy, 'shop'))).isDirectory());
	});

	test('a plain directory inside a subvolume: capable through that subvolume', async () => {
		const datadir = path.join(mnt, 'mysql', 'shop');
		const {snapshot} = await detectFilesystem(datadir);
		assert.ok(snapshot.known, JSON.stringify(snapshot));
		assert.equal(snapshot.value.capable, true);
		assert.equal(snapshot.value.target, path.join(mnt, 'mysql'));
		assert.match(snapshot.value.reason, /not a subvolume itself; it lies inside btrfs subvolume "mysql"/);
		assert.match(snapshot.value.reason, /not only the data directory/);
	});

	test('a plain directory at the top level: capable through the top-level subvolume, with that noted', async () => {
		const datadir = path.join(mnt, 'plain');
		const {snapshot} = await detectFilesystem(datadir);
		assert.ok(snapshot.known, JSON.stringify(snapshot));
		assert.equal(snapshot.value.capable, true);
		assert.equal(snapshot.value.backend, 'btrfs');
		assert.equal(snapshot.value.target, mnt);
		assert.match(snapshot.value.reason, /top level of the filesystem/);
		assert.match(snapshot.value.reason, new RegExp(`holds everything under ${mnt}, not only the data directory`));
		assert.equal(snapshot.source, `btrfs subvolume show ${datadir}; btrfs subvolume show ${mnt}`);
	});
});

describe('detectFilesystem on the temp directory (not btrfs, LVM or ZFS here)', () => {
	test('not capable, and the reason names the filesystem type', async () => {
		const dir = await mkdtemp(path.join(os.tmpdir(), 'detect-plain-'));
		try {
			const {filesystem, snapshot} = await detectFilesystem(dir);
			assert.ok(filesystem.known, JSON.stringify(filesystem));
			assert.match(filesystem.source, /^findmnt /);
			assert.ok(!['btrfs', 'zfs'].includes(filesystem.value.fsType), `this test expects ${os.tmpdir()} on a plain filesystem`);
			assert.ok(snapshot.known, JSON.stringify(snapshot));
			assert.equal(snapshot.value.capable, false);
			assert.ok(snapshot.value.reason.includes(filesystem.value.fsType));
			assert.match(snapshot.value.reason, /would need to be a btrfs subvolume, a filesystem on an LVM logical volume, or a ZFS dataset/);
		} finally {
			await rm(dir, {recursive: true, force: true});
		}
	});
});
