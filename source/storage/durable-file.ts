import {open, rename, type FileHandle} from 'node:fs/promises';
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

/** Writes `file` through a `.partial` beside it, synced and renamed, so it is never seen half-written. */
export async function writeFileDurably(file: string, text: string): Promise<void> {
	const partial = partialPathOf(file);
	const handle = await open(partial, 'w', 0o600);
	try {
		await writeAll(handle, Buffer.from(text));
		await handle.sync();
	} finally {
		await handle.close();
	}
	await rename(partial, file);
}
