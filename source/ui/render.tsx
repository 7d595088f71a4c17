import type {Readable, Writable} from 'node:stream';
import {render} from 'ink';
import type {EventBus} from '../core/events.ts';
import {App} from './app.tsx';
import type {AppController} from './controller.ts';

export interface RenderAppOptions {
	bus: EventBus;
	controller: AppController;
	/** the screen to open on instead of home, e.g. "detect" for `dbbackup detect` on a TTY */
	initialScreen?: string;
	/** default process streams; stdin must be a TTY (Ink puts it in raw mode) */
	stdin?: Readable;
	stdout?: Writable;
	stderr?: Writable;
	/** leaves the app when this settles (SIGTERM: in raw mode Ctrl+C is a key the app handles itself) */
	exitOn?: Promise<unknown>;
}

/** Mounts the Ink app (only on a TTY: Ink writes cursor codes even when piped) and resolves once it exits. */
export async function renderApp({bus, controller, initialScreen, stdin, stdout, stderr, exitOn}: RenderAppOptions): Promise<void> {
	// Ink spreads options over its defaults, so an explicit undefined stream would replace process.stdout
	const streams = Object.fromEntries(Object.entries({stdin, stdout, stderr}).filter(([, stream]) => stream !== undefined)) as {
		stdin?: NodeJS.ReadStream;
		stdout?: NodeJS.WriteStream;
		stderr?: NodeJS.WriteStream;
	};
	// the App handles Ctrl+C itself so that it quits through the same path as q
	const instance = render(<App bus={bus} controller={controller} initialScreen={initialScreen} />, {...streams, exitOnCtrlC: false});
	void exitOn?.then(() => instance.unmount());
	await instance.waitUntilExit();
}
