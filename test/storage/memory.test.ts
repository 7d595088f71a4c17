import assert from 'node:assert/strict';
import {randomFillSync} from 'node:crypto';
import {readdirSync} from 'node:fs';
import {after, before, test} from 'node:test';
import {openArchive} from '../../source/storage/archive/reader.ts';
import {createArchiveWriter} from '../../source/storage/archive/writer.ts';
import {dumpText, manifestFields, tempDir, type TempDir} from './helpers.ts';

const MiB = 1024 * 1024;
const MEMBER_BYTES = 200 * MiB;
const ALLOWED_GROWTH = 100 * MiB;

let dir: TempDir;
before(() => {
	dir = tempDir();
});
after(() => dir.remove());

/** 1 MiB chunks, mostly random so they barely compress: the stored member is about as big as the input. */
async function* incompressible(total: number, sample: () => void): AsyncGenerator<Buffer> {
	const text = dumpText(64 * 1024);
	for (let done = 0; done < total; done += MiB) {
		const chunk = Buffer.allocUnsafeSlow(MiB);
		randomFillSync(chunk, 0, MiB - text.length);
		text.copy(chunk, MiB - text.length);
		sample();
		yield chunk;
	}
}

test('a 200 MiB member is written and read back with RSS growth under 100 MiB (spilled to a temp file)', async () => {
	const target = dir.at('big.tar');
	const writer = await createArchiveWriter({path: target, compression: 'zstd', spillThreshold: 4 * MiB});
	// start the zstd worker and settle allocations before the baseline
	await writer.addMember('schema/warm-up.sql', dumpText(MiB));
	const baseline = process.memoryUsage().rss;
	let peak = baseline;
	const sample = () => {
		peak = Math.max(peak, process.memoryUsage().rss);
	};
	const timer = setInterval(sample, 5);
	try {
		const member = await writer.addMember('data/db/big.00001.sql', incompressible(MEMBER_BYTES, sample));
		assert.equal(member.rawBytes, MEMBER_BYTES);
		assert.ok(member.bytes > 4 * MiB * 10, `stored ${member.bytes} bytes: the member should be far above the spill threshold`);
		const growthWriting = peak - baseline;
		assert.ok(growthWriting < ALLOWED_GROWTH, `RSS grew by ${(growthWriting / MiB).toFixed(1)} MiB while writing`);

		const {bytes} = await writer.finish(manifestFields());
		assert.ok(bytes > member.bytes);
		assert.deepEqual(readdirSync(dir.root).sort(), ['big.tar', 'big.tar.meta.json']);

		const archive = await openArchive(target);
		let read = 0;
		for await (const chunk of archive.readMember(member.path)) {
			read += (chunk as Buffer).length;
			sample();
		}
		assert.equal(read, MEMBER_BYTES);
		await archive.verify();
	} finally {
		clearInterval(timer);
	}
	const growth = peak - baseline;
	assert.ok(growth < ALLOWED_GROWTH, `RSS grew by ${(growth / MiB).toFixed(1)} MiB writing and reading a ${MEMBER_BYTES / MiB} MiB member`);
});
