import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {createRequire} from 'node:module';
import {Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import zlib from 'node:zlib';
import {describe, test} from 'node:test';
import {UsageError} from '../../source/core/errors.ts';
import {
	compressStream,
	decompressStream,
	extensionFor,
	parseCompression,
	resolveLevel,
	type Compression,
} from '../../source/storage/compression.ts';
import {collect, dumpText} from './helpers.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const zstd = createRequire(import.meta.url)('zstd-napi') as {decompress(data: Uint8Array): Buffer; compress(data: Uint8Array): Buffer};

async function squeeze(kind: Compression, data: Buffer, level?: number): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for (let at = 0; at < data.length; at += 100_000) chunks.push(data.subarray(at, at + 100_000));
	return collect(Readable.from(chunks).pipe(compressStream(kind, level)));
}

async function expand(kind: Compression, data: Buffer): Promise<Buffer> {
	return collect(Readable.from([data]).pipe(decompressStream(kind)));
}

async function expectFailure(kind: Compression, data: Buffer): Promise<Error> {
	try {
		await pipeline(Readable.from([data]), decompressStream(kind), async (source) => {
			for await (const _ of source);
		});
	} catch (error) {
		return error as Error;
	}
	assert.fail(`${kind} decompression of damaged data succeeded`);
}

describe('round trips', () => {
	const sizes = [0, 1, 1024 * 1024];
	for (const kind of ['zstd', 'gzip', 'lz4', 'none'] as const) {
		for (const size of sizes) {
			test(`${kind}, ${size} bytes of text and of random bytes`, async () => {
				for (const data of [dumpText(size), randomBytes(size)]) {
					const packed = await squeeze(kind, data);
					if (kind === 'none') assert.deepEqual(packed, data);
					assert.deepEqual(await expand(kind, packed), data);
				}
			});
		}
	}

	test('zstd output is a standard frame: the library decodes it in one call; gzip output too', async () => {
		const data = dumpText(300_000);
		assert.deepEqual(zstd.decompress(await squeeze('zstd', data)), data);
		assert.deepEqual(zlib.gunzipSync(await squeeze('gzip', data)), data);
		assert.deepEqual(await expand('zstd', zstd.compress(data)), data);
	});

	test('text compresses, and a higher zstd level does not make it bigger', async () => {
		const data = dumpText(2 * 1024 * 1024);
		const fast = await squeeze('zstd', data, 1);
		const strong = await squeeze('zstd', data, 19);
		assert.ok(fast.length < data.length / 2, `zstd-1 gave ${fast.length} of ${data.length}`);
		assert.ok(strong.length <= fast.length, `zstd-19 ${strong.length} > zstd-1 ${fast.length}`);
		assert.ok((await squeeze('gzip', data, 9)).length < data.length / 2);
	});

	test('many zstd streams at once on the worker pool keep their data apart', async () => {
		const inputs = Array.from({length: 9}, (_, index) => dumpText(200_000 + index * 7919));
		const packed = await Promise.all(inputs.map((data) => squeeze('zstd', data)));
		const unpacked = await Promise.all(packed.map((data) => expand('zstd', data)));
		unpacked.forEach((data, index) => assert.deepEqual(data, inputs[index]));
	});
});

describe('zstd contexts reused by the worker pool', () => {
	test('sessions after a stream given up half-way, after a damaged input and after other levels start clean', async () => {
		const data = dumpText(600_000);
		// given up half-way: its context goes back to the pool in mid-frame
		const abandoned = compressStream('zstd', 19);
		abandoned.write(data.subarray(0, 300_000));
		await sleep(50);
		abandoned.destroy();
		const abandonedReader = decompressStream('zstd');
		abandonedReader.write((await squeeze('zstd', data)).subarray(0, 1000));
		await sleep(50);
		abandonedReader.destroy();
		await expectFailure('zstd', randomBytes(5000));
		for (let round = 0; round < 12; round++) {
			const level = round % 2 === 0 ? 1 : 19;
			const packed = await squeeze('zstd', data, level);
			assert.deepEqual(zstd.decompress(packed), data, `round ${round}: a standard frame`);
			assert.deepEqual(await expand('zstd', packed), data, `round ${round}: our decompressor`);
		}
		// a level is the session's own: a reused context does not keep the level it had
		assert.ok((await squeeze('zstd', data, 1)).length > (await squeeze('zstd', data, 19)).length);
	});
});

describe('off the main thread and bounded', () => {
	test('zstd compression leaves the event loop free (timers keep firing)', async () => {
		const data = randomBytes(16 * 1024 * 1024);
		let ticks = 0;
		const timer = setInterval(() => ticks++, 2);
		const started = performance.now();
		await squeeze('zstd', Buffer.concat([dumpText(16 * 1024 * 1024), data]), 6);
		const elapsed = performance.now() - started;
		clearInterval(timer);
		// a compression on the main thread lets no timer fire until it is done
		assert.ok(ticks >= 3, `only ${ticks} timer ticks in ${elapsed.toFixed(0)} ms`);
	});

	test('a highly compressible zstd member is decompressed piece by piece as the reader asks', async () => {
		const packed = await squeeze('zstd', Buffer.alloc(64 * 1024 * 1024));
		assert.ok(packed.length < 64 * 1024, `zeros compressed to ${packed.length} bytes`);
		const stream = decompressStream('zstd');
		stream.end(packed);
		await sleep(300);
		assert.ok(stream.readableLength <= 2 * 1024 * 1024, `${stream.readableLength} bytes buffered with nobody reading`);
		let total = 0;
		for await (const chunk of stream) total += (chunk as Buffer).length;
		assert.equal(total, 64 * 1024 * 1024);
	});
});

describe('process lifetime', () => {
	test('a zstd stream left unfinished does not keep the process alive', async () => {
		const script = `
			import {compressStream, decompressStream} from ${JSON.stringify(new URL('../../source/storage/compression.ts', import.meta.url).href)};
			const packer = compressStream('zstd');
			packer.write(Buffer.alloc(1024 * 1024, 'a'), () => process.stdout.write('written\\n'));
			decompressStream('zstd');
		`;
		const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit']});
		let output = '';
		child.stdout.on('data', (data: Buffer) => (output += data.toString()));
		const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
		const outcome = await Promise.race([exit, sleep(15_000, 'still running' as const, {ref: false})]);
		if (outcome === 'still running') child.kill('SIGKILL');
		assert.equal(outcome, 0);
		assert.equal(output, 'written\n');
	});
});

describe('damaged input', () => {
	test('zstd: a flipped byte, a cut frame and garbage each make the stream fail', async () => {
		const packed = await squeeze('zstd', dumpText(200_000));
		const flipped = Buffer.from(packed);
		flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
		assert.match((await expectFailure('zstd', flipped)).message, /corrupt|checksum|error/i);
		assert.match((await expectFailure('zstd', packed.subarray(0, packed.length - 10))).message, /middle of a frame/);
		assert.ok(await expectFailure('zstd', Buffer.from('this is not zstd at all')));
	});

	test('gzip: a cut stream and garbage make the stream fail', async () => {
		const packed = await squeeze('gzip', dumpText(200_000));
		assert.match((await expectFailure('gzip', packed.subarray(0, packed.length - 10))).message, /unexpected end/);
		assert.match((await expectFailure('gzip', Buffer.from('this is not gzip at all'))).message, /header/);
	});
});

describe('options', () => {
	test('extensions', () => {
		assert.equal(extensionFor('zstd'), '.zst');
		assert.equal(extensionFor('gzip'), '.gz');
		assert.equal(extensionFor('lz4'), '.lz4');
		assert.equal(extensionFor('none'), '');
	});

	test('default and boundary levels', () => {
		assert.equal(resolveLevel('zstd'), 1);
		assert.equal(resolveLevel('gzip'), 6);
		assert.equal(resolveLevel('lz4'), 1);
		assert.equal(resolveLevel('none'), undefined);
		assert.equal(resolveLevel('zstd', 1), 1);
		assert.equal(resolveLevel('zstd', 19), 19);
		assert.equal(resolveLevel('gzip', 1), 1);
		assert.equal(resolveLevel('gzip', 9), 9);
	});

	test('a level out of range, not whole, or given with none is a UsageError naming --level', () => {
		const cases: Array<[Compression, number, RegExp]> = [
			['zstd', 0, /--level 0 is out of range for zstd: use an integer from 1 to 19/],
			['zstd', 20, /--level 20 is out of range for zstd/],
			['zstd', 2.5, /--level 2.5 is out of range/],
			['zstd', Number.NaN, /--level NaN/],
			['gzip', 10, /--level 10 is out of range for gzip: use an integer from 1 to 9/],
			['gzip', -1, /--level -1/],
			['lz4', 3, /--level 3 is out of range for lz4, which has the one level 1/],
			['none', 3, /--level 3 was given but --compress is none/],
		];
		for (const [kind, level, message] of cases) {
			assert.throws(() => resolveLevel(kind, level), (error: unknown) => {
				assert.ok(error instanceof UsageError);
				assert.equal(error.exitCode, 2);
				assert.match(error.message, message);
				return true;
			});
			assert.throws(() => compressStream(kind, level), UsageError);
		}
	});

	test('unknown names are UsageErrors that say what to use instead', () => {
		assert.equal(parseCompression('gzip'), 'gzip');
		assert.equal(parseCompression('lz4'), 'lz4');
		assert.throws(() => parseCompression('xz'), {
			name: 'UsageError',
			message: '--compress "xz" is not a compression this version knows (zstd, gzip, lz4, none)',
			hint: 'Pass --compress zstd (the default), gzip, lz4 or none.',
		});
	});
});
