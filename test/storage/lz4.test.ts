import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {setTimeout as sleep} from 'node:timers/promises';
import {after, before, describe, test} from 'node:test';
import tar from 'tar-stream';
import {MANIFEST_FORMAT_VERSION, serializeManifest, type Manifest, type ManifestMember} from '../../source/storage/archive/manifest.ts';
import {openArchive} from '../../source/storage/archive/reader.ts';
import {createArchiveWriter} from '../../source/storage/archive/writer.ts';
import {compressStream, decompressStream, extensionFor, parseCompression, resolveLevel} from '../../source/storage/compression.ts';
import {BLOCK_BYTES, WHOLE_FRAME_BYTES, xxh32, Xxh32} from '../../source/storage/lz4-stream.ts';
import {collect, dumpText, entryNamed, integrityError, manifestFields, sha256, tarEntries, tempDir, type TempDir} from './helpers.ts';

const MiB = 1024 * 1024;
const FRAME_MAGIC = Buffer.from([0x04, 0x22, 0x4d, 0x18]);

function hasCommand(name: string): boolean {
	try {
		execFileSync('sh', ['-c', `command -v ${name}`], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
}

/** the `lz4` command (Debian's lz4 package): when it is missing, the interoperability tests are skipped */
const lz4Cli = hasCommand('lz4');
const noCli = lz4Cli ? false : 'the lz4 command is not installed (apt-get install lz4)';

function lz4Command(args: string[], input: Buffer): Buffer {
	return execFileSync('lz4', [...args, '-c'], {input, maxBuffer: 1024 * MiB, stdio: ['pipe', 'pipe', 'pipe']});
}

function pieces(data: Buffer, size: number): Buffer[] {
	const parts: Buffer[] = [];
	for (let at = 0; at < data.length; at += size) parts.push(data.subarray(at, at + size));
	return parts;
}

async function squeeze(data: Buffer, chunk = 100_000): Promise<Buffer> {
	return collect(Readable.from(pieces(data, chunk)).pipe(compressStream('lz4')));
}

async function expand(data: Buffer, chunk = 64 * 1024): Promise<Buffer> {
	return collect(Readable.from(pieces(data, chunk)).pipe(decompressStream('lz4')));
}

async function expectFailure(data: Buffer, chunk = 64 * 1024): Promise<Error> {
	try {
		await pipeline(Readable.from(pieces(data, chunk)), decompressStream('lz4'), async (source) => {
			for await (const _ of source);
		});
	} catch (error) {
		return error as Error;
	}
	assert.fail('lz4 decompression of damaged data succeeded');
}

/** The frames of concatenated LZ4 frame data: where each starts and its FLG byte. */
function framesOf(data: Buffer): Array<{at: number; flg: number}> {
	const frames: Array<{at: number; flg: number}> = [];
	let at = 0;
	while (at < data.length) {
		assert.deepEqual(data.subarray(at, at + 4), FRAME_MAGIC, `a frame magic number at byte ${at}`);
		const flg = data[at + 4]!;
		frames.push({at, flg});
		let next = at + 7 + (flg & 0x08 ? 8 : 0);
		for (;;) {
			const word = data.readUInt32LE(next);
			next += 4;
			if (word === 0) break;
			next += (word & 0x7fffffff) + (flg & 0x10 ? 4 : 0);
		}
		at = next + (flg & 0x04 ? 4 : 0);
	}
	assert.equal(at, data.length);
	return frames;
}

describe('lz4 round trips', () => {
	const sizes: Array<[string, number]> = [
		['0 bytes', 0],
		['1 byte', 1],
		['exactly one block', BLOCK_BYTES],
		['several blocks and a part', 3 * BLOCK_BYTES + 12_345],
	];
	for (const [name, size] of sizes) {
		test(`${name} of text and of random bytes`, async () => {
			for (const data of [dumpText(size), randomBytes(size)]) {
				const packed = await squeeze(data);
				// one frame per block, each with its content checksum; an empty input is one empty frame
				const frames = framesOf(packed);
				assert.equal(frames.length, Math.max(1, Math.ceil(size / BLOCK_BYTES)));
				assert.ok(frames.every(({flg}) => (flg & 0x04) !== 0), 'content checksums');
				assert.deepEqual(await expand(packed), data);
				// the frame structure split anywhere: byte by byte for small data, at odd sizes for large
				assert.deepEqual(await expand(packed, size < 1000 ? 1 : 7919), data);
			}
		});
	}

	test('input written in chunks of any size, larger than a block too, gives the same frames', async () => {
		const data = dumpText(2 * BLOCK_BYTES + 5);
		const reference = await squeeze(data);
		for (const chunk of [1000, BLOCK_BYTES - 1, BLOCK_BYTES + 1, 3 * BLOCK_BYTES]) assert.deepEqual(await squeeze(data, chunk), reference, `chunks of ${chunk}`);
	});

	test('text compresses', async () => {
		const data = dumpText(2 * MiB);
		const packed = await squeeze(data);
		assert.ok(packed.length < data.length / 2, `lz4 gave ${packed.length} of ${data.length}`);
	});

	test('many streams at once keep their data apart', async () => {
		const inputs = Array.from({length: 9}, (_, index) => dumpText(200_000 + index * 7919));
		const packed = await Promise.all(inputs.map((data) => squeeze(data)));
		const unpacked = await Promise.all(packed.map((data) => expand(data)));
		unpacked.forEach((data, index) => assert.deepEqual(data, inputs[index]));
	});

	test('skippable frames are skipped', async () => {
		const data = dumpText(100_000);
		const skippable = Buffer.concat([Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 5, 0, 0, 0]), Buffer.from('hello')]);
		const packed = await squeeze(data);
		assert.deepEqual(await expand(Buffer.concat([skippable, packed, skippable, packed]), 3), Buffer.concat([data, data]));
	});
});

describe('lz4 names, extension and level', () => {
	test('lz4 is a compression, stored as .lz4, with the one level 1', () => {
		assert.equal(parseCompression('lz4'), 'lz4');
		assert.equal(extensionFor('lz4'), '.lz4');
		assert.equal(resolveLevel('lz4'), 1);
		assert.equal(resolveLevel('lz4', 1), 1);
		for (const level of [0, 2, 9, 1.5]) {
			assert.throws(() => resolveLevel('lz4', level), {name: 'UsageError', message: `--level ${level} is out of range for lz4, which has the one level 1`});
			assert.throws(() => compressStream('lz4', level), {name: 'UsageError'});
		}
	});
});

describe('lz4 checksums (XXH32)', () => {
	test('known values, whole and fed in pieces', () => {
		assert.equal(xxh32(Buffer.alloc(0)), 0x02cc5d05);
		assert.equal(xxh32(Buffer.from('a')), 0x550d7456);
		assert.equal(xxh32(Buffer.from('abc')), 0x32d153ff);
		assert.equal(xxh32(Buffer.from('Nobody inspects the spammish repetition')), 0xe2293b2f);
		const data = randomBytes(100_003);
		const whole = xxh32(data);
		for (const size of [1, 3, 15, 16, 17, 4096]) {
			const hash = new Xxh32();
			for (const part of pieces(data, size)) hash.update(part);
			assert.equal(hash.digest(), whole, `pieces of ${size}`);
		}
	});
});

describe('lz4 damaged input', () => {
	test('a flipped byte, anywhere in a frame, makes the stream fail', async () => {
		const data = Buffer.concat([dumpText(300_000), randomBytes(100_000)]);
		const packed = await squeeze(data);
		// in the header, in compressed text, in the stored random bytes, in the content checksum
		for (const at of [5, 6, 1000, packed.length - 50_000, packed.length - 2]) {
			const flipped = Buffer.from(packed);
			flipped[at]! ^= 0x01;
			assert.match((await expectFailure(flipped)).message, /^lz4 frame 0 \(at byte 0\) (does not decode \(.+\)|has a bad header: .+)$/, `byte ${at}`);
		}
	});

	test('data cut anywhere makes the stream fail: in the header, in a block, before the end mark or the checksum', async () => {
		const packed = await squeeze(dumpText(2 * BLOCK_BYTES + 1000));
		const second = framesOf(packed)[1]!.at;
		for (const length of [3, 10, 5000, second - 4, second - 1, second + 3, packed.length - 6, packed.length - 1]) {
			assert.match((await expectFailure(packed.subarray(0, length))).message, /^the lz4 data ends in the middle of a frame \(cut at byte \d+\)$/, `cut at ${length}`);
		}
	});

	test('a frame whose header gives its content size is checked against it', async () => {
		const data = Buffer.from('hello, lz4');
		const packed = await squeeze(data);
		const withSize = (size: bigint) => {
			const descriptor = Buffer.alloc(10);
			descriptor[0] = packed[4]! | 0x08;
			descriptor[1] = packed[5]!;
			descriptor.writeBigUInt64LE(size, 2);
			return Buffer.concat([FRAME_MAGIC, descriptor, Buffer.from([(xxh32(descriptor) >>> 8) & 0xff]), packed.subarray(7)]);
		};
		assert.deepEqual(await expand(withSize(10n), 3), data);
		assert.match((await expectFailure(withSize(11n))).message, /^lz4 frame 0 \(at byte 0\) (holds 10 bytes where its header says 11|does not decode \(.+\))$/);
	});

	test('garbage, trailing bytes and the legacy format are refused, naming where', async () => {
		assert.match((await expectFailure(Buffer.from('this is not lz4 at all'))).message, /^not lz4 data at byte 0: 0x73696874 where a frame's magic number 0x184d2204 belongs$/);
		const packed = await squeeze(dumpText(1000));
		assert.match((await expectFailure(Buffer.concat([packed, Buffer.from('trailing garbage')]))).message, new RegExp(`^not lz4 data at byte ${packed.length}:`));
		assert.match((await expectFailure(Buffer.from([0x02, 0x21, 0x4c, 0x18, 0, 0, 0, 0]))).message, /legacy format/);
		const future = Buffer.from(packed);
		future[4] = 0xa4;
		assert.match((await expectFailure(future)).message, /bad header: version 2/);
	});
});

describe('lz4 memory and threads', () => {
	test('a highly compressible stream is decompressed frame by frame as the reader asks', async () => {
		const packed = await squeeze(Buffer.alloc(64 * MiB), BLOCK_BYTES);
		assert.ok(packed.length < 512 * 1024, `zeros compressed to ${packed.length} bytes`);
		const stream = decompressStream('lz4');
		stream.end(packed);
		await sleep(300);
		assert.ok(stream.readableLength <= 2 * BLOCK_BYTES, `${stream.readableLength} bytes buffered with nobody reading`);
		let total = 0;
		for await (const chunk of stream) total += (chunk as Buffer).length;
		assert.equal(total, 64 * MiB);
	});

	test('compression holds back its input while nobody reads its output', async () => {
		const stream = compressStream('lz4');
		let accepted = 0;
		const writing = (async () => {
			for (let index = 0; index < 64; index++) {
				if (!stream.write(randomBytes(MiB))) await new Promise((resolve) => stream.once('drain', resolve));
				accepted += 1;
			}
		})();
		await sleep(500);
		assert.ok(accepted < 20, `${accepted} MiB accepted with nobody reading`);
		const total = collect(stream);
		await writing;
		stream.end();
		assert.ok((await total).length > 64 * MiB);
	});

	test('compression leaves the event loop free (timers keep firing)', async () => {
		let ticks = 0;
		const timer = setInterval(() => ticks++, 2);
		const started = performance.now();
		await squeeze(Buffer.concat([dumpText(24 * MiB), randomBytes(8 * MiB)]), BLOCK_BYTES);
		const elapsed = performance.now() - started;
		clearInterval(timer);
		assert.ok(ticks >= 3, `only ${ticks} timer ticks in ${elapsed.toFixed(0)} ms`);
	});
});

describe('the lz4 command', {skip: noCli}, () => {
	test('decompresses what we write (concatenated frames), and we decompress what it writes', async () => {
		for (const data of [Buffer.alloc(0), Buffer.from('x'), dumpText(BLOCK_BYTES), Buffer.concat([dumpText(2 * BLOCK_BYTES), randomBytes(MiB)])]) {
			assert.deepEqual(lz4Command(['-d'], await squeeze(data)), data, `${data.length} bytes through lz4 -d`);
			assert.deepEqual(await expand(lz4Command([], data)), data, `${data.length} bytes from lz4`);
		}
	});

	test('its large frames are read in groups of blocks, with their content checksum checked here', async () => {
		// one frame of more than WHOLE_FRAME_BYTES: 4 MiB blocks (the default), 64 KiB blocks, with block checksums and the content size
		const data = Buffer.concat([dumpText(WHOLE_FRAME_BYTES), randomBytes(3 * MiB), dumpText(WHOLE_FRAME_BYTES)]);
		for (const options of [[], ['-B4'], ['-B4', '-BX', '--content-size'], ['--no-frame-crc']]) {
			const packed = lz4Command(options, data);
			assert.equal(framesOf(packed).length, 1);
			assert.deepEqual(await expand(packed), data, `lz4 ${options.join(' ')}`);
		}
		// a byte of the stored random bytes flipped: only the content checksum can tell
		const packed = lz4Command(['-B4'], data);
		const flipped = Buffer.from(packed);
		flipped[Math.floor(packed.length / 2)]! ^= 0x01;
		assert.match((await expectFailure(flipped)).message, /^lz4 frame 0 \(at byte 0\) (does not match its content checksum|does not decode)/);
		// several files' frames one after the other, as `cat a.lz4 b.lz4` makes
		assert.deepEqual(await expand(Buffer.concat([packed, lz4Command([], Buffer.from('tail'))])), Buffer.concat([data, Buffer.from('tail')]));
	});

	test('linked blocks (lz4 -BD) are read up to WHOLE_FRAME_BYTES, and refused past that with what to do', async () => {
		const small = dumpText(3 * MiB);
		assert.deepEqual(await expand(lz4Command(['-BD'], small)), small);
		const large = dumpText(WHOLE_FRAME_BYTES + MiB);
		assert.match((await expectFailure(lz4Command(['-BD', '-B4'], large))).message, /linked blocks \(lz4 -BD\).*recompress it without -BD/);
	});
});

describe('archives with lz4 members', () => {
	let dir: TempDir;
	before(() => {
		dir = tempDir();
	});
	after(() => dir.remove());

	test('members are written as .lz4 with their stage, and read back whole, as pieces and verified deep', async () => {
		const target = dir.at('lz4.tar');
		const writer = await createArchiveWriter({path: target, compression: 'lz4', spillThreshold: 64 * 1024, concurrency: 2});
		const inputs = new Map<string, Buffer>();
		for (const [name, data] of [
			['empty', Buffer.alloc(0)],
			['one-byte', Buffer.from('x')],
			['text', dumpText(BLOCK_BYTES + 100_000)],
			['random', randomBytes(300_000)],
		] as const) {
			const member = await writer.addMember(`data/shop/${name}.sql`, data, {rows: 1});
			assert.equal(member.path, `data/shop/${name}.sql.lz4`);
			assert.equal(member.compression, 'lz4');
			assert.deepEqual(member.stages, [{kind: 'compress', codec: 'lz4', level: 1}]);
			inputs.set(member.path, data);
		}
		const {manifest} = await writer.finish(manifestFields({options: {compress: 'lz4'}}));
		assert.deepEqual(manifest.members.map((member) => member.path), [...inputs.keys()]);

		const archive = await openArchive(target);
		for (const [memberPath, data] of inputs) assert.deepEqual(await collect(archive.readMember(memberPath)), data, memberPath);
		for (const [memberPath, data] of inputs) {
			const parts: Buffer[] = [];
			for await (const piece of archive.readMemberPieces(memberPath)) {
				parts.push(Buffer.from(piece.data));
				piece.release();
			}
			assert.deepEqual(Buffer.concat(parts), data, `${memberPath} as pieces`);
		}
		const report = await archive.verify({deep: true});
		assert.equal(report.rawBytes, [...inputs.values()].reduce((sum, data) => sum + data.length, 0));

		if (lz4Cli) {
			const extracted = dir.at('extracted');
			mkdirSync(extracted);
			execFileSync('tar', ['-xf', target, '-C', extracted]);
			const text = execFileSync('lz4', ['-dc', path.join(extracted, 'data/shop/text.sql.lz4')], {maxBuffer: 64 * MiB});
			assert.deepEqual(text, inputs.get('data/shop/text.sql.lz4'));
		}
	});

	test('a corrupt or cut lz4 member whose hash the manifest agrees with is an IntegrityError naming it', async () => {
		const data = dumpText(2 * BLOCK_BYTES);
		const whole = await squeeze(data);
		const flippedBytes = Buffer.from(whole);
		flippedBytes[1000]! ^= 0x01;
		for (const [name, stored, problem] of [
			['flipped', flippedBytes, /the lz4 data is corrupt \(lz4 frame 0 \(at byte 0\) does not decode \(.+\)\)/],
			['cut', whole.subarray(0, whole.length - 100), /the lz4 data is corrupt \(the lz4 data ends in the middle of a frame \(cut at byte \d+\)\)/],
		] as const) {
			const memberPath = `data/${name}.sql.lz4`;
			const member: ManifestMember = {
				path: memberPath,
				bytes: stored.length,
				rawBytes: data.length,
				sha256: sha256(stored),
				compression: 'lz4',
				stages: [{kind: 'compress', codec: 'lz4', level: 1}],
			};
			const target = await forged(dir, name, member, stored);
			const archive = await openArchive(target);
			await archive.verify();
			const expected = new RegExp(`^${memberPath.replaceAll('.', '\\.')}: ${problem.source} \\(archive ${target}\\)$`);
			await integrityError(() => collect(archive.readMember(memberPath)), 'ARCHIVE_MEMBER_CORRUPT', expected);
			await integrityError(async () => {
				for await (const piece of archive.readMemberPieces(memberPath)) piece.release();
			}, 'ARCHIVE_MEMBER_CORRUPT', expected);
			assert.ok(entryNamed(await tarEntries(target), memberPath));
		}
	});
});

/** An archive of the one member `member` stored as `stored`, with a manifest that agrees with it. */
async function forged(dir: TempDir, name: string, member: ManifestMember, stored: Buffer): Promise<string> {
	const manifest: Manifest = {formatVersion: MANIFEST_FORMAT_VERSION, ...manifestFields(), finishedAt: '2025-01-02T03:04:06.000Z', members: [member]};
	const pack = tar.pack();
	pack.entry({name: member.path, size: stored.length}, stored);
	pack.entry({name: 'manifest.json'}, serializeManifest(manifest));
	pack.finalize();
	const target = dir.at(`forged-${name}.tar`);
	writeFileSync(target, await collect(pack as AsyncIterable<Buffer>));
	return target;
}
