import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdir, mkdtemp, realpath, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {detectFilesystem} from '../../../source/core/detect/filesystem.ts';
import {parseLvsLine, parseVgsLine} from '../../../source/core/detect/snapshot-lvm.ts';
import {failed, findmntJson, notInstalled, ok, recordedRunner} from './fake-runner.ts';

// lvm2 prints these with --noheadings --separator '|' --units b --nosuffix (two leading spaces, no suffix)
const LVS_THICK = '  vg0|mysql|-wi-ao----|53687091200|\n';
const LVS_THIN = '  vg0|mysql|Vwi-aotz--|53687091200|pool0\n';
const VGS_FREE = '  vg0|10737418240|2560\n';
const VGS_FULL = '  vg0|0|0\n';

describe('snapshot capability (recorded output: no device-mapper/ZFS on this machine)', () => {
	let mountPoint: string;
	let datadir: string;
	before(async () => {
		mountPoint = await realpath(await mkdtemp(path.join(os.tmpdir(), 'detect-recorded-')));
		datadir = path.join(mountPoint, 'mysql');
		await mkdir(datadir);
	});
	after(async () => {
		await rm(mountPoint, {recursive: true, force: true});
	});

	test('parsers read lvs and vgs lines', () => {
		assert.deepEqual(parseLvsLine(LVS_THIN), {vg: 'vg0', lv: 'mysql', attr: 'Vwi-aotz--', sizeBytes: 53687091200, pool: 'pool0'});
		assert.deepEqual(parseVgsLine(VGS_FREE), {freeBytes: 10737418240, freeExtents: 2560});
		assert.equal(parseLvsLine(''), undefined);
	});

	test('LVM: a thick LV with free extents in its VG is capable, and the reason says how much is free', async () => {
		const run = recordedRunner({
			findmnt: ok(findmntJson(mountPoint, '/dev/mapper/vg0-mysql', 'xfs')),
			lvs: ok(LVS_THICK),
			vgs: ok(VGS_FREE),
		});
		const {filesystem, snapshot} = await detectFilesystem(datadir, run);
		assert.ok(filesystem.known);
		assert.deepEqual(filesystem.value, {path: datadir, mountPoint, fsType: 'xfs', device: '/dev/mapper/vg0-mysql'});
		assert.ok(snapshot.known);
		assert.equal(snapshot.value.capable, true);
		assert.equal(snapshot.value.backend, 'lvm');
		assert.equal(snapshot.value.target, 'vg0/mysql');
		assert.match(snapshot.value.reason, /volume group vg0 has 10\.0 GiB free \(2560 extents\)/);
		assert.match(snapshot.value.reason, /whole filesystem mounted at/);
		assert.equal(
			run.calls[1],
			"lvs --noheadings --separator | --units b --nosuffix -o vg_name,lv_name,lv_attr,lv_size,pool_lv /dev/mapper/vg0-mysql",
		);
		assert.equal(run.calls[2], 'vgs --noheadings --separator | --units b --nosuffix -o vg_name,vg_free,vg_free_count vg0');
		assert.match(snapshot.source, /^lvs .*; vgs /);
	});

	test('LVM: no free extents in the VG → not capable, with the reason', async () => {
		const run = recordedRunner({
			findmnt: ok(findmntJson(datadir, '/dev/mapper/vg0-mysql', 'ext4')),
			lvs: ok(LVS_THICK),
			vgs: ok(VGS_FULL),
		});
		const {snapshot} = await detectFilesystem(datadir, run);
		assert.ok(snapshot.known);
		assert.equal(snapshot.value.capable, false);
		assert.match(snapshot.value.reason, /volume group vg0 has no free extents/);
	});

	test('LVM: a thin LV takes its snapshot from the pool, no VG free space needed', async () => {
		const run = recordedRunner({findmnt: ok(findmntJson(datadir, '/dev/mapper/vg0-mysql', 'xfs')), lvs: ok(LVS_THIN)});
		const {snapshot} = await detectFilesystem(datadir, run);
		assert.ok(snapshot.known && snapshot.value.capable);
		assert.match(snapshot.value.reason, /thin logical volume in pool vg0\/pool0/);
		assert.deepEqual(run.calls.map((call) => call.split(' ')[0]), ['findmnt', 'lvs']);
	});

	test('LVM: lvs not installed → not capable, and says so', async () => {
		const run = recordedRunner({findmnt: ok(findmntJson(datadir, '/dev/dm-3', 'xfs')), lvs: notInstalled});
		const {snapshot} = await detectFilesystem(datadir, run);
		assert.ok(snapshot.known);
		assert.equal(snapshot.value.capable, false);
		assert.match(snapshot.value.reason, /lvs is not installed \(install lvm2\)/);
	});

	test('device-mapper device that is not an LV (dm-crypt) → not capable', async () => {
		const run = recordedRunner({
			findmnt: ok(findmntJson(datadir, '/dev/mapper/cryptdata', 'ext4')),
			lvs: failed(5, '  "/dev/mapper/cryptdata": Invalid path for Logical Volume.\n'),
		});
		const {snapshot} = await detectFilesystem(datadir, run);
		assert.ok(snapshot.known);
		assert.equal(snapshot.value.capable, false);
		assert.match(snapshot.value.reason, /not an LVM logical volume \(lvs: "\/dev\/mapper\/cryptdata": Invalid path/);
	});

	test('ZFS: the mount source is the dataset, confirmed with zfs list', async () => {
		const run = recordedRunner({findmnt: ok(findmntJson(datadir, 'tank/mysql', 'zfs')), zfs: ok('tank/mysql\n')});
		const {filesystem, snapshot} = await detectFilesystem(datadir, run);
		assert.ok(filesystem.known && filesystem.value.device === 'tank/mysql');
		assert.ok(snapshot.known);
		assert.deepEqual(
			{capable: snapshot.value.capable, backend: snapshot.value.backend, target: snapshot.value.target},
			{capable: true, backend: 'zfs', target: 'tank/mysql'},
		);
		assert.equal(snapshot.source, 'zfs list -H -o name tank/mysql');
		assert.match(snapshot.value.reason, /holds exactly the data directory/);
	});

	test('ZFS: zfs command missing → not capable, says so', async () => {
		const run = recordedRunner({findmnt: ok(findmntJson(mountPoint, 'tank/data', 'zfs')), zfs: notInstalled});
		const {snapshot} = await detectFilesystem(datadir, run);
		assert.ok(snapshot.known);
		assert.equal(snapshot.value.capable, false);
		assert.match(snapshot.value.reason, /zfs command is not installed/);
	});

	test('plain ext4 on a disk partition and overlay → not capable, the reason names the type', async () => {
		const ext4 = await detectFilesystem(datadir, recordedRunner({findmnt: ok(findmntJson('/', '/dev/sda1', 'ext4'))}));
		assert.ok(ext4.snapshot.known);
		assert.equal(ext4.snapshot.value.capable, false);
		assert.match(ext4.snapshot.value.reason, /^the data directory is on ext4 on \/dev\/sda1, mounted at \/, which cannot take snapshots/);
		const overlay = await detectFilesystem(datadir, recordedRunner({findmnt: ok(findmntJson('/', 'overlay', 'overlay'))}));
		assert.ok(overlay.snapshot.known);
		assert.match(overlay.snapshot.value.reason, /overlay \(a container filesystem\)/);
	});

	test('a data directory that does not exist here: both unknown', async () => {
		const {filesystem, snapshot} = await detectFilesystem(path.join(mountPoint, 'absent'), recordedRunner({}));
		assert.equal(filesystem.known, false);
		assert.equal(snapshot.known, false);
		assert.ok(!filesystem.known && filesystem.reason.endsWith('does not exist on this machine'));
	});
});
