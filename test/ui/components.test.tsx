import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {cleanup, render} from 'ink-testing-library';
import {known, unknown} from '../../source/core/detect/types.ts';
import {EventBus, type EventOf} from '../../source/core/events.ts';
import {FactRow} from '../../source/ui/components/fact-row.tsx';
import {KeyHints} from '../../source/ui/components/key-hints.tsx';
import {LogPane} from '../../source/ui/components/log-pane.tsx';
import {barText, etaText, ProgressBar, progressFigures} from '../../source/ui/components/progress-bar.tsx';
import {ProgressBars, ProgressList, visibleTasks} from '../../source/ui/components/progress-list.tsx';
import {RunProgress} from '../../source/ui/components/run-progress.tsx';
import {plain, waitForFrame, waitForText} from './fake-controller.ts';

afterEach(() => cleanup());

const MiB = 1024 ** 2;

describe('progress figures', () => {
	test('fraction and ETA derived from total and rate when the source gives no ETA', () => {
		const figures = progressFigures({done: 25, total: 100, rate: 5});
		assert.equal(figures.fraction, 0.25);
		assert.equal(figures.eta, 15);
		assert.equal(figures.finished, false);
		assert.equal(etaText(figures), 'ETA 15s');
	});

	test('the source ETA wins over the derived one', () => {
		assert.equal(progressFigures({done: 25, total: 100, rate: 5, eta: 65}).eta, 65);
		assert.equal(etaText(progressFigures({done: 25, total: 100, rate: 5, eta: 65})), 'ETA 1m 05s');
	});

	test('no rate yet: no ETA', () => {
		const figures = progressFigures({done: 0, total: 100, rate: 0});
		assert.equal(figures.eta, undefined);
		assert.equal(etaText(figures), 'ETA —');
	});

	test('finished and overshoot clamp to done', () => {
		const figures = progressFigures({done: 120, total: 100, rate: 10, eta: 3});
		assert.equal(figures.fraction, 1);
		assert.equal(figures.eta, 0);
		assert.equal(figures.finished, true);
		assert.equal(etaText(figures), 'done');
	});

	test('unknown total: no fraction, no ETA', () => {
		const figures = progressFigures({done: 5000, rate: 1000});
		assert.equal(figures.fraction, undefined);
		assert.equal(etaText(figures), undefined);
	});

	test('bar cells follow the fraction', () => {
		assert.equal(barText(0, 10), '░░░░░░░░░░');
		assert.equal(barText(0.42, 10), '████░░░░░░');
		assert.equal(barText(1, 4), '████');
	});
});

describe('ProgressBar', () => {
	test('bytes: bar, percent, amounts, rate and ETA', () => {
		const {lastFrame} = render(
			<ProgressBar label="data/shop/orders" unit="bytes" done={1.2 * 1024 ** 3} total={3 * 1024 ** 3} rate={34.5 * MiB} eta={65} width={10} />,
		);
		assert.equal(
			plain(lastFrame()),
			'data/shop/orders        ████░░░░░░  40%  1.2 GiB / 3.0 GiB  34.5 MiB/s  ETA 1m 05s',
		);
	});

	test('a label longer than its column is cut in the middle and keeps a space before the bar', () => {
		const {lastFrame} = render(<ProgressBar label="restore sbtest_copy.sbtest1" unit="rows" done={50} total={100} rate={10} width={10} />);
		const frame = plain(lastFrame());
		assert.match(frame, /^restore sbt…opy\.sbtest1 █████░░░░░  50%/);
	});

	test('rows without a total: count and rate only', () => {
		const {lastFrame} = render(<ProgressBar unit="rows" done={12_345} rate={2_000} />);
		assert.equal(plain(lastFrame()), '12,345 rows  2,000 rows/s');
	});
});

function progress(task: string, done: number, total: number | undefined, rate = 100): EventOf<'progress'> {
	return {type: 'progress', time: new Date().toISOString(), task, unit: 'rows', done, total, rate};
}

describe('ProgressBars', () => {
	test('a task that has not moved for 5 s shows how long it has been idle instead of an ETA; a finished one stays done', () => {
		const now = Date.parse('2026-11-21T12:00:00Z');
		const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString();
		const tasks: EventOf<'progress'>[] = [
			{type: 'progress', time: at(1), task: 'rows shop.orders', unit: 'rows', done: 50, total: 100, rate: 10},
			{type: 'progress', time: at(12), task: 'rows shop.lines', unit: 'rows', done: 78, total: 100, rate: 10},
			{type: 'progress', time: at(30), task: 'rows shop.users', unit: 'rows', done: 100, total: 100, rate: 10},
		];
		const {lastFrame} = render(<ProgressBars tasks={tasks} now={() => now} />);
		const lines = plain(lastFrame()).split('\n');
		assert.match(lines[0]!, /rows shop\.orders .* ETA 5s$/);
		assert.match(lines[1]!, /rows shop\.lines .* idle 12s$/);
		assert.match(lines[2]!, /rows shop\.users .* done$/);
	});
});

describe('ProgressList', () => {
	test('one bar per task, each updated by its latest progress event', async () => {
		const bus = new EventBus();
		const {lastFrame} = render(<ProgressList bus={bus} />);
		assert.equal(plain(lastFrame()), '');
		bus.emit('progress', {task: 'shop.orders', unit: 'rows', done: 100, total: 1000, rate: 50});
		bus.emit('progress', {task: 'shop.customers', unit: 'bytes', done: MiB, total: 4 * MiB, rate: MiB, eta: 3});
		let frame = await waitForText(lastFrame, 'shop.orders', 'shop.customers');
		assert.match(frame, /shop\.orders.* 10% {2}100 rows \/ 1,000 rows {2}50 rows\/s {2}ETA 18s/);
		assert.match(frame, /shop\.customers.* 25% {2}1\.0 MiB \/ 4\.0 MiB {2}1\.0 MiB\/s {2}ETA 3s/);

		bus.emit('progress', {task: 'shop.orders', unit: 'rows', done: 600, total: 1000, rate: 100, eta: 4});
		frame = await waitForText(lastFrame, '600 rows');
		assert.match(frame, /shop\.orders.* 60% {2}600 rows \/ 1,000 rows {2}100 rows\/s {2}ETA 4s/);
		assert.doesNotMatch(frame, /100 rows \/ 1,000/);
		assert.equal(frame.split('\n').length, 2);
	});

	test('finished tasks move below running ones; beyond the limit the rest is counted', async () => {
		const bus = new EventBus();
		const {lastFrame} = render(<ProgressList bus={bus} limit={2} />);
		bus.emit('progress', {task: 'a', unit: 'rows', done: 1, total: 10, rate: 1});
		bus.emit('progress', {task: 'b', unit: 'rows', done: 1, total: 10, rate: 1});
		bus.emit('progress', {task: 'c', unit: 'rows', done: 1, total: 10, rate: 1});
		let frame = await waitForText(lastFrame, '… 1 more task');
		assert.deepEqual(frame.split('\n').map((line) => line.split(' ')[0]), ['a', 'b', '…']);

		bus.emit('progress', {task: 'a', unit: 'rows', done: 10, total: 10, rate: 1});
		frame = await waitForText(lastFrame, '(1 finished)');
		assert.deepEqual(frame.split('\n').map((line) => line.split(' ')[0]), ['b', 'c', '…']);
		assert.match(frame, /… 1 more task \(1 finished\)/);
	});

	test('visibleTasks orders running first, then finished latest first', () => {
		const tasks = [progress('done-early', 5, 5), progress('running', 1, 5), progress('done-late', 5, 5), progress('open', 9, undefined)];
		const {shown, hidden, hiddenFinished} = visibleTasks(tasks, 3);
		assert.deepEqual(shown.map((task) => task.task), ['running', 'open', 'done-late']);
		assert.equal(hidden, 1);
		assert.equal(hiddenFinished, 1);
	});

	test('unsubscribes from the bus on unmount', async () => {
		const bus = new EventBus();
		const {lastFrame, unmount} = render(<ProgressList bus={bus} />);
		bus.emit('progress', {task: 'a', unit: 'rows', done: 1, total: 10, rate: 1});
		await waitForText(lastFrame, '10%');
		unmount();
		const internals = bus as unknown as {listeners: Map<string, Set<unknown>>};
		assert.equal(internals.listeners.get('progress')?.size ?? 0, 0);
	});
});

describe('LogPane', () => {
	test('keeps only the last `limit` entries', async () => {
		const bus = new EventBus();
		const {lastFrame} = render(<LogPane bus={bus} limit={2} />);
		assert.equal(plain(lastFrame()), '');
		bus.log('info', 'first');
		bus.log('warn', 'second');
		bus.log('error', 'third');
		const frame = await waitForText(lastFrame, 'third');
		assert.doesNotMatch(frame, /first/);
		assert.match(frame, /warn {2}second/);
		assert.match(frame, /error third/);
	});

	test('debug lines only when asked for', async () => {
		const bus = new EventBus();
		const {lastFrame} = render(<LogPane bus={bus} showDebug />);
		bus.log('debug', 'SELECT 1 took 2 ms');
		await waitForText(lastFrame, 'debug SELECT 1 took 2 ms');
	});
});

describe('FactRow', () => {
	test('a known fact shows its value and its source', () => {
		const {lastFrame} = render(<FactRow label="wal_level" fact={known('replica', 'SHOW wal_level')} describe={(v) => v} />);
		assert.equal(plain(lastFrame()), 'wal_level       replica  via SHOW wal_level');
	});

	test('an unknown fact shows why', () => {
		const {lastFrame} = render(<FactRow label="Datadir" fact={unknown<string>('permission denied')} describe={(v) => v} />);
		assert.equal(plain(lastFrame()), 'Datadir         unknown: permission denied');
	});

	test('details render under the value', () => {
		const {lastFrame} = render(
			<FactRow label="Size" fact={known(3, 'count')} describe={(v) => `${v} items`} details={() => <KeyHints hints={[{key: 'x', action: 'detail'}]} />} />,
		);
		assert.deepEqual(plain(lastFrame()).split('\n'), ['Size            3 items  via count', '                x detail']);
	});
});

describe('KeyHints', () => {
	test('keys and actions in one line', async () => {
		const {lastFrame} = render(
			<KeyHints
				hints={[
					{key: '↑/↓', action: 'move'},
					{key: 'q', action: 'quit'},
				]}
			/>,
		);
		await waitForFrame(lastFrame, (frame) => frame.length > 0);
		assert.equal(plain(lastFrame()), '↑/↓ move  q quit');
	});
});

describe('RunProgress with an upload to S3', () => {
	test('shows no upload line until the first upload event, then bytes sent, parts done and in flight, and retries', async () => {
		const bus = new EventBus();
		const {lastFrame} = render(<RunProgress bus={bus} activity="Backing up…" overallTask="dump" />);
		bus.emit('progress', {task: 'dump', unit: 'bytes', done: 40 * MiB, rate: 10 * MiB});
		await waitForText(lastFrame, 'Overall');
		assert.doesNotMatch(plain(lastFrame()), /Upload/);
		bus.emit('upload', {destination: 's3://b/p/x.tar', bytesSent: 30 * MiB, partsDone: 3, partsInFlight: 2, retries: 0});
		await waitForText(lastFrame, 'Upload');
		assert.match(plain(lastFrame()), /Upload\s+30\.0 MiB sent\s+3 parts done, 2 in flight\s+no retries/);
		bus.emit('upload', {destination: 's3://b/p/x.tar', bytesSent: 40 * MiB, partsDone: 4, partsInFlight: 1, retries: 2});
		await waitForText(lastFrame, '2 retried');
		assert.match(plain(lastFrame()), /40\.0 MiB sent\s+4 parts done, 1 in flight\s+2 retried/);
	});
});
