import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {cleanup, render} from 'ink-testing-library';
import {IntegrityError, WorkError} from '../../source/core/errors.ts';
import {EventBus} from '../../source/core/events.ts';
import {App} from '../../source/ui/app.tsx';
import type {RestoreOutcome} from '../../source/ui/controller.ts';
import {artifactLabel} from '../../source/ui/screens/restore-artifact.tsx';
import {confirmationText} from '../../source/ui/screens/restore-plan.tsx';
import {
	deferred,
	DOWN,
	ENTER,
	ESC,
	FakeController,
	olderArtifact,
	pause,
	plain,
	restoreOutcome,
	shopArtifact,
	waitForText,
} from './fake-controller.ts';

afterEach(() => cleanup());

function openRestore(controller: FakeController, bus = new EventBus()) {
	const instance = render(<App bus={bus} controller={controller} initialScreen="restore" />);
	return {...instance, bus};
}

type Stdin = {write: (data: string) => void};

/** Types text one key at a time, as a person does (a lone q is the frame's quit key elsewhere). */
function type(stdin: Stdin, text: string) {
	for (const key of text) stdin.write(key);
}

function erase(stdin: Stdin, count: number) {
	for (let i = 0; i < count; i++) stdin.write('\u007F');
}

/** Opens the newest artifact and waits for the target step. */
async function pickNewest(lastFrame: () => string | undefined, stdin: Stdin) {
	await waitForText(lastFrame, 'shop-20261115T140327Z.tar', 'Type a path…', 'Enter select');
	stdin.write(ENTER);
	return waitForText(lastFrame, 'Restore into', 'Enter next');
}

describe('restore helpers', () => {
	test('the word to type names the targets that hold tables', () => {
		assert.equal(
			confirmationText({
				destructive: true,
				databases: [
					{source: 'shop', target: 'shop', exists: true, tables: 12},
					{source: 'crm', target: 'crm', exists: true, tables: 0},
					{source: 'hr', target: 'hr', exists: true, tables: 3},
					{source: 'new', target: 'new', exists: false, tables: 0},
				],
			}),
			'shop hr',
		);
		assert.equal(
			confirmationText({destructive: true, databases: [{source: 'a', target: 'b', exists: true, tables: 0}]}),
			'b',
		);
	});

	test('an artifact in one line: file, size, when, databases', () => {
		assert.equal(artifactLabel(olderArtifact), 'all-20261114T020000Z.tar  2.0 GiB  2026-11-14 02:00:00 UTC  shop, analytics');
	});
});

describe('restore: choosing the artifact', () => {
	test('lists the backups of the default directory, newest first, then shows the manifest summary', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = openRestore(controller);
		let frame = await waitForText(lastFrame, 'Backups in /backups', 'all-20261114T020000Z.tar', 'Type a path…');
		assert.ok(frame.indexOf('shop-20261115T140327Z.tar') < frame.indexOf('all-20261114T020000Z.tar'));
		assert.match(frame, /❯ shop-20261115T140327Z\.tar {2}412 MiB {2}2026-11-15 14:03:27 UTC {2}shop/);

		frame = await pickNewest(lastFrame, stdin);
		assert.match(frame, /Artifact +\/backups\/shop-20261115T140327Z\.tar {2}archive, 412 MiB, zstd/);
		assert.match(frame, /Engine +mysqldump/);
		assert.match(frame, /Server +mysql 10\.11\.6-MariaDB-0\+deb12u1/);
		assert.match(frame, /Taken +2026-11-15 14:03:27 UTC, took 1m 05s/);
		assert.match(frame, /Databases +shop {2}12 tables, 1,234,567 rows/);
		assert.match(frame, /Coordinates +GTID 0-1-42, binlog mysql-bin\.000003:1234/);
		assert.match(frame, /Lock time +37 ms/);
		assert.match(frame, /Restore into shop/);
	});

	test('Down and Enter in one packet open the backup Down moved to', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = openRestore(controller);
		await waitForText(lastFrame, 'all-20261114T020000Z.tar', 'Type a path…', 'Enter select');
		stdin.write(`${DOWN}${ENTER}`);
		const frame = await waitForText(lastFrame, 'The 2 databases are restored under their own names');
		assert.match(frame, /Artifact +\/backups\/all-20261114T020000Z\.tar/);
	});

	test('a typed path is read with describeArtifact; an unreadable one shows why and keeps the path', async () => {
		const controller = new FakeController();
		controller.describeAnswer = async (file) => {
			if (file === '/tmp/broken.tar') {
				throw new IntegrityError({code: 'ARCHIVE_TRUNCATED', message: '/tmp/broken.tar ends inside a member', hint: 'Copy the file again.'});
			}
			return {...shopArtifact, path: file};
		};
		const {lastFrame, stdin} = openRestore(controller);
		await waitForText(lastFrame, 'all-20261114T020000Z.tar', 'Type a path…', 'Enter select');
		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ all-20261114T020000Z.tar');
		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ Type a path…');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Path', 'Esc back to the list', 'Ctrl+C quit');
		type(stdin, '/tmp/broken.tar');
		stdin.write(ENTER);
		let frame = await waitForText(lastFrame, 'ends inside a member', 'Copy the file again.');
		assert.match(frame, /Path \/tmp\/broken\.tar/);
		erase(stdin, 'broken.tar'.length);
		type(stdin, 'quarterly.tar');
		await waitForText(lastFrame, 'Path /tmp/quarterly.tar');
		stdin.write(ENTER);
		frame = await waitForText(lastFrame, 'Restore into');
		assert.match(frame, /Artifact +\/tmp\/quarterly\.tar/);
		assert.deepEqual(controller.requests.describeArtifact, ['/tmp/broken.tar', '/tmp/quarterly.tar']);
	});
});

describe('restore: target and confirmation', () => {
	test('q typed into the target name does not quit; the plan is asked for that name', async () => {
		const controller = new FakeController();
		controller.planAnswer = async (choices) => ({
			databases: [{source: 'shop', target: choices.targetDb!, exists: false, tables: 0}],
			destructive: false,
		});
		const {lastFrame, stdin} = openRestore(controller);
		const frame = await pickNewest(lastFrame, stdin);
		assert.match(frame, /Ctrl\+C quit/);
		type(stdin, '_qa');
		await waitForText(lastFrame, 'Restore into shop_qa');
		stdin.write('q');
		await waitForText(lastFrame, 'Restore into shop_qaq');
		erase(stdin, 1);
		await waitForText(lastFrame, 'Restore into shop_qa', 'Ctrl+C quit');
		stdin.write(ENTER);
		const plan = await waitForText(lastFrame, 'Restore plan', 'new database', 'Enter restore');
		assert.match(plan, /shop → shop_qa {2}new database/);
		assert.deepEqual(controller.requests.planRestore, [{dbType: 'mysql', artifact: shopArtifact.path, targetDb: 'shop_qa', workers: 4}]);
		assert.doesNotMatch(plan, /Type .* to confirm/);

		stdin.write(ENTER);
		await waitForText(lastFrame, 'Restore complete');
		assert.deepEqual(controller.requests.restore, [
			{dbType: 'mysql', artifact: shopArtifact.path, targetDb: 'shop_qa', workers: 4, dropExisting: false},
		]);
	});

	test('a destructive restore needs the database name typed; restore() is not called before', async () => {
		const controller = new FakeController();
		const answer = deferred<RestoreOutcome>();
		controller.restoreAnswer = () => answer.promise;
		const {lastFrame, stdin, bus} = openRestore(controller);
		await pickNewest(lastFrame, stdin);
		stdin.write(ENTER);
		let frame = await waitForText(lastFrame, 'Restore plan', 'Type shop to confirm', 'Enter confirm');
		assert.match(frame, /shop → shop {2}exists with 12 tables: they will be dropped/);
		assert.match(frame, /cannot be undone/);

		// Enter alone, then a wrong name: nothing happens
		stdin.write(ENTER);
		await waitForText(lastFrame, 'That is not shop; nothing was changed.');
		type(stdin, 'shoq');
		await waitForText(lastFrame, 'to confirm: shoq');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'That is not shop');
		await pause(30);
		assert.equal(controller.requests.restore.length, 0);

		erase(stdin, 1);
		stdin.write('p');
		await waitForText(lastFrame, 'to confirm: shop');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Restoring…', 'Esc is off');
		assert.deepEqual(controller.requests.restore, [
			{dbType: 'mysql', artifact: shopArtifact.path, targetDb: 'shop', workers: 4, dropExisting: true},
		]);

		bus.stage('loading data', 'shop');
		bus.emit('progress', {task: 'restore', unit: 'bytes', done: 245 * 1024 ** 2, total: 980 * 1024 ** 2, rate: 49 * 1024 ** 2, eta: 15});
		bus.emit('progress', {task: 'restore shop.orders', unit: 'rows', done: 400_000, total: 1_000_000, rate: 80_000});
		frame = await waitForText(lastFrame, 'restore shop.orders', 'Overall');
		assert.match(frame, /Restoring… · loading data shop/);
		assert.match(frame, /Overall +█+░+ +25% {2}245 MiB \/ 980 MiB {2}49\.0 MiB\/s {2}ETA 15s/);
		assert.match(frame, /restore shop\.orders +█+░+ +40% {2}400,000 rows \/ 1,000,000 rows/);

		stdin.write(ESC);
		await pause(40);
		assert.match(plain(lastFrame()), /Restoring…/);

		answer.resolve(restoreOutcome);
		frame = await waitForText(lastFrame, '✓ Restore complete', 'Esc home');
		assert.match(frame, /Databases +shop/);
		assert.match(frame, /Tables +12/);
		assert.match(frame, /Rows +1,234,567/);
		assert.match(frame, /Data +980 MiB/);
		assert.match(frame, /Duration +2m 05s/);
	});

	test('Esc at the confirmation cancels: back to the target, then the list, then home; restore() never called', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = openRestore(controller);
		await pickNewest(lastFrame, stdin);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Type shop to confirm', 'Esc back');
		type(stdin, 'sho');
		await waitForText(lastFrame, 'to confirm: sho');
		stdin.write(ESC);
		let frame = await waitForText(lastFrame, 'Restore into shop', 'Esc back to the list');
		assert.doesNotMatch(frame, /Restore plan/);
		stdin.write(ESC);
		frame = await waitForText(lastFrame, 'Backups in /backups', 'Esc home');
		stdin.write(ESC);
		await waitForText(lastFrame, 'Detect environment');
		assert.equal(controller.requests.restore.length, 0);
		assert.equal(controller.requests.planRestore.length, 1);
	});

	test('an artifact of several databases restores them under their own names', async () => {
		const controller = new FakeController();
		controller.planAnswer = async () => ({
			databases: [
				{source: 'shop', target: 'shop', exists: false, tables: 0},
				{source: 'analytics', target: 'analytics', exists: true, tables: 0},
			],
			destructive: false,
		});
		const {lastFrame, stdin} = openRestore(controller);
		await waitForText(lastFrame, 'all-20261114T020000Z.tar', 'Enter select');
		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ all-20261114T020000Z.tar');
		stdin.write(ENTER);
		let frame = await waitForText(lastFrame, 'The 2 databases are restored under their own names');
		assert.doesNotMatch(frame, /Restore into/);
		stdin.write(ENTER);
		frame = await waitForText(lastFrame, 'Restore plan', 'Enter restore');
		assert.match(frame, /analytics → analytics {2}exists, empty/);
		assert.equal(controller.requests.planRestore[0]?.targetDb, undefined);
	});

	test('a failed restore shows the error and its hint', async () => {
		const controller = new FakeController();
		controller.planAnswer = async () => ({databases: [{source: 'shop', target: 'shop', exists: false, tables: 0}], destructive: false});
		controller.restoreAnswer = async () => {
			throw new WorkError({code: 'SQL_STATEMENT_FAILED', message: 'shop.orders: duplicate key at chunk 3', hint: 'Restore into an empty database.'});
		};
		const {lastFrame, stdin} = openRestore(controller);
		await pickNewest(lastFrame, stdin);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Enter restore');
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, 'duplicate key at chunk 3', 'Restore into an empty database.', 'Esc home');
		assert.match(frame, /SQL_STATEMENT_FAILED/);
	});
});
