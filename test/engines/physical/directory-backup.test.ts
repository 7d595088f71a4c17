/**
 * The per-file progress of a physical copy (writeDirectoryBackup): its progress events name the file
 * being read with that file's own bytes of its size, at the reporter's pace whatever the number of
 * files, and end on the whole copy's figures with no file. No server: a temp directory with one big
 * file and many small ones, written to a temp archive.
 */
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import type {ConnectionSettings} from '../../../source/core/connection-settings.ts';
import {EventBus, ProgressReporter, type EventOf} from '../../../source/core/events.ts';
import {writeDirectoryBackup} from '../../../source/engines/physical/directory-backup.ts';
import type {BackupOptions} from '../../../source/engines/types.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {recordingBus} from '../../harness/recording-bus.ts';

const MiB = 1024 * 1024;
const BIG = 24 * MiB;
const SMALL = 200;

describe('writeDirectoryBackup: per-file progress', () => {
	let work: string;
	let root: string;
	const sizes = new Map<string, number>();

	before(async () => {
		work = await mkdtemp(path.join(tmpdir(), 'dbbackup-directory-progress-'));
		root = path.join(work, 'datadir');
		await mkdir(path.join(root, 'base'), {recursive: true});
		// "a-big" sorts first: the copy's first figure is on it
		await writeFile(path.join(root, 'a-big.ibd'), randomBytes(BIG));
		sizes.set('a-big.ibd', BIG);
		for (let index = 0; index < SMALL; index++) {
			const name = `base/${String(index).padStart(4, '0')}`;
			const size = 1 + ((index * 7919) % 20_000);
			await writeFile(path.join(root, name), randomBytes(size));
			sizes.set(name, size);
		}
	});

	after(async () => {
		if (work) await rm(work, {recursive: true, force: true});
	});

	test('events name the file being read with its own bytes, throttled, and end on the totals with no file', async () => {
		const output = path.join(work, 'copy.dbb');
		const options: BackupOptions = {settings: {} as ConnectionSettings, databases: [], output, workers: 2, format: 'archive', compress: 'zstd'};
		const {bus, events} = recordingBus();
		const began = Date.now();
		const written = await writeDirectoryBackup(
			options,
			{root},
			{engine: 'snapshot', dbType: 'postgres', server: {version: '15', flavor: 'postgres', host: 'localhost'}, databases: [], coordinates: {}, options: {}, startedAt: new Date().toISOString()},
			bus,
		);
		const elapsedMs = Date.now() - began;
		const total = [...sizes.values()].reduce((sum, size) => sum + size, 0);
		assert.equal(written.files, sizes.size);
		assert.equal(written.rawBytes, total);

		const copy = events.filter((event): event is EventOf<'progress'> => event.type === 'progress' && event.task === `copy ${root}`);
		assert.ok(copy.length >= 2, `${copy.length} copy events`);
		// the first figure comes at the first read: the big file, 1 MiB of its own size
		assert.deepEqual(copy[0]!.item, {name: 'a-big.ibd', done: MiB, total: BIG});
		// throttled at 10 a second (one more for the first figure and one for the final)
		assert.ok(copy.length <= Math.ceil(elapsedMs / 100) + 2, `${copy.length} events in ${elapsedMs} ms`);
		for (const event of copy.slice(0, -1)) {
			const item = event.item;
			assert.ok(item, 'every figure but the last names a file');
			assert.equal(item.total, sizes.get(item.name), `${item.name} is a file of the directory with its size`);
			assert.ok(item.done > 0 && item.done <= item.total, `${item.name}: ${item.done} of ${item.total}`);
			assert.equal(event.total, total);
		}
		// the whole copy's figures only rise, and the big file's own bytes with them
		for (let index = 1; index < copy.length; index++) assert.ok(copy[index]!.done >= copy[index - 1]!.done);
		const big = copy.filter((event) => event.item?.name === 'a-big.ibd').map((event) => event.item!.done);
		assert.deepEqual(big, [...big].sort((a, b) => a - b));

		const last = copy.at(-1)!;
		assert.equal(last.done, total);
		assert.equal(last.total, total);
		assert.equal(last.item, undefined, 'the final figure is on no file');

		const archive = await openArchive(output);
		await archive.verify();
		const files = archive.manifest.physical!.archives[0]!.entries.filter((entry) => entry.type === 'file');
		assert.deepEqual(new Map(files.map((entry) => [entry.path, entry.size])), sizes);
	});
});

describe('ProgressReporter items', () => {
	test('the item rides on the throttled figures: set without an event, counted with add, gone when cleared', () => {
		const bus = new EventBus();
		const seen: Array<EventOf<'progress'>> = [];
		bus.on('progress', (event) => seen.push(event));
		let now = 1000;
		const progress = new ProgressReporter(bus, 'copy /data', 'bytes', 300, 10, () => now);
		progress.setItem({name: 'ibdata1', total: 200});
		assert.equal(seen.length, 0, 'naming a file emits nothing');
		progress.addToItem(50);
		progress.add(50);
		assert.deepEqual(seen.at(-1)!.item, {name: 'ibdata1', done: 50, total: 200});
		now += 50;
		progress.addToItem(150);
		progress.add(150);
		assert.equal(seen.length, 1, 'within 100 ms: no second figure');
		progress.setItem({name: 'small', total: 100});
		progress.addToItem(100);
		progress.add(100);
		now += 100;
		progress.setItem(undefined);
		progress.finish();
		assert.equal(seen.length, 2);
		assert.equal(seen[1]!.done, 300);
		assert.equal('item' in seen[1]!, false, 'a figure on no file has no item field');
		// the event carries a copy: later counting does not change what a sink kept
		assert.equal(seen[0]!.item!.done, 50);
	});

	test('a task without items emits no item field (the JSON lines of a logical dump are as before)', () => {
		const bus = new EventBus();
		const seen: Array<EventOf<'progress'>> = [];
		bus.on('progress', (event) => seen.push(event));
		const progress = new ProgressReporter(bus, 'rows shop.orders', 'rows', 10);
		progress.addToItem(5);
		progress.add(10);
		progress.finish();
		assert.ok(seen.every((event) => !('item' in event)));
	});
});
