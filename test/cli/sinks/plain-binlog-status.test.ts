import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import {mock, test} from 'node:test';
import {attachPlainSink} from '../../../source/cli/sinks/plain.ts';
import {EventBus} from '../../../source/core/events.ts';

test('--yes binlog status lines give the rate since the previous line, not the last second\'s (0 between bursts)', () => {
	mock.timers.enable({apis: ['Date'], now: 1_000_000});
	try {
		const bus = new EventBus();
		const stderr = new PassThrough();
		let text = '';
		stderr.on('data', (chunk) => (text += chunk));
		const detach = attachPlainSink(bus, {stdout: new PassThrough(), stderr});
		const status = {state: 'streaming' as const, file: 'bin.000001', pos: 4, reconnects: 0, eventsPerSecond: 0, bytesPerSecond: 0};
		bus.emit('binlog-status', {...status, events: 0, bytes: 0});
		// a burst of 400 events in one second, then quiet: the last second's rate is 0 at the next line
		mock.timers.tick(10_000);
		bus.emit('binlog-status', {...status, pos: 90_000, events: 400, bytes: 80_000});
		detach();
		const lines = text.trim().split('\n');
		assert.equal(lines.length, 2, text);
		assert.match(lines[1]!, /binlog streaming at bin\.000001:90000, 40 events\/s, 7\.8 KiB\/s/);
	} finally {
		mock.timers.reset();
	}
});

test('--yes prints a task\'s finished line once, though the task reports its end twice (last add, then finish)', () => {
	const bus = new EventBus();
	const stderr = new PassThrough();
	let text = '';
	stderr.on('data', (chunk) => (text += chunk));
	const detach = attachPlainSink(bus, {stdout: new PassThrough(), stderr});
	bus.emit('progress', {task: 'rows shop.orders', unit: 'rows', done: 50, total: 100, rate: 50});
	bus.emit('progress', {task: 'rows shop.orders', unit: 'rows', done: 100, total: 100, rate: 50});
	bus.emit('progress', {task: 'rows shop.orders', unit: 'rows', done: 100, total: 100, rate: 50});
	detach();
	assert.equal(text.split('\n').filter((line) => /shop\.orders: 100 rows of 100 rows 100\.0%/.test(line)).length, 1, text);
});
