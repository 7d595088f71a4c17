import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {cleanup, render} from 'ink-testing-library';
import {ConnectionError, WorkError} from '../../source/core/errors.ts';
import {EventBus} from '../../source/core/events.ts';
import {backupFileName, defaultBackupPath, utcStamp} from '../../source/core/backup-name.ts';
import {App} from '../../source/ui/app.tsx';
import {estimateEta} from '../../source/ui/components/run-progress.tsx';
import type {BackupOutcome} from '../../source/ui/controller.ts';
import {windowStart} from '../../source/ui/components/menu.tsx';
import {
	backupOutcome,
	deferred,
	DOWN,
	ENTER,
	ESC,
	FakeController,
	LEFT,
	mysqlTwoEnginesSelection,
	pause,
	plain,
	RIGHT,
	UP,
	waitForFrame,
	waitForText,
} from './fake-controller.ts';

afterEach(() => cleanup());

function openBackup(controller: FakeController, bus = new EventBus()) {
	const instance = render(<App bus={bus} controller={controller} initialScreen="backup" />);
	return {...instance, bus};
}

/** The form line that starts with a label (after the cursor column). */
function row(frame: string, label: string): string {
	const line = frame.split('\n').find((candidate) => candidate.slice(2).startsWith(label));
	assert.ok(line, `no "${label}" row in:\n${frame}`);
	return line;
}

/** The dim line under Output: the name the backup will get. */
function preview(frame: string): string {
	const line = frame.split('\n').find((candidate) => /^ +→ /.test(candidate));
	assert.ok(line, `no preview line in:\n${frame}`);
	return line.trim();
}

/** Moves the cursor down `count` rows, waiting for each move to land. */
async function down(stdin: {write: (data: string) => void}, count: number) {
	for (let i = 0; i < count; i++) {
		stdin.write(DOWN);
		await pause(20);
	}
}

describe('backup path', () => {
	test('UTC stamp to the millisecond, without separators', () => {
		assert.equal(utcStamp(new Date('2026-11-15T14:03:27.512Z')), '20261115T140327.512Z');
	});

	test('named after the database, a few databases, all, or a count, then the stamp and the run tag', () => {
		const now = new Date('2026-11-15T14:03:27Z');
		assert.equal(defaultBackupPath('/backups', ['shop'], now, 'archive', '0a1b'), '/backups/shop-20261115T140327.000Z-0a1b.tar');
		assert.equal(defaultBackupPath('/backups', [], now, 'sql', '0a1b'), '/backups/all-20261115T140327.000Z-0a1b.sql');
		assert.equal(defaultBackupPath('/b', ['a', 'b'], now, 'archive', '0a1b'), '/b/a+b-20261115T140327.000Z-0a1b.tar');
		assert.equal(defaultBackupPath('/b', ['a', 'b', 'c', 'd'], now, 'archive', '0a1b'), '/b/4-databases-20261115T140327.000Z-0a1b.tar');
		assert.equal(defaultBackupPath('/b', ['my db/x', 'a+b'], now, 'archive', '0a1b'), '/b/my_db_x+a_b-20261115T140327.000Z-0a1b.tar');
	});

	test('attack: a database named like an option or a hidden file gives a name that starts with db_', () => {
		const now = new Date('2026-11-15T14:03:27Z');
		assert.equal(backupFileName(['-x'], now, 'archive', '0a1b'), 'db_-x-20261115T140327.000Z-0a1b.tar');
		assert.equal(backupFileName(['--rsh=sh'], now, 'archive', '0a1b'), 'db_--rsh_sh-20261115T140327.000Z-0a1b.tar');
		assert.equal(backupFileName(['.hidden'], now, 'sql', '0a1b'), 'db_.hidden-20261115T140327.000Z-0a1b.sql');
		assert.equal(backupFileName(['-a', 'b'], now, 'archive', '0a1b'), 'db_-a+b-20261115T140327.000Z-0a1b.tar');
	});

	test('two runs in the same millisecond get two names', () => {
		const now = new Date();
		const names = new Set(Array.from({length: 20}, () => backupFileName(['shop'], now)));
		assert.ok(names.size >= 19, `${names.size} distinct names of 20`);
	});
});

describe('progress helpers', () => {
	const event = (task: string, done: number, total: number | undefined, rate: number) => ({
		type: 'progress' as const,
		time: '',
		task,
		unit: 'rows' as const,
		done,
		total,
		rate,
	});

	test('ETA from the tables still running: rows left over their summed rate', () => {
		assert.equal(estimateEta([event('a', 100, 1100, 100), event('b', 0, 900, 100), event('c', 50, 50, 500)]), 9.5);
	});

	test('no ETA without a running table that knows its total, or without a rate', () => {
		assert.equal(estimateEta([]), undefined);
		assert.equal(estimateEta([event('a', 10, undefined, 100)]), undefined);
		assert.equal(estimateEta([event('a', 0, 100, 0)]), undefined);
	});

	test('the database window keeps the cursor inside', () => {
		assert.equal(windowStart(5, 3, 10), 0);
		assert.equal(windowStart(30, 0, 10), 0);
		assert.equal(windowStart(30, 12, 10), 7);
		assert.equal(windowStart(30, 29, 10), 20);
	});
});

describe('backup form', () => {
	test('lists the databases and shows the default path, compression and workers', async () => {
		const controller = new FakeController();
		const {lastFrame} = openBackup(controller);
		const frame = await waitForText(lastFrame, 'analytics', 'Enter start');
		assert.match(row(frame, 'Databases'), /\[x\] all databases/);
		assert.match(frame, /\[ \] shop +1\.2 GiB {2}12 tables/);
		assert.match(frame, /\[ \] analytics +300 MiB {2}4 tables/);
		assert.match(row(frame, 'Output'), /Output +\/backups\/$/);
		assert.equal(preview(frame), '→ all-20261115T140327.512Z-0a1b.tar');
		assert.match(row(frame, 'Compression'), /zstd/);
		assert.match(row(frame, 'Workers'), /4/);
		assert.doesNotMatch(frame, /Server/);
		assert.deepEqual(controller.requests.listDatabases, [{dbType: 'mysql'}]);
	});

	test('Space picks databases, ←/→ change compression and workers, Enter starts with those choices', async () => {
		const controller = new FakeController();
		const answer = deferred<BackupOutcome>();
		controller.backupAnswer = () => answer.promise;
		const {lastFrame, stdin} = openBackup(controller);
		await waitForText(lastFrame, 'analytics', 'Enter start');

		await down(stdin, 1);
		stdin.write(' ');
		let frame = await waitForText(lastFrame, '[x] shop');
		assert.match(row(frame, 'Databases'), /\[ \] all databases/);
		assert.equal(preview(frame), '→ shop-20261115T140327.512Z-0a1b.tar');

		await down(stdin, 3);
		stdin.write(RIGHT);
		frame = await waitForFrame(lastFrame, (text) => /‹ gzip ›/.test(text));
		await down(stdin, 1);
		stdin.write(RIGHT);
		stdin.write(RIGHT);
		await waitForText(lastFrame, '‹ 6 ›');
		stdin.write(LEFT);
		await waitForText(lastFrame, '‹ 5 ›');

		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backing up…');
		assert.equal(controller.requests.backup.length, 1);
		assert.deepEqual(controller.requests.backup[0], {
			dbType: 'mysql',
			databases: ['shop'],
			output: '/backups/',
			format: 'archive',
			compress: 'gzip',
			workers: 5,
		});
		assert.equal(controller.requests.backup[0]!.engine, undefined, 'the recommendation is shown, not sent: the selector decides with the destination');
		answer.resolve(backupOutcome);
		await waitForText(lastFrame, 'Backup complete');
	});

	test('two picked databases keep the server order; Space on "all" clears the pick', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = openBackup(controller);
		await waitForText(lastFrame, 'analytics', 'Enter start');
		await down(stdin, 2);
		stdin.write(' ');
		await waitForText(lastFrame, '[x] analytics');
		stdin.write(UP);
		await pause(20);
		stdin.write(' ');
		let frame = await waitForText(lastFrame, '[x] shop');
		assert.match(preview(frame), /shop\+analytics-/);
		stdin.write(UP);
		await pause(20);
		stdin.write(' ');
		frame = await waitForText(lastFrame, '[x] all databases');
		assert.doesNotMatch(frame, /\[x\] shop|\[x\] analytics/);
	});

	test('e edits the output path; q typed there does not quit; Esc cancels the edit only', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = openBackup(controller);
		await waitForText(lastFrame, 'analytics', 'Enter start');
		stdin.write('e');
		await waitForText(lastFrame, 'Enter keep path', 'Esc cancel edit', 'Ctrl+C quit');
		for (let i = 0; i < 60; i++) stdin.write('\u007F');
		await waitForFrame(lastFrame, (frame) => /Output\s*$/m.test(frame));
		// one key at a time, as typed: a lone q is the frame's quit key elsewhere
		for (const key of '/srv/q.tar') stdin.write(key);
		await waitForText(lastFrame, '/srv/q.tar');
		stdin.write(ESC);
		let frame = await waitForText(lastFrame, 'e edit path', 'Esc home');
		assert.match(row(frame, 'Output'), /\/backups\/$/);

		stdin.write('e');
		await waitForText(lastFrame, 'Esc cancel edit');
		for (let i = 0; i < 60; i++) stdin.write('\u007F');
		stdin.write('/srv/quarterly.tar');
		await waitForText(lastFrame, '/srv/quarterly.tar');
		stdin.write(ENTER);
		frame = await waitForText(lastFrame, 'e edit path');
		assert.match(row(frame, 'Output'), /\/srv\/quarterly\.tar/);
		assert.match(preview(frame), /^→ as typed/);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backup complete');
		assert.equal(controller.requests.backup[0]?.output, '/srv/quarterly.tar');
	});

	test('Output is the folder, with a trailing slash, and a dim preview of the name; the backup is sent the folder to name', async () => {
		const controller = new FakeController();
		controller.outputDir = '/srv/dbbackup-backups';
		const {lastFrame, stdin} = openBackup(controller);
		let frame = await waitForText(lastFrame, 'analytics', 'Enter start');
		assert.match(row(frame, 'Output'), /Output +\/srv\/dbbackup-backups\/$/);
		assert.equal(preview(frame), '→ all-20261115T140327.512Z-0a1b.tar');
		await down(stdin, 2);
		stdin.write(' ');
		frame = await waitForText(lastFrame, '[x] analytics');
		assert.equal(preview(frame), '→ analytics-20261115T140327.512Z-0a1b.tar');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backup complete');
		assert.equal(controller.requests.backup[0]?.output, '/srv/dbbackup-backups/');
	});

	test('with output.encrypt the preview gives the name the command line gives an encrypted backup', async () => {
		const controller = new FakeController();
		controller.encrypted = true;
		const {lastFrame, stdin} = openBackup(controller);
		await waitForText(lastFrame, 'analytics', 'Enter start');
		await down(stdin, 1);
		stdin.write(' ');
		const frame = await waitForText(lastFrame, '[x] shop');
		assert.equal(preview(frame), '→ encrypted-20261115T140327.512Z-0a1b.tar');
	});

	test('an S3 prefix keeps its trailing slash', async () => {
		const controller = new FakeController();
		controller.outputDir = 's3://backups/nightly/';
		const {lastFrame} = openBackup(controller);
		const frame = await waitForText(lastFrame, 'analytics', 'Enter start');
		assert.match(row(frame, 'Output'), /Output +s3:\/\/backups\/nightly\/$/);
		assert.match(preview(frame), /^→ all-/);
	});

	test('starts with the compression and the workers of the configuration', async () => {
		const controller = new FakeController();
		controller.compression = 'gzip';
		controller.workers = 7;
		const {lastFrame, stdin} = openBackup(controller);
		const frame = await waitForText(lastFrame, 'analytics', 'Enter start');
		assert.match(row(frame, 'Compression'), /Compression +gzip$/);
		assert.match(row(frame, 'Workers'), /Workers +7$/);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backup complete');
		assert.equal(controller.requests.backup[0]?.compress, 'gzip');
		assert.equal(controller.requests.backup[0]?.workers, 7);
	});

	test('Engine: the recommended one by default; ←/→ go through the available ones only; the backup runs with the one shown', async () => {
		const controller = new FakeController();
		controller.selectAnswer = async () => [mysqlTwoEnginesSelection];
		const {lastFrame, stdin} = openBackup(controller);
		let frame = await waitForText(lastFrame, 'analytics', 'Enter start', 'recommended');
		assert.match(row(frame, 'Engine'), /Engine +mysqldump \(recommended\)$/);
		await down(stdin, 6);
		stdin.write(RIGHT);
		frame = await waitForText(lastFrame, '‹ snapshot ›');
		// clone cannot run here: it is never offered
		stdin.write(RIGHT);
		frame = await waitForText(lastFrame, '‹ mysqldump (recommended) ›');
		stdin.write(LEFT);
		await waitForText(lastFrame, '‹ snapshot ›');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backup complete');
		assert.equal(controller.requests.backup[0]?.engine, 'snapshot');
	});

	test('Engine: no engine can run on the server: says so; the backup is left to the selector', async () => {
		const controller = new FakeController();
		controller.serverList = [{dbType: 'postgres', label: 'postgres postgres@127.0.0.1:5433'}];
		controller.databasesAnswer = async () => [{name: 'inventory', bytes: 1024, tables: 1}];
		const {lastFrame, stdin} = openBackup(controller);
		const frame = await waitForText(lastFrame, 'inventory', 'none available');
		assert.match(row(frame, 'Engine'), /Engine +none available \(preferred: snapshot\)$/);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backup complete');
		assert.equal(controller.requests.backup[0]?.engine, undefined);
	});

	test('with a MariaDB and a PostgreSQL, ←/→ on the server row lists the other server', async () => {
		const controller = new FakeController();
		controller.serverList = [
			{dbType: 'postgres', label: 'postgres postgres@127.0.0.1:5433'},
			{dbType: 'mysql', label: 'mysql root@127.0.0.1:3306'},
		];
		controller.databasesAnswer = async (pick) =>
			pick.dbType === 'postgres' ? [{name: 'inventory', bytes: 40 * 1024 ** 2, tables: 3}] : [{name: 'shop', bytes: 1024, tables: 1}];
		const {lastFrame, stdin} = openBackup(controller);
		// MySQL first, wherever it sits in the list
		let frame = await waitForText(lastFrame, '[ ] shop', 'Enter start');
		assert.match(row(frame, 'Server'), /‹ mysql root@127\.0\.0\.1:3306 ›/);
		stdin.write(RIGHT);
		frame = await waitForText(lastFrame, '[ ] inventory');
		assert.doesNotMatch(frame, /\bshop\b/);
		assert.match(row(frame, 'Server'), /postgres postgres@127\.0\.0\.1:5433/);
		assert.deepEqual(controller.requests.listDatabases, [{dbType: 'mysql'}, {dbType: 'postgres'}]);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backup complete');
		assert.equal(controller.requests.backup[0]?.dbType, 'postgres');
	});

	test('a failure to list databases shows the error and its hint; r tries again; Enter does not start', async () => {
		const controller = new FakeController();
		let attempts = 0;
		controller.databasesAnswer = async () => {
			attempts++;
			if (attempts === 1) {
				throw new ConnectionError({
					code: 'CONNECTION_REFUSED',
					message: 'connect ECONNREFUSED 127.0.0.1:3306',
					hint: 'Is the server running? Check --host and --port.',
					target: '127.0.0.1:3306',
				});
			}
			return [{name: 'shop', bytes: 1024, tables: 1}];
		};
		const {lastFrame, stdin} = openBackup(controller);
		await waitForText(lastFrame, 'ECONNREFUSED', 'Is the server running?', 'r to try again');
		stdin.write(ENTER);
		await pause(40);
		assert.equal(controller.requests.backup.length, 0);
		stdin.write('r');
		const frame = await waitForText(lastFrame, '[ ] shop');
		assert.doesNotMatch(frame, /ECONNREFUSED/);
	});
});

describe('running backup', () => {
	/** Edits every choice of the form (path, database, compression, workers, engine), then starts. */
	async function editEverything(stdin: {write: (data: string) => void}, lastFrame: () => string | undefined) {
		await waitForText(lastFrame, 'analytics', 'Enter start', 'recommended');
		await down(stdin, 1);
		stdin.write(' ');
		await waitForText(lastFrame, '[x] shop');
		stdin.write('e');
		await waitForText(lastFrame, 'Esc cancel edit');
		for (let i = 0; i < 60; i++) stdin.write('\u007F');
		stdin.write('/srv/quarterly/');
		await waitForText(lastFrame, '/srv/quarterly/');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'e edit path');
		await down(stdin, 3);
		stdin.write(RIGHT);
		await waitForText(lastFrame, '‹ gzip ›');
		await down(stdin, 1);
		stdin.write(RIGHT);
		await waitForText(lastFrame, '‹ 5 ›');
		await down(stdin, 1);
		stdin.write(RIGHT);
		await waitForText(lastFrame, '‹ snapshot ›');
		stdin.write(ENTER);
	}

	const edited = {dbType: 'mysql', databases: ['shop'], output: '/srv/quarterly/', format: 'archive', compress: 'gzip', workers: 5, engine: 'snapshot'};

	test('Esc after a failed backup goes back to the form with every choice kept, the edited path too', async () => {
		const controller = new FakeController();
		controller.selectAnswer = async () => [mysqlTwoEnginesSelection];
		controller.backupAnswer = async () => {
			throw new WorkError({code: 'DISK_FULL', message: 'no space left on /srv', hint: 'Free space or give another --output.'});
		};
		const {lastFrame, stdin} = openBackup(controller);
		await editEverything(stdin, lastFrame);
		await waitForText(lastFrame, 'DISK_FULL', 'Esc back to the form');
		stdin.write(ESC);
		// the selection is in again: the engine kept is one that can run
		const frame = await waitForFrame(lastFrame, (text) => text.includes('Enter start') && /Engine +snapshot$/m.test(text));
		assert.match(frame, /\[x\] shop/);
		assert.match(row(frame, 'Output'), /Output +\/srv\/quarterly\/$/);
		assert.match(row(frame, 'Compression'), /gzip$/);
		assert.match(row(frame, 'Workers'), /5$/);
		assert.match(row(frame, 'Engine'), /snapshot$/);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'DISK_FULL');
		assert.deepEqual(controller.requests.backup, [edited, edited]);
	});

	test('Esc after a complete backup goes back to the form with every choice kept', async () => {
		const controller = new FakeController();
		controller.selectAnswer = async () => [mysqlTwoEnginesSelection];
		const {lastFrame, stdin} = openBackup(controller);
		await editEverything(stdin, lastFrame);
		await waitForText(lastFrame, 'Backup complete', 'Esc back to the form');
		stdin.write(ESC);
		// the selection is in again: the engine kept is one that can run
		const frame = await waitForFrame(lastFrame, (text) => text.includes('Enter start') && /Engine +snapshot$/m.test(text));
		assert.match(frame, /\[x\] shop/);
		assert.match(row(frame, 'Output'), /Output +\/srv\/quarterly\/$/);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backup complete');
		assert.deepEqual(controller.requests.backup, [edited, edited]);
	});

	test('renders the stage, overall throughput and ETA, a bar per table, and the log; then the result', async () => {
		const controller = new FakeController();
		const answer = deferred<BackupOutcome>();
		controller.backupAnswer = () => answer.promise;
		const {lastFrame, stdin, bus} = openBackup(controller);
		await waitForText(lastFrame, 'analytics', 'Enter start');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backing up…');

		bus.stage('dumping', '3 workers');
		bus.emit('progress', {task: 'dump', unit: 'bytes', done: 48 * 1024 ** 2, rate: 12 * 1024 ** 2});
		bus.emit('progress', {task: 'rows shop.orders', unit: 'rows', done: 5_000, total: 20_000, rate: 1_000, eta: 15});
		bus.emit('progress', {task: 'rows shop.customers', unit: 'rows', done: 300, total: 300, rate: 300});
		bus.log('info', 'worker 2 dumps shop.orders chunk 3');
		let frame = await waitForText(lastFrame, 'rows shop.orders', 'rows shop.customers', 'worker 2 dumps');
		assert.match(frame, /Backing up… · dumping 3 workers/);
		assert.match(frame, /Overall +48\.0 MiB {2}12\.0 MiB\/s {2}1,000 rows\/s {2}ETA 15s/);
		assert.match(frame, /rows shop\.orders +█+░+ +25% {2}5,000 rows \/ 20,000 rows {2}1,000 rows\/s {2}ETA 15s/);
		assert.match(frame, /rows shop\.customers +█+ 100% .* done/);
		assert.doesNotMatch(frame, /Esc home/);

		bus.emit('progress', {task: 'rows shop.orders', unit: 'rows', done: 15_000, total: 20_000, rate: 1_000, eta: 5});
		await waitForText(lastFrame, '75%');

		answer.resolve(backupOutcome);
		frame = await waitForText(lastFrame, '✓ Backup complete', 'Esc back to the form');
		assert.match(frame, /Artifact +\/backups\/shop-20261115T140327Z\.tar/);
		assert.match(frame, /Size +412 MiB/);
		assert.match(frame, /Engine +mysqldump/);
		assert.match(frame, /Lock time +37 ms/);
		assert.match(frame, /Duration +1m 05s/);
	});

	test('Esc does not leave a running backup', async () => {
		const controller = new FakeController();
		const answer = deferred<BackupOutcome>();
		controller.backupAnswer = () => answer.promise;
		const {lastFrame, stdin} = openBackup(controller);
		await waitForText(lastFrame, 'analytics', 'Enter start');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backing up…', 'Esc is off');
		stdin.write(ESC);
		await pause(50);
		assert.match(plain(lastFrame()), /Backing up…/);
		answer.resolve({...backupOutcome, result: {...backupOutcome.result, lockMs: undefined}});
		const frame = await waitForText(lastFrame, 'Backup complete', 'Esc back to the form');
		assert.match(frame, /Lock time +no lock taken/);
		stdin.write(ESC);
		await waitForText(lastFrame, 'Enter start', 'Esc home');
		stdin.write(ESC);
		await waitForText(lastFrame, 'Detect environment');
	});

	test('a failed backup shows the error with its hint; Esc goes back to the form with the same choices', async () => {
		const controller = new FakeController();
		controller.backupAnswer = async () => {
			throw new WorkError({code: 'DISK_FULL', message: 'no space left on /backups', hint: 'Free space or give another --output.'});
		};
		const {lastFrame, stdin} = openBackup(controller);
		await waitForText(lastFrame, 'analytics', 'Enter start');
		await down(stdin, 1);
		stdin.write(' ');
		await waitForText(lastFrame, '[x] shop');
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, 'no space left on /backups', 'Free space or give another --output.', 'Esc back to the form');
		assert.match(frame, /DISK_FULL/);
		stdin.write(ESC);
		await waitForText(lastFrame, '[x] shop', 'Enter start');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'DISK_FULL');
		assert.equal(controller.requests.backup.length, 2);
		assert.deepEqual(controller.requests.backup[1]?.databases, ['shop']);
	});
});
