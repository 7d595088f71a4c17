import {test, describe, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import {useEffect} from 'react';
import {cleanup, render} from 'ink-testing-library';
import {EventBus} from '../../source/core/events.ts';
import {App} from '../../source/ui/app.tsx';
import {screens} from '../../source/ui/screens.ts';
import {menuItems} from '../../source/ui/screens/home.tsx';
import {ConnectionError} from '../../source/core/errors.ts';
import {
	CTRL_C,
	deferred,
	DOWN,
	ENTER,
	ESC,
	FakeController,
	pause,
	plain,
	UP,
	waitForFrame,
	waitForText,
} from './fake-controller.ts';

const DEMO_LABEL = 'Start demo (throwaway MariaDB + PostgreSQL)';

afterEach(() => cleanup());

/** Resolves when the tree under it unmounts, which is what useApp().exit() does to the app. */
function UnmountProbe({onUnmount, children}: {onUnmount: () => void; children: React.ReactNode}) {
	useEffect(() => onUnmount, []);
	return <>{children}</>;
}

function renderApp(controller: FakeController, bus = new EventBus()) {
	const exited = deferred<void>();
	const instance = render(
		<UnmountProbe onUnmount={() => exited.resolve()}>
			<App bus={bus} controller={controller} />
		</UnmountProbe>,
	);
	return {...instance, bus, exited: exited.promise};
}

/** The menu labels in the order shown, read from the frame. */
function menuLines(frame: string): string[] {
	const labels = [DEMO_LABEL, 'Detect environment', 'Choose engine', 'Back up', 'Restore', 'Backups', 'Tail binlog stream', 'Quit'];
	return frame
		.split('\n')
		.map((line) => line.replace(/^❯/, '').trim())
		.filter((line) => labels.includes(line));
}

describe('home menu', () => {
	test('without a configured server the demo comes first and the header says so', async () => {
		const {lastFrame} = renderApp(new FakeController({configured: false}));
		const frame = await waitForText(lastFrame, 'Quit');
		assert.deepEqual(menuLines(frame), [DEMO_LABEL, 'Detect environment', 'Choose engine', 'Back up', 'Restore', 'Backups', 'Tail binlog stream', 'Quit']);
		assert.match(frame, /❯ Start demo/);
		assert.match(frame, /● not configured/);
		assert.match(frame, /No server configured/);
	});

	test('with a configured server detection comes first and the demo is offered last', async () => {
		const {lastFrame} = renderApp(new FakeController({configured: true}));
		const frame = await waitForText(lastFrame, 'Quit');
		assert.deepEqual(menuLines(frame), ['Detect environment', 'Choose engine', 'Back up', 'Restore', 'Backups', 'Tail binlog stream', DEMO_LABEL, 'Quit']);
		assert.match(frame, /❯ Detect environment/);
		assert.match(frame, /mysql root@127\.0\.0\.1:3306 ● connected/);
		assert.doesNotMatch(frame, /No server configured/);
	});

	test('while the demo runs it is not offered again', () => {
		const controller = new FakeController({configured: true});
		controller.state = 'demo';
		assert.deepEqual(
			menuItems(screens, controller).map((item) => item.label),
			['Detect environment', 'Choose engine', 'Back up', 'Restore', 'Backups', 'Tail binlog stream', 'Quit'],
		);
	});

	test('a new screen is one registry entry, placed by its menu placement', () => {
		const controller = new FakeController({configured: true});
		const extra = [
			...screens,
			{id: 'verify', title: 'Verify', component: () => null, hints: [], menu: {label: 'Verify'}},
			{id: 'tail', title: 'Tail', component: () => null, hints: [], menu: {label: 'Tail', placement: () => 'first' as const}},
		];
		assert.deepEqual(
			menuItems(extra, controller).map((item) => item.value),
			['tail', 'detect', 'engine', 'backup', 'restore', 'backups', 'binlog-tail', 'verify', 'demo', 'quit'],
		);
	});
});

describe('navigation', () => {
	test('arrow down and Enter open detection; Esc goes back home', async () => {
		const controller = new FakeController({configured: false});
		const {lastFrame, stdin} = renderApp(controller);
		await waitForText(lastFrame, 'Quit');

		stdin.write(DOWN);
		await waitForText(lastFrame, '❯ Detect environment');
		stdin.write(ENTER);
		let frame = await waitForText(lastFrame, 'Version', '10.11.6-MariaDB-0+deb12u1');
		assert.match(frame, /dbbackup › Environment/);
		assert.match(frame, /Esc home/);
		assert.equal(controller.calls.detect, 1);

		stdin.write(ESC);
		frame = await waitForText(lastFrame, 'Detect environment', 'Quit');
		assert.doesNotMatch(frame, /Version/);
		assert.doesNotMatch(frame, /Esc home/);
		assert.match(frame, /↑\/↓ move/);
	});

	test('arrow up wraps from the first item to Quit, and Enter on Quit exits', async () => {
		const {lastFrame, stdin, exited} = renderApp(new FakeController());
		await waitForText(lastFrame, 'Quit');
		stdin.write(UP);
		await waitForText(lastFrame, '❯ Quit');
		stdin.write(ENTER);
		await exited;
	});

	test('Down and Enter in one packet open the item Down moved to', async () => {
		const controller = new FakeController({configured: true});
		const {lastFrame, stdin} = renderApp(controller);
		await waitForText(lastFrame, '❯ Detect environment');
		stdin.write(`${DOWN}${ENTER}`);
		await waitForText(lastFrame, 'dbbackup › Engine selection', 'Recommendation');
		assert.equal(controller.calls.selectEngine, 1);
		assert.equal(controller.calls.detect, 0);
	});

	test('keys of one packet build on each other: Down, Down, Up, Enter opens the second item', async () => {
		const controller = new FakeController({configured: true});
		const {lastFrame, stdin} = renderApp(controller);
		await waitForText(lastFrame, '❯ Detect environment');
		stdin.write(`${DOWN}${DOWN}${UP}${ENTER}`);
		await waitForText(lastFrame, 'dbbackup › Engine selection');
		assert.equal(controller.calls.detect, 0);
	});

	test('before any call reaches the server the header says so, not "connecting…"', async () => {
		const controller = new FakeController({configured: true});
		// the real controller starts out "connecting" until its first call settles
		controller.state = 'connecting';
		const answer = deferred<never>();
		controller.detectAnswer = () => answer.promise;
		const {lastFrame, stdin} = renderApp(controller);
		let frame = await waitForText(lastFrame, '❯ Detect environment');
		assert.doesNotMatch(frame, /connecting/);
		assert.match(frame, /mysql root@127\.0\.0\.1:3306 ● not checked yet/);
		stdin.write(ENTER);
		frame = await waitForText(lastFrame, '● connecting…', 'Detecting…');
		stdin.write(ESC);
		// the call still runs after the screen is gone: the header keeps saying so until it settles
		frame = await waitForText(lastFrame, '❯ Detect environment', '● connecting…');
		answer.reject(new ConnectionError({code: 'CONNECTION_REFUSED', message: 'connect ECONNREFUSED 127.0.0.1:3306', target: '127.0.0.1:3306'}));
		await waitForText(lastFrame, '● connection failed');
	});

	test('the header follows the connection state the controller reports after detection', async () => {
		const controller = new FakeController({configured: true});
		const answer = deferred<never>();
		controller.detectAnswer = () => answer.promise;
		const {lastFrame, stdin} = renderApp(controller);
		await waitForText(lastFrame, '❯ Detect environment');
		stdin.write(ENTER);
		await waitForText(lastFrame, '● connecting…', 'Detecting…');
		answer.reject(new ConnectionError({code: 'CONNECTION_REFUSED', message: 'connect ECONNREFUSED 127.0.0.1:3306', target: '127.0.0.1:3306'}));
		await waitForText(lastFrame, '● connection failed', 'ECONNREFUSED');
	});
});

describe('quitting', () => {
	test('q exits from the home screen', async () => {
		const {lastFrame, stdin, exited} = renderApp(new FakeController());
		await waitForText(lastFrame, 'Quit');
		stdin.write('q');
		await exited;
	});

	test('q exits from another screen', async () => {
		const {lastFrame, stdin, exited} = renderApp(new FakeController());
		await waitForText(lastFrame, 'Quit');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Version');
		stdin.write('q');
		await exited;
	});

	test('Ctrl+C exits', async () => {
		const {lastFrame, stdin, exited} = renderApp(new FakeController());
		await waitForText(lastFrame, 'Quit');
		stdin.write(CTRL_C);
		await exited;
	});

	test('other keys do not exit', async () => {
		let unmounted = false;
		const {lastFrame, stdin, exited} = renderApp(new FakeController());
		void exited.then(() => (unmounted = true));
		await waitForText(lastFrame, 'Quit');
		stdin.write('x');
		stdin.write(ESC);
		await pause(50);
		assert.equal(unmounted, false);
		assert.match(plain(lastFrame()), /Detect environment/);
	});
});

describe('demo', () => {
	test('shows stages and progress while the demo starts, then returns home configured', async () => {
		const controller = new FakeController({configured: false});
		const started = deferred<void>();
		controller.demoAnswer = () => started.promise;
		const {lastFrame, stdin, bus} = renderApp(controller);
		await waitForText(lastFrame, '❯ Start demo');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Starting throwaway MariaDB and PostgreSQL servers');

		bus.stage('initialising MariaDB', '/tmp/dbbackup-demo/mariadb');
		await waitForText(lastFrame, '… initialising MariaDB /tmp/dbbackup-demo/mariadb');
		bus.stage('starting PostgreSQL');
		bus.emit('progress', {task: 'loading sample data', unit: 'rows', done: 500, total: 1000, rate: 250, eta: 2});
		const frame = await waitForText(lastFrame, '… starting PostgreSQL', 'loading sample data', '50%');
		assert.match(frame, /✓ initialising MariaDB/);
		assert.equal(controller.calls.startDemo, 1);

		started.resolve();
		const home = await waitForText(lastFrame, 'Quit', '● demo');
		assert.deepEqual(menuLines(home), ['Detect environment', 'Choose engine', 'Back up', 'Restore', 'Backups', 'Tail binlog stream', 'Quit']);
		assert.match(home, /demo: mariadb 127\.0\.0\.1:41234/);
		assert.doesNotMatch(home, /No server configured/);
	});

	test('leaving the demo screen with Esc lets the demo finish, and the header still catches up', async () => {
		const controller = new FakeController({configured: false});
		const started = deferred<void>();
		controller.demoAnswer = () => started.promise;
		const {lastFrame, stdin} = renderApp(controller);
		await waitForText(lastFrame, '❯ Start demo');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Starting throwaway MariaDB and PostgreSQL servers');
		stdin.write(ESC);
		await waitForText(lastFrame, '❯ Start demo', '● not configured');
		started.resolve();
		await waitForText(lastFrame, '● demo');
	});

	test('a failed demo shows the error and its hint and stays on the screen', async () => {
		const controller = new FakeController({configured: false});
		controller.demoAnswer = async () => {
			throw new ConnectionError({
				code: 'MISSING_PACKAGES',
				message: 'mariadb-server is not installed',
				hint: 'Run: apt-get install mariadb-server',
				target: 'demo',
			});
		};
		const bus = new EventBus();
		const {lastFrame, stdin} = renderApp(controller, bus);
		await waitForText(lastFrame, '❯ Start demo');
		stdin.write(ENTER);
		const frame = await waitForText(lastFrame, 'mariadb-server is not installed', 'Run: apt-get install mariadb-server');
		assert.match(frame, /MISSING_PACKAGES/);
		assert.match(frame, /dbbackup › Demo/);
	});
});

describe('log pane', () => {
	test('shows the latest log, warning and error events and drops older ones', async () => {
		const {lastFrame, bus} = renderApp(new FakeController());
		await waitForText(lastFrame, 'Quit');
		for (let i = 1; i <= 6; i++) bus.log('info', `message ${i}`);
		bus.log('debug', 'noisy debug line');
		bus.warn('binlog_row_image is MINIMAL', {hint: 'set binlog_row_image=FULL for PITR'});
		bus.emit('error', {code: 'DUMP_FAILED', message: 'table shop.orders vanished', hint: 'run the backup again', exitCode: 1});
		const frame = await waitForText(lastFrame, 'table shop.orders vanished');
		assert.doesNotMatch(frame, /message 1\b/);
		assert.doesNotMatch(frame, /message 2\b/);
		for (const i of [3, 4, 5, 6]) assert.match(frame, new RegExp(`info  message ${i}`));
		assert.doesNotMatch(frame, /noisy debug line/);
		assert.match(frame, /warn  binlog_row_image is MINIMAL → set binlog_row_image=FULL for PITR/);
		assert.match(frame, /error table shop\.orders vanished \[DUMP_FAILED\] → run the backup again/);
		const lines = frame.split('\n').filter((line) => /^\d\d:\d\d:\d\d /.test(line));
		assert.equal(lines.length, 6);
	});

	test('the log pane keeps showing across screens and unsubscribes when the app exits', async () => {
		const bus = new EventBus();
		const before = listenerCount(bus);
		const {lastFrame, stdin, exited} = renderApp(new FakeController(), bus);
		await waitForText(lastFrame, 'Quit');
		bus.log('info', 'kept across screens');
		stdin.write(ENTER);
		await waitForText(lastFrame, 'Version', 'kept across screens');
		stdin.write('q');
		await exited;
		await waitForFrame(() => String(listenerCount(bus)), (count) => count === String(before));
	});
});

/** The bus keeps its listeners private; count them through a probe on its internals for the unsubscribe check. */
function listenerCount(bus: EventBus): number {
	const internals = bus as unknown as {listeners: Map<string, Set<unknown>>; anyListeners: Set<unknown>};
	let count = internals.anyListeners.size;
	for (const set of internals.listeners.values()) count += set.size;
	return count;
}
