import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(path.join(os.tmpdir(), 'dbbackup-launcher-'));
after(() => rmSync(scratch, {recursive: true, force: true}));

test('the dbbackup command starts node with bin/dbbackup.js, binlog-stream and wal-stream with V8 set for memory and backup without incremental marking, also through a symlink', async () => {
	const fakeBin = path.join(scratch, 'fake-node');
	mkdirSync(fakeBin);
	// a `node` that prints the arguments it was started with
	writeFileSync(path.join(fakeBin, 'node'), '#!/bin/sh\nprintf "%s\\n" "$@"\n');
	chmodSync(path.join(fakeBin, 'node'), 0o755);
	const linked = path.join(scratch, 'dbbackup');
	symlinkSync(path.join(repo, 'bin', 'dbbackup'), linked);
	const env = {...process.env, PATH: `${fakeBin}:${process.env.PATH}`};
	const entry = path.join(repo, 'bin', 'dbbackup.js');

	const stream = await run(linked, ['--json', 'binlog-stream', '--output', 'dir with space/'], {env});
	assert.deepEqual(stream.stdout.trim().split('\n'), ['--max-semi-space-size=2', '--optimize-for-size', entry, '--json', 'binlog-stream', '--output', 'dir with space/']);
	const wal = await run(linked, ['wal-stream', '--output', '/w/'], {env});
	assert.deepEqual(wal.stdout.trim().split('\n'), ['--max-semi-space-size=2', '--optimize-for-size', entry, 'wal-stream', '--output', '/w/']);
	const backup = await run(linked, ['backup', 'single', 'shop'], {env});
	assert.deepEqual(backup.stdout.trim().split('\n'), ['--no-incremental-marking', entry, 'backup', 'single', 'shop']);
	const restore = await run(linked, ['restore', 'shop.tar'], {env});
	assert.deepEqual(restore.stdout.trim().split('\n'), [entry, 'restore', 'shop.tar']);
});

/** A copy of bin/dbbackup.js in a tree of its own, with a "bundle" and "sources" that say which ran. */
function fakeInstall(): string {
	const root = path.join(scratch, `install-${Math.random().toString(36).slice(2)}`);
	for (const dir of ['bin', 'dist', 'source/cli']) mkdirSync(path.join(root, dir), {recursive: true});
	copyFileSync(path.join(repo, 'bin', 'dbbackup.js'), path.join(root, 'bin', 'dbbackup.js'));
	symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
	writeFileSync(path.join(root, 'tsconfig.json'), '{}\n');
	writeFileSync(path.join(root, 'package.json'), '{"type": "module"}\n');
	writeFileSync(path.join(root, 'source/cli/main.ts'), "console.log('sources');\n");
	writeFileSync(path.join(root, 'dist/main.js'), "console.log('bundle');\n");
	const built = Date.now();
	utimesSync(path.join(root, 'source/cli/main.ts'), new Date(built - 60_000), new Date(built - 60_000));
	writeFileSync(path.join(root, 'dist/build-info.json'), JSON.stringify({entry: 'main.js', newestInputMs: built - 60_000, inputs: ['source/cli/main.ts']}));
	return root;
}

async function whichRuns(root: string, env: Record<string, string> = {}): Promise<string> {
	const {stdout} = await run(process.execPath, [path.join(root, 'bin', 'dbbackup.js')], {env: {PATH: process.env.PATH ?? '', ...env}});
	return stdout.trim();
}

test('bin/dbbackup.js runs the bundle only while no source it was built from is newer, and the sources otherwise or when asked', async () => {
	const root = fakeInstall();
	assert.equal(await whichRuns(root), 'bundle');
	assert.equal(await whichRuns(root, {DBBACKUP_FROM_SOURCE: '1'}), 'sources');
	// an edit after the build
	utimesSync(path.join(root, 'source/cli/main.ts'), new Date(), new Date());
	assert.equal(await whichRuns(root), 'sources');
});

test('bin/dbbackup.js runs the sources when there is no build, or the build names a source that is gone', async () => {
	const missing = fakeInstall();
	rmSync(path.join(missing, 'dist/build-info.json'));
	assert.equal(await whichRuns(missing), 'sources');
	const gone = fakeInstall();
	writeFileSync(path.join(gone, 'dist/build-info.json'), JSON.stringify({entry: 'main.js', newestInputMs: Date.now(), inputs: ['source/cli/removed.ts']}));
	assert.equal(await whichRuns(gone), 'sources');
});
