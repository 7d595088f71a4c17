import {open, readFile, rm} from 'node:fs/promises';
import path from 'node:path';
import {UsageError} from '../../core/errors.ts';

export const LOCK_NAME = 'binlog-stream.lock';

/** locks this process holds: a lock file with our own pid is live only if it is one of these */
const heldHere = new Set<string>();

/**
 * One streamer per output directory: two writing the same files would interleave them. The lock file
 * holds the owner's pid; a lock whose process is gone (kill -9) is taken over.
 */
export async function lockOutputDir(dir: string): Promise<() => Promise<void>> {
	const file = path.join(dir, LOCK_NAME);
	for (let attempt = 0; attempt < 2; attempt += 1) {
		try {
			const handle = await open(file, 'wx', 0o600);
			await handle.writeFile(`${process.pid}\n`);
			await handle.close();
			heldHere.add(file);
			return async () => {
				heldHere.delete(file);
				await rm(file, {force: true});
			};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
			const live = owner === process.pid ? heldHere.has(file) : Number.isSafeInteger(owner) && owner > 0 && isAlive(owner);
			if (live) {
				throw new UsageError({
					code: 'BINLOG_OUTPUT_LOCKED',
					message: `another binlog-stream (pid ${owner}) is writing to ${dir}`,
					hint: `Stop that streamer first, or choose another --output directory. A stale ${LOCK_NAME} is taken over by itself once its process has gone.`,
				});
			}
			await rm(file, {force: true});
		}
	}
	throw new UsageError({code: 'BINLOG_OUTPUT_LOCKED', message: `cannot lock ${dir}: ${LOCK_NAME} keeps reappearing`, hint: 'Is another streamer starting on the same directory?'});
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}
