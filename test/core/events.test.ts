import assert from 'node:assert/strict';
import {test} from 'node:test';
import {EventBus, ProgressReporter, type BusEvent} from '../../source/core/events.ts';
import {clearSecretsForTests, REDACTED, registerSecret} from '../../source/core/redact.ts';
import {ConnectionError, ExitCode, toDbBackupError, WorkError} from '../../source/core/errors.ts';

test('listeners get typed events with a timestamp; unsubscribe stops them', () => {
	const bus = new EventBus();
	const stages: string[] = [];
	const all: BusEvent[] = [];
	const off = bus.on('stage', (event) => stages.push(`${event.name}:${event.detail}`));
	bus.onAny((event) => all.push(event));
	bus.stage('connect', 'db:3306');
	off();
	bus.stage('detect');
	assert.deepEqual(stages, ['connect:db:3306']);
	assert.equal(all.length, 2);
	assert.ok(!Number.isNaN(Date.parse(all[0]!.time)));
});

test('a registered secret is redacted from every text field of every event, nested too', () => {
	const bus = new EventBus();
	registerSecret('s3cr3t-Pa55');
	const seen: string[] = [];
	bus.onAny((event) => seen.push(JSON.stringify(event)));
	bus.log('error', 'login failed with s3cr3t-Pa55', {dsn: 'mysql://u:s3cr3t-Pa55@h', nested: {list: ['x s3cr3t-Pa55']}});
	bus.warn('w s3cr3t-Pa55', {hint: 'h s3cr3t-Pa55'});
	bus.emit('error', {code: 'X', message: 'm s3cr3t-Pa55', exitCode: 1});
	assert.equal(seen.length, 3);
	for (const line of seen) {
		assert.doesNotMatch(line, /s3cr3t-Pa55/);
		assert.match(line, /\[redacted\]/);
	}
});

test('errors redact their message and hint and carry the documented exit codes', () => {
	registerSecret('hunter22');
	const error = new ConnectionError({code: 'ACCESS_DENIED', message: 'denied hunter22', hint: 'try hunter22', target: 'h:1'});
	assert.equal(error.message, 'denied [redacted]');
	assert.equal(error.hint, 'try [redacted]');
	assert.equal(error.exitCode, ExitCode.connection);
	const wrapped = toDbBackupError(new Error('boom'));
	assert.ok(wrapped instanceof WorkError);
	assert.equal(wrapped.exitCode, 1);
	assert.equal(wrapped.code, 'UNEXPECTED');
});

test('progress is throttled at the source, computes rate and ETA, and finish always reports', () => {
	const bus = new EventBus();
	let now = 0;
	const events: Array<{done: number; rate: number; eta?: number}> = [];
	bus.on('progress', (event) => events.push(event));
	const progress = new ProgressReporter(bus, 'shop.orders', 'rows', 1000, 10, () => now);
	for (let i = 0; i < 100; i++) {
		now += 10; // 100 updates over one second
		progress.add(5);
	}
	// at most 10 per second (+1 for the first)
	assert.ok(events.length <= 11, `got ${events.length} events`);
	assert.ok(events.length >= 9);
	progress.finish();
	const last = events.at(-1)!;
	assert.equal(last.done, 500);
	assert.equal(last.rate, 500); // 500 rows in 1 s
	assert.equal(last.eta, 1); // 500 left at 500/s
});

test('a progress reporter made ahead of its work counts rate and ETA from begin(), once', () => {
	const bus = new EventBus();
	const events: Array<{done: number; rate: number; eta?: number}> = [];
	bus.on('progress', (event) => events.push(event));
	let now = 0;
	const progress = new ProgressReporter(bus, 'rows shop.orders', 'rows', 1000, 10, () => now);
	now = 60_000; // planned a minute before its rows are read
	progress.begin();
	now += 1000;
	progress.add(500);
	now += 500;
	progress.begin(); // a later chunk of the same table: ignored
	progress.add(250);
	progress.finish();
	const last = events.at(-1)!;
	assert.equal(last.done, 750);
	assert.equal(last.rate, 500); // 750 rows in the 1.5 s since begin(), not in 61.5 s
	assert.equal(last.eta, 0.5);
});

test('redaction copies only what it changes: a nested secret is redacted without touching the emitter\'s object', () => {
	registerSecret('nested-secret-value');
	try {
		const bus = new EventBus();
		const seen: unknown[] = [];
		bus.on('result', (event) => seen.push(event.data));
		const data = {list: ['plain', 'has nested-secret-value inside'], inner: {keep: 1}};
		bus.result('check', data);
		assert.deepEqual(seen[0], {list: ['plain', `has ${REDACTED} inside`], inner: {keep: 1}});
		assert.equal(data.list[1], 'has nested-secret-value inside', 'the original is not changed');
		const clean = {list: ['plain'], inner: {keep: 1}};
		bus.result('check', clean);
		assert.equal(seen[1], clean, 'nothing to redact: the same object');
	} finally {
		clearSecretsForTests();
	}
});
