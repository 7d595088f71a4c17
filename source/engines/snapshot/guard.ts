/**
 * A snapshot must not outlive its run. While one exists, SIGINT, SIGTERM and the process's exit remove
 * it synchronously: the CLI answers a signal by exiting shortly after (cli/main.ts), so an asynchronous
 * removal could be cut off half-way. A run killed with SIGKILL cannot do this; its snapshot is found by
 * name at the start of the next run (names.ts) and removed there.
 */
import type {EventBus} from '../../core/events.ts';
import type {SnapshotBackend} from './backends.ts';

export interface SnapshotGuard {
	/** removes the snapshot now (once), and stops listening */
	release(): Promise<void>;
	/** a signal removed it already */
	readonly removedBySignal: boolean;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function guardSnapshot(backend: SnapshotBackend, name: string, bus: EventBus): SnapshotGuard {
	let removed = false;
	let removedBySignal = false;
	const removeNow = (why: string) => {
		if (removed) return;
		removed = true;
		try {
			backend.removeSync(name);
			bus.log('info', `${why}: removed the snapshot ${name} of ${backend.unit}`);
		} catch (error) {
			bus.warn(`${why}: the snapshot ${name} of ${backend.unit} could not be removed: ${(error as Error).message}`, {
				code: 'SNAPSHOT_REMOVE_FAILED',
				hint: 'The next snapshot backup removes it by name; or remove it by hand.',
			});
		}
	};
	const onSignal = (signal: NodeJS.Signals) => {
		removeNow(signal);
		removedBySignal = true;
		stop();
		// nobody else listens: do what the signal would have done without us
		if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
	};
	const onExit = () => removeNow('exit');
	const stop = () => {
		for (const signal of SIGNALS) process.off(signal, onSignal);
		process.off('exit', onExit);
	};
	for (const signal of SIGNALS) process.on(signal, onSignal);
	process.on('exit', onExit);
	return {
		get removedBySignal() {
			return removedBySignal;
		},
		async release() {
			stop();
			if (removed) return;
			removed = true;
			await backend.remove(name);
		},
	};
}
