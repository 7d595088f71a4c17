import assert from 'node:assert/strict';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {openArchiveIn} from '../../source/storage/archive/reader.ts';
import {LocalDirectoryTarget} from '../../source/storage/target/local-directory.ts';
import type {ArtifactTarget} from '../../source/storage/target/types.ts';
import {collect, dumpText, integrityError, tempDir, writeSampleArchive, type TempDir} from './helpers.ts';

let dir: TempDir;

before(() => {
	dir = tempDir();
});

after(() => dir.remove());

/** The local directory as a target that is not local would be: no file path to open, only range reads. */
function withoutLocalFiles(root: string): ArtifactTarget {
	const local = new LocalDirectoryTarget(root);
	return Object.assign(Object.create(local) as LocalDirectoryTarget, {localPath: () => undefined});
}

describe('an archive read through a target without local files (range reads only)', () => {
	const members = [
		['schema/shop.sql', Buffer.from('CREATE TABLE t (id int);\n')],
		['data/shop/t.00000.sql', dumpText(300_000)],
		['data/shop/t.00001.sql', dumpText(100_000), 'none'],
		['data/shop/t.00002.sql', dumpText(50_000), 'gzip'],
	] as const;

	test('opens, verifies (also deep) and reads every member, as pieces too', async () => {
		const root = dir.at('remote-like');
		mkdirSync(root);
		const sample = await writeSampleArchive(path.join(root, 'a.tar'), members);
		const target = withoutLocalFiles(root);
		assert.equal(target.localPath('a.tar'), undefined);
		const archive = await openArchiveIn(target, 'a.tar');
		assert.equal(archive.path, path.join(root, 'a.tar'));
		assert.deepEqual(archive.manifest, sample.manifest);
		assert.equal((await archive.verify()).members, members.length);
		assert.equal((await archive.verify({deep: true})).rawBytes, members.reduce((sum, [, data]) => sum + data.length, 0));
		for (const [memberPath, content] of sample.contents) {
			assert.deepEqual(await collect(archive.readMember(memberPath)), content, memberPath);
			const pieces: Buffer[] = [];
			for await (const piece of archive.readMemberPieces(memberPath)) {
				pieces.push(Buffer.from(piece.data));
				piece.release();
			}
			assert.deepEqual(Buffer.concat(pieces), content, memberPath);
		}
	});

	test('a damaged member and a mismatching sidecar are found', async () => {
		const root = dir.at('remote-like-damaged');
		mkdirSync(root);
		const file = path.join(root, 'a.tar');
		await writeSampleArchive(file, members);
		const target = withoutLocalFiles(root);
		const sidecar = readFileSync(`${file}.meta.json`, 'utf8');
		writeFileSync(`${file}.meta.json`, sidecar.replace('"mysqldump"', '"other"'));
		await integrityError(async () => (await openArchiveIn(target, 'a.tar')).verify(), 'SIDECAR_MISMATCH', /a\.tar\.meta\.json does not match the manifest inside/);
		writeFileSync(`${file}.meta.json`, sidecar);
		const archive = await openArchiveIn(target, 'a.tar');
		const bytes = readFileSync(file);
		const entry = archive.entries.find((candidate) => candidate.name === 'data/shop/t.00001.sql')!;
		bytes[entry.dataOffset + 10] ^= 0xff;
		writeFileSync(file, bytes);
		await integrityError(() => archive.verify(), 'ARCHIVE_CHECKSUM_MISMATCH', /data\/shop\/t\.00001\.sql: sha256 mismatch/);
		await integrityError(() => collect(archive.readMember('data/shop/t.00001.sql')), 'ARCHIVE_CHECKSUM_MISMATCH', /sha256 mismatch/);
	});

	test('a cut archive is an IntegrityError at open', async () => {
		const root = dir.at('remote-like-cut');
		mkdirSync(root);
		const file = path.join(root, 'a.tar');
		const sample = await writeSampleArchive(file, members);
		writeFileSync(file, sample.bytes.subarray(0, sample.bytes.length - 2000));
		await integrityError(() => openArchiveIn(withoutLocalFiles(root), 'a.tar'), 'ARCHIVE_TRUNCATED', /a\.tar is truncated/);
	});
});
