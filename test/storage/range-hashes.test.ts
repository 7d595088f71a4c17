import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {writeFileSync} from 'node:fs';
import {after, before, describe, test} from 'node:test';
import {hashFileRanges, type ByteRange} from '../../source/storage/archive/range-hashes.ts';
import {sha256, tempDir, type TempDir} from './helpers.ts';

let dir: TempDir;
let file: string;
let bytes: Buffer;

before(() => {
	dir = tempDir();
	file = dir.at('data.bin');
	// larger than one read, so that ranges span several reads
	bytes = randomBytes(3 * 1024 * 1024 + 123);
	writeFileSync(file, bytes);
});
after(() => dir.remove());

const ranges: ByteRange[] = [
	{start: 0, size: 0},
	{start: 0, size: 1},
	{start: 17, size: 1024 * 1024 + 5},
	{start: 512, size: 2 * 1024 * 1024},
	{start: 1024 * 1024, size: 0},
	{start: 3 * 1024 * 1024, size: 123},
];

describe('hashFileRanges', () => {
	for (const threads of [0, 3]) {
		test(`every range's SHA-256 and size, in the order asked, on ${threads === 0 ? 'this thread' : "the reader's threads"}`, async () => {
			const hashes = await hashFileRanges(file, ranges, {threads});
			assert.deepEqual(
				hashes,
				ranges.map(({start, size}) => ({bytes: size, sha256: sha256(bytes.subarray(start, start + size))})),
			);
		});

		test(`a range past the end of the file reports the bytes there were (${threads === 0 ? 'this thread' : "the reader's threads"})`, async () => {
			const [cut, outside] = await hashFileRanges(
				file,
				[
					{start: bytes.length - 10, size: 100},
					{start: bytes.length + 1000, size: 5},
				],
				{threads},
			);
			assert.deepEqual(cut, {bytes: 10, sha256: sha256(bytes.subarray(bytes.length - 10))});
			assert.deepEqual(outside, {bytes: 0, sha256: sha256(Buffer.alloc(0))});
		});

		test(`a file that is not there rejects with ENOENT (${threads === 0 ? 'this thread' : "the reader's threads"})`, async () => {
			await assert.rejects(hashFileRanges(dir.at('missing.bin'), [{start: 0, size: 1}, {start: 1, size: 1}], {threads}), (error: NodeJS.ErrnoException) => {
				assert.equal(error.code, 'ENOENT');
				return true;
			});
		});
	}
});
