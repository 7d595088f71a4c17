/**
 * `dbbackup prune`, `pin` and `unpin` through the CLI (in this process), on real backups of the harness's
 * MariaDB taken through the CLI too: the refusals (no policy, only zeros, a bad period, a name that is no
 * backup, a flag of another command) with exit 2, the dry run and its --json result, a policy from the
 * configuration, --confirm deleting what the policy does not keep and never a pinned backup, and status
 * showing the pin.
 */
import assert from 'node:assert/strict';
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import type {PruneReport} from '../../source/services/retention/prune.ts';
import {mariadbConnection, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {runInProcess} from './run-in-process.ts';

const {mariadb} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const env = {MYSQL_PWD: mariadb.password};

function jsonEvents(stdout: string): Array<{type: string; kind?: string; data?: unknown; code?: string}> {
	return stdout
		.split('\n')
		.filter((line) => line.trim() !== '')
		.map((line) => JSON.parse(line) as {type: string});
}

describe('dbbackup prune, pin, unpin', {timeout: 240_000}, () => {
	let admin: Connection;
	let dir: string;
	/** the three backups, oldest first */
	let backups: string[];
	const source = uniqueName('prunecli');

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		await admin.query(`CREATE DATABASE ${source}; CREATE TABLE ${source}.t (id INT PRIMARY KEY, v TEXT); INSERT INTO ${source}.t VALUES (1, 'one'), (2, 'two')`);
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-prune-cli-'));
		for (let index = 0; index < 3; index += 1) {
			const result = await runInProcess(['backup', 'single', source, '--output', `${dir}/`, ...mysqlArgs], {env});
			assert.equal(result.code, 0, result.stderr);
		}
		backups = (await readdir(dir)).filter((name) => name.endsWith('.tar')).sort();
		assert.equal(backups.length, 3);
	});

	after(async () => {
		await admin?.query(`DROP DATABASE IF EXISTS ${source}`);
		await admin?.end();
		if (dir) await rm(dir, {recursive: true, force: true});
	});

	test('no policy at all: refused, exit 2, naming the flags and the config keys; nothing deleted', async () => {
		const before = await readdir(dir);
		const plain = await runInProcess(['prune', dir, '--confirm', '--yes']);
		assert.equal(plain.code, 2, plain.stderr);
		assert.match(plain.stderr, /error: prune needs a policy: no --keep-\* flag is given and the configuration sets no retention\.\* key/);
		assert.match(plain.stderr, /hint: .*--keep-last N.*--keep-within 7d.*retention\.keep_last.*never deletes by default/);
		const json = await runInProcess(['prune', dir, '--json']);
		assert.equal(json.code, 2);
		const error = jsonEvents(json.stdout).find((event) => event.type === 'error');
		assert.equal(error?.code, 'RETENTION_POLICY_MISSING');
		const zeros = await runInProcess(['prune', dir, '--yes'], {files: {'.dbbackuprc': 'retention:\n  keep_last: 0\n  keep_daily: 0\n'}});
		assert.equal(zeros.code, 2);
		assert.match(zeros.stderr, /every count given is 0 and no keep-within is given \(the policy comes from the retention\.\* keys of/);
		const zeroFlag = await runInProcess(['prune', dir, '--keep-daily', '0', '--yes']);
		assert.equal(zeroFlag.code, 2);
		assert.match(zeroFlag.stderr, /every count given is 0/);
		assert.deepEqual(await readdir(dir), before);
	});

	test('bad values: a period that is none, a negative count, a bad key in the file; a flag of another command', async () => {
		const period = await runInProcess(['prune', dir, '--keep-within', '7x', '--yes']);
		assert.equal(period.code, 2);
		assert.match(period.stderr, /--keep-within 7x: is not a period/);
		const negative = await runInProcess(['prune', dir, '--keep-last', '-1', '--yes']);
		assert.equal(negative.code, 2);
		assert.match(negative.stderr, /--keep-last must be a whole number/);
		const key = await runInProcess(['prune', dir, '--yes'], {files: {'.dbbackuprc': 'retention:\n  keep_within: 10 days\n'}});
		assert.equal(key.code, 2);
		assert.match(key.stderr, /retention\.keep_within must be a period such as 36h, 7d/);
		const stray = await runInProcess(['unpin', join(dir, backups[0]!), '--reason', 'x', '--yes']);
		assert.equal(stray.code, 2);
		assert.match(stray.stderr, /--reason does nothing for unpin/);
		const extra = await runInProcess(['prune', dir, 'more', '--keep-last', '1', '--yes']);
		assert.equal(extra.code, 2);
		assert.match(extra.stderr, /unexpected argument "more"/);
	});

	test('a dry run: exit 0, every backup with its verdict and why, nothing deleted; --json carries the report', async () => {
		const before = await readdir(dir);
		const plain = await runInProcess(['prune', dir, '--keep-last', '2', '--yes']);
		assert.equal(plain.code, 0, plain.stderr);
		assert.match(plain.stdout, /dry run: nothing is deleted/);
		assert.match(plain.stdout, /Policy: keep-last 2, from the command line/);
		assert.match(plain.stdout, new RegExp(`${backups[2]!.replace(/\./g, '\\.')} +keep .*last 1 of 2, newest`));
		assert.match(plain.stdout, new RegExp(`${backups[0]!.replace(/\./g, '\\.')} +delete`));
		assert.match(plain.stdout, /Binlog streams: none/);
		assert.deepEqual(await readdir(dir), before);

		const json = await runInProcess(['prune', dir, '--keep-last', '2', '--keep-within', '1y', '--json']);
		assert.equal(json.code, 0, json.stdout);
		const result = jsonEvents(json.stdout).find((event) => event.type === 'result');
		assert.equal(result?.kind, 'prune');
		const report = (result!.data as {report: PruneReport}).report;
		assert.equal(report.confirmed, false);
		assert.equal(report.policy.text, 'keep-last 2, keep-within 1y');
		assert.deepEqual(report.backups.map((backup) => [backup.name, backup.verdict]), [[backups[2], 'keep'], [backups[1], 'keep'], [backups[0], 'keep']]);
		assert.deepEqual(report.backups[0]!.reasons.map((reason) => reason.rule), ['last', 'within', 'newest']);
		assert.deepEqual(await readdir(dir), before);
	});

	test('the policy from the configuration when no keep flag is given; a flag replaces all of it', async () => {
		const files = {'.dbbackuprc': 'retention:\n  keep_last: 1\n  keep_within: 1y\n'};
		const fromFile = await runInProcess(['prune', dir, '--yes'], {files});
		assert.equal(fromFile.code, 0, fromFile.stderr);
		assert.match(fromFile.stdout, /Policy: keep-last 1, keep-within 1y, from the retention\.\* keys of .*\.dbbackuprc/);
		assert.match(fromFile.stdout, /Would delete 0 backups/);
		const flags = await runInProcess(['prune', dir, '--keep-last', '1', '--yes'], {files});
		assert.equal(flags.code, 0, flags.stderr);
		assert.match(flags.stdout, /Policy: keep-last 1, from the command line \(the retention\.\* keys are not used/);
		assert.match(flags.stdout, /Would delete 2 backups/);
	});

	test('pin, status, prune --confirm (the pinned backup stays), unpin', async () => {
		const oldest = join(dir, backups[0]!);
		const missing = await runInProcess(['pin', join(dir, 'no-such-backup.tar'), '--yes']);
		assert.equal(missing.code, 2);
		assert.match(missing.stderr, /no-such-backup\.tar is not there/);
		const noArgument = await runInProcess(['pin', '--yes']);
		assert.equal(noArgument.code, 2);
		assert.match(noArgument.stderr, /pin needs a backup/);

		const pinned = await runInProcess(['pin', oldest, '--reason', 'quarterly audit', '--yes']);
		assert.equal(pinned.code, 0, pinned.stderr);
		assert.match(pinned.stdout, /^Pinned .* \(quarterly audit\): prune keeps it whatever the policy/m);
		const again = await runInProcess(['pin', oldest, '--json']);
		const pinResult = jsonEvents(again.stdout).find((event) => event.type === 'result');
		assert.equal(pinResult?.kind, 'pin');
		assert.deepEqual({changed: (pinResult!.data as {pin: {changed: boolean}}).pin.changed}, {changed: false});
		const status = await runInProcess(['status', dir, '--yes']);
		assert.equal(status.code, 0, status.stderr);
		assert.match(status.stdout, new RegExp(`${backups[0]!.replace(/\./g, '\\.')} .*complete, pinned`));

		const confirmed = await runInProcess(['prune', dir, '--keep-last', '1', '--confirm', '--yes']);
		assert.equal(confirmed.code, 0, confirmed.stderr);
		assert.match(confirmed.stdout, new RegExp(`${backups[1]!.replace(/\./g, '\\.')} +deleted`));
		assert.match(confirmed.stdout, new RegExp(`${backups[0]!.replace(/\./g, '\\.')} +keep .*pinned`));
		assert.match(confirmed.stdout, /Deleted 1 backup /);
		const left = await readdir(dir);
		assert.deepEqual(left.filter((name) => name.endsWith('.tar')).sort(), [backups[0], backups[2]]);
		assert.ok(!left.includes(`${backups[1]}.meta.json`), 'its sidecar went with it');

		const unpinned = await runInProcess(['unpin', oldest, '--yes']);
		assert.equal(unpinned.code, 0, unpinned.stderr);
		assert.match(unpinned.stdout, /^Unpinned .* \(quarterly audit\)/m);
		const notPinned = await runInProcess(['unpin', oldest, '--yes']);
		assert.equal(notPinned.code, 0);
		assert.match(notPinned.stdout, /was not pinned/);
		const last = await runInProcess(['prune', dir, '--keep-last', '1', '--confirm', '--json']);
		assert.equal(last.code, 0, last.stdout);
		assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith('.tar')), [backups[2]]);
	});
});
