import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {DbBackupError} from '../../source/core/errors.ts';
import {
	ensureDebianPackages,
	holdServiceStartsWithPolicyRcD,
	installCommandLine,
	locateBinary,
	missingPackages,
	type DebianPackageDeps,
	type PackageNeed,
} from '../../source/sandbox/debian-packages.ts';

const needs: PackageNeed[] = [
	{binary: 'mariadbd', pkg: 'mariadb-server'},
	{binary: 'mariadb-install-db', pkg: 'mariadb-server'},
	{binary: 'mariadb-dump', pkg: 'mariadb-client'},
	{binary: 'initdb', pkg: 'postgresql-15'},
];

interface Recorder {
	deps: DebianPackageDeps;
	calls: string[];
	installed: Set<string>;
}

/** Fake system: `present` binaries exist; apt-get install makes the binaries of `installs` appear. */
function fakeSystem(options: {root: boolean; present: string[]; installs?: string[]; failInstall?: boolean}): Recorder {
	const installed = new Set(options.present);
	const calls: string[] = [];
	const deps: DebianPackageDeps = {
		which: (binary) => (installed.has(binary) ? `/usr/bin/${binary}` : undefined),
		isRoot: () => options.root,
		runCommand: async (command, args, log) => {
			calls.push(`${command} ${args.join(' ')}`);
			log(`output of ${command}`);
			if (args[0] === 'install') {
				if (options.failInstall) throw new Error('E: Unable to locate package');
				for (const binary of options.installs ?? []) installed.add(binary);
			}
		},
		holdServiceStarts: () => {
			calls.push('hold services');
			return () => calls.push('release services');
		},
	};
	return {deps, calls, installed};
}

describe('debian-packages', () => {
	test('(injected: which) missingPackages lists each missing package once, in the order first needed', () => {
		const present = new Set(['mariadb-install-db']);
		const which = (binary: string) => (present.has(binary) ? '/x' : undefined);
		assert.deepEqual(missingPackages(needs, which), ['mariadb-server', 'mariadb-client', 'postgresql-15']);
		present.add('mariadbd').add('mariadb-dump').add('initdb');
		assert.deepEqual(missingPackages(needs, which), []);
	});

	test('(injected: all present) runs nothing', async () => {
		const system = fakeSystem({root: true, present: needs.map((need) => need.binary)});
		await ensureDebianPackages(needs, () => {}, system.deps);
		assert.deepEqual(system.calls, []);
	});

	test('(injected: not root) throws MISSING_PACKAGES with the exact command and runs nothing', async () => {
		const system = fakeSystem({root: false, present: ['mariadb-install-db', 'initdb']});
		const error = await ensureDebianPackages(needs, () => {}, system.deps).then(
			() => assert.fail('expected a rejection'),
			(caught: unknown) => caught,
		);
		assert.ok(error instanceof DbBackupError);
		assert.equal(error.code, 'MISSING_PACKAGES');
		const command = 'sudo apt-get update && sudo apt-get install -y --no-install-recommends mariadb-server mariadb-client';
		assert.equal(installCommandLine(['mariadb-server', 'mariadb-client']), command);
		assert.ok(error.message.includes(command), error.message);
		assert.ok(error.message.includes('mariadbd, mariadb-dump'), error.message);
		assert.equal(error.hint, `Run: ${command}`);
		assert.deepEqual(system.calls, []);
	});

	test('(injected: root) holds service starts, runs apt-get update then install of the missing packages', async () => {
		const system = fakeSystem({root: true, present: ['mariadb-dump'], installs: ['mariadbd', 'mariadb-install-db', 'initdb']});
		const lines: string[] = [];
		await ensureDebianPackages(needs, (line) => lines.push(line), system.deps);
		assert.deepEqual(system.calls, [
			'hold services',
			'apt-get update',
			'apt-get install -y --no-install-recommends mariadb-server postgresql-15',
			'release services',
		]);
		assert.ok(lines.includes('output of apt-get'), 'command output reaches the log');
		assert.ok(lines.some((line) => line.includes('mariadb-server postgresql-15')));
	});

	test('(injected: root, install fails) releases the hold and rethrows', async () => {
		const system = fakeSystem({root: true, present: [], failInstall: true});
		await assert.rejects(ensureDebianPackages(needs, () => {}, system.deps), /Unable to locate package/);
		assert.equal(system.calls.at(-1), 'release services');
	});

	test('(injected: root, binary still missing after install) throws MISSING_PACKAGES naming it', async () => {
		const system = fakeSystem({root: true, present: [], installs: ['mariadbd', 'mariadb-install-db', 'mariadb-dump']});
		await assert.rejects(
			ensureDebianPackages(needs, () => {}, system.deps),
			(error: unknown) => error instanceof DbBackupError && error.code === 'MISSING_PACKAGES' && /initdb/.test(error.message),
		);
	});

	test('locateBinary finds executables on PATH and in the Debian server directories, not absent ones', () => {
		assert.match(locateBinary('sh') ?? '', /\/sh$/);
		assert.equal(locateBinary('dbbackup-no-such-binary'), undefined);
		const savedPath = process.env.PATH;
		process.env.PATH = '/nonexistent';
		try {
			// still found through the fixed list, as for a user whose PATH lacks /usr/sbin
			assert.match(locateBinary('sh') ?? '', /^\/(usr\/)?bin\/sh$/);
		} finally {
			process.env.PATH = savedPath;
		}
	});

	test('(injected: path) the policy-rc.d hold answers 101 while held, is removed after, and leaves an existing policy alone', () => {
		const dir = mkdtempSync(join(tmpdir(), 'dbbackup-policy-test-'));
		try {
			const path = join(dir, 'policy-rc.d');
			const release = holdServiceStartsWithPolicyRcD(() => {}, path);
			assert.equal(statSync(path).mode & 0o777, 0o755);
			const status = (() => {
				try {
					execFileSync(path, ['mariadb', 'start']);
					return 0;
				} catch (error) {
					return (error as {status: number}).status;
				}
			})();
			assert.equal(status, 101);
			release();
			assert.equal(existsSync(path), false);

			writeFileSync(path, '#!/bin/sh\nexit 0\n', {mode: 0o755});
			holdServiceStartsWithPolicyRcD(() => {}, path)();
			assert.equal(readFileSync(path, 'utf8'), '#!/bin/sh\nexit 0\n');
		} finally {
			rmSync(dir, {recursive: true, force: true});
		}
	});
});
