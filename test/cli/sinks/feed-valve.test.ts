import assert from 'node:assert/strict';
import {Writable} from 'node:stream';
import {test} from 'node:test';
import {attachJsonSink} from '../../../source/cli/sinks/json.ts';
import {EventBus} from '../../../source/core/events.ts';

/** A stdout that holds everything written until `drain()`: a reader that cannot keep up. */
class StalledStdout extends Writable {
	lines: string[] = [];
	private pending: Array<() => void> = [];

	constructor() {
		super({highWaterMark: 16});
	}

	override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
		this.lines.push(chunk.toString());
		this.pending.push(done);
	}

	/** lets every queued write through */
	async drain(): Promise<void> {
		while (this.pending.length > 0 || this.writableLength > 0) {
			for (const done of this.pending.splice(0)) done();
			await new Promise((resolve) => setImmediate(resolve));
		}
	}
}

const feedEvent = {eventTime: '2026-11-21T00:00:00.000Z', file: 'bin.000001', pos: 4, eventType: 'WRITE_ROWS_V1', schema: 'db', table: 't', rows: 1};

test('--json: binlog feed lines are dropped and counted while stdout is backed up; other events never are', async () => {
	const stdout = new StalledStdout();
	const bus = new EventBus();
	attachJsonSink(bus, stdout);
	for (let index = 0; index < 20_000; index += 1) bus.emit('binlog-event', {...feedEvent, pos: index});
	bus.warn('a warning while backed up');
	const written = () => stdout.lines.join('').trim().split('\n').map((line) => JSON.parse(line) as {type: string; count?: number});
	await stdout.drain();
	const first = written().filter((line) => line.type === 'binlog-event').length;
	assert.ok(first < 20_000, `only part of the feed was queued (${first})`);
	assert.ok(written().some((line) => line.type === 'warning'), 'the warning was not dropped');
	bus.emit('binlog-event', feedEvent);
	await stdout.drain();
	const dropped = written().find((line) => line.type === 'binlog-feed-dropped');
	assert.equal(dropped?.count, 20_000 - first, 'the drop is reported with its count once stdout has room');
});

/** A stdout that records each write() call as it comes. */
class RecordingStdout extends Writable {
	writes: string[] = [];

	override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
		this.writes.push(chunk.toString());
		done();
	}
}

test('--json: feed lines go out in batches, in order with the other events, and detaching writes what is queued', async () => {
	const stdout = new RecordingStdout();
	const bus = new EventBus();
	const detach = attachJsonSink(bus, stdout);
	for (let index = 0; index < 1000; index += 1) bus.emit('binlog-event', {...feedEvent, pos: index});
	bus.emit('binlog-durable', {file: 'bin.000001', pos: 999, gtid: '0-1-9', eventTime: feedEvent.eventTime});
	for (let index = 1000; index < 1010; index += 1) bus.emit('binlog-event', {...feedEvent, pos: index});
	detach();
	const lines = stdout.writes.join('').trim().split('\n').map((line) => JSON.parse(line) as {type: string; pos: number});
	assert.equal(lines.length, 1011, 'every line was written');
	assert.ok(stdout.writes.length < 20, `1,011 lines in ${stdout.writes.length} writes`);
	assert.deepEqual(
		lines.map((line) => line.pos),
		[...Array.from({length: 1000}, (_, index) => index), 999, ...Array.from({length: 10}, (_, index) => 1000 + index)],
	);
	assert.equal(lines[1000]!.type, 'binlog-durable', 'the durable line follows the feed lines before it');
	await new Promise((resolve) => setImmediate(resolve));
	assert.equal(stdout.writes.join('').trim().split('\n').length, 1011, 'nothing is written twice after the detach');
});
