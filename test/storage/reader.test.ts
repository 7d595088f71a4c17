import assert from 'node:assert/strict';
import {copyFileSync, rmSync, writeFileSync} from 'node:fs';
import {after, before, describe, test} from 'node:test';
import tar from 'tar-stream';
import {IntegrityError} from '../../source/core/errors.ts';
import {serializeManifest, type Manifest} from '../../source/storage/archive/manifest.ts';
import {openArchive} from '../../source/storage/archive/reader.ts';
import {collect, dumpText, entryNamed, integrityError, sha256, tarEntries, tempDir, writeSampleArchive, type TempDir} from './helpers.ts';

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
	({bytes: goodBytes, manifest, contents} = await writeSampleArchive(
		good,
		[
			['schema/shop.sql', Buffer.from('CREATE TABLE orders (id int);\n')],
			['data/shop/orders.00001.sql', dumpText(300_000)],
			['data/shop/orders.00002.sql', dumpText(200_000)],
			['data/shop/orders.00003.sql', dumpText(100_000)],
		],
		{databases: [{name: 'shop', tables: [{name: 'orders', rows: 9, members: ['data/shop/orders.00001.sql.zst', 'data/shop/orders.00002.sql.zst', 'data/shop/orders.00003.sql.zst']}]}]},
	));
});
after(() => dir.remove());

/** A damaged copy of the good archive, without its sidecar. */
function copy(change: (bytes: Buffer) => Buffer): string {
	const target = dir.at(`copy-${++copies}.tar`);
	writeFileSync(target, change(Buffer.from(goodBytes)));
	return target;
}

/** A tar of the given members (name → stored bytes) written with tar-stream directly. */
async function tarOf(members: Array<[string, Buffer]>): Promise<Buffer> {
	const pack = tar.pack();
	for (const [name, data] of members) pack.entry({name, size: data.length}, data);
	pack.finalize();
	return collect(pack as AsyncIterable<Buffer>);
}

/** The good archive's stored members, as tar-stream extracts them. */
async function storedMembers(): Promise<Array<[string, Buffer]>> {
	const extract = tar.extract();
	const members: Array<[string, Buffer]> = [];
	const done = (async () => {
		for await (const entry of extract) {
			members.push([entry.header.name, await collect(entry as AsyncIterable<Buffer>)]);
		}
	})();
	extract.end(goodBytes);
	await done;
	return members;
}

async function openAndVerify(target: string) {
	const archive = await openArchive(target);
	return archive.verify();
}

describe('a good archive', () => {
	test('opens by its headers, verifies, and reads back every member', async () => {
		const archive = await openArchive(good);
		assert.deepEqual(archive.manifest, manifest);
		assert.deepEqual(archive.entries.map((entry) => entry.name), manifest.members.map((member) => member.path));
		const report = await archive.verify({deep: true});
		assert.equal(report.members, 4);
		for (const [memberPath, data] of contents) assert.deepEqual(await collect(archive.readMember(memberPath)), data);
	});

	test('the index agrees with tar-stream about every member', async () => {
		const members = await storedMembers();
		const entries = await tarEntries(good);
		assert.deepEqual(entries.map((entry) => entry.name), members.map(([name]) => name));
		for (const [name, data] of members) {
			const entry = entryNamed(entries, name);
			assert.equal(entry.size, data.length);
			assert.deepEqual(goodBytes.subarray(entry.dataOffset, entry.dataOffset + entry.size), data);
		}
	});

	test('asking for a member the manifest does not list is a UsageError', async () => {
		const archive = await openArchive(good);
		assert.throws(() => archive.readMember('data/shop/nope.sql.zst'), {name: 'UsageError', code: 'MEMBER_UNKNOWN'});
	});
});

describe('truncation', () => {
	test('cut inside the first header, in a member, before the manifest, in the manifest, in the end marker', async () => {
		const entries = await tarEntries(good);
		const second = entryNamed(entries, manifest.members[1]!.path);
		const manifestEntry = entryNamed(entries, 'manifest.json');
		const cuts: Array<[string, number, RegExp]> = [
			['empty file', 0, /is truncated: the file is empty/],
			['inside the first header', 100, /is truncated: the file ends inside a tar header at byte 100/],
			['in the middle of a member', second.dataOffset + Math.floor(second.size / 2), new RegExp(`member ${second.name} needs bytes up to ${second.dataOffset + second.size}`)],
			['just before the manifest', manifestEntry.headerOffset, /before the manifest and the end-of-archive marker/],
			['inside the manifest', manifestEntry.dataOffset + 10, /member manifest\.json needs bytes/],
			['inside the end-of-archive marker', goodBytes.length - 100, /the end-of-archive marker is cut/],
		];
		for (const [label, at, message] of cuts) {
			const target = copy((bytes) => bytes.subarray(0, at));
			const error = await integrityError(() => openArchive(target), 'ARCHIVE_TRUNCATED', message);
			assert.ok(error.message.includes(target), `${label}: ${error.message}`);
		}
	});

	test('a cut anywhere is an IntegrityError', async () => {
		const target = dir.at('cut-anywhere.tar');
		for (let at = 0; at < goodBytes.length; at += 211) {
			writeFileSync(target, goodBytes.subarray(0, at));
			await assert.rejects(openAndVerify(target), IntegrityError, `cut at ${at}`);
		}
	});
});

describe('damage', () => {
	test('a flipped byte inside a member: verify names the member and the archive, readMember fails', async () => {
		const entries = await tarEntries(good);
		const victim = manifest.members[2]!;
		const entry = entryNamed(entries, victim.path);
		const target = copy((bytes) => {
			bytes[entry.dataOffset + Math.floor(entry.size / 2)]! ^= 0x01;
			return bytes;
		});
		const archive = await openArchive(target);
		await integrityError(() => archive.verify(), 'ARCHIVE_CHECKSUM_MISMATCH', new RegExp(`^${victim.path}: sha256 mismatch \\(archive ${target}\\)`));
		// the stream fails with an IntegrityError naming the member, from the hash or from the zstd frame check
		await assert.rejects(collect(archive.readMember(victim.path)), (failure: unknown) => {
			assert.ok(failure instanceof IntegrityError);
			assert.ok(failure.message.startsWith(`${victim.path}: `), failure.message);
			assert.ok(failure.message.includes(target));
			return true;
		});
		assert.deepEqual(await collect(archive.readMember(manifest.members[1]!.path)), contents.get(manifest.members[1]!.path));
	});

	test('verify reports the first bad member when several are damaged', async () => {
		const entries = await tarEntries(good);
		const [first, second] = [entryNamed(entries, manifest.members[1]!.path), entryNamed(entries, manifest.members[3]!.path)];
		const target = copy((bytes) => {
			bytes[second.dataOffset + 5]! ^= 0x80;
			bytes[first.dataOffset + 5]! ^= 0x80;
			return bytes;
		});
		await integrityError(() => openAndVerify(target), 'ARCHIVE_CHECKSUM_MISMATCH', new RegExp(`^${first.name}: sha256 mismatch`));
	});

	test('a flipped byte in a header is a corrupt header', async () => {
		const entries = await tarEntries(good);
		const entry = entryNamed(entries, manifest.members[1]!.path);
		const target = copy((bytes) => {
			bytes[entry.headerOffset + 10]! ^= 0x01;
			return bytes;
		});
		await integrityError(() => openArchive(target), 'ARCHIVE_HEADER_CORRUPT', new RegExp(`the tar header at byte ${entry.headerOffset} after member ${manifest.members[0]!.path} is corrupt \\(checksum mismatch\\)`));
	});

	test('a file that is not a tar', async () => {
		const target = dir.at('not-a-tar.tar');
		writeFileSync(target, Buffer.alloc(4096, 'x'));
		await integrityError(() => openArchive(target), 'ARCHIVE_NOT_TAR', /is not a tar archive/);
	});

	test('a corrupt zstd frame whose hash the manifest agrees with still fails the member stream', async () => {
		const garbage = Buffer.from('this is not a zstd frame at all, but its hash is right');
		const forged: Manifest = {
			...manifest,
			databases: [],
			members: [{path: 'data/x.sql.zst', bytes: garbage.length, rawBytes: 100, sha256: sha256(garbage), compression: 'zstd'}],
		};
		const target = dir.at('forged.tar');
		writeFileSync(target, await tarOf([['data/x.sql.zst', garbage], ['manifest.json', Buffer.from(serializeManifest(forged))]]));
		const archive = await openArchive(target);
		await archive.verify();
		await integrityError(() => collect(archive.readMember('data/x.sql.zst')), 'ARCHIVE_MEMBER_CORRUPT', new RegExp(`^data/x\\.sql\\.zst: the zstd data is corrupt \\(.+\\) \\(archive ${target}\\)`));
		await integrityError(() => archive.verify({deep: true}), 'ARCHIVE_MEMBER_CORRUPT', /^data\/x\.sql\.zst: /);
	});

	test('a member that decompresses to another size than the manifest says', async () => {
		const members = await storedMembers();
		const forged: Manifest = {...manifest, members: manifest.members.map((member, index) => (index === 0 ? {...member, rawBytes: member.rawBytes + 1} : member))};
		const target = dir.at('raw-size.tar');
		writeFileSync(target, await tarOf([...members.slice(0, -1), ['manifest.json', Buffer.from(serializeManifest(forged))]]));
		const archive = await openArchive(target);
		await archive.verify();
		await integrityError(() => collect(archive.readMember(manifest.members[0]!.path)), 'ARCHIVE_SIZE_MISMATCH', /decompresses to 30 bytes, the manifest says 31/);
	});
});

describe('manifest and members disagree', () => {
	test('no manifest', async () => {
		const members = await storedMembers();
		const target = dir.at('no-manifest.tar');
		writeFileSync(target, await tarOf(members.slice(0, -1)));
		await integrityError(() => openArchive(target), 'ARCHIVE_NO_MANIFEST', new RegExp(`^${target} has no manifest\\.json`));
	});

	test('the manifest lists a member that is not there', async () => {
		const members = await storedMembers();
		const missing = members[2]![0];
		const target = dir.at('missing-member.tar');
		writeFileSync(target, await tarOf(members.filter(([name]) => name !== missing)));
		const archive = await openArchive(target);
		await integrityError(() => archive.verify(), 'ARCHIVE_MEMBER_MISSING', new RegExp(`^${missing}: listed in the manifest but missing from the archive \\(archive ${target}\\)`));
		assert.throws(() => archive.readMember(missing), {name: 'IntegrityError', code: 'ARCHIVE_MEMBER_MISSING'});
	});

	test('a member the manifest does not list', async () => {
		const members = await storedMembers();
		const target = dir.at('extra-member.tar');
		writeFileSync(target, await tarOf([...members.slice(0, -1), ['data/stowaway.sql', Buffer.from('x')], members.at(-1)!]));
		await integrityError(() => openAndVerify(target), 'ARCHIVE_MEMBER_UNEXPECTED', /^data\/stowaway\.sql: in the archive but not in its manifest/);
	});

	test('something appended after the manifest', async () => {
		const members = await storedMembers();
		const target = dir.at('after-manifest.tar');
		writeFileSync(target, await tarOf([...members, ['late.sql', Buffer.from('x')]]));
		await integrityError(() => openArchive(target), 'ARCHIVE_MANIFEST_NOT_LAST', /manifest\.json is not the last member/);
	});

	test('a manifest that does not validate names the field', async () => {
		const members = await storedMembers();
		const bad = {...manifest, members: manifest.members.map((member, index) => (index === 1 ? {...member, sha256: 'nope'} : member))};
		const target = dir.at('bad-manifest.tar');
		writeFileSync(target, await tarOf([...members.slice(0, -1), ['manifest.json', Buffer.from(JSON.stringify(bad))]]));
		await integrityError(() => openArchive(target), 'MANIFEST_INVALID', /\(manifest\.json\): the manifest is not valid: members\[1\]\.sha256 must be 64 lowercase hex characters/);
		const notJson = dir.at('not-json.tar');
		writeFileSync(notJson, await tarOf([...members.slice(0, -1), ['manifest.json', Buffer.from('{"formatVersion": 1, ')]]));
		await integrityError(() => openArchive(notJson), 'MANIFEST_INVALID', /is not valid JSON/);
	});

	test('a manifest whose recorded size disagrees with the stored member', async () => {
		const members = await storedMembers();
		const bad = {...manifest, members: manifest.members.map((member, index) => (index === 3 ? {...member, bytes: member.bytes + 1} : member))};
		const target = dir.at('bad-size.tar');
		writeFileSync(target, await tarOf([...members.slice(0, -1), ['manifest.json', Buffer.from(serializeManifest(bad))]]));
		await integrityError(() => openAndVerify(target), 'ARCHIVE_SIZE_MISMATCH', new RegExp(`^${manifest.members[3]!.path}: \\d+ bytes in the archive, the manifest says`));
	});

	test('a sidecar that differs from the manifest inside', async () => {
		const target = dir.at('sidecar.tar');
		copyFileSync(good, target);
		copyFileSync(`${good}.meta.json`, `${target}.meta.json`);
		await (await openArchive(target)).verify();
		writeFileSync(`${target}.meta.json`, serializeManifest({...manifest, engine: 'clone'}));
		await integrityError(() => openAndVerify(target), 'SIDECAR_MISMATCH', /sidecar\.tar\.meta\.json does not match the manifest inside/);
		rmSync(`${target}.meta.json`);
		await (await openArchive(target)).verify();
	});
});
