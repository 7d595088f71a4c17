import {WorkError} from '../../core/errors.ts';

export interface DependentItem {
	id: string;
	dependsOn: string[];
}

/**
 * Runs `work` over `items` on every worker at once, starting an item only when every item it depends on
 * (among `items`; others are taken as done) has finished. Items are taken in order among the ready ones.
 * The first failure stops new starts and is rethrown once the running ones end; a dependency cycle is an error.
 */
export async function runWithDependencies<W, T extends DependentItem>(workers: W[], items: T[], work: (worker: W, item: T) => Promise<void>): Promise<void> {
	const ids = new Set(items.map((item) => item.id));
	const done = new Set<string>();
	const waiting = [...items];
	let running = 0;
	let failure: {error: unknown} | undefined;
	let wake: (() => void) | undefined;
	let changed = new Promise<void>((resolve) => (wake = resolve));
	const signal = () => {
		const resolve = wake;
		changed = new Promise<void>((next) => (wake = next));
		resolve?.();
	};
	const takeReady = (): T | undefined => {
		const index = waiting.findIndex((item) => item.dependsOn.every((id) => !ids.has(id) || done.has(id)));
		return index === -1 ? undefined : waiting.splice(index, 1)[0];
	};
	await Promise.all(
		workers.map(async (worker) => {
			while (!failure && waiting.length > 0) {
				const item = takeReady();
				if (!item) {
					if (running === 0) {
						failure ??= {
							error: new WorkError({
								code: 'DEPENDENCY_CYCLE',
								message: `cannot order ${waiting.length} item(s): they depend on each other (${waiting.slice(0, 5).map((entry) => entry.id).join(', ')}${waiting.length > 5 ? ', …' : ''})`,
								hint: 'Restore without --data-only, so that the foreign keys are created after the rows.',
							}),
						};
						signal();
						return;
					}
					await changed;
					continue;
				}
				running += 1;
				try {
					await work(worker, item);
					done.add(item.id);
				} catch (error) {
					failure ??= {error};
				} finally {
					running -= 1;
					signal();
				}
			}
		}),
	);
	if (failure) throw failure.error;
}
