import assert from 'node:assert/strict';
import {EventEmitter} from 'node:events';
import {render as inkRender, type Instance} from 'ink';
import type {ReactNode} from 'react';
import {plain} from './fake-controller.ts';

export interface TerminalSize {
	columns: number;
	rows: number;
}

/** A terminal of a given size that can be resized, as a TTY's stdout is ('resize' events). */
class SizedStdout extends EventEmitter {
	frames: string[] = [];
	private last: string | undefined;

	constructor(
		public columns: number,
		public rows: number,
	) {
		super();
	}

	write = (frame: string): boolean => {
		this.frames.push(frame);
		this.last = frame;
		return true;
	};

	lastFrame = (): string | undefined => this.last;

	resize({columns, rows}: TerminalSize): void {
		this.columns = columns;
		this.rows = rows;
		this.emit('resize');
	}
}

/** ink-testing-library's stdin: a TTY whose writes arrive as one packet each. */
class FakeStdin extends EventEmitter {
	isTTY = true;
	private data: string | null = null;
	write = (data: string): void => {
		this.data = data;
		this.emit('readable');
		this.emit('data', data);
	};
	read = (): string | null => {
		const {data} = this;
		this.data = null;
		return data;
	};
	setEncoding(): void {}
	setRawMode(): void {}
	resume(): void {}
	pause(): void {}
	ref(): void {}
	unref(): void {}
}

const instances: Instance[] = [];

/** ink-testing-library's render, on a terminal of `size` (its own stdout has 100 columns and no rows). */
export function renderSized(tree: ReactNode, size: TerminalSize) {
	const stdout = new SizedStdout(size.columns, size.rows);
	const stdin = new FakeStdin();
	const instance = inkRender(tree, {
		stdout: stdout as unknown as NodeJS.WriteStream,
		stderr: new SizedStdout(size.columns, size.rows) as unknown as NodeJS.WriteStream,
		stdin: stdin as unknown as NodeJS.ReadStream,
		debug: true,
		exitOnCtrlC: false,
		patchConsole: false,
	});
	instances.push(instance);
	return {stdin, stdout, lastFrame: stdout.lastFrame, frames: stdout.frames, unmount: instance.unmount};
}

export function cleanupSized(): void {
	for (const instance of instances.splice(0)) {
		instance.unmount();
		instance.cleanup();
	}
}

/** Terminal cells of a line without colour codes (every character the app draws is one cell wide). */
export function cells(line: string): number {
	return [...plain(line)].length;
}

/** The frame fits the terminal: no more lines than rows, none wider than the columns, header first and key hints last. */
export function assertFits(frame: string, {columns, rows}: TerminalSize): void {
	const lines = plain(frame).split('\n');
	assert.ok(lines.length <= rows, `${lines.length} lines on a terminal of ${rows} rows:\n${plain(frame)}`);
	for (const line of lines) assert.ok(cells(line) <= columns, `a line of ${cells(line)} cells on a terminal of ${columns} columns: "${line}"`);
	assert.match(lines[0]!, /^dbbackup/, `the header is not the first line:\n${plain(frame)}`);
	assert.match(lines.at(-1)!, /\bquit\b/, `the key hints are not the last line:\n${plain(frame)}`);
}
