import {spawn, type ChildProcess} from 'node:child_process';

const TAIL_CHARS = 4000;

export interface BackgroundSpec {
	command: string;
	args: string[];
	env?: NodeJS.ProcessEnv;
	cwd?: string;
}

export interface ProcessExit {
	code: number | null;
	signal: NodeJS.Signals | null;
}

/** Processes still running, so an interrupted bench can end them. */
const running = new Set<BackgroundProcess>();

export function killBackgroundProcesses(): void {
	for (const entry of running) entry.kill('SIGKILL');
}

/**
 * A long-running child the bench talks to while it runs (a streamer): stdout is handed to the caller,
 * stderr is kept as a tail. It runs in a process group of its own so a Ctrl-C at the terminal reaches
 * the bench, which stops it in order.
 */
export class BackgroundProcess {
	readonly child: ChildProcess;
	readonly exited: Promise<ProcessExit>;
	private stderr = '';

	constructor(spec: BackgroundSpec, onStdout?: (chunk: Buffer) => void) {
		this.child = spawn(spec.command, spec.args, {
			cwd: spec.cwd,
			env: {...process.env, ...spec.env},
			stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'],
			detached: true,
		});
		running.add(this);
		if (onStdout) this.child.stdout!.on('data', onStdout);
		this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-TAIL_CHARS)));
		this.exited = new Promise<ProcessExit>((resolve, reject) => {
			this.child.once('error', reject);
			this.child.once('close', (code, signal) => resolve({code, signal}));
		}).finally(() => running.delete(this));
	}

	get pid(): number {
		if (this.child.pid === undefined) throw new Error('the process did not start');
		return this.child.pid;
	}

	get stderrTail(): string {
		return this.stderr;
	}

	get running(): boolean {
		return this.child.exitCode === null && this.child.signalCode === null;
	}

	kill(signal: NodeJS.Signals): void {
		try {
			this.child.kill(signal);
		} catch {
			// already gone
		}
	}

	/** sends `signal`, waits up to `graceMs` for the exit, then SIGKILLs; `forced` says whether it had to */
	async stop(signal: NodeJS.Signals, graceMs: number): Promise<ProcessExit & {forced: boolean; seconds: number}> {
		const began = performance.now();
		if (!this.running) return {...(await this.exited), forced: false, seconds: 0};
		this.kill(signal);
		let timer: NodeJS.Timeout | undefined;
		const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
		const first = await Promise.race([this.exited, timedOut]);
		clearTimeout(timer);
		if (first !== 'timeout') return {...first, forced: false, seconds: (performance.now() - began) / 1000};
		this.kill('SIGKILL');
		return {...(await this.exited), forced: true, seconds: (performance.now() - began) / 1000};
	}
}
