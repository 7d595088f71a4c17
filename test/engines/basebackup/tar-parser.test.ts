/**
 * The base backup's tar parser and content packer, on tars made by tar-stream (POSIX ustar, as the
 * server writes): entries and content in any chunking, refusals of what a data directory never holds,
 * and packs cut at fixed sizes with a bounded set of buffers.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {describe, test} from 'node:test';
import tar from 'tar-stream';
import {ContentPacker, PackBuffers} from '../../../source/engines/physical/packer.ts';
import {TarParser, type TarHeader} from '../../../source/engines/basebackup/tar-parser.ts';
import type {ManifestMember} from '../../../source/storage/archive/manifest.ts';

async function makeTar(entries: Array<{header: Partial<tar.Header> & {name: string}; content?: Buffer}>, trailer = true): Promise<Buffer> {
	const pack = tar.pack();
	const chunks: Buffer[] = [];
	const done = (async () => {
		for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
	})();
	for (const {header, content} of entries) {
		await new Promise<void>((resolve, reject) => {
			const done = (error?: Error | null) => (error ? reject(error) : resolve());
			if (content === undefined) pack.entry(header, done);
			else pack.entry(header, content, done);
		});
	}
	pack.finalize();
	await done;
	const whole = Buffer.concat(chunks);
	// PostgreSQL's streams end at the last entry's padding; tar-stream writes the two zero blocks too
	return trailer ? whole : whole.subarray(0, whole.length - 1024);
}

function pieces(bytes: Buffer, sizes: number[]): Buffer[] {
	const out: Buffer[] = [];
	let at = 0;
	let index = 0;
	while (at < bytes.length) {
		const size = sizes[index++ % sizes.length]!;
		out.push(bytes.subarray(at, at + size));
		at += size;
	}
	return out;
}

async function parse(bytes: Buffer, sizes: number[], slow = false): Promise<{headers: TarHeader[]; contents: Map<string, Buffer>}> {
	const headers: TarHeader[] = [];
	const contents = new Map<string, Buffer[]>();
	let current = '';
	const parser = new TarParser(
		{
			onEntry: (header) => {
				headers.push(header);
				current = header.name;
				contents.set(current, []);
			},
			onData: (chunk) => {
				contents.get(current)!.push(Buffer.from(chunk));
				return slow ? new Promise((resolve) => setImmediate(resolve)) : undefined;
			},
		},
		'test.tar',
	);
	for (const piece of pieces(bytes, sizes)) await parser.write(piece);
	parser.end();
	return {headers, contents: new Map([...contents].map(([name, list]) => [name, Buffer.concat(list)]))};
}

const big = Buffer.from(Array.from({length: 70_001}, (_, index) => index % 251));

const SAMPLE = [
	{header: {name: 'PG_VERSION', mode: 0o600, type: 'file' as const}, content: Buffer.from('15\n')},
	{header: {name: 'base/', mode: 0o700, type: 'directory' as const}},
	{header: {name: 'base/5/', mode: 0o700, type: 'directory' as const}},
	{header: {name: 'base/5/1259', mode: 0o600, type: 'file' as const}, content: big},
	{header: {name: 'base/5/empty', mode: 0o640, type: 'file' as const}, content: Buffer.alloc(0)},
	{header: {name: './pg_wal/archive_status/', mode: 0o700, type: 'directory' as const}},
	{header: {name: 'pg_tblspc/16385', mode: 0o777, type: 'symlink' as const, linkname: '/srv/ts'}},
	{header: {name: `${'d'.repeat(120)}/${'f'.repeat(90)}`, mode: 0o600, type: 'file' as const}, content: Buffer.from('long name')},
];

describe('TarParser', () => {
	test('entries, modes, sizes, link targets and content, whatever the chunking, with or without the trailer', async () => {
		for (const trailer of [true, false]) {
			const bytes = await makeTar(SAMPLE, trailer);
			for (const sizes of [[bytes.length], [1], [511, 513, 7], [32 * 1024], [1000, 3]]) {
				const {headers, contents} = await parse(bytes, sizes, sizes[0] === 1000);
				assert.deepEqual(
					headers.map((header) => [header.name, header.type, header.mode.toString(8), header.size, header.linkname]),
					[
						['PG_VERSION', 'file', '600', 3, ''],
						['base/', 'directory', '700', 0, ''],
						['base/5/', 'directory', '700', 0, ''],
						['base/5/1259', 'file', '600', 70_001, ''],
						['base/5/empty', 'file', '640', 0, ''],
						['./pg_wal/archive_status/', 'directory', '700', 0, ''],
						['pg_tblspc/16385', 'symlink', '777', 0, '/srv/ts'],
						[`${'d'.repeat(120)}/${'f'.repeat(90)}`, 'file', '600', 9, ''],
					],
				);
				assert.ok(contents.get('base/5/1259')!.equals(big));
				assert.equal(contents.get('PG_VERSION')!.toString(), '15\n');
				assert.equal(contents.get('base/5/empty')!.length, 0);
			}
		}
	});

	test('a stream cut inside an entry, a damaged header, and kinds a data directory never holds are refused by name', async () => {
		const bytes = await makeTar(SAMPLE);
		const cut = new TarParser({onEntry: () => undefined, onData: () => undefined}, 'base.tar from db1:5432');
		await cut.write(bytes.subarray(0, 3000));
		assert.throws(() => cut.end(), {code: 'BASEBACKUP_TAR_INVALID', message: /^base\.tar from db1:5432: the tar stream stopped inside "base\/5\/1259" \(\d+ bytes of content missing\)/});

		const damaged = Buffer.from(bytes);
		damaged[3] = 0x41;
		await assert.rejects(parse(damaged, [damaged.length]), {code: 'BASEBACKUP_TAR_INVALID', message: /the tar header of "PG_AERSION" has checksum \d+, its bytes add up to \d+/});

		for (const type of ['fifo', 'character-device', 'block-device', 'link'] as const) {
			const odd = await makeTar([{header: {name: 'odd', mode: 0o600, type, linkname: 'x'}}]);
			await assert.rejects(parse(odd, [odd.length]), {code: 'BASEBACKUP_TAR_INVALID', message: /"odd" is a tar entry of type "\w"; a data directory holds only directories, files and symlinks/});
		}
		const trailing = Buffer.concat([bytes, bytes.subarray(0, 512)]);
		await assert.rejects(parse(trailing, [trailing.length]), {message: /data follows the end-of-archive marker/});
	});
});

describe('ContentPacker', () => {
	test('content cut into packs of a fixed size, in order, with never more buffers than allowed', async () => {
		const buffers = new PackBuffers(1000, 2);
		const added: Array<{name: string; bytes: Buffer; release: () => void}> = [];
		const packer = new ContentPacker(
			buffers,
			(name, slices) =>
				new Promise<ManifestMember>((resolve) => {
					// the member "compresses" until released: the packer must wait for a buffer meanwhile
					added.push({name, bytes: Buffer.concat(slices), release: () => resolve({path: `${name}.zst`} as ManifestMember)});
				}),
			'files/base',
		);
		const content = Buffer.from(Array.from({length: 3500}, (_, index) => index % 253));
		assert.equal(packer.write(content.subarray(0, 1500)), undefined);
		const waiting = packer.write(content.subarray(1500, 3500));
		assert.ok(waiting instanceof Promise, 'both buffers are full and compressing: the third pack waits');
		assert.equal(added.length, 2);
		added[0]!.release();
		await new Promise((resolve) => setImmediate(resolve));
		assert.equal(added.length, 3, 'the first buffer came back and was filled');
		added[1]!.release();
		await waiting;
		packer.flush();
		for (const member of added.slice(2)) member.release();
		const names = (await Promise.all(packer.members)).map((member) => member.path);
		assert.deepEqual(names, ['files/base/000000.zst', 'files/base/000001.zst', 'files/base/000002.zst', 'files/base/000003.zst']);
		assert.deepEqual(added.map((member) => member.bytes.length), [1000, 1000, 1000, 500]);
		assert.equal(createHash('sha256').update(Buffer.concat(added.map((member) => member.bytes))).digest('hex'), createHash('sha256').update(content).digest('hex'));
		assert.equal(packer.bytes, 3500);
	});
});
