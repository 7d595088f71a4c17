import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {cleanup, render} from 'ink-testing-library';
import {ConnectionError} from '../../source/core/errors.ts';
import {EventBus, type EventPayloads} from '../../source/core/events.ts';
import {App} from '../../source/ui/app.tsx';
import {walLag} from '../../source/ui/components/wal-status-panel.tsx';
import {screens} from '../../source/ui/screens.ts';
import {menuItems} from '../../source/ui/screens/home.tsx';
import {assertFits, cleanupSized, renderSized} from './sized-render.ts';
import {deferred, ENTER, ESC, FakeController, pause, plain, waitForFrame, waitForText, walSummary} from './fake-controller.ts';
import type {WalStreamSummary} from '../../source/ui/controller.ts';

afterEach(() => {
	cleanup();
	cleanupSized();
});

const MiB = 1024 ** 2;

function postgresController(): FakeController {
	const controller = new FakeController();
	controller.serverList = [{dbType: 'postgres', label: 'postgres postgres@127.0.0.1:5432'}];
	return controller;
}

function openTail(controller: FakeController, bus = new EventBus()) {
	return {...render(<App bus={bus} controller={controller} initialScreen="wal-tail" />), bus};
}

async function streamStarted(controller: FakeController) {
	const deadline = Date.now() + 2000;
	while (controller.requests.streamWal.length === 0) {
		if (Date.now() > deadline) throw new Error('the screen never started the WAL stream');
		await pause(5);
	}
	return controller.requests.streamWal[0]!;
}

function status(extra: Partial<EventPayloads['wal-status']> = {}): EventPayloads['wal-status'] {
	return {state: 'streaming', bytes: 0, bytesPerSecond: 0, segmentsCompleted: 0, reconnects: 0, ...extra};
}

function line(frame: string, text: string): string {
	const found = frame.split('\n').find((candidate) => candidate.includes(text));
	assert.ok(found, `no line with "${text}" in:\n${frame}`);
	return found;
}

describe('WAL tail helpers', () => {
	test('lag in time and bytes, caught up at 0 bytes, a dash while the streamer cannot say', () => {
		assert.equal(walLag({lag: 3.2, lagBytes: 12 * MiB}), '3s behind · 12.0 MiB');
		assert.equal(walLag({lag: 0, lagBytes: 0}), 'caught up');
		assert.equal(walLag(undefined), '—');
	});
});

describe('tail WAL stream screen', () => {
	test('starts the stream into --output; the panel shows what wal-status and wal-durable carry', async () => {
		const controller = postgresController();
		const {lastFrame, bus} = openTail(controller);
		const started = await streamStarted(controller);
		assert.deepEqual(started.choices, {output: '/backups/wal/'});
		let frame = await waitForText(lastFrame, 'dbbackup › WAL stream', '● connecting', 'waiting for the first checkpoint', 'Esc/q stop and go home  Ctrl+C quit');

		bus.emit(
			'wal-status',
			status({
				slot: 'dbbackup_wal_0a1b2c3d4e5f',
				timeline: 2,
				segment: '00000002000000000000005A',
				receivedLsn: '0/5A8F0000',
				flushedLsn: '0/5A000000',
				serverLsn: '0/5A900000',
				lagBytes: MiB,
				lag: 2.4,
				bytes: 300 * MiB,
				bytesPerSecond: 4 * MiB,
				segmentsCompleted: 17,
				reconnects: 1,
			}),
		);
		frame = await waitForText(lastFrame, '● streaming');
		assert.match(line(frame, 'State'), /● streaming\s+Lag\s+2s behind · 1\.0 MiB/);
		assert.match(line(frame, 'Written'), /0\/5A8F0000\s+Timeline\s+2$/);
		assert.match(line(frame, 'Flushed'), /0\/5A000000\s+Server end\s+0\/5A900000/);
		assert.match(line(frame, 'Segment'), /00000002000000000000005A\s+Slot\s+dbbackup_wal_0a1b2c3d4e5f/);
		assert.match(line(frame, 'Throughput'), /4\.0 MiB\/s · 300 MiB in all\s+Reconnects\s+1/);
		assert.match(line(frame, 'Completed'), /17 segments\s+Output\s+\/backups\/wal\//);

		bus.emit('wal-durable', {timeline: 2, lsn: '0/5A000000', segment: '00000002000000000000005A'});
		bus.emit('wal-durable', {timeline: 2, lsn: '0/5A400000', segment: '00000002000000000000005A'});
		frame = await waitForText(lastFrame, '0/5A400000', '2 checkpoints seen');
		assert.match(frame, /Time\s+Timeline\s+Durable up to\s+Segment/);
		assert.match(line(frame, '0/5A400000'), /^\d\d:\d\d:\d\d\s+2 0\/5A400000\s+00000002000000000000005A$/);
	});

	for (const [name, key] of [['q', 'q'], ['Esc', ESC]] as const) {
		test(`${name} stops the stream, waits for the streamer, shows the summary and goes home`, async () => {
			const controller = postgresController();
			const finished = deferred<WalStreamSummary>();
			controller.walAnswer = () => finished.promise;
			const {lastFrame, frames, stdin, bus} = openTail(controller);
			const {signal} = await streamStarted(controller);
			bus.emit('wal-status', status({receivedLsn: '0/5A0001C8'}));
			await waitForText(lastFrame, '● streaming', 'Esc/q stop and go home');
			stdin.write(key);
			await waitForFrame(lastFrame, (frame) => frame.includes('Stopping… waiting for the streamer') && !frame.includes('Esc'));
			assert.equal(signal.aborted, true);
			assert.match(plain(lastFrame()), /● stopping…/);
			finished.resolve(walSummary);
			await waitForText(lastFrame, '❯ Detect environment', 'Tail WAL stream');
			const stopped = plain([...frames].reverse().find((drawn) => plain(drawn).includes('● stopped')) ?? '');
			assert.match(stopped, /✓ Stopped cleanly: checkpoint at 0\/5A0001C8 on timeline 1 \(00000001000000000000005A\)/);
			assert.match(stopped, /48\.0 MiB · 2 segments completed · 0 timeline switches · 1 reconnect · slot dbbackup_wal_0a1b/);
		});
	}

	test('without --output it asks where the WAL goes; Enter starts with the directory typed', async () => {
		const controller = postgresController();
		controller.walDir = undefined;
		const {lastFrame, stdin} = openTail(controller);
		await waitForText(lastFrame, 'Write WAL to /backups/wal/', 'dbbackup wal-stream --output DIR/', 'Enter start streaming');
		assert.equal(controller.requests.streamWal.length, 0);
		stdin.write('\u0015');
		await waitForFrame(lastFrame, (frame) => frame.includes('Write WAL to directory or s3://'));
		stdin.write('/srv/wal-q/');
		await waitForText(lastFrame, 'Write WAL to /srv/wal-q/');
		stdin.write(ENTER);
		const started = await streamStarted(controller);
		assert.deepEqual(started.choices, {output: '/srv/wal-q/'});
	});

	test('a stream that fails shows the error and the failed state; q then goes home', async () => {
		const controller = postgresController();
		controller.walAnswer = async () => {
			throw new ConnectionError({code: 'WAL_PRIVILEGES', message: 'user "app" may not open a replication connection', target: '127.0.0.1:5432'});
		};
		const {lastFrame, stdin} = openTail(controller);
		await waitForText(lastFrame, '✗ user "app" may not open a replication connection', 'WAL_PRIVILEGES', '● failed', 'Esc/q home');
		stdin.write('q');
		await waitForText(lastFrame, '❯ Detect environment');
	});

	test('while reconnecting the panel shows the attempt and the reason', async () => {
		const controller = postgresController();
		const {lastFrame, bus} = openTail(controller);
		await streamStarted(controller);
		bus.emit('wal-status', status({state: 'reconnecting', reconnects: 2, attempt: 3, retryInSeconds: 4, reason: 'terminating walsender process'}));
		const frame = await waitForText(lastFrame, '● reconnecting');
		assert.match(line(frame, 'Retry'), /attempt 3, next try in \d+s: terminating walsender process/);
	});

	test('fits 80×24 with every row of the panel, the checkpoints and the key hints', async () => {
		const controller = postgresController();
		const bus = new EventBus();
		const size = {columns: 80, rows: 24};
		const {lastFrame} = renderSized(<App bus={bus} controller={controller} initialScreen="wal-tail" />, size);
		await streamStarted(controller);
		bus.emit('wal-status', status({slot: 'dbbackup_wal_0a1b2c3d4e5f', timeline: 1, segment: '000000010000000000000009', receivedLsn: '0/900D728', flushedLsn: '0/900D728', serverLsn: '0/900D728', lagBytes: 0, lag: 0}));
		for (let n = 0; n < 12; n++) bus.emit('wal-durable', {timeline: 1, lsn: `0/${(0x5000000 + n * 0x100000).toString(16).toUpperCase()}`, segment: '000000010000000000000005'});
		const frame = await waitForText(lastFrame, 'caught up', '12 checkpoints seen, the last', 'Completed', 'Slot');
		assertFits(frame, size);
		assert.match(frame, /Esc\/q stop and go home {2}Ctrl\+C quit$/);
	});
});

describe('tail WAL stream in the menu', () => {
	test('listed while a PostgreSQL server is configured and the controller can stream WAL', () => {
		const controller = postgresController();
		assert.ok(menuItems(screens, controller).some((item) => item.value === 'wal-tail'));
		controller.serverList = [{dbType: 'mysql', label: 'mysql root@127.0.0.1:3306'}];
		assert.ok(!menuItems(screens, controller).some((item) => item.value === 'wal-tail'), 'no entry with only MySQL/MariaDB');
		const noWal = postgresController() as Partial<FakeController>;
		noWal.streamWal = undefined;
		assert.ok(!menuItems(screens, noWal as FakeController).some((item) => item.value === 'wal-tail'), 'no entry without streamWal');
	});
});
