import {rm} from 'node:fs/promises';
import {partialPathOf} from '../../storage/archive/member-path.ts';
import {writeFileDurably} from '../../storage/durable-file.ts';

/**
 * Writes one of the directory's own files (checkpoint, index, identity) durably, 0600. A `.partial` of
 * it can only be a dead leftover (kill -9 mid-write): the streamer holds the directory's lock, so no one
 * else writes there. It is removed first, or the exclusive create of writeFileDurably would refuse every
 * later write.
 */
export async function writeDirFile(file: string, text: string): Promise<void> {
	await rm(partialPathOf(file), {force: true});
	await writeFileDurably(file, text);
}
