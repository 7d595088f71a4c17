import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {cleanup, render} from 'ink-testing-library';
import {WorkError} from '../../source/core/errors.ts';
import {EventBus} from '../../source/core/events.ts';
import {App} from '../../source/ui/app.tsx';
import {stageTrailText} from '../../source/ui/components/stage-line.tsx';
import {assertFits, cleanupSized, renderSized} from './sized-render.ts';
import {baseBackupArtifact, dataDirOutcome, deferred, DOWN, ENTER, ESC, FakeController, pause, shopArtifact, waitForText} from './fake-controller.ts';
import type {RestoreOutcome} from '../../source/ui/controller.ts';

afterEach(() => {
	cleanup();
	cleanupSized();
});

type Stdin = {write: (data: string) => void};

function type(stdin: Stdin, text: string) {
	for (const key of text) stdin.write(key);
}

function physicalController(): FakeController {
	const controller = new FakeController();
	controller.serverList = [{dbType: 'postgres', label: 'postgres postgres@127.0.0.1:5432'}];
	controller.artifactsAnswer = async () => [baseBackupArtifact, shopArtifact];
	controller.restoreAnswer = async () => dataDirOutcome;
	return controller;
}

/** Opens the base backup: the data directory form follows, not the target database. */
async function openBaseBackup(lastFrame: () => string | undefined, stdin: Stdin) {
	await waitForText(lastFrame, 'all-20261115T140327.512Z-3f9a.tar', 'Enter select');
	stdin.write(ENTER);
	return waitForText(lastFrame, 'Directory', 'Drop existing', 'Verify start', 'Space toggle');
}

describe('restore of a physical backup', () => {
	test('offers a data directory with --drop-existing and --verify-start instead of a target database', async () => {
		const controller = physicalController();
		const {lastFrame, stdin} = render(<App bus={new EventBus()} controller={controller} initialScreen="restore" />);
		const frame = await openBaseBackup(lastFrame, stdin);
		assert.match(frame, /Engine +basebackup/);
		assert.match(frame, /Databases +postgres, shop {2}the whole server, as files/);
		assert.doesNotMatch(frame, /Restore into/);
		assert.match(frame, /❯ Directory/);
		assert.match(frame, /Drop existing \[ \]/);
		assert.match(frame, /Verify start {2}\[ \]/);
		assert.equal(controller.requests.planRestore.length, 0, 'no server is asked for a plan');

		// Enter without a directory goes nowhere
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Type the data directory to restore into.');
		assert.equal(controller.requests.restore.length, 0);

		// q types into the path; Space toggles the switch under the cursor
		type(stdin, '/srv/pg15/restored-q');
		await waitForText(lastFrame, 'Directory     /srv/pg15/restored-q');
		stdin.write(DOWN);
		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ Verify start');
		stdin.write(' ');
		await waitForText(lastFrame, 'Verify start  [x]');
		stdin.write(ENTER);
		await waitForText(lastFrame, '✓ Restored into the data directory, and a server started on it');
		assert.deepEqual(controller.requests.restore, [
			{dbType: 'postgres', artifact: baseBackupArtifact.path, workers: 4, dataDirectory: '/srv/pg15/restored-q', dropExisting: false, verifyStart: true},
		]);
	});

	test('the result shows the directory, the start command, the notes and what the verify start found; fits 80×24', async () => {
		const controller = physicalController();
		const size = {columns: 80, rows: 24};
		const {lastFrame, stdin} = renderSized(<App bus={new EventBus()} controller={controller} initialScreen="restore" />, size);
		await openBaseBackup(lastFrame, stdin);
		type(stdin, '/srv/pg15/restored');
		await waitForText(lastFrame, '/srv/pg15/restored');
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, '✓ Restored into the data directory');
		assertFits(frame, size);
		assert.match(frame, /Directory +\/srv\/pg15\/restored/);
		assert.match(frame, /Files +1,234 files, owner postgres, for server version 15/);
		assert.match(frame, /Verify start +✓ PostgreSQL 15 ready in 1s on port 35787, at WAL 0\/F148C68 on\s+timeline 1/);
		assert.match(frame, /shop {2}4 tables, 1,052,320 rows counted/);
		assert.match(frame, /Start a server on it\nrunuser -u postgres -- \/usr\/lib\/postgresql\/15\/bin\/pg_ctl -D/);
		assert.match(frame, /Notes\n• postgresql\.conf is the source's/);
	});

	test('--drop-existing asks for the directory to be typed before anything is deleted', async () => {
		const controller = physicalController();
		const {lastFrame, stdin} = render(<App bus={new EventBus()} controller={controller} initialScreen="restore" />);
		await openBaseBackup(lastFrame, stdin);
		type(stdin, '/srv/pg15/main');
		await waitForText(lastFrame, 'Directory     /srv/pg15/main');
		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ Drop existing');
		stdin.write(' ');
		await waitForText(lastFrame, 'Drop existing [x]');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Type /srv/pg15/main to confirm', 'files already in it are deleted first', 'Esc back');
		type(stdin, '/srv/pg15/other');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'That is not /srv/pg15/main; nothing was changed.');
		assert.equal(controller.requests.restore.length, 0);
		// back to the form with the choices kept
		stdin.write(ESC);
		await waitForText(lastFrame, 'Directory     /srv/pg15/main', 'Drop existing [x]');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Type /srv/pg15/main to confirm');
		type(stdin, '/srv/pg15/main');
		stdin.write(ENTER);
		await waitForText(lastFrame, '✓ Restored into the data directory');
		assert.equal(controller.requests.restore[0]?.dropExisting, true);
		assert.equal(controller.requests.restore[0]?.verifyStart, false);
	});

	test('a failed restore (a verify start that failed) shows the error; Esc goes back to the form with the choices', async () => {
		const controller = physicalController();
		controller.restoreAnswer = async () => {
			throw new WorkError({code: 'VERIFY_START_FAILED', message: 'the server on /srv/pg15/restored is still in recovery after it said it was ready'});
		};
		const {lastFrame, stdin} = render(<App bus={new EventBus()} controller={controller} initialScreen="restore" />);
		await openBaseBackup(lastFrame, stdin);
		type(stdin, '/srv/pg15/restored');
		stdin.write(ENTER);
		await waitForText(lastFrame, '✗ the server on /srv/pg15/restored is still in recovery', 'VERIFY_START_FAILED', 'Esc back to the form');
		stdin.write(ESC);
		await waitForText(lastFrame, 'Directory     /srv/pg15/restored', 'Enter restore');
	});

	test('while it runs: every stage so far with its time, and the bytes restored', async () => {
		const controller = physicalController();
		const finished = deferred<RestoreOutcome>();
		controller.restoreAnswer = () => finished.promise;
		const bus = new EventBus();
		const {lastFrame, stdin} = render(<App bus={bus} controller={controller} initialScreen="restore" />);
		await openBaseBackup(lastFrame, stdin);
		type(stdin, '/srv/pg15/restored');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Restoring…');
		bus.stage('verify', "every member's SHA-256");
		await pause(20);
		bus.stage('restore', '→ /srv/pg15/restored');
		bus.emit('progress', {task: 'restore /srv/pg15/restored', unit: 'bytes', done: 512 * 1024 ** 2, total: 1024 ** 3, rate: 100 * 1024 ** 2});
		const frame = await waitForText(lastFrame, '› restore', '512 MiB / 1.0 GiB');
		assert.match(frame, /✓ verify \d\.\ds {2}› restore/);
		assert.match(frame, /100 MiB\/s/);
		finished.resolve(dataDirOutcome);
		await waitForText(lastFrame, '✓ Restored into the data directory');
	});

	test('a logical archive still asks for the target database', async () => {
		const controller = physicalController();
		const {lastFrame, stdin} = render(<App bus={new EventBus()} controller={controller} initialScreen="restore" />);
		await waitForText(lastFrame, 'shop-20261115T140327Z.tar', 'Enter select');
		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ shop-20261115T140327Z.tar');
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, 'Restore into shop');
		assert.doesNotMatch(frame, /Drop existing/);
	});
});

describe('stage trail', () => {
	test('each stage done with how long it took, then the one under way', () => {
		assert.equal(
			stageTrailText([
				{name: 'checkpoint', at: 1000},
				{name: 'copy', at: 1200},
				{name: 'finish', at: 13_200},
			]),
			'✓ checkpoint 0.2s  ✓ copy 12s  › finish',
		);
		assert.equal(stageTrailText([]), '');
	});
});
