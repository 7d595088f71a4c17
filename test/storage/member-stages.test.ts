import assert from 'node:assert/strict';
import {Readable} from 'node:stream';
import {test} from 'node:test';
import {decodingStream, encodingStream, stagesFor, stagesOf, stagesProblem, threadCodec, type MemberStage} from '../../source/storage/archive/member-stages.ts';
import {collect, dumpText} from './helpers.ts';

async function through(stream: NodeJS.ReadWriteStream, data: Buffer): Promise<Buffer> {
	return collect(Readable.from([data]).pipe(stream as unknown as NodeJS.WritableStream & NodeJS.ReadableStream) as unknown as Readable);
}

test('a stage list written is undone by its reading, whatever the list', async () => {
	const data = dumpText(300_000);
	for (const stages of [[], stagesFor('zstd', 3), stagesFor('gzip'), [...stagesFor('zstd'), ...stagesFor('gzip')]] as MemberStage[][]) {
		const stored = await through(encodingStream(stages), data);
		if (stages.length > 0) assert.ok(stored.length < data.length, `${JSON.stringify(stages)} compresses`);
		assert.deepEqual(await through(decodingStream(stages), stored), data, JSON.stringify(stages));
	}
});

test('damaged stored bytes make the reading stream fail', async () => {
	const stored = await through(encodingStream([...stagesFor('zstd'), ...stagesFor('gzip')]), dumpText(100_000));
	stored[stored.length >> 1] ^= 0xff;
	await assert.rejects(through(decodingStream([...stagesFor('zstd'), ...stagesFor('gzip')]), stored));
});

test('archives written before stages were recorded read by their compression', () => {
	assert.deepEqual(stagesOf({compression: 'zstd'}), [{kind: 'compress', codec: 'zstd'}]);
	assert.deepEqual(stagesOf({compression: 'none'}), []);
	assert.deepEqual(stagesOf({compression: 'zstd', stages: []}), [], 'a recorded list wins');
	assert.equal(threadCodec(stagesOf({compression: 'zstd'})), 'zstd');
	assert.equal(threadCodec([]), 'none');
	assert.equal(threadCodec(stagesFor('gzip')), undefined, 'gzip is undone on the main thread');
});

test('a manifest stage list this version cannot undo is named', () => {
	assert.equal(stagesProblem([{kind: 'compress', codec: 'zstd', level: 3}], 'zstd'), undefined);
	assert.match(stagesProblem([{kind: 'encrypt', cipher: 'aes-256-gcm'}], 'none') ?? '', /kind "encrypt", which this version cannot undo/);
	assert.match(stagesProblem([{kind: 'compress', codec: 'xz'}], 'none') ?? '', /codec "xz", which this version cannot read \(zstd, gzip, lz4\)/);
	assert.match(stagesProblem([{kind: 'compress', codec: 'gzip'}], 'zstd') ?? '', /says gzip where the member's compression says zstd/);
	assert.match(stagesProblem('zstd', 'zstd') ?? '', /must be an array/);
});
