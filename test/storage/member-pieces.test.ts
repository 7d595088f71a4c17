import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {readFileSync, utimesSync, writeFileSync} from 'node:fs';
import {after, before, describe, test} from 'node:test';
import tar from 'tar-stream';
import {compressStream} from '../../source/storage/compression.ts';
import {serializeManifest, type Manifest, type ManifestMember} from '../../source/storage/archive/manifest.ts';
import {openArchive, type MemberPiece, type OpenArchive} from '../../source/storage/archive/reader.ts';
import {collect, dumpText, entryNamed, integrityError, sha256, tarEntries, tempDir, writeSampleArchive, type TempDir} from './helpers.ts';

const MiB = 1024 * 1024;

let dir: TempDir;
let good: string;
let goodBytes: Buffer;
let manifest: Manifest;
let copies = 0;
/** member path → its content before compression */
let contents: Map<string, Buffer>;

before(async () => {
	dir = tempDir();
	good = dir.at('good.tar');
	// several slots' worth (a slot is 1 MiB), one byte, nothing, and each codec
	({bytes: goodBytes, manifest, contents} = await writeSampleArchive(good, [
		['data/shop/orders.00001.sql', dumpText(5 * MiB + 17), 'zstd'],
		['data/shop/orders.00002.sql', dumpText(3 * MiB), 'none'],
		['data/shop/orders.00003.sql', Buffer.concat([dumpText(MiB), randomBytes(2 * MiB)]), 'gzip'],
		['data/shop/orders.00004.sql', Buffer.from('x'), 'zstd'],
		['data/shop/orders.00005.sql', Buffer.alloc(0), 'zstd'],
		['data/shop/orders.00006.sql', Buffer.alloc(0), 'none'],
	]));
});
after(() => dir.remove());

/** The member's content read as pieces, each released once copied; the pieces are checked to be distinct memory while held. */
async function readPieces(archive: OpenArchive, memberPath: string): Promise<Buffer> {
	const parts: Buffer[] = [];
	for await (const piece of archive.readMemberPieces(memberPath)) {
		parts.push(Buffer.from(piece.data));
		piece.release();
	}
	return Buffer.concat(parts);
}

function memberNamed(path: string): ManifestMember {
	const member = manifest.members.find((candidate) => candidate.path === path);
	assert.ok(member, path);
	return member;
}

/** A copy of the good archive with one byte of member `name` flipped, without its sidecar. */
async function flipped(name: string): Promise<string> {
	const {dataOffset, size} = entryNamed(await tarEntries(good), name);
	const bytes = Buffer.from(goodBytes);
	bytes[dataOffset + Math.floor(size / 2)]! ^= 0x01;
	const target = dir.at(`flipped-${++copies}.tar`);
	writeFileSync(target, bytes);
	return target;
}

/** A tar holding one member with the given stored bytes and manifest entry (what the writer would never produce). */
async function forged(member: ManifestMember, stored: Buffer): Promise<string> {
	const pack = tar.pack();
	pack.entry({name: member.path, size: stored.length}, stored);
	pack.entry({name: 'manifest.json'}, serializeManifest({...manifest, databases: [], members: [member]}));
	pack.finalize();
	const target = dir.at(`forged-${++copies}.tar`);
	writeFileSync(target, await collect(pack as AsyncIterable<Buffer>));
	return target;
}

async function zstdOf(data: Buffer): Promise<Buffer> {
	const compressor = compressStream('zstd');
	const done = collect(compressor);
	compressor.end(data);
	return done;
}

describe('readMemberPieces', () => {
	test('gives every member as readMember does, before verify() and after it', async () => {
		const archive = await openArchive(good);
		for (const member of manifest.members) assert.deepEqual(await readPieces(archive, member.path), contents.get(member.path), `${member.path}, not verified`);
		await archive.verify();
		for (const member of manifest.members) {
			const read = await readPieces(archive, member.path);
			assert.deepEqual(read, contents.get(member.path), `${member.path}, verified`);
			assert.deepEqual(read, await collect(archive.readMember(member.path)));
		}
	});

	test('several members read at once keep their data apart', async () => {
		const archive = await openArchive(good);
		const all = await Promise.all([...manifest.members, ...manifest.members].map((member) => readPieces(archive, member.path)));
		all.forEach((read, index) => {
			const member = manifest.members[index % manifest.members.length]!;
			assert.deepEqual(read, contents.get(member.path), member.path);
		});
	});

	test('pieces held back keep their bytes while later members are read', async () => {
		const archive = await openArchive(good);
		const first = manifest.members[0]!.path;
		const held: MemberPiece[] = [];
		const iterator = archive.readMemberPieces(first)[Symbol.asyncIterator]();
		// the first member has more pieces than the reader keeps in flight: take what it hands out unreleased
		for (let count = 0; count < 2; count++) {
			const next = await iterator.next();
			assert.equal(next.done, false);
			held.push(next.value as MemberPiece);
		}
		const copies = held.map((piece) => Buffer.from(piece.data));
		for (const member of manifest.members.slice(1)) assert.deepEqual(await readPieces(archive, member.path), contents.get(member.path));
		held.forEach((piece, index) => assert.deepEqual(piece.data, copies[index]));
		assert.deepEqual(Buffer.concat(copies), contents.get(first)!.subarray(0, copies.reduce((sum, part) => sum + part.length, 0)));
		for (const piece of held) piece.release();
		await iterator.return?.();
		assert.deepEqual(await readPieces(archive, first), contents.get(first));
	});

	test('a reader that stops early leaves the member; the next reads are whole', async () => {
		const archive = await openArchive(good);
		for (const member of manifest.members.slice(0, 3)) {
			for await (const piece of archive.readMemberPieces(member.path)) {
				piece.release();
				break;
			}
		}
		for (const member of manifest.members) assert.deepEqual(await readPieces(archive, member.path), contents.get(member.path));
	});

	test('a member the manifest does not list is a UsageError', async () => {
		const archive = await openArchive(good);
		assert.throws(() => archive.readMemberPieces('data/nope.sql'), /is not a member of/);
	});
});

describe('readMemberPieces on damaged members: the error comes in place of the end', () => {
	for (const index of [0, 1, 2]) {
		test(`a flipped byte in a ${['zstd', 'none', 'gzip'][index]} member`, async () => {
			const victim = manifest.members[index]!;
			const target = await flipped(victim.path);
			const archive = await openArchive(target);
			await integrityError(() => readPieces(archive, victim.path), /^ARCHIVE_(CHECKSUM_MISMATCH|MEMBER_CORRUPT)$/, new RegExp(`^${victim.path}: .*\\(archive ${target}\\)`));
			assert.deepEqual(await readPieces(archive, manifest.members[3]!.path), contents.get(manifest.members[3]!.path));
		});
	}

	test('the archive changed after verify(): the member is hashed again and the change is caught', async () => {
		const victim = memberNamed('data/shop/orders.00002.sql');
		const target = dir.at(`changed-${++copies}.tar`);
		writeFileSync(target, goodBytes);
		const archive = await openArchive(target);
		await archive.verify();
		const {dataOffset} = entryNamed(await tarEntries(target), victim.path);
		const bytes = readFileSync(target);
		bytes[dataOffset + 10]! ^= 0x01;
		writeFileSync(target, bytes);
		// another modification time for certain, whatever the file system's clock resolution
		utimesSync(target, new Date(), new Date(Date.now() + 5000));
		await integrityError(() => readPieces(archive, victim.path), 'ARCHIVE_CHECKSUM_MISMATCH', new RegExp(`^${victim.path}: sha256 mismatch`));
		await integrityError(() => collect(archive.readMember(victim.path)), 'ARCHIVE_CHECKSUM_MISMATCH', new RegExp(`^${victim.path}: sha256 mismatch`));
	});

	test('a corrupt zstd frame whose hash the manifest agrees with', async () => {
		const garbage = Buffer.from('this is not a zstd frame at all, but its hash is right');
		const target = await forged({path: 'data/x.sql.zst', bytes: garbage.length, rawBytes: 100, sha256: sha256(garbage), compression: 'zstd'}, garbage);
		const archive = await openArchive(target);
		await archive.verify();
		await integrityError(() => readPieces(archive, 'data/x.sql.zst'), 'ARCHIVE_MEMBER_CORRUPT', new RegExp(`^data/x\\.sql\\.zst: the zstd data is corrupt \\(.+\\) \\(archive ${target}\\)`));
	});

	test('a zstd frame cut short, whose hash the manifest agrees with', async () => {
		const whole = await zstdOf(dumpText(2 * MiB));
		const cut = whole.subarray(0, whole.length - 100);
		const target = await forged({path: 'data/x.sql.zst', bytes: cut.length, rawBytes: 2 * MiB, sha256: sha256(cut), compression: 'zstd'}, cut);
		const archive = await openArchive(target);
		await integrityError(() => readPieces(archive, 'data/x.sql.zst'), 'ARCHIVE_MEMBER_CORRUPT', /ends in the middle of a frame/);
	});

	test('a member that decompresses to another size than the manifest says', async () => {
		const raw = dumpText(MiB + 3);
		const stored = await zstdOf(raw);
		const target = await forged({path: 'data/x.sql.zst', bytes: stored.length, rawBytes: raw.length + 1, sha256: sha256(stored), compression: 'zstd'}, stored);
		const archive = await openArchive(target);
		await integrityError(() => readPieces(archive, 'data/x.sql.zst'), 'ARCHIVE_SIZE_MISMATCH', new RegExp(`decompresses to ${raw.length} bytes, the manifest says ${raw.length + 1}`));
	});

	test('attack: a decompression bomb stops as soon as it passes the size the manifest says', async () => {
		const raw = Buffer.alloc(64 * MiB, 0x41);
		const stored = await zstdOf(raw);
		assert.ok(stored.length < 64 * 1024, `a ${stored.length}-byte member inflating to 64 MiB`);
		const target = await forged({path: 'data/x.sql.zst', bytes: stored.length, rawBytes: 1000, sha256: sha256(stored), compression: 'zstd'}, stored);
		const archive = await openArchive(target);
		let delivered = 0;
		await integrityError(
			async () => {
				for await (const piece of archive.readMemberPieces('data/x.sql.zst')) {
					delivered += piece.data.length;
					piece.release();
				}
			},
			'ARCHIVE_SIZE_MISMATCH',
			/decompresses to more than the 1000 bytes the manifest says/,
		);
		assert.ok(delivered <= 2 * MiB, `${delivered} bytes were handed out before the stop`);
		let streamed = 0;
		await integrityError(
			async () => {
				for await (const chunk of archive.readMember('data/x.sql.zst')) streamed += (chunk as Buffer).length;
			},
			'ARCHIVE_SIZE_MISMATCH',
			/decompresses to more than the 1000 bytes/,
		);
		assert.ok(streamed <= 1000, `${streamed} bytes were streamed before the stop`);
	});

	test('the archive cut short after it was opened', async () => {
		const victim = memberNamed('data/shop/orders.00002.sql');
		const target = dir.at(`cut-${++copies}.tar`);
		writeFileSync(target, goodBytes);
		const archive = await openArchive(target);
		const {dataOffset} = entryNamed(await tarEntries(target), victim.path);
		writeFileSync(target, goodBytes.subarray(0, dataOffset + 1000));
		await integrityError(() => readPieces(archive, victim.path), 'ARCHIVE_SIZE_MISMATCH', new RegExp(`^${victim.path}: 1000 bytes stored, the manifest says ${victim.bytes}`));
	});
});
