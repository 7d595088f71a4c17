import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {WorkError} from '../../source/core/errors.ts';
import type {EngineSelection} from '../../source/engines/selection-types.ts';
import {EventBus} from '../../source/core/events.ts';
import {App} from '../../source/ui/app.tsx';
import type {ArtifactSummary, BackupOutcome, BinlogStreamSummary, RestoreOutcome} from '../../source/ui/controller.ts';
import {
	backupOutcome,
	deferred,
	DOWN,
	ENTER,
	ESC,
	FakeController,
	mariadbFull,
	mysqlSelection,
	mysqlTwoEnginesSelection,
	olderArtifact,
	pause,
	plain,
	postgres,
	postgresNoneSelection,
	restoreOutcome,
	shopArtifact,
	RIGHT,
	UP,
	waitForFrame,
	waitForText,
} from './fake-controller.ts';
import {assertFits, cleanupSized, renderSized, type TerminalSize} from './sized-render.ts';

afterEach(() => cleanupSized());

const postgres15Selection: EngineSelection = {
	...postgresNoneSelection,
	engine: 'postgres-logical',
	candidates: postgresNoneSelection.candidates.map((row) => ({...row, availability: {available: true, reasons: [], warnings: ['a warning long enough to be cut at the edge of a narrow terminal, or so one hopes'], info: {}}})),
};

const SMALL: TerminalSize = {columns: 80, rows: 24};
const LARGE: TerminalSize = {columns: 200, rows: 50};
const MiB = 1024 ** 2;

/** As the backup service logs it: every reason of the selection in one line, once per backup. */
const selectionLog = `engine selection: ${mysqlSelection.reasons.join(' ')} The destination is a local directory: every engine can write there.`;

function open(size: TerminalSize, controller: FakeController, initialScreen?: string, bus = new EventBus()) {
	const rendered = renderSized(<App bus={bus} controller={controller} initialScreen={initialScreen} />, size);
	return {...rendered, bus};
}

function fillLog(bus: EventBus) {
	bus.log('info', 'found MariaDB 10.11.6-MariaDB-0+deb12u1 at 127.0.0.1:3306 (datadir /mnt/data/mysql on btrfs, local)');
	bus.log('info', selectionLog);
	bus.log('info', selectionLog);
	bus.warn('binlog_row_image is MINIMAL: point-in-time recovery needs the full row images of every change', {
		hint: 'set binlog_row_image=FULL in the server configuration and restart it',
	});
	bus.log('info', 'worker 2 dumps shop.orders chunk 3 of 12 (rows 2,000,001 to 3,000,000)');
}

function manyDatabases(count: number) {
	return Array.from({length: count}, (_, index) => ({name: `tenant_${String(index).padStart(3, '0')}_with_a_long_name`, bytes: (index + 1) * MiB, tables: index + 3}));
}

function manyArtifacts(count: number): ArtifactSummary[] {
	return Array.from({length: count}, (_, index) => ({
		...olderArtifact,
		path: `/backups/nightly/all-202611${String(10 + (index % 19)).padStart(2, '0')}T020000Z-${index}.tar`,
		databases: manyDatabases(6).map((database) => ({name: database.name, tables: database.tables, rows: 1000})),
	}));
}

/** Every screen in a state that tends to fill it; each returns once its frame has drawn what it is about. */
const scenarios: Record<string, (size: TerminalSize) => Promise<string>> = {
	async 'home, not configured, with a full log pane'(size) {
		const {lastFrame, bus} = open(size, new FakeController({configured: false}));
		fillLog(bus);
		return waitForText(lastFrame, 'Start demo', 'worker 2 dumps');
	},
	async 'home with the demo running (a long connection label)'(size) {
		const controller = new FakeController({configured: true});
		controller.state = 'demo';
		controller.label = 'mysql dbbackup@127.0.0.1:35855 · postgres dbbackup@127.0.0.1:44053 · mysql replica@10.20.30.40:3306';
		const {lastFrame} = open(size, controller);
		return waitForText(lastFrame, 'Detect environment', '● demo');
	},
	async 'demo starting, every stage and task shown'(size) {
		const controller = new FakeController({configured: false});
		controller.demoAnswer = () => new Promise(() => {});
		const {lastFrame, bus} = open(size, controller, 'demo');
		await waitForText(lastFrame, 'Starting throwaway');
		for (let n = 1; n <= 10; n++) bus.stage(`stage ${n} of the demo start-up`, '/tmp/dbbackup-demo/mariadb/a/long/path/to/the/data/directory/of/the/server');
		for (let n = 1; n <= 10; n++) bus.emit('progress', {task: `loading sample table ${n}`, unit: 'rows', done: 500, total: 1000, rate: 250, eta: 2});
		fillLog(bus);
		return waitForText(lastFrame, 'stage 10', 'loading sample table');
	},
	async 'detection of a MariaDB'(size) {
		const controller = new FakeController();
		controller.detectAnswer = async () => [mariadbFull, postgres];
		const {lastFrame, bus} = open(size, controller, 'detect');
		fillLog(bus);
		return waitForText(lastFrame, 'server 1 of 2', 'Version');
	},
	async 'detection running'(size) {
		const controller = new FakeController();
		controller.detectAnswer = () => new Promise(() => {});
		const {lastFrame, bus} = open(size, controller, 'detect');
		await waitForText(lastFrame, 'Detecting…');
		bus.stage('reading the filesystem of the data directory', '/mnt/data/mysql/a/very/long/path/that/goes/on/and/on/past/the/edge/of/a/narrow/terminal');
		fillLog(bus);
		return waitForText(lastFrame, 'reading the filesystem', 'worker 2 dumps');
	},
	async 'engine selection'(size) {
		const controller = new FakeController();
		const long = {...mysqlSelection, reasons: [...mysqlSelection.reasons, `${'A reason long enough to wrap on a narrow terminal, '.repeat(3)}end.`]};
		controller.selectAnswer = async () => [long];
		const {lastFrame, bus} = open(size, controller, 'engine');
		fillLog(bus);
		return waitForText(lastFrame, 'Engines for', 'worker 2 dumps');
	},
	async 'backup form with many databases'(size) {
		const controller = new FakeController();
		controller.databasesAnswer = async () => manyDatabases(40);
		controller.outputDir = '/var/backups/dbbackup/a/rather/long/directory/for/the/nightly/archives';
		const {lastFrame, bus} = open(size, controller, 'backup');
		fillLog(bus);
		return waitForText(lastFrame, 'tenant_000', 'Workers');
	},
	async 'backup running, many tables'(size) {
		const controller = new FakeController();
		controller.backupAnswer = () => new Promise<BackupOutcome>(() => {});
		const {lastFrame, stdin, bus} = open(size, controller, 'backup');
		await waitForText(lastFrame, 'analytics', 'Enter start');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backing up…');
		bus.stage('dumping', '4 workers, 40 tables, consistent snapshot at GTID 0-1-42 (binlog mysql-bin.000003:1234)');
		bus.emit('progress', {task: 'dump', unit: 'rows', done: 4_500_000, total: 40_000_000, rate: 250_000, eta: 142});
		for (let n = 1; n <= 40; n++) {
			bus.emit('progress', {task: `rows shop.orders_${n}`, unit: 'rows', done: n * 10_000, total: 1_000_000, rate: 12_345, eta: 80});
		}
		bus.emit('upload', {destination: 's3://backups/nightly/', bytesSent: 812 * MiB, partsDone: 97, partsInFlight: 4, retries: 2});
		fillLog(bus);
		return waitForText(lastFrame, 'Overall', 'rows shop.orders_1 ', 'worker 2 dumps');
	},
	async 'backup complete'(size) {
		const controller = new FakeController();
		controller.backupAnswer = async () => ({
			...backupOutcome,
			result: {...backupOutcome.result, artifact: `/var/backups/dbbackup/nightly/${'tenant_'.repeat(20)}-20261115T140327Z.tar`, databases: manyDatabases(12).map((db) => db.name)},
		});
		const {lastFrame, stdin, bus} = open(size, controller, 'backup');
		await waitForText(lastFrame, 'analytics', 'Enter start');
		fillLog(bus);
		stdin.write(ENTER);
		return waitForText(lastFrame, '✓ Backup complete', 'Esc back to the form');
	},
	async 'engine selection with two engines to pick, the second picked'(size) {
		const controller = new FakeController();
		controller.selectAnswer = async () => [mysqlTwoEnginesSelection, postgres15Selection];
		const {lastFrame, stdin, bus} = open(size, controller, 'engine');
		fillLog(bus);
		await waitForText(lastFrame, '❯ mysqldump', 'worker 2 dumps');
		stdin.write(DOWN);
		return waitForText(lastFrame, '❯ snapshot', 'Enter back up');
	},
	async 'backup form back from a failure: a long edited path, every row changed'(size) {
		const controller = new FakeController();
		controller.serverList = [
			{dbType: 'mysql', label: 'mysql backup_operator@db-primary.eu-west-1.internal.example.com:3306'},
			{dbType: 'postgres', label: 'postgres postgres@127.0.0.1:5433'},
		];
		controller.selectAnswer = async () => [mysqlTwoEnginesSelection, postgres15Selection];
		controller.databasesAnswer = async () => manyDatabases(40);
		controller.backupAnswer = async () => {
			throw new WorkError({code: 'DISK_FULL', message: 'no space left on the device of the output folder', hint: 'Free space or give another --output.'});
		};
		const {lastFrame, stdin, bus} = open(size, controller, 'backup');
		await waitForText(lastFrame, 'tenant_000', 'recommended');
		stdin.write('e');
		await waitForText(lastFrame, 'Esc cancel edit');
		for (let i = 0; i < 80; i++) stdin.write('\u007F');
		stdin.write(`/var/backups/dbbackup/${'a-rather-long-folder/'.repeat(8)}nightly.tar`);
		await waitForText(lastFrame, 'nightly.tar');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'e edit path');
		// from the server row up to the last one, Engine
		stdin.write(UP);
		await pause(20);
		stdin.write(RIGHT);
		await waitForText(lastFrame, '‹ snapshot ›');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'DISK_FULL', 'Esc back to the form');
		fillLog(bus);
		stdin.write(ESC);
		return waitForText(lastFrame, 'nightly.tar', 'snapshot', 'worker 2 dumps', '→ as typed');
	},
	async 'restore: the list of backups'(size) {
		const controller = new FakeController();
		controller.artifactsAnswer = async () => manyArtifacts(40);
		const {lastFrame, bus} = open(size, controller, 'restore');
		fillLog(bus);
		return waitForText(lastFrame, 'Backups in', 'all-20261110T020000Z-0.tar');
	},
	async 'restore: the manifest of a backup of many databases'(size) {
		const controller = new FakeController();
		controller.artifactsAnswer = async () => manyArtifacts(3);
		const {lastFrame, stdin, bus} = open(size, controller, 'restore');
		await waitForText(lastFrame, 'all-20261110T020000Z-0.tar');
		fillLog(bus);
		stdin.write(ENTER);
		return waitForText(lastFrame, 'Artifact', 'Enter goes on');
	},
	async 'restore: the confirmation of a destructive plan'(size) {
		const controller = new FakeController();
		controller.artifactsAnswer = async () => [{...shopArtifact, databases: manyDatabases(30).map((db) => ({name: db.name, tables: db.tables, rows: 10}))}];
		controller.planAnswer = async () => ({
			databases: manyDatabases(30).map((db, index) => ({source: db.name, target: db.name, exists: index < 3, tables: index < 3 ? db.tables : 0})),
			destructive: true,
		});
		const {lastFrame, stdin, bus} = open(size, controller, 'restore');
		await waitForText(lastFrame, 'shop-20261115T140327Z.tar');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Enter goes on');
		fillLog(bus);
		stdin.write(ENTER);
		return waitForText(lastFrame, 'to confirm');
	},
	async 'restore running'(size) {
		const controller = new FakeController();
		controller.planAnswer = async (choices) => ({databases: [{source: 'shop', target: choices.targetDb ?? 'shop', exists: false, tables: 0}], destructive: false});
		controller.restoreAnswer = () => new Promise<RestoreOutcome>(() => {});
		const {lastFrame, stdin, bus} = open(size, controller, 'restore');
		await waitForText(lastFrame, 'shop-20261115T140327Z.tar');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Restore into');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Enter restores');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Restoring…');
		bus.emit('progress', {task: 'restore', unit: 'rows', done: 1_000_000, total: 9_000_000, rate: 100_000, eta: 80});
		for (let n = 1; n <= 30; n++) bus.emit('progress', {task: `rows shop.t${n}`, unit: 'rows', done: n * 1000, total: 300_000, rate: 2_000, eta: 100});
		fillLog(bus);
		return waitForText(lastFrame, 'Overall', 'rows shop.t1', 'worker 2 dumps');
	},
	async 'restore complete'(size) {
		const controller = new FakeController();
		controller.planAnswer = async (choices) => ({databases: [{source: 'shop', target: choices.targetDb ?? 'shop', exists: false, tables: 0}], destructive: false});
		controller.restoreAnswer = async () => ({...restoreOutcome, databases: manyDatabases(12).map((db) => db.name)});
		const {lastFrame, stdin} = open(size, controller, 'restore');
		await waitForText(lastFrame, 'shop-20261115T140327Z.tar');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Restore into');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Enter restores');
		stdin.write(ENTER);
		return waitForText(lastFrame, 'Restore complete');
	},
	async 'binlog tail streaming, reconnecting, a long feed'(size) {
		const controller = new FakeController();
		controller.binlogDir = '/var/backups/dbbackup/binlogs/of/the/primary/server/in/the/eu-west/region';
		const {lastFrame, bus} = open(size, controller, 'binlog-tail');
		await waitForText(lastFrame, 'waiting for events');
		bus.emit('binlog-status', {
			state: 'reconnecting', file: 'mariadb-bin.000007', pos: 123_456_789, gtid: '0-1-4242,1-2-98765,2-3-1234567', lag: 2.4,
			eventsPerSecond: 12_345, bytesPerSecond: 20 * MiB, durableFile: 'mariadb-bin.000007', durablePos: 123_450_000, reconnects: 2,
			attempt: 3, retryInSeconds: 4, reason: 'connect ECONNREFUSED 127.0.0.1:3306 (the server closed the connection while we read the event)',
		});
		for (let n = 0; n < 300; n++) {
			bus.emit('binlog-event', {
				eventTime: '2026-11-15T14:03:27.000Z', file: 'mariadb-bin.000007', pos: 123_000_000 + n, eventType: 'UPDATE_ROWS_EVENT_V1',
				gtid: '0-1-4242', schema: 'shop_with_a_long_schema_name', table: `order_lines_archive_${n}`, rows: n,
			});
		}
		fillLog(bus);
		return waitForText(lastFrame, ':123000299', 'Retry', 'worker 2 dumps');
	},
	async 'binlog tail stopped'(size) {
		const controller = new FakeController();
		controller.binlogAnswer = async (): Promise<BinlogStreamSummary> => ({
			file: 'mariadb-bin.000007', position: 123_456_789, gtid: '0-1-4242,1-2-98765', events: 1_234_567, bytes: 3 * 1024 * MiB,
			transactions: 123_456, reconnects: 12, filesClosed: ['a', 'b', 'c'], outputDir: '/var/backups/dbbackup/binlogs/of/the/primary/server',
		});
		const {lastFrame, bus} = open(size, controller, 'binlog-tail');
		fillLog(bus);
		return waitForText(lastFrame, 'Stopped cleanly');
	},
	async 'binlog tail asking for a directory'(size) {
		const controller = new FakeController();
		controller.binlogDir = undefined;
		controller.outputDir = '/var/backups/dbbackup/a/rather/long/directory/for/the/nightly/archives/and/more';
		const {lastFrame, bus} = open(size, controller, 'binlog-tail');
		fillLog(bus);
		return waitForText(lastFrame, 'Write binlog copies to', 'worker 2 dumps');
	},
};

describe('every screen fits the terminal', () => {
	for (const [name, scenario] of Object.entries(scenarios)) {
		for (const size of [SMALL, LARGE]) {
			test(`${name} at ${size.columns}×${size.rows}`, async () => {
				const frame = await scenario(size);
				// the throttled feed and the per-second ticks draw again: the settled frame must fit too
				await pause(150);
				assertFits(frame, size);
			});
		}
	}

	test('binlog tail at 140×45 keeps the header and the status panel', async () => {
		const size = {columns: 140, rows: 45};
		const frame = await scenarios['binlog tail streaming, reconnecting, a long feed']!(size);
		assertFits(frame, size);
		assert.match(frame, /State\s+● reconnecting/);
		assert.match(frame, /:123000299 /);
	});
});

describe('the frame follows the terminal', () => {
	test('a resize redraws at the new size, smaller and larger', async () => {
		const controller = new FakeController();
		const {lastFrame, stdout, bus} = open(LARGE, controller, 'detect');
		fillLog(bus);
		let frame = await waitForText(lastFrame, 'server 1 of 3', 'worker 2 dumps');
		assertFits(frame, LARGE);
		assert.ok(frame.split('\n').length > SMALL.rows, 'the large terminal is used');

		stdout.resize(SMALL);
		frame = await waitForFrame(lastFrame, (candidate) => candidate.split('\n').length <= SMALL.rows);
		assertFits(frame, SMALL);

		const wide = {columns: 120, rows: 36};
		stdout.resize(wide);
		frame = await waitForFrame(lastFrame, (candidate) => candidate.split('\n').length > SMALL.rows);
		assertFits(frame, wide);
	});

	test('the key hints sit on the last row and the header on the first, whatever the screen holds', async () => {
		const {lastFrame, stdin} = open(SMALL, new FakeController());
		let frame = await waitForText(lastFrame, 'Detect environment');
		assert.equal(frame.split('\n').length, SMALL.rows - 1, 'the frame takes the terminal, one row left for the cursor');
		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ Choose engine');
		stdin.write(ENTER);
		frame = await waitForText(lastFrame, 'Engines for');
		assertFits(frame, SMALL);
		assert.equal(frame.split('\n').length, SMALL.rows - 1);
	});
});

describe('long lines are cut, not wrapped', () => {
	test('a long log line takes one row, and the same line twice in a row shows once with a count', async () => {
		const {lastFrame, bus} = open(SMALL, new FakeController());
		await waitForText(lastFrame, 'Detect environment');
		bus.log('info', selectionLog);
		bus.log('info', selectionLog);
		const frame = await waitForText(lastFrame, 'engine selection');
		const rows = frame.split('\n').filter((line) => /engine selection|destination is a local/.test(line));
		assert.equal(rows.length, 1, frame);
		assert.match(rows[0]!, /…/);
		assert.match(rows[0]!, /×2/);
	});

	test('progress bars shrink to the width: label, bar, percent and ETA on one row at 80 columns', async () => {
		const controller = new FakeController();
		const answer = deferred<BackupOutcome>();
		controller.backupAnswer = () => answer.promise;
		const {lastFrame, stdin, bus} = open(SMALL, controller, 'backup');
		await waitForText(lastFrame, 'analytics', 'Enter start');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backing up…');
		bus.emit('progress', {task: 'dump', unit: 'bytes', done: 1.2 * 1024 ** 3, total: 2.9 * 1024 ** 3, rate: 34.5 * MiB, eta: 65});
		bus.emit('progress', {task: 'rows shop.orders', unit: 'rows', done: 5_000_000, total: 20_000_000, rate: 1_000_000, eta: 15});
		const frame = await waitForText(lastFrame, 'rows shop.orders');
		assertFits(frame, SMALL);
		assert.match(frame, /^Overall +█*░+ +41% {2}1\.2 GiB \/ 2\.9 GiB {2}34\.5 MiB\/s {2}ETA 1m 05s$/m);
		// no room for the rate as well: it goes before the bar does (the overall line has the rate)
		assert.match(frame, /^rows shop\.orders +█+░+ +25% {2}5,000,000 rows \/ 20,000,000 rows {2}ETA 15s$/m);
		const percentAt = (label: string) => frame.split('\n').find((line) => line.startsWith(label))!.search(/\d+%/);
		assert.equal(percentAt('Overall'), percentAt('rows shop.orders'), 'the bars line up');
	});
});

describe('the detection report scrolls when it does not fit', () => {
	test('at 80×24 ↓ brings the last rows into view and ↑ goes back', async () => {
		const controller = new FakeController();
		controller.detectAnswer = async () => [mariadbFull];
		const {lastFrame, stdin, bus} = open(SMALL, controller, 'detect');
		// the log pane takes four rows: the report no longer fits
		fillLog(bus);
		let frame = await waitForText(lastFrame, 'Version', 'worker 2 dumps', '↓');
		assertFits(frame, SMALL);
		assert.doesNotMatch(frame, /snapshot +missing BINLOG MONITOR/);
		for (let i = 0; i < 30; i++) stdin.write(DOWN);
		frame = await waitForText(lastFrame, 'missing BINLOG MONITOR');
		assertFits(frame, SMALL);
		assert.doesNotMatch(plain(frame), /Version +10\.11/);
		for (let i = 0; i < 30; i++) stdin.write('\u001B[A');
		frame = await waitForText(lastFrame, 'Version');
		assertFits(frame, SMALL);
	});
});
