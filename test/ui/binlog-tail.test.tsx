import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {setImmediate as nextTurn} from 'node:timers/promises';
import {useEffect} from 'react';
import {cleanup, render} from 'ink-testing-library';
import {ConnectionError} from '../../source/core/errors.ts';
import {EventBus, type EventPayloads} from '../../source/core/events.ts';
import {App} from '../../source/ui/app.tsx';
import {eventObject, eventPosition} from '../../source/ui/components/binlog-event-list.tsx';
import {retryText} from '../../source/ui/components/binlog-status-panel.tsx';
import type {BinlogStreamSummary} from '../../source/ui/controller.ts';
import {RingBuffer} from '../../source/ui/ring-buffer.ts';
import {screens} from '../../source/ui/screens.ts';
import {FEED_CAPACITY, visibleEventRows} from '../../source/ui/screens/binlog-tail.tsx';
import {menuItems} from '../../source/ui/screens/home.tsx';
import {cleanupSized, renderSized} from './sized-render.ts';
import {binlogSummary, CTRL_C, deferred, ENTER, ESC, FakeController, pause, plain, waitForFrame, waitForText} from './fake-controller.ts';

afterEach(() => {
	cleanup();
	cleanupSized();
});

const MiB = 1024 ** 2;

function openTail(controller: FakeController, bus = new EventBus()) {
	const exited = deferred<void>();
	let unmounted = false;
	function Probe() {
		useEffect(
			() => () => {
				unmounted = true;
				exited.resolve();
			},
			[],
		);
		return <App bus={bus} controller={controller} initialScreen="binlog-tail" />;
	}
	const instance = render(<Probe />);
	return {...instance, bus, exited: exited.promise, isUnmounted: () => unmounted};
}

/** Waits until the screen has called the controller: its subscriptions are in place by then. */
async function streamStarted(controller: FakeController, count = 1) {
	const deadline = Date.now() + 2000;
	while (controller.requests.streamBinlogs.length < count) {
		if (Date.now() > deadline) throw new Error('the screen never started the stream');
		await pause(5);
	}
	return controller.requests.streamBinlogs[count - 1]!;
}

function status(extra: Partial<EventPayloads['binlog-status']> = {}): EventPayloads['binlog-status'] {
	return {state: 'streaming', eventsPerSecond: 0, bytesPerSecond: 0, reconnects: 0, ...extra};
}

function feedEvent(pos: number, extra: Partial<EventPayloads['binlog-event']> = {}): EventPayloads['binlog-event'] {
	return {eventTime: '2026-11-15T14:03:27.000Z', file: 'mariadb-bin.000007', pos, eventType: 'WRITE_ROWS', ...extra};
}

/** The lines of the event list: those that start with a clock. */
function eventLines(frame: string): string[] {
	return frame.split('\n').filter((line) => /^\d\d:\d\d:\d\d /.test(line));
}

function line(frame: string, text: string): string {
	const found = frame.split('\n').find((candidate) => candidate.includes(text));
	assert.ok(found, `no line with "${text}" in:\n${frame}`);
	return found;
}

describe('ring buffer and list size', () => {
	test('keeps the latest items in order once it wraps', () => {
		const ring = new RingBuffer<number>(3);
		assert.deepEqual(ring.toArray(), []);
		ring.push(1);
		ring.push(2);
		assert.deepEqual(ring.toArray(), [1, 2]);
		for (const n of [3, 4, 5, 6, 7]) ring.push(n);
		assert.deepEqual(ring.toArray(), [5, 6, 7]);
		assert.equal(ring.size, 3);
		assert.throws(() => new RingBuffer(0), RangeError);
	});

	test('the list takes the rows the rest of the screen leaves, within bounds', () => {
		assert.equal(visibleEventRows(undefined, 10), 10);
		assert.equal(visibleEventRows(34, 10), 24);
		assert.equal(visibleEventRows(10, 10), 1);
		assert.equal(visibleEventRows(10_000, 10), FEED_CAPACITY);
	});

	test('the retry line counts down to the next try', () => {
		const retry = {attempt: 3, reason: 'connect ECONNREFUSED 127.0.0.1:3306', nextTryAt: 10_000};
		assert.equal(retryText(retry, 6_000), 'attempt 3, next try in 4s: connect ECONNREFUSED 127.0.0.1:3306');
		assert.equal(retryText(retry, 9_200), 'attempt 3, next try in 1s: connect ECONNREFUSED 127.0.0.1:3306');
		assert.equal(retryText({attempt: 1, nextTryAt: 10_000}, 10_000), 'attempt 1, trying now');
	});

	test('schema.table, a bare schema for a statement, nothing for events about no table', () => {
		assert.equal(eventObject({schema: 'shop', table: 'orders'}), 'shop.orders');
		assert.equal(eventObject({schema: 'shop'}), 'shop');
		assert.equal(eventObject({}), '');
	});
});

describe('tail binlog stream screen', () => {
	test('starts the stream into the configured directory; the header shows state, position, GTID, lag, rates, durable position', async () => {
		const controller = new FakeController();
		const {lastFrame, bus} = openTail(controller);
		const started = await streamStarted(controller);
		assert.deepEqual(started.choices, {output: '/backups/binlogs'});
		let frame = await waitForText(lastFrame, 'dbbackup › Binlog stream', '● connecting', 'waiting for events', 'Esc/q stop and go home  Ctrl+C quit');

		bus.emit(
			'binlog-status',
			status({
				file: 'mariadb-bin.000007',
				pos: 4567,
				gtid: '0-1-42',
				lag: 2.4,
				eventsPerSecond: 1234,
				bytesPerSecond: 2 * MiB,
				durableFile: 'mariadb-bin.000007',
				durablePos: 4000,
				reconnects: 0,
			}),
		);
		frame = await waitForText(lastFrame, '● streaming');
		assert.match(line(frame, 'State'), /● streaming\s+Lag\s+2s behind/);
		assert.match(line(frame, 'Position'), /mariadb-bin\.000007:4567\s+GTID\s+0-1-42/);
		assert.match(line(frame, 'Durable'), /mariadb-bin\.000007:4000\s+Reconnects\s+0/);
		assert.match(line(frame, 'Throughput'), /1,234 events\/s · 2\.0 MiB\/s\s+Output\s+\/backups\/binlogs/);

		bus.emit('binlog-status', status({file: 'mariadb-bin.000008', pos: 4, lag: 0}));
		frame = await waitForText(lastFrame, 'mariadb-bin.000008:4');
		assert.match(line(frame, 'State'), /Lag\s+0s behind/);
	});

	test('events appear newest at the bottom with time, file:pos, type, GTID, schema.table and rows', async () => {
		const controller = new FakeController();
		const {lastFrame, bus} = openTail(controller);
		await streamStarted(controller);
		bus.emit('binlog-event', feedEvent(1000, {eventType: 'MARIADB_GTID', gtid: '0-1-42'}));
		bus.emit('binlog-event', feedEvent(1040, {eventType: 'TABLE_MAP', gtid: '0-1-42', schema: 'shop', table: 'orders'}));
		bus.emit('binlog-event', feedEvent(1100, {gtid: '0-1-42', schema: 'shop', table: 'orders', rows: 3}));
		bus.emit('binlog-event', feedEvent(1180, {eventType: 'XID', gtid: '0-1-42'}));
		const frame = await waitForText(lastFrame, 'mariadb-bin.000007:1180', '4 events seen');
		const lines = eventLines(frame);
		assert.equal(lines.length, 4);
		assert.match(lines[0]!, /mariadb-bin\.000007:1000\s+MARIADB_GTID\s+0-1-42\s*$/);
		assert.match(lines[1]!, /mariadb-bin\.000007:1040\s+TABLE_MAP\s+0-1-42\s+shop\.orders\s*$/);
		assert.match(lines[2]!, /mariadb-bin\.000007:1100\s+WRITE_ROWS\s+0-1-42\s+shop\.orders\s+3$/);
		assert.match(lines[3]!, /mariadb-bin\.000007:1180\s+XID/);
		assert.match(frame, /Time\s+Position\s+Event\s+GTID\s+Table\s+Rows/);
	});

	test('at 80 columns the list drops the GTID column and the file name, so that schema.table keeps 30 columns', async () => {
		const controller = new FakeController();
		const bus = new EventBus();
		const {lastFrame} = renderSized(<App bus={bus} controller={controller} initialScreen="binlog-tail" />, {columns: 80, rows: 24});
		await streamStarted(controller);
		bus.emit('binlog-event', feedEvent(1100, {gtid: '0-1-42', schema: 'dbbackup_demo', table: 'order_items', rows: 3}));
		const frame = await waitForText(lastFrame, '000007:1100');
		assert.match(frame, /^Time +Position +Event +Table +Rows$/m);
		assert.match(line(frame, '000007:1100'), /^14:03:27 000007:1100 +WRITE_ROWS +dbbackup_demo\.order_items +3$/);
		assert.equal(eventPosition({file: 'mariadb-bin.000007', pos: 4567}, true), '000007:4567');
		assert.equal(eventPosition({file: 'mariadb-bin.000007', pos: 4567}, false), 'mariadb-bin.000007:4567');
	});

	test('a burst of 5000 events shows only the newest that fit, in a few renders rather than one per event', async () => {
		const controller = new FakeController();
		const {lastFrame, frames, bus} = openTail(controller);
		await streamStarted(controller);
		await waitForText(lastFrame, 'waiting for events', 'Esc/q stop and go home');
		const before = frames.length;
		// spread over 100 turns of the event loop: an update per event (or per turn) would show as 100+ renders
		for (let chunk = 0; chunk < 100; chunk++) {
			for (let i = 0; i < 50; i++) {
				const n = chunk * 50 + i;
				bus.emit('binlog-event', feedEvent(10_000 + n, {schema: 'shop', table: `t${n}`, rows: 1}));
			}
			await nextTurn();
		}
		const frame = await waitForText(lastFrame, 'mariadb-bin.000007:14999', '5,000 events seen, the last 10 shown');
		const renders = frames.length - before;
		assert.ok(renders < 25, `${renders} renders for a burst of 5000 events`);
		const lines = eventLines(frame);
		assert.equal(lines.length, 10);
		assert.match(lines[0]!, /:14990\s.*shop\.t4990/);
		assert.match(lines[9]!, /:14999\s.*shop\.t4999/);
		assert.doesNotMatch(frame, /:14989\b/);
	});

	for (const [name, key] of [['q', 'q'], ['Esc', ESC]] as const) {
		test(`${name} aborts the stream, shows stopping until the streamer has finished, then goes home (the app stays)`, async () => {
			const controller = new FakeController();
			const finished = deferred<BinlogStreamSummary>();
			let abortedWith: AbortSignal | undefined;
			controller.binlogAnswer = (_choices, signal) => {
				signal.addEventListener('abort', () => (abortedWith = signal), {once: true});
				return finished.promise;
			};
			const {lastFrame, frames, stdin, bus, isUnmounted} = openTail(controller);
			const {signal} = await streamStarted(controller);
			bus.emit('binlog-status', status({file: 'mariadb-bin.000007', pos: 98_765}));
			await waitForText(lastFrame, '● streaming', 'Esc/q stop and go home');
			assert.equal(signal.aborted, false);

			stdin.write(key);
			// the hints follow the step by one effect: wait for both
			let frame = await waitForFrame(lastFrame, (candidate) => candidate.includes('Stopping… waiting for the streamer') && !candidate.includes('Esc'));
			assert.equal(abortedWith, signal);
			assert.match(frame, /● stopping…/);
			assert.match(frame, /^Ctrl\+C quit$/m, 'only Ctrl+C does something while the checkpoint is written');
			// the streamer's own status events do not take the stopping state away
			bus.emit('binlog-status', status({file: 'mariadb-bin.000007', pos: 98_765}));
			stdin.write('q');
			stdin.write(ESC);
			await pause(50);
			frame = plain(lastFrame());
			assert.match(frame, /● stopping…/, 'q and Esc again wait for the checkpoint');

			finished.resolve(binlogSummary);
			await waitForText(lastFrame, '❯ Detect environment', 'Tail binlog stream');
			assert.equal(isUnmounted(), false, 'leaving the screen does not quit the app');
			// the stopped frame is drawn before home
			frame = plain([...frames].reverse().find((drawn) => plain(drawn).includes('● stopped')) ?? '');
			assert.match(frame, /✓ Stopped cleanly: checkpoint at mariadb-bin\.000007:98765 \(GTID 0-1-4242\)/);
			assert.match(frame, /5,000 events · 1,250 transactions · 3\.0 MiB · 1 file closed · 1 reconnect · in \/backups\/binlogs/);
			assert.equal(controller.requests.streamBinlogs.length, 1);
		});
	}

	test('while reconnecting the header shows the attempt, the wait and the reason; the warning goes to the log pane', async () => {
		const controller = new FakeController();
		const {lastFrame, bus} = openTail(controller);
		await streamStarted(controller);
		bus.warn('binlog stream interrupted (connect ECONNREFUSED 127.0.0.1:3306); reconnecting in 4.0 s (attempt 3)', {code: 'BINLOG_RECONNECTING'});
		bus.emit(
			'binlog-status',
			status({state: 'reconnecting', file: 'mariadb-bin.000007', pos: 4567, reconnects: 2, attempt: 3, retryInSeconds: 4, reason: 'connect ECONNREFUSED 127.0.0.1:3306'}),
		);
		const frame = await waitForText(lastFrame, '● reconnecting');
		assert.match(line(frame, 'Retry'), /Retry\s+attempt 3, next try in \d+s: connect ECONNREFUSED 127\.0\.0\.1:3306/);
		assert.match(line(frame, 'Durable'), /Reconnects\s+2/);
		// the once-a-second statuses between state changes do not repeat the attempt: it stays shown
		bus.emit('binlog-status', status({state: 'reconnecting', file: 'mariadb-bin.000007', pos: 4567, reconnects: 2}));
		await pause(30);
		assert.match(line(plain(lastFrame()), 'Retry'), /attempt 3, next try in \d+s: connect ECONNREFUSED/);
		assert.match(line(frame, 'warn'), /binlog stream interrupted/);

		bus.emit('binlog-status', status({file: 'mariadb-bin.000007', pos: 4567, reconnects: 2}));
		const back = await waitForText(lastFrame, '● streaming');
		assert.doesNotMatch(back, /^Retry/m);
	});

	test('without a configured directory it asks for one first; q types into the field; Enter starts with it', async () => {
		const controller = new FakeController();
		controller.binlogDir = undefined;
		const {lastFrame, stdin, isUnmounted} = openTail(controller);
		let frame = await waitForText(lastFrame, 'Write binlog copies to /backups/binlogs', '--output DIR/', 'Enter start streaming', 'Ctrl+C quit');
		assert.match(frame, /Neither --output nor a backup\.binlog\.targets file path/);
		assert.equal(controller.requests.streamBinlogs.length, 0);

		stdin.write('\u0015');
		await waitForFrame(lastFrame, (candidate) => /Write binlog copies to directory, e\.g\./.test(candidate));
		stdin.write(ENTER);
		await pause(30);
		assert.equal(controller.requests.streamBinlogs.length, 0, 'an empty directory does not start');

		stdin.write('/srv/binlogs-q/');
		await waitForText(lastFrame, 'Write binlog copies to /srv/binlogs-q/');
		assert.equal(isUnmounted(), false);
		stdin.write(ENTER);
		const started = await streamStarted(controller);
		assert.deepEqual(started.choices, {output: '/srv/binlogs-q/'});
		frame = await waitForText(lastFrame, 'Output', '/srv/binlogs-q/', 'Esc/q stop and go home');
		assert.doesNotMatch(frame, /Write binlog copies to/);
	});

	test('Esc on the directory question goes home without streaming', async () => {
		const controller = new FakeController();
		controller.binlogDir = undefined;
		const {lastFrame, stdin} = openTail(controller);
		await waitForText(lastFrame, 'Write binlog copies to', 'Esc home');
		stdin.write(ESC);
		await waitForText(lastFrame, 'Detect environment', 'Tail binlog stream');
		assert.equal(controller.requests.streamBinlogs.length, 0);
	});

	test('a stream that fails shows the error; then q goes home, as Esc does', async () => {
		const controller = new FakeController();
		controller.binlogAnswer = async () => {
			throw new ConnectionError({code: 'CONNECTION_REFUSED', message: 'connect ECONNREFUSED 127.0.0.1:3306', target: '127.0.0.1:3306'});
		};
		const {lastFrame, stdin, isUnmounted} = openTail(controller);
		const frame = await waitForText(lastFrame, '✗ connect ECONNREFUSED 127.0.0.1:3306', '● failed', 'Esc/q home  Ctrl+C quit');
		assert.match(frame, /CONNECTION_REFUSED/);
		stdin.write('q');
		await waitForText(lastFrame, '❯ Detect environment');
		assert.equal(isUnmounted(), false);
	});

	test('a stream that ends by itself (--stop-at-end) shows the summary and stays', async () => {
		const controller = new FakeController();
		controller.binlogAnswer = async () => ({...binlogSummary, gtid: '', filesClosed: []});
		const {lastFrame, isUnmounted} = openTail(controller);
		await waitForText(lastFrame, '✓ Stopped cleanly: checkpoint at mariadb-bin.000007:98765', '0 files closed', 'Esc/q home  Ctrl+C quit');
		await pause(30);
		assert.equal(isUnmounted(), false);
	});

	test('Ctrl+C leaves at once and aborts the stream (the CLI waits for its checkpoint)', async () => {
		const controller = new FakeController();
		controller.binlogAnswer = () => new Promise(() => {});
		const {lastFrame, stdin, exited} = openTail(controller);
		const {signal} = await streamStarted(controller);
		await waitForText(lastFrame, 'Esc/q stop and go home');
		stdin.write(CTRL_C);
		await exited;
		assert.equal(signal.aborted, true);
	});
});

describe('tail binlog stream in the menu', () => {
	test('listed after Restore and Backups while a MySQL/MariaDB server is configured, hidden with only PostgreSQL', () => {
		const controller = new FakeController();
		assert.deepEqual(
			menuItems(screens, controller).map((item) => item.value),
			['detect', 'engine', 'backup', 'restore', 'backups', 'binlog-tail', 'demo', 'quit'],
		);
		controller.serverList = [{dbType: 'postgres', label: 'postgres postgres@127.0.0.1:5432'}];
		assert.ok(!menuItems(screens, controller).some((item) => item.value === 'binlog-tail'));
	});
});
