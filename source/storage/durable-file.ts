import {open, rename, unlink, type FileHandle} from 'node:fs/promises';
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

/**
 * Writes `file` through a `.partial` beside it, synced and renamed, so it is never seen half-written.
 * The rename may replace `file`: its caller owns the name (a sidecar of an archive it just published).
 */
export async function writeFileDurably(file: string, text: string | Uint8Array): Promise<void> {
	const partial = partialPathOf(file);
	const handle = await openPartial(partial);
	try {
		try {
			await writeAll(handle, typeof text === 'string' ? Buffer.from(text) : text);
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
