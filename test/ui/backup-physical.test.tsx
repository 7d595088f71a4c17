import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {cleanup, render} from 'ink-testing-library';
import {EventBus} from '../../source/core/events.ts';
import type {EngineSelection} from '../../source/engines/selection-types.ts';
import {App} from '../../source/ui/app.tsx';
import {formatMs, wrapWords} from '../../source/ui/components/physical-panel.tsx';
import type {BackupOutcome} from '../../source/ui/controller.ts';
import {backupOutcome, deferred, DOWN, ENTER, FakeController, mysqlTwoEnginesSelection, pause, postgresNoneSelection, RIGHT, waitForFrame, waitForText} from './fake-controller.ts';
import {assertFits, cleanupSized, renderSized} from './sized-render.ts';

afterEach(() => {
	cleanup();
	cleanupSized();
});

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** The MariaDB on btrfs where the selector recommends the snapshot engine (the data is big). */
const snapshotSelection: EngineSelection = {
	...mysqlTwoEnginesSelection,
	engine: 'snapshot',
	preferred: 'snapshot',
	reasons: [
		'Data size 48.2 GiB is above 10 GiB: a physical copy is preferred (a logical dump and its restore grow with every row).',
		'Server is MariaDB 10.11.6-MariaDB-0+deb12u1: it has no clone plugin, so a physical copy can only come from a filesystem snapshot.',
		'The data directory can be snapshotted (btrfs /mnt/data/mysql).',
	],
};

const physicalOutcome: BackupOutcome = {
	engine: 'snapshot',
	result: {...backupOutcome.result, databases: [], tables: 0, rows: 0, files: 412, lockMs: 12.3, coordinates: 'GTID 0-1-42'},
};

function controllerFor(selection: EngineSelection) {
	const controller = new FakeController();
	controller.selectAnswer = async () => [selection, postgresNoneSelection];
	const answer = deferred<BackupOutcome>();
	controller.backupAnswer = () => answer.promise;
	return {controller, answer};
}

/** What the snapshot engine says on the bus up to the copy, as it says it. */
function snapshotUpToCopy(bus: EventBus) {
	bus.stage('backup', 'snapshot → /backups/');
	bus.stage('snapshot-scope', 'what holds /mnt/data/mysql');
	bus.stage('snapshot', 'dbbackup-20261115T140327Z of /mnt/data/mysql');
	bus.stage('quiesce', 'BACKUP STAGE BLOCK_COMMIT');
	bus.log('info', 'snapshot dbbackup-20261115T140327Z taken in 8.1 ms; writes held 12.3 ms', {quiesceMs: 12.3, snapshotMs: 8.1});
	bus.stage('list', 'the files under /mnt/data/.dbbackup-snapshots/dbbackup-20261115T140327Z');
	bus.stage('copy', '412 files from /mnt/data/.dbbackup-snapshots/dbbackup-20261115T140327Z');
}

const copyTask = 'copy /mnt/data/.dbbackup-snapshots/dbbackup-20261115T140327Z';

describe('physical backup screen', () => {
	test('shows the engine and the selector\'s reasons, the writes held, the stage and the file being read with its own bar', async () => {
		const {controller, answer} = controllerFor(snapshotSelection);
		const bus = new EventBus();
		const {lastFrame, stdin} = render(<App bus={bus} controller={controller} initialScreen="backup" />);
		await waitForText(lastFrame, 'snapshot (recommended)', 'Enter start');
		stdin.write(ENTER);
		let frame = await waitForText(lastFrame, 'Backing up…');
		assert.match(frame, /Engine +snapshot \(recommended\)/);
		assert.match(frame, /Data size 48\.2 GiB is above 10 GiB: a physical copy is preferred/);
		assert.doesNotMatch(frame, /Quiesce/, 'no quiesce time before the engine says it');

		snapshotUpToCopy(bus);
		bus.emit('progress', {task: copyTask, unit: 'bytes', done: 3 * GiB, total: 10 * GiB, rate: 120 * MiB, eta: 60, item: {name: 'ibdata1', done: 640 * MiB, total: GiB}});
		frame = await waitForText(lastFrame, 'ibdata1');
		assert.match(frame, /Backing up… · copy 412 files from/);
		assert.match(frame, /✓ snapshot-scope [\d.]+s {2}✓ snapshot [\d.]+s {2}✓ quiesce [\d.]+s {2}✓ list [\d.]+s {2}› copy/);
		assert.match(frame, /Quiesce +writes held 12\.3 ms, snapshot 8\.1 ms/);
		assert.match(frame, /File +ibdata1 +█+░+ +62% {2}640 MiB \/ 1\.0 GiB/);
		assert.match(frame, /copy \/mnt.*█+░* +30% {2}3\.0 GiB \/ 10\.0 GiB {2}120 MiB\/s {2}ETA 1m 00s/);

		// a small file: its name and size, no bar of its own
		bus.emit('progress', {task: copyTask, unit: 'bytes', done: 4 * GiB, total: 10 * GiB, rate: 120 * MiB, eta: 50, item: {name: 'shop/orders.frm', done: 4096, total: 4096}});
		frame = await waitForText(lastFrame, 'shop/orders.frm');
		assert.match(frame, /File +shop\/orders\.frm {2}4\.0 KiB$/m);

		// the last figure is on no file: the file line goes
		bus.emit('progress', {task: copyTask, unit: 'bytes', done: 10 * GiB, total: 10 * GiB, rate: 120 * MiB});
		frame = await waitForFrame(lastFrame, (text) => !text.includes('shop/orders.frm'));
		assert.doesNotMatch(frame, /^File/m);
		assert.match(frame, /Quiesce +writes held 12\.3 ms/, 'the quiesce time stays');

		answer.resolve(physicalOutcome);
		frame = await waitForText(lastFrame, '✓ Backup complete');
		assert.match(frame, /Contents +412 files of the whole server/);
		assert.match(frame, /Lock time +12 ms/);
	});

	test('an engine picked over the recommendation says so, with the selector\'s reasons for its own', async () => {
		const {controller} = controllerFor({...mysqlTwoEnginesSelection, reasons: ['Data size 1.5 GiB is at most 10 GiB: a logical dump is quick at this size.']});
		const bus = new EventBus();
		const {lastFrame, stdin} = render(<App bus={bus} controller={controller} initialScreen="backup" />);
		await waitForText(lastFrame, 'mysqldump (recommended)', 'Enter start');
		for (let i = 0; i < 6; i++) {
			stdin.write(DOWN);
			await pause(20);
		}
		stdin.write(RIGHT);
		await waitForText(lastFrame, '‹ snapshot ›');
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, 'Backing up…', 'picked;');
		assert.match(frame, /Engine +snapshot \(picked; the selector recommends mysqldump\)/);
		assert.match(frame, /Data size 1\.5 GiB is at most 10 GiB: a logical dump is quick at this size\./);
		assert.equal(controller.requests.backup[0]?.engine, 'snapshot');
		// PostgreSQL's snapshot after a CHECKPOINT holds nothing: the engine says 0
		bus.log('info', 'snapshot s1 taken in 60.4 ms; writes held 0.0 ms', {quiesceMs: 0, snapshotMs: 60.4});
		assert.match(await waitForText(lastFrame, 'Quiesce'), /Quiesce +no writes held, snapshot 60\.4 ms/);
	});

	test('a logical backup shows none of it', async () => {
		const {controller} = controllerFor(mysqlTwoEnginesSelection);
		const bus = new EventBus();
		const {lastFrame, stdin} = render(<App bus={bus} controller={controller} initialScreen="backup" />);
		await waitForText(lastFrame, 'mysqldump (recommended)', 'Enter start');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backing up…');
		bus.emit('progress', {task: 'dump', unit: 'bytes', done: MiB, rate: MiB});
		const frame = await waitForText(lastFrame, 'Overall');
		assert.doesNotMatch(frame, /^(Engine|Quiesce|File) /m);
	});

	test('fits 80×24 with the log pane and the key hints, every line of the panel shown', async () => {
		const {controller} = controllerFor(snapshotSelection);
		const bus = new EventBus();
		const size = {columns: 80, rows: 24};
		const {lastFrame, stdin} = renderSized(<App bus={bus} controller={controller} initialScreen="backup" />, size);
		await waitForText(lastFrame, 'snapshot (recommended)', 'Enter start');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backing up…');
		snapshotUpToCopy(bus);
		bus.log('info', '412 files, 10240.0 MiB');
		bus.emit('progress', {task: 'write /backups/all-20261115T140327.512Z-0a1b.tar', unit: 'bytes', done: GiB, rate: 40 * MiB});
		bus.emit('progress', {
			task: copyTask,
			unit: 'bytes',
			done: 3 * GiB,
			total: 10 * GiB,
			rate: 120 * MiB,
			eta: 60,
			item: {name: 'shop/a_table_with_a_rather_long_name#p#p2023.ibd', done: 200 * MiB, total: 800 * MiB},
		});
		const frame = await waitForText(lastFrame, 'Quiesce', 'File', 'ETA 1m 00s', 'write /back', 'Esc is off');
		assertFits(lastFrame()!, size);
		const lines = frame.split('\n');
		const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
		assert.ok(at(/^Engine +snapshot/) < at(/^ +Data size/), frame);
		assert.ok(at(/^Quiesce/) < at(/^File/), frame);
		assert.match(frame, /^File +shop\/a_table…\S+ +█+░+ +25% {2}200 MiB \/ 800 MiB$/m);
		// the stages that do not fit are the oldest: the one under way shows
		assert.match(frame, /^….*✓ list [\d.]+s {2}› copy$/m);
		// two rows of reasons at most, the rest cut
		assert.equal(lines.filter((line) => /^ {14}\S/.test(line)).length, 2, frame);
	});
});

describe('physical panel helpers', () => {
	test('reasons wrap between words into the rows given, the rest cut with …', () => {
		assert.deepEqual(wrapWords('one two three four', 9, 2), ['one two', 'three…']);
		assert.deepEqual(wrapWords('one two', 20, 2), ['one two']);
		assert.deepEqual(wrapWords('abcdefghij k', 4, 3), ['abcd', 'efgh', 'ij k']);
		assert.deepEqual(wrapWords('', 10, 2), []);
	});

	test('lock times in ms below a second, in seconds above', () => {
		assert.equal(formatMs(12.34), '12.3 ms');
		assert.equal(formatMs(1250), '1.25 s');
	});
});
