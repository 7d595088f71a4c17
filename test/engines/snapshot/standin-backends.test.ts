/**
 * The LVM and ZFS backends cannot run against the real tools on this machine (no volume group, no ZFS
 * pool). These tests drive their command layer through STAND-IN binaries put first on PATH: small shell
 * scripts that record their argv and print what the real tools print (output formats copied from the
 * lvcreate(8), lvs(8), lvremove(8), umount(8) and zfs(8) documentation). They prove the commands, their
 * order and arguments, the parsing of the tools' output and the handling of their failures — not that
 * the real tools accept them.
 */
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {LvmBackend, ZfsBackend} from '../../../source/engines/snapshot/backends.ts';
import {SNAPSHOT_PREFIX, parseSnapshotName, snapshotName, staleNames} from '../../../source/engines/snapshot/names.ts';
import {DbBackupError} from '../../../source/core/errors.ts';

let dir: string;
let bin: string;
let calls: string;
let originalPath: string | undefined;

/** a pid that surely runs no process: one that just exited */
function deadPid(): number {
	const child = spawnSync('sh', ['-c', 'echo $$']);
	return Number(child.stdout.toString().trim());
}

const dead = deadPid();
const staleName = `${SNAPSHOT_PREFIX}20240102T030405Z-${dead}`;
// our parent (the test runner) runs: its snapshot belongs to a backup in progress
const runningName = `${SNAPSHOT_PREFIX}20240102T030405Z-${process.ppid}`;

async function standIn(name: string, body: string): Promise<void> {
	const file = path.join(bin, name);
	await writeFile(file, `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> "${calls}"\n${body}\n`);
	await chmod(file, 0o755);
}

async function recorded(): Promise<string[]> {
	const text = await readFile(calls, 'utf8').catch(() => '');
	await writeFile(calls, '');
	return text.split('\n').filter(Boolean);
}

before(async () => {
	dir = await mkdtemp(path.join(os.tmpdir(), 'snapshot-standins-'));
	bin = path.join(dir, 'bin');
	calls = path.join(dir, 'calls.log');
	await mkdir(bin);
	// lvcreate(8): "Logical volume "NAME" created."
	await standIn('lvcreate', 'name=""\nwhile [ $# -gt 0 ]; do [ "$1" = "-n" ] && name="$2"; shift; done\necho "  Logical volume \\"$name\\" created."');
	// lvs(8) --noheadings: two-space indented rows; lv_attr's fifth character is the state (I: invalid snapshot)
	await standIn(
		'lvs',
		[
			'case "$*" in',
			`  *"-o lv_name vg0") printf '  mysql\\n  ${staleName}\\n  ${runningName}\\n  home\\n' ;;`,
			`  *"-o lv_attr,snap_percent vg0/"*) if [ -f "${dir}/overflow" ]; then echo "  swi-I-s---|100.00"; else echo "  swi-a-s---|3.17"; fi ;;`,
			'  *) echo "  Volume group not found" >&2; exit 5 ;;',
			'esac',
		].join('\n'),
	);
	// lvremove(8): a missing volume is "Failed to find logical volume" with exit 5
	await standIn(
		'lvremove',
		[
			'case "$2" in',
			'  vg0/gone*) echo "  Failed to find logical volume \\"$2\\"" >&2; exit 5 ;;',
			'  vg0/busy*) echo "  Logical volume vg0/busy is used by another device." >&2; exit 5 ;;',
			'  *) echo "  Logical volume \\"${2#vg0/}\\" successfully removed." ;;',
			'esac',
		].join('\n'),
	);
	await standIn('mount', 'exit 0');
	// umount(8): "not mounted." with exit 32 for a directory nothing is mounted on
	await standIn('umount', `case "$1" in *gone*) echo "umount: $1: not mounted." >&2; exit 32 ;; esac; exit 0`);
	// zfs(8): list -H prints tab-separated rows without a header; destroy of a missing snapshot fails with exit 1
	await standIn(
		'zfs',
		[
			'case "$1" in',
			'  snapshot) exit 0 ;;',
			`  list) printf 'tank/mysql@${staleName}\\ntank/mysql@daily-2024-01-01\\ntank/mysql@${runningName}\\n' ;;`,
			'  destroy) case "$*" in *gone*) echo "could not find any snapshots to destroy; check snapshot names." >&2; exit 1 ;; esac ;;',
			'esac',
		].join('\n'),
	);
	originalPath = process.env.PATH;
	process.env.PATH = `${bin}:${process.env.PATH}`;
});

after(async () => {
	process.env.PATH = originalPath;
	await rm(dir, {recursive: true, force: true});
});

describe('snapshot names', () => {
	test('carry the prefix, the start time and the pid, and parse back', () => {
		const name = snapshotName(new Date('2025-01-02T03:04:05.678Z'), 4711);
		assert.equal(name, 'dbbackup-snap-20250102T030405Z-4711');
		assert.deepEqual(parseSnapshotName(name), {name, startedAt: '2025-01-02T03:04:05Z', pid: 4711});
		assert.equal(parseSnapshotName('daily-2024-01-01'), undefined);
		assert.equal(parseSnapshotName('dbbackup-snap-20250102T030405Z-0'), undefined);
	});

	test('stale: ours, not this run, and the process is gone (or is this process: an old run whose pid came back)', () => {
		const own = snapshotName(new Date(), process.pid);
		const oldSelf = `${SNAPSHOT_PREFIX}20200101T000000Z-${process.pid}`;
		const {stale, running} = staleNames([staleName, runningName, own, oldSelf, 'mysql'], own);
		assert.deepEqual(stale.map((entry) => entry.name).sort(), [oldSelf, staleName].sort());
		assert.deepEqual(running.map((entry) => entry.name), [runningName]);
	});
});

describe('LVM backend through stand-in lvcreate, lvs, lvremove, mount and umount', () => {
	const options = {vg: 'vg0', lv: 'mysql', mountPoint: '/srv/mysql', fsType: 'xfs', datadir: '/srv/mysql/data', thin: false};

	test('stand-in lvcreate -s -L, then stand-in mount -o ro,nouuid (xfs); the data directory read below the mount', async () => {
		const backend = new LvmBackend({...options, size: '2G', mountBase: path.join(dir, 'mounts')});
		await recorded();
		const taken = await backend.take('dbbackup-snap-20250102T030405Z-1');
		const mountDir = path.join(dir, 'mounts', 'dbbackup-snap-20250102T030405Z-1');
		assert.deepEqual(await recorded(), [
			'lvcreate -s -n dbbackup-snap-20250102T030405Z-1 -L 2G vg0/mysql',
			`mount -o ro,nouuid /dev/vg0/dbbackup-snap-20250102T030405Z-1 ${mountDir}`,
		]);
		assert.equal(taken.root, path.join(mountDir, 'data'));
		assert.ok((await stat(mountDir)).isDirectory());
		await backend.remove(taken.name);
		assert.deepEqual(await recorded(), [`umount ${mountDir}`, 'lvremove -f vg0/dbbackup-snap-20250102T030405Z-1']);
		await assert.rejects(stat(mountDir), {code: 'ENOENT'});
	});

	test('stand-in lvcreate for a thin volume: no size, activation skip off; ext4 mounts plain ro; default size 20%ORIGIN', () => {
		assert.deepEqual(new LvmBackend({...options, thin: true}).createArgs('n1'), ['-s', '-kn', '-n', 'n1', 'vg0/mysql']);
		assert.deepEqual(new LvmBackend(options).createArgs('n1'), ['-s', '-n', 'n1', '-l', '20%ORIGIN', 'vg0/mysql']);
		assert.equal(new LvmBackend({...options, fsType: 'ext4'}).mountOptions(), 'ro');
	});

	test('stand-in lvs: a stale snapshot is listed, one of a running backup and other volumes are not', async () => {
		const backend = new LvmBackend({...options, mountBase: path.join(dir, 'no-mounts')});
		const stale = await backend.listStale(SNAPSHOT_PREFIX);
		assert.deepEqual(stale.map((entry) => entry.name), [staleName]);
		assert.equal(stale[0]!.pid, dead);
	});

	test('stand-in lvs: a classic snapshot that overflowed its copy-on-write space fails the check', async () => {
		const backend = new LvmBackend(options);
		await backend.check('n1');
		await writeFile(path.join(dir, 'overflow'), '');
		try {
			await assert.rejects(backend.check('n1'), (error: unknown) => error instanceof DbBackupError && error.code === 'SNAPSHOT_INVALIDATED' && /swi-I-s---/.test(error.message));
		} finally {
			await rm(path.join(dir, 'overflow'));
		}
	});

	test('stand-in umount/lvremove: removing what is already gone succeeds (sync too); a refusal is an error naming the command', async () => {
		const backend = new LvmBackend({...options, mountBase: path.join(dir, 'mounts')});
		await recorded();
		await backend.remove('gone-1');
		backend.removeSync('gone-2');
		assert.deepEqual(await recorded(), [
			`umount ${path.join(dir, 'mounts', 'gone-1')}`,
			'lvremove -f vg0/gone-1',
			`umount ${path.join(dir, 'mounts', 'gone-2')}`,
			'lvremove -f vg0/gone-2',
		]);
		await assert.rejects(backend.remove('busy-1'), (error: unknown) => error instanceof DbBackupError && error.code === 'SNAPSHOT_COMMAND_FAILED' && /lvremove -f vg0\/busy-1 failed: Logical volume vg0\/busy is used/.test(error.message));
	});
});

describe('ZFS backend through a stand-in zfs', () => {
	const options = {dataset: 'tank/mysql', mountPoint: '/tank/mysql', datadir: '/tank/mysql/data', recursive: false};

	test('stand-in zfs snapshot, read through .zfs/snapshot, stand-in zfs destroy', async () => {
		const backend = new ZfsBackend(options);
		await recorded();
		const taken = await backend.take('dbbackup-snap-20250102T030405Z-1');
		assert.equal(taken.root, '/tank/mysql/.zfs/snapshot/dbbackup-snap-20250102T030405Z-1/data');
		await backend.remove(taken.name);
		assert.deepEqual(await recorded(), ['zfs snapshot tank/mysql@dbbackup-snap-20250102T030405Z-1', 'zfs destroy tank/mysql@dbbackup-snap-20250102T030405Z-1']);
	});

	test('stand-in zfs snapshot -r and destroy -r when a child dataset holds some of the files', async () => {
		const backend = new ZfsBackend({...options, recursive: true});
		await recorded();
		await backend.take('n1');
		backend.removeSync('n1');
		assert.deepEqual(await recorded(), ['zfs snapshot -r tank/mysql@n1', 'zfs destroy -r tank/mysql@n1']);
		assert.match(backend.unit, /and its children/);
	});

	test('stand-in zfs list: only our snapshot of a dead run is stale; a destroy of a missing snapshot is not an error', async () => {
		const backend = new ZfsBackend(options);
		const stale = await backend.listStale(SNAPSHOT_PREFIX);
		assert.deepEqual(stale.map((entry) => entry.name), [staleName]);
		await recorded();
		await backend.remove('gone-1');
		assert.deepEqual(await recorded(), ['zfs destroy tank/mysql@gone-1']);
	});

	test('a missing zfs binary is SNAPSHOT_TOOL_MISSING naming the package', async () => {
		const saved = process.env.PATH;
		process.env.PATH = path.join(dir, 'empty');
		try {
			await assert.rejects(new ZfsBackend(options).take('n1'), (error: unknown) => error instanceof DbBackupError && error.code === 'SNAPSHOT_TOOL_MISSING' && /zfsutils-linux/.test(error.hint ?? ''));
		} finally {
			process.env.PATH = saved;
		}
	});
});
