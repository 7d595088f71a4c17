/**
 * Runs `work` over `items` with one loop per worker (each with its own connection); items are taken in
 * order. The first failure stops every loop from taking more and is rethrown once all loops stopped.
 */
export async function runOnWorkers<W, T>(workers: W[], items: T[], work: (worker: W, item: T) => Promise<void>): Promise<void> {
	let next = 0;
	let failure: {error: unknown} | undefined;
	await Promise.all(
		workers.map(async (worker) => {
			while (!failure && next < items.length) {
				const item = items[next++];
				try {
					await work(worker, item);
				} catch (error) {
					failure ??= {error};
				}
			}
		}),
	);
	if (failure) throw failure.error;
}
