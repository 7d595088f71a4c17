import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {findMount, isInside, mountContaining, parseMountinfo} from '../../../source/core/detect/mounts.ts';
import {findmntJson, notInstalled, ok, recordedRunner} from './fake-runner.ts';

const MOUNTINFO = [
	'22 27 0:21 / /proc rw,relatime - proc proc rw',
	'27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard',
	'43 27 0:39 / /srv/data rw,relatime - btrfs /dev/loop0 rw,space_cache=v2,subvolid=5,subvol=/',
	'44 27 0:39 /sub1 /srv/my\\040data rw,relatime shared:5 - btrfs /dev/loop0 rw,subvolid=256,subvol=/sub1',
	'45 43 0:50 / /srv/data/tmp rw,relatime - tmpfs tmpfs rw',
	'46 27 253:2 / /var/lib/mysql rw,relatime - xfs /dev/mapper/vg0-mysql rw',
	'47 27 0:60 / /var/lib/mysql rw,relatime - overlay overlay rw,lowerdir=/a',
].join('\n');

describe('parseMountinfo', () => {
	test('fields, optional fields and octal escapes', () => {
		const entries = parseMountinfo(MOUNTINFO);
		assert.equal(entries.length, 7);
		assert.deepEqual(entries[3], {root: '/sub1', mountPoint: '/srv/my data', fsType: 'btrfs', source: '/dev/loop0'});
		assert.deepEqual(entries[5], {root: '/', mountPoint: '/var/lib/mysql', fsType: 'xfs', source: '/dev/mapper/vg0-mysql'});
	});
});

describe('mountContaining', () => {
	const entries = parseMountinfo(MOUNTINFO);

	test('the longest mount point that contains the path', () => {
		assert.equal(mountContaining(entries, '/srv/data/mysql')?.fsType, 'btrfs');
		assert.equal(mountContaining(entries, '/srv/data/tmp/x')?.fsType, 'tmpfs');
		assert.equal(mountContaining(entries, '/srv/datastore')?.fsType, 'ext4');
		assert.equal(mountContaining(entries, '/srv/my data/db')?.mountPoint, '/srv/my data');
	});

	test('a later mount on the same point hides the earlier one', () => {
		assert.equal(mountContaining(entries, '/var/lib/mysql')?.fsType, 'overlay');
	});

	test('isInside does not match a sibling with a common prefix', () => {
		assert.equal(isInside('/var/lib/mysql2', '/var/lib/mysql'), false);
		assert.equal(isInside('/var/lib/mysql/db', '/var/lib/mysql'), true);
		assert.equal(isInside('/anything', '/'), true);
	});
});

describe('findMount', () => {
	test('findmnt when installed, named in the source', async () => {
		const run = recordedRunner({findmnt: ok(findmntJson('/srv/data', '/dev/loop0', 'btrfs'))});
		const fact = await findMount('/srv/data/mysql', run, async () => MOUNTINFO);
		assert.deepEqual(fact, {
			known: true,
			value: {path: '/srv/data/mysql', mountPoint: '/srv/data', fsType: 'btrfs', device: '/dev/loop0'},
			source: 'findmnt -J --nofsroot -o TARGET,SOURCE,FSTYPE -T /srv/data/mysql',
		});
	});

	test('/proc/self/mountinfo when findmnt is missing, and the source says so', async () => {
		const run = recordedRunner({findmnt: notInstalled});
		const fact = await findMount('/var/lib/mysql/ibdata', run, async () => MOUNTINFO);
		assert.ok(fact.known);
		assert.deepEqual(fact.value, {path: '/var/lib/mysql/ibdata', mountPoint: '/var/lib/mysql', fsType: 'overlay', device: 'overlay'});
		assert.match(fact.source, /^\/proc\/self\/mountinfo .*findmnt is not installed/);
	});

	test('unknown with both reasons when neither works', async () => {
		const run = recordedRunner({findmnt: notInstalled});
		const fact = await findMount('/x', run, async () => {
			throw new Error('EACCES: permission denied');
		});
		assert.equal(fact.known, false);
		assert.ok(!fact.known && fact.reason.includes('findmnt is not installed') && fact.reason.includes('permission denied'));
	});
});
