import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {cleanup, render} from 'ink-testing-library';
import {UsageError} from '../../source/core/errors.ts';
import {EventBus} from '../../source/core/events.ts';
import {App} from '../../source/ui/app.tsx';
import {selectionKind} from '../../source/ui/screens/engine.tsx';
import {
	deferred,
	DOWN,
	ENTER,
	ESC,
	FakeController,
	LEFT,
	mysqlSelection,
	mysqlTwoEnginesSelection,
	pause,
	plain,
	postgresLogicalSelection,
	postgresNoneSelection,
	RIGHT,
	UP,
	waitForFrame,
	waitForText,
} from './fake-controller.ts';

afterEach(() => cleanup());

function openEngine(controller: FakeController, bus = new EventBus()) {
	const instance = render(<App bus={bus} controller={controller} initialScreen="engine" />);
	return {...instance, bus};
}

describe('engine screen', () => {
	test('is reached from the home menu', async () => {
		const controller = new FakeController();
		const {lastFrame, stdin} = render(<App bus={new EventBus()} controller={controller} />);
		await waitForText(lastFrame, '❯ Detect environment');
		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ Choose engine');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'dbbackup › Engine selection', 'Recommendation');
		assert.equal(controller.calls.selectEngine, 1);
		assert.equal(controller.calls.detect, 0);
	});

	test('shows the stage while the choice is being made', async () => {
		const controller = new FakeController();
		const answer = deferred<(typeof mysqlSelection)[]>();
		controller.selectAnswer = () => answer.promise;
		const {lastFrame, bus} = openEngine(controller);
		await waitForText(lastFrame, 'Choosing engine…');
		bus.stage('checking engines', 'mysqldump, clone, snapshot');
		await waitForText(lastFrame, 'Choosing engine… · checking engines mysqldump, clone, snapshot');
		answer.resolve([mysqlSelection]);
		await waitForText(lastFrame, 'Recommendation');
	});

	test('candidates with availability, reasons why not, warnings, and the recommendation with numbered reasons', async () => {
		const {lastFrame} = openEngine(new FakeController());
		const frame = await waitForText(lastFrame, 'Recommendation');
		const lines = frame.split('\n');
		assert.match(frame, /^Engines for MySQL\/MariaDB {2}server 1 of 2 \(←\/→\)$/m);
		assert.ok(lines.some((line) => /^ {2}Engine\s+Kind\s+Available$/.test(line)), frame);
		assert.ok(lines.some((line) => /^❯ mysqldump\s+logical\s+✓\s+⚠ binlog_format is ROW: fine for PITR$/.test(line)), frame);
		assert.ok(lines.some((line) => /^ {2}clone\s+physical\s+✗\s+MariaDB has no clone plugin$/.test(line)), frame);
		assert.ok(lines.some((line) => /^ {2}snapshot\s+physical\s+✗\s+missing privileges BINLOG MONITOR, SUPER$/.test(line)), frame);
		assert.match(frame, /^Engine: mysqldump$/m);
		assert.doesNotMatch(frame, /preferred/);
		assert.match(frame, /^Reason:$/m);
		assert.match(frame, /^ {2}1\. {2}Data size 1\.5 GiB is at most 10 GiB: a logical dump is quick at this size\.$/m);
		assert.match(frame, /^ {2}2\. {2}Server is MariaDB 10\.11\.6-MariaDB-0\+deb12u1: it has no clone plugin\.$/m);
		assert.match(frame, /^ {2}3\. {2}The data directory can be snapshotted \(btrfs \/mnt\/data\/mysql\)\.$/m);
	});

	test('no engine available: says so and names the preferred one', async () => {
		const {lastFrame, stdin} = openEngine(new FakeController());
		await waitForText(lastFrame, 'server 1 of 2');
		stdin.write(RIGHT);
		// the hints follow a render later (the frame's keys are set in an effect)
		const frame = await waitForFrame(lastFrame, (text) => text.includes('Engines for PostgreSQL  server 2 of 2') && !text.includes('Enter back up'));
		assert.match(frame, /^Engine: none available \(preferred: snapshot\)$/m);
		assert.match(frame, /^ {2}postgres-logical\s+logical\s+✗\s+permission denied for table secrets$/m);
		// nothing to pick: no cursor, and Enter stays here
		assert.doesNotMatch(frame, /❯/);
		stdin.write(ENTER);
		await pause(50);
		assert.match(plain(lastFrame()), /Engines for PostgreSQL/);
		assert.match(frame, /^ {2}2\. {2}No engine can run against this server now; snapshot would be the choice\.$/m);
	});

	test('the recommended engine is picked at first; ↑/↓ move the pick over the engines that can run, and the hints say Enter backs up', async () => {
		const controller = new FakeController();
		controller.selectAnswer = async () => [mysqlTwoEnginesSelection];
		const {lastFrame, stdin} = openEngine(controller);
		let frame = await waitForText(lastFrame, 'Recommendation', 'Enter back up');
		assert.match(frame, /^❯ mysqldump /m);
		assert.match(frame, /↑\/↓ engine/);
		stdin.write(DOWN);
		// clone cannot run: the pick goes past it
		frame = await waitForText(lastFrame, '❯ snapshot');
		assert.match(frame, /^ {2}mysqldump /m);
		assert.match(frame, /^ {2}clone /m);
		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ mysqldump');
		stdin.write(UP);
		await waitForText(lastFrame, '❯ snapshot');
	});

	test('Enter opens Back up on that server with the engine picked; the backup runs with it', async () => {
		const controller = new FakeController();
		controller.selectAnswer = async () => [mysqlTwoEnginesSelection];
		const {lastFrame, stdin} = openEngine(controller);
		await waitForText(lastFrame, 'Recommendation', 'Enter back up');
		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ snapshot');
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, 'dbbackup › Back up', 'analytics', 'Enter start', 'Workers');
		assert.match(frame, /Engine +snapshot$/m);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backup complete');
		assert.equal(controller.requests.backup[0]?.engine, 'snapshot');
	});

	test('the pick is kept: home, then Back up, starts the form with it, on the server it was picked for', async () => {
		const controller = new FakeController();
		controller.serverList = [
			{dbType: 'mysql', label: 'mysql root@127.0.0.1:3306'},
			{dbType: 'postgres', label: 'postgres postgres@127.0.0.1:5433'},
		];
		controller.selectAnswer = async () => [mysqlTwoEnginesSelection, postgresLogicalSelection];
		controller.databasesAnswer = async (pick) =>
			pick.dbType === 'postgres' ? [{name: 'inventory', bytes: 1024, tables: 1}] : [{name: 'shop', bytes: 1024, tables: 1}];
		const {lastFrame, stdin} = openEngine(controller);
		await waitForText(lastFrame, 'Recommendation', 'server 1 of 2');
		stdin.write(RIGHT);
		await waitForText(lastFrame, 'Engines for PostgreSQL', '❯ postgres-logical');
		stdin.write(LEFT);
		await waitForText(lastFrame, 'Engines for MySQL', '❯ mysqldump');
		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ snapshot');
		stdin.write(ESC);
		await waitForText(lastFrame, '❯ Detect environment');
		stdin.write(DOWN);
		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ Back up');
		stdin.write(ENTER);
		let frame = await waitForText(lastFrame, '[ ] shop', 'Enter start', 'Engine');
		assert.match(frame, /Server +‹ mysql root/m);
		assert.match(frame, /Engine +snapshot$/m);
		// the other server: nothing picked for it, its recommended engine
		stdin.write(RIGHT);
		frame = await waitForText(lastFrame, '[ ] inventory', 'recommended');
		assert.match(frame, /Engine +postgres-logical \(recommended\)$/m);
		stdin.write(LEFT);
		frame = await waitForText(lastFrame, '[ ] shop', 'Engine');
		assert.match(frame, /Engine +snapshot$/m);
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Backup complete');
		assert.equal(controller.requests.backup[0]?.dbType, 'mysql');
		assert.equal(controller.requests.backup[0]?.engine, 'snapshot');
	});

	test('a chosen engine that is not the preferred one says the preferred one is not available', async () => {
		const controller = new FakeController();
		controller.selectAnswer = async () => [{...mysqlSelection, preferred: 'clone'}];
		const {lastFrame} = openEngine(controller);
		const frame = await waitForText(lastFrame, 'Recommendation');
		assert.match(frame, /^Engine: mysqldump \(preferred clone is not available\)$/m);
	});

	test('an error from the selection is shown with its hint', async () => {
		const controller = new FakeController();
		controller.selectAnswer = async () => {
			throw new UsageError({code: 'NO_SERVER', message: 'no server is configured', hint: 'Pass --db-type and --host, or start the demo.'});
		};
		const {lastFrame} = openEngine(controller);
		const frame = await waitForText(lastFrame, 'no server is configured');
		assert.match(frame, /✗ no server is configured \[NO_SERVER\]/);
		assert.match(frame, /→ Pass --db-type and --host, or start the demo\./);
	});

	test("the kind of server is the selection's database type", () => {
		assert.equal(selectionKind(mysqlSelection), 'MySQL/MariaDB');
		assert.equal(selectionKind(postgresNoneSelection), 'PostgreSQL');
		// the selection says which server it was made for, even when no engine is a candidate
		assert.equal(selectionKind({...mysqlSelection, candidates: []}), 'MySQL/MariaDB');
	});
});
