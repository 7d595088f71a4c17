import {test} from 'node:test';
import assert from 'node:assert/strict';
import {EventEmitter} from 'node:events';
import type {Readable, Writable} from 'node:stream';
import {EventBus} from '../../source/core/events.ts';
import {renderApp} from '../../source/ui/render.tsx';
import {CTRL_C, FakeController, pause, plain} from './fake-controller.ts';

/** Just enough of a TTY for Ink: raw mode, a readable queue, a fixed width. */
class FakeStdin extends EventEmitter {
	isTTY = true;
	private queue: string[] = [];
	write(data: string): void {
		this.queue.push(data);
		this.emit('readable');
	}
	read(): string | null {
		return this.queue.shift() ?? null;
	}
	setEncoding(): void {}
	setRawMode(): void {}
	resume(): void {}
	pause(): void {}
	ref(): void {}
	unref(): void {}
}

class FakeStdout extends EventEmitter {
	isTTY = true;
	columns = 100;
	rows = 40;
	output = '';
	write(chunk: string): boolean {
		this.output += chunk;
		return true;
	}
}

function streams() {
	const stdin = new FakeStdin();
	const stdout = new FakeStdout();
	const stderr = new FakeStdout();
	return {
		stdin,
		stdout,
		options: {
			stdin: stdin as unknown as Readable,
			stdout: stdout as unknown as Writable,
			stderr: stderr as unknown as Writable,
		},
	};
}

/** Ink listens on stdin once a useInput hook is mounted: from then on keys reach the app. Works with CI=true too, where Ink writes only the last frame. */
async function waitUntilListening(stdin: FakeStdin): Promise<void> {
	const deadline = Date.now() + 2000;
	while (stdin.listenerCount('readable') === 0) {
		if (Date.now() > deadline) throw new Error('the app never listened to stdin');
		await pause(10);
	}
	await pause(15);
}

test('renderApp resolves when the user presses q', async () => {
	const {stdin, stdout, options} = streams();
	let resolved = false;
	const running = renderApp({bus: new EventBus(), controller: new FakeController(), ...options}).then(() => {
		resolved = true;
	});
	await waitUntilListening(stdin);
	await pause(30);
	assert.equal(resolved, false);
	stdin.write('q');
	await running;
	assert.equal(resolved, true);
	assert.match(plain(stdout.output), /Detect environment/);
});

test('renderApp resolves on Ctrl+C through the app, not a hard exit', async () => {
	const {stdin, options} = streams();
	const running = renderApp({bus: new EventBus(), controller: new FakeController(), ...options});
	await waitUntilListening(stdin);
	stdin.write(CTRL_C);
	await running;
	assert.equal(stdin.listenerCount('readable'), 0);
});

test('renderApp opens the screen asked for', async () => {
	const {stdin, stdout, options} = streams();
	const controller = new FakeController();
	const running = renderApp({bus: new EventBus(), controller, initialScreen: 'detect', ...options});
	await waitUntilListening(stdin);
	const deadline = Date.now() + 2000;
	while (controller.calls.detect === 0 && Date.now() < deadline) await pause(10);
	assert.equal(controller.calls.detect, 1);
	stdin.write('q');
	await running;
	assert.match(plain(stdout.output), /dbbackup › Environment/);
});

test('renderApp leaves when exitOn settles (SIGTERM reaches the app this way: raw mode turns Ctrl+C into a key)', async () => {
	const {stdin, options} = streams();
	let interrupt!: () => void;
	const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
	const running = renderApp({bus: new EventBus(), controller: new FakeController(), exitOn: interrupted, ...options});
	await waitUntilListening(stdin);
	interrupt();
	await running;
	assert.equal(stdin.listenerCount('readable'), 0);
});
