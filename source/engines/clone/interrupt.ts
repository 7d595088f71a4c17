/**
 * The clone directory must not outlive the run: on SIGINT/SIGTERM the running CLONE statement is
 * stopped (KILL QUERY on the other connection), and when the process exits — the CLI exits shortly after
 * an interrupt — the directory is removed synchronously. A run that is killed outright (SIGKILL, power
 * loss) leaves it; the next run finds it by its name (clone-dir.ts).
 */
import {rmSync} from 'node:fs';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface CloneGuard {
	/** a signal arrived while the guard was armed */
	readonly interrupted: boolean;
	release(): void;
}

export function guardCloneDirectory(directory: string, stopClone: () => Promise<unknown>): CloneGuard {
	let interrupted = false;
	const removeNow = () => {
		try {
			rmSync(directory, {recursive: true, force: true, maxRetries: 3});
		} catch {
			// the process is exiting: nothing else can be done here; the next run removes it by name
		}
	};
	const onSignal = (signal: NodeJS.Signals) => {
		interrupted = true;
		const stopping = stopClone().catch(() => undefined);
		// alone on the signal (a library caller, not the CLI, which exits by itself): after stopping the
		// clone, clean up and die of the signal as the process would have without this listener
		if (process.listenerCount(signal) === 1) {
			void stopping.then(() => {
				release();
				removeNow();
				process.kill(process.pid, signal);
			});
		}
	};
	const release = () => {
		for (const signal of SIGNALS) process.off(signal, onSignal);
		process.off('exit', removeNow);
	};
	for (const signal of SIGNALS) process.on(signal, onSignal);
	process.on('exit', removeNow);
	return {
		get interrupted() {
			return interrupted;
		},
		release,
	};
}
