import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {chmodSync, linkSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync, mkdirSync} from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {UsageError, WorkError} from '../../../source/core/errors.ts';
import {rawKeySource} from '../../../source/storage/crypto/key.ts';
import {EncryptedTarget} from '../../../source/storage/crypto/encrypted-target.ts';
import {S3Target} from '../../../source/storage/s3/target.ts';
import {isRunLocked} from '../../../source/storage/target/run-lock.ts';
import {LocalDirectoryTarget} from '../../../source/storage/target/local-directory.ts';
import {directoryTarget, targetFor} from '../../../source/storage/target/index.ts';
import {collect, tempDir, type TempDir} from '../helpers.ts';

let dir: TempDir;
let count = 0;

before(() => {
	dir = tempDir();
});

after(() => dir.remove());

/** A fresh directory and the local target over it. */
function fresh(): {root: string; target: LocalDirectoryTarget} {
	const root = dir.at(`t${count++}`);
	mkdirSync(root);
	return {root, target: new LocalDirectoryTarget(root)};
}

describe('a partial artifact', () => {
	test('is a .partial file, only readable by its owner and locked by the run, until commit publishes it under its name', async () => {
		const {root, target} = fresh();
		const partial = await target.openPartial('a.tar');
		assert.equal(partial.location, path.join(root, 'a.tar.partial'));
		await partial.write(Buffer.from('hello '));
		await partial.write(Buffer.from('world'));
		assert.deepEqual(readdirSync(root), ['a.tar.partial']);
		assert.equal(statSync(partial.location).mode & 0o777, 0o600);
		assert.equal(await isRunLocked(partial.location), true);
		await partial.commit();
		assert.deepEqual(readdirSync(root), ['a.tar']);
		assert.equal(readFileSync(path.join(root, 'a.tar'), 'utf8'), 'hello world');
		// the claim lasts until release, so what is written beside it is not taken for a dead run's
		assert.equal(await isRunLocked(path.join(root, 'a.tar')), true);
		await partial.release();
		assert.equal(await isRunLocked(path.join(root, 'a.tar')), false);
	});

	test('commit refuses to replace an artifact that appeared meanwhile, leaves it as it is and removes the partial', async () => {
		const {root, target} = fresh();
		const partial = await target.openPartial('a.tar');
		await partial.write(Buffer.from('mine'));
		writeFileSync(path.join(root, 'a.tar'), 'theirs');
		await assert.rejects(partial.commit(), (error: unknown) => {
			assert.ok(error instanceof UsageError);
			assert.equal(error.code, 'ARTIFACT_EXISTS');
			assert.match(error.message, /a\.tar appeared while this backup was written; it was left as it is/);
			return true;
		});
		await partial.abort();
		assert.deepEqual(readdirSync(root), ['a.tar']);
		assert.equal(readFileSync(path.join(root, 'a.tar'), 'utf8'), 'theirs');
	});

	test('an existing name is refused at open, unless replace, which commit honours', async () => {
		const {root, target} = fresh();
		writeFileSync(path.join(root, 'a.sql'), 'old');
		await assert.rejects(target.openPartial('a.sql'), {name: 'UsageError', code: 'ARTIFACT_EXISTS', message: `${path.join(root, 'a.sql')} already exists; dbbackup does not overwrite a backup`});
		assert.deepEqual(readdirSync(root), ['a.sql']);
		const partial = await target.openPartial('a.sql', {replace: true});
		await partial.write(Buffer.from('new'));
		await partial.commit();
		await partial.release();
		assert.equal(readFileSync(path.join(root, 'a.sql'), 'utf8'), 'new');
	});

	test('abort removes what was written and ends the claim; after commit it removes nothing', async () => {
		const {root, target} = fresh();
		const partial = await target.openPartial('a.tar');
		await partial.write(randomBytes(10_000));
		await partial.abort();
		await partial.abort();
		assert.deepEqual(readdirSync(root), []);
		const kept = await target.openPartial('b.tar');
		await kept.write(Buffer.from('b'));
		await kept.commit();
		await kept.abort();
		assert.deepEqual(readdirSync(root), ['b.tar']);
		assert.equal(await isRunLocked(path.join(root, 'b.tar')), false);
	});

	test('a second openPartial on the same name is refused while the first is open, and does not touch its file', async () => {
		const {root, target} = fresh();
		const first = await target.openPartial('a.tar');
		await first.write(Buffer.from('first'));
		await assert.rejects(target.openPartial('a.tar'), (error: unknown) => {
			assert.ok(error instanceof WorkError);
			assert.equal(error.code, 'PARTIAL_EXISTS');
			assert.match(error.message, /a\.tar\.partial exists: another backup is writing this file/);
			return true;
		});
		assert.equal(readFileSync(first.location, 'utf8'), 'first');
		await first.commit();
		await first.release();
		assert.equal(readFileSync(path.join(root, 'a.tar'), 'utf8'), 'first');
	});

	test('a directory that does not exist is a UsageError naming the partial', async () => {
		const {root} = fresh();
		const missing = new LocalDirectoryTarget(path.join(root, 'missing'));
		await assert.rejects(missing.openPartial('a.tar'), {name: 'UsageError', code: 'ARTIFACT_PATH_UNWRITABLE', message: /missing\/a\.tar\.partial/});
		assert.deepEqual(readdirSync(root), []);
	});
});

describe('reading, listing, deleting', () => {
	test('readRange gives the bytes from start up to end, or to the end of the artifact', async () => {
		const {root, target} = fresh();
		const bytes = randomBytes(3 * 1024 * 1024 + 17);
		writeFileSync(path.join(root, 'a.tar'), bytes);
		assert.deepEqual(await collect(target.readRange('a.tar', 0)), bytes);
		assert.deepEqual(await collect(target.readRange('a.tar', 1000, 2_000_017)), bytes.subarray(1000, 2_000_017));
		assert.deepEqual(await collect(target.readRange('a.tar', bytes.length - 5)), bytes.subarray(bytes.length - 5));
		assert.deepEqual(await collect(target.readRange('a.tar', 42, 42)), Buffer.alloc(0));
	});

	test('stat gives size and time, nothing for a missing name, and refuses a directory', async () => {
		const {root, target} = fresh();
		writeFileSync(path.join(root, 'a.tar'), 'abc');
		const when = new Date('2026-12-07T14:03:27.000Z');
		utimesSync(path.join(root, 'a.tar'), when, when);
		assert.deepEqual(await target.stat('a.tar'), {name: 'a.tar', bytes: 3, modifiedAt: when});
		assert.equal(await target.stat('b.tar'), undefined);
		mkdirSync(path.join(root, 'd.tar'));
		await assert.rejects(target.stat('d.tar'), {name: 'UsageError', code: 'ARTIFACT_UNREADABLE', message: /d\.tar is not a file/});
	});

	test('list gives the complete artifacts under a prefix: no partials, no directories', async () => {
		const {root, target} = fresh();
		writeFileSync(path.join(root, 'shop-1.tar'), 'a');
		writeFileSync(path.join(root, 'shop-1.tar.meta.json'), '{}');
		writeFileSync(path.join(root, 'shop-2.sql.partial'), 'unfinished');
		writeFileSync(path.join(root, 'other.sql'), 'b');
		mkdirSync(path.join(root, 'shop-dir'));
		const names = async (prefix?: string) => (await target.list(prefix)).map((artifact) => artifact.name).sort();
		assert.deepEqual(await names(), ['other.sql', 'shop-1.tar', 'shop-1.tar.meta.json']);
		assert.deepEqual(await names('shop-'), ['shop-1.tar', 'shop-1.tar.meta.json']);
		assert.deepEqual((await target.list('other'))[0]?.bytes, 1);
	});

	test('delete removes an artifact; a missing one is no error', async () => {
		const {root, target} = fresh();
		writeFileSync(path.join(root, 'a.tar'), 'x');
		await target.delete('a.tar');
		await target.delete('a.tar');
		assert.deepEqual(readdirSync(root), []);
	});

	test('put writes a small artifact whole, replacing one of that name, and leaves no partial', async () => {
		const {root, target} = fresh();
		await target.put('a.tar.meta.json', Buffer.from('{"v":1}'));
		await target.put('a.tar.meta.json', Buffer.from('{"v":2}'));
		assert.deepEqual(readdirSync(root), ['a.tar.meta.json']);
		assert.equal(readFileSync(path.join(root, 'a.tar.meta.json'), 'utf8'), '{"v":2}');
	});

	test('describe and localPath name the file in the directory', () => {
		const {root, target} = fresh();
		assert.equal(target.describe('a.tar'), path.join(root, 'a.tar'));
		assert.equal(target.localPath('a.tar'), path.join(root, 'a.tar'));
	});
});

describe('targetFor', () => {
	test('a local path is the local directory target of its directory, and the file name', async () => {
		const {root} = fresh();
		const {target, name} = await targetFor(path.join(root, 'sub', '..', 'a.tar'));
		assert.ok(target instanceof LocalDirectoryTarget);
		assert.equal(target.root, root);
		assert.equal(name, 'a.tar');
		assert.equal(((await directoryTarget(root)) as LocalDirectoryTarget).root, root);
	});

	test('an s3:// URL is the S3 target of its prefix, and the object name; with a key, either is wrapped in the encryption stage', async () => {
		const {target, name} = await targetFor('s3://bucket/backups/a.tar', {s3: {endpoint: 'http://127.0.0.1:9'}});
		assert.ok(target instanceof S3Target);
		assert.equal(name, 'a.tar');
		assert.equal(target.describe(name), 's3://bucket/backups/a.tar');
		assert.equal((await directoryTarget('S3://bucket/backups/', {s3: {endpoint: 'http://127.0.0.1:9'}})).describe('b.tar'), 's3://bucket/backups/b.tar');
		const encrypted = await targetFor(path.join(fresh().root, 'c.tar'), {encryption: rawKeySource(randomBytes(32))});
		assert.ok(encrypted.target instanceof EncryptedTarget);
		assert.ok((encrypted.target as EncryptedTarget).inner instanceof LocalDirectoryTarget);
	});
});

describe('an appendable artifact', () => {
	test('is created 0600 under its name, grows with each write, and its size follows', async () => {
		const {root, target} = fresh();
		const file = await target.openAppend('log.000001', {create: 'new'});
		assert.equal(file.size, 0);
		assert.deepEqual(readdirSync(root), ['log.000001'], 'visible under its name from the start, no .partial');
		assert.equal(statSync(path.join(root, 'log.000001')).mode & 0o777, 0o600);
		await file.write(Buffer.from('abc'));
		await file.sync();
		await file.write(Buffer.from('def'));
		assert.equal(file.size, 6);
		await file.close();
		await file.close();
		assert.equal(readFileSync(path.join(root, 'log.000001'), 'utf8'), 'abcdef');
		assert.equal((await target.stat('log.000001'))?.bytes, 6);
	});

	test('create new refuses a name that exists; create existing requires one', async () => {
		const {root, target} = fresh();
		writeFileSync(path.join(root, 'taken'), 'x');
		await assert.rejects(target.openAppend('taken', {create: 'new'}), (error: Error) => error instanceof UsageError && error.code === 'ARTIFACT_EXISTS');
		assert.equal(readFileSync(path.join(root, 'taken'), 'utf8'), 'x', 'left as it is');
		await assert.rejects(target.openAppend('missing', {create: 'existing'}), (error: Error) => error instanceof WorkError && error.code === 'ARTIFACT_MISSING');
		assert.deepEqual(readdirSync(root), ['taken'], 'nothing created');
	});

	test('an existing artifact is appended to at its end and made 0600', async () => {
		const {root, target} = fresh();
		const full = path.join(root, 'log.000002');
		writeFileSync(full, 'head', {mode: 0o640});
		const file = await target.openAppend('log.000002', {create: 'existing'});
		assert.equal(file.size, 4);
		assert.equal(statSync(full).mode & 0o777, 0o600);
		await file.write(Buffer.from('+tail'));
		assert.equal(file.size, 9);
		await file.close();
		assert.equal(readFileSync(full, 'utf8'), 'head+tail');
	});

	test('truncateTo cuts an existing artifact before appending, and never extends one', async () => {
		const {root, target} = fresh();
		const full = path.join(root, 'log.000003');
		writeFileSync(full, 'complete|torn');
		const file = await target.openAppend('log.000003', {create: 'existing', truncateTo: 9});
		assert.equal(file.size, 9);
		assert.equal(readFileSync(full, 'utf8'), 'complete|');
		await file.write(Buffer.from('next'));
		await file.close();
		assert.equal(readFileSync(full, 'utf8'), 'complete|next');
		await assert.rejects(target.openAppend('log.000003', {create: 'existing', truncateTo: 100}), RangeError);
		assert.equal(readFileSync(full, 'utf8'), 'complete|next', 'unchanged');
		await (await target.openAppend('log.000003', {create: 'existing', truncateTo: 0})).close();
		assert.equal(statSync(full).size, 0);
	});

	test('overwriteAt replaces bytes in place once the file is closed, within its size only', async () => {
		const {root, target} = fresh();
		const full = path.join(root, 'log.000006');
		const file = await target.openAppend('log.000006', {create: 'new'});
		await file.write(Buffer.from('0123456789'));
		await file.close();
		await target.overwriteAt('log.000006', 3, Buffer.from('ab'));
		await target.overwriteAt('log.000006', 9, Buffer.from('Z'));
		assert.equal(readFileSync(full, 'utf8'), '012ab5678Z');
		await assert.rejects(target.overwriteAt('log.000006', 8, Buffer.from('xyz')), RangeError);
		assert.equal(readFileSync(full, 'utf8'), '012ab5678Z', 'unchanged');
		await assert.rejects(target.overwriteAt('missing', 0, Buffer.from('x')), (error: Error) => error instanceof WorkError && error.code === 'ARTIFACT_MISSING');
		assert.deepEqual(readdirSync(root), ['log.000006'], 'nothing created');
	});

	test('seal leaves a file as it is: it is already in its final form', async () => {
		const {root, target} = fresh();
		writeFileSync(path.join(root, 'log.000007'), 'complete');
		await target.seal('log.000007');
		await target.seal('log.000007');
		assert.equal(readFileSync(path.join(root, 'log.000007'), 'utf8'), 'complete');
	});

	test('seal as another name renames the file (X.partial becomes X) durably; a rename cut short is finished; another file of that name is never replaced', async () => {
		const {root, target} = fresh();
		const file = await target.openAppend('seg.partial', {create: 'new'});
		await file.write(Buffer.from('segment'));
		await file.sync();
		await file.close();
		await target.seal('seg.partial', {as: 'seg'});
		assert.deepEqual(readdirSync(root), ['seg']);
		assert.equal(readFileSync(path.join(root, 'seg'), 'utf8'), 'segment');
		await target.seal('seg.partial', {as: 'seg'});
		assert.deepEqual(readdirSync(root), ['seg'], 'sealing again does nothing');
		// link made, unlink not: the same file under both names
		linkSync(path.join(root, 'seg'), path.join(root, 'seg2.partial'));
		renameSync(path.join(root, 'seg'), path.join(root, 'seg2'));
		await target.seal('seg2.partial', {as: 'seg2'});
		assert.deepEqual(readdirSync(root), ['seg2']);
		writeFileSync(path.join(root, 'other.partial'), 'new');
		writeFileSync(path.join(root, 'other'), 'old');
		await assert.rejects(target.seal('other.partial', {as: 'other'}), (error: Error & {code?: string}) => error.code === 'ARTIFACT_EXISTS');
		assert.equal(readFileSync(path.join(root, 'other'), 'utf8'), 'old');
		await assert.rejects(target.seal('missing.partial', {as: 'missing'}), (error: Error & {code?: string}) => error.code === 'ARTIFACT_MISSING');
	});

	test('a refused write is the one-line disk error naming the file', async () => {
		const {root, target} = fresh();
		const file = await target.openAppend('log.000004', {create: 'new'});
		await file.close();
		chmodSync(root, 0o500);
		try {
			if (process.getuid?.() === 0) return; // root writes anyway
			await assert.rejects(target.openAppend('log.000005', {create: 'new'}), (error: Error & {code?: string}) => error.code === 'OUTPUT_PERMISSION_DENIED' && error.message.includes('log.000005'));
		} finally {
			chmodSync(root, 0o700);
		}
	});
});
