import {createHash} from 'node:crypto';
import {readBytes} from '../target/read-bytes.ts';
import type {ArtifactTarget} from '../target/types.ts';
import type {ByteRange, RangeHash} from './range-hashes.ts';
import type {PositionedReader} from './tar-index.ts';

/*
 * How the reader reads an archive whose target has no local file to open (localPath undefined): through
 * the target's range reads. A local archive is read by path instead (reader-threads.ts, range-hashes.ts).
 */

/** Positioned reads of artifact `name` as range reads. */
export function rangeReader(target: ArtifactTarget, name: string): PositionedReader {
	return {
		async read(buffer, offset, length, position) {
			const bytes = await readBytes(target, name, position, position + length);
			const bytesRead = Math.min(length, bytes.length);
			bytes.copy(buffer, offset, 0, bytesRead);
			return {bytesRead};
		},
	};
}

/** The SHA-256 and the number of bytes read of each range of artifact `name`, one range after the other. */
export async function hashRangesOf(target: ArtifactTarget, name: string, ranges: readonly ByteRange[]): Promise<RangeHash[]> {
	const hashes: RangeHash[] = [];
	for (const {start, size} of ranges) {
		const hash = createHash('sha256');
		let bytes = 0;
		for await (const chunk of target.readRange(name, start, start + size)) {
			hash.update(chunk as Buffer);
			bytes += (chunk as Buffer).length;
		}
		hashes.push({bytes, sha256: hash.digest('hex')});
	}
	return hashes;
}
