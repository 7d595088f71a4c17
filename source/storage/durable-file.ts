import {link, open, rename, unlink, type FileHandle} from 'node:fs/promises';
import {WorkError} from '../core/errors.ts';
import {partialPathOf} from './archive/member-path.ts';

/** Writes the whole chunk (a file write may take fewer bytes than it was given). */
export async function writeAll(file: FileHandle, chunk: Uint8Array): Promise<void> {
	let done = 0;
	while (done < chunk.length) {
		const {bytesWritten} = await file.write(chunk, done, chunk.length - done);
		done += bytesWritten;
	}
}

/** fsync of the directory makes a rename durable; some filesystems refuse it, which is no reason to fail. */
export async function syncDirectory(dir: string): Promise<void> {
	let handle: FileHandle | undefined;
	try {
		handle = await open(dir, 'r');
		await handle.sync();
	} catch {
		// best effort
	} finally {
		await handle?.close();
	}
}

/**
 * Creates `partial` for this run only ('wx': fails with EEXIST when it exists), readable by the owner
 * only. Two runs never write into one file.
 */
export function openPartial(partial: string): Promise<FileHandle> {
	return open(partial, 'wx', 0o600);
}

/** `partial` exists: a run that is writing the same artifact, or a dead run's leftover still locked or not yet looked at. */
export function partialBusy(partial: string, cause: unknown): WorkError {
	return new WorkError({
		code: 'PARTIAL_EXISTS',
		message: `${partial} exists: another backup is writing this file, or one that stopped left it`,
		hint: 'Choose another output name. Leftovers of runs that ended are removed at the start of the next backup into their directory.',
		cause,
	});
}

/** Link errors of filesystems without hard links, where only rename is left. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/**
 * Gives the complete `partial` its final name unless that name exists: link() fails with EEXIST where
 * rename() would silently replace a file that appeared meanwhile (another run's backup). On a
 * filesystem without hard links, `exists` is asked just before a rename (not atomic, the best left).
 */
export async function publishFile(partial: string, final: string, exists: (file: string) => Promise<boolean>): Promise<void> {
	try {
		await link(partial, final);
	} catch (error) {
		if (!NO_HARD_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
		if (await exists(final)) throw Object.assign(new Error(`${final} exists`), {code: 'EEXIST'});
		await rename(partial, final);
		return;
	}
	await unlink(partial);
}

/**
 * Writes `file` through a `.partial` beside it, synced and renamed, so it is never seen half-written.
 * The rename may replace `file`: its caller owns the name (a sidecar of an archive it just published).
 */
export async function writeFileDurably(file: string, text: string): Promise<void> {
	const partial = partialPathOf(file);
	const handle = await openPartial(partial);
	try {
		try {
			await writeAll(handle, Buffer.from(text));
			await handle.sync();
		} finally {
			await handle.close();
		}
		await rename(partial, file);
	} catch (error) {
		await unlink(partial).catch(() => undefined);
		throw error;
	}
}
