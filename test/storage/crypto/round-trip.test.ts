import assert from 'node:assert/strict';
import {randomBytes, randomInt} from 'node:crypto';
import {mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {Readable} from 'node:stream';
import {after, before, describe, test} from 'node:test';
import {createDecryptStream} from '../../../source/storage/crypto/decrypt-stream.ts';
import {EncryptedTarget, isEncryptedArtifact} from '../../../source/storage/crypto/encrypted-target.ts';
import {passphraseSource} from '../../../source/storage/crypto/key.ts';
import {ciphertextSize} from '../../../source/storage/crypto/layout.ts';
import {LocalDirectoryTarget} from '../../../source/storage/target/local-directory.ts';
import type {ArtifactTarget, PartialArtifact} from '../../../source/storage/target/types.ts';
import {collect, tempDir, type TempDir} from '../helpers.ts';
import {assertIntegrity, decryptStream, drain, encrypt, KiB, MiB, newKey, pieces} from './crypto-helpers.ts';

let dir: TempDir;
let count = 0;

before(() => {
	dir = tempDir();
});

after(() => dir.remove());

function fresh(): {root: string; local: LocalDirectoryTarget} {
	const root = dir.at(`t${count++}`);
	mkdirSync(root);
	return {root, local: new LocalDirectoryTarget(root)};
}

const S = 64 * KiB;
const SIZES = [0, 1, S, S + 1, 3 * S, 3 * S - 1];

/** A fast passphrase (scrypt log2 N 10) for the tests that are not about scrypt's cost. */
const FAST = {scryptLogN: 10};

/** Writes `plaintext` through `target` in pieces of `chunk` bytes and commits it. */
async function writeArtifact(target: ArtifactTarget, name: string, plaintext: Buffer, chunk = 100_000): Promise<void> {
	const partial = await target.openPartial(name);
	for (const piece of pieces(plaintext, chunk)) await partial.write(piece);
	await partial.commit();
	await partial.release();
}

describe('round trips through the stream API', () => {
	for (const [label, source] of [
		['a raw key', newKey()],
		['a passphrase', passphraseSource('correct horse battery staple')],
	] as const) {
		test(`with ${label}: empty, 1 byte, exactly one segment, one more, three segments, and one less`, async () => {
			for (const size of SIZES) {
				const plaintext = randomBytes(size);
				const file = await encrypt(source, plaintext, FAST, 10_000);
				assert.equal(file.length, ciphertextSize(size, {segmentBytes: S}));
				const {out, error} = await decryptStream(source, file, 7_777);
				assert.equal(error, undefined);
				assert.ok(out.equals(plaintext), `${size} bytes`);
				const sized = await decryptStream(source, file, 50_000, file.length);
				assert.ok(sized.out.equals(plaintext));
			}
		});
	}

	test('a passphrase is taken in its NFC form: the same accented word typed composed or decomposed gives the same key', async () => {
		const composed = 'caf\u00e9 cr\u00e8me';
		const decomposed = composed.normalize('NFD');
		assert.notEqual(composed, decomposed);
		const file = await encrypt(passphraseSource(composed), Buffer.from('ok'), FAST);
		assert.equal((await decryptStream(passphraseSource(decomposed), file)).out.toString(), 'ok');
	});

	test('20 MiB of random bytes, in pieces of odd sizes', async () => {
		const source = newKey();
		const plaintext = randomBytes(20 * MiB + 12_345);
		const file = await encrypt(source, plaintext, {}, 1_000_003);
		const {out, error} = await decryptStream(source, file, 333_333);
		assert.equal(error, undefined);
		assert.ok(out.equals(plaintext));
	});

	test('fed one byte at a time, both ways', async () => {
		const source = newKey();
		const plaintext = randomBytes(3 * KiB + 5);
		const file = await encrypt(source, plaintext, {segmentLog2: 10}, 1);
		assert.equal(file.length, ciphertextSize(plaintext.length, {segmentBytes: KiB}));
		const {out, error} = await decryptStream(source, file, 1);
		assert.equal(error, undefined);
		assert.ok(out.equals(plaintext));
	});

	test('the default passphrase cost (scrypt log2 N 17) round-trips; a source keeps its scrypt salt in a process, each artifact gets its own keys', async () => {
		const source = passphraseSource('a passphrase of the default cost');
		const plaintext = randomBytes(1000);
		const first = await encrypt(source, plaintext);
		const second = await encrypt(source, plaintext);
		assert.equal(first[10], 17);
		// one scrypt salt per source in a process, a fresh file salt (so fresh keys) per artifact
		assert.ok(first.subarray(16, 32).equals(second.subarray(16, 32)));
		assert.ok(!first.subarray(32, 64).equals(second.subarray(32, 64)));
		assert.ok(!first.subarray(96).equals(second.subarray(96)));
		for (const file of [first, second]) assert.ok((await decryptStream(source, file)).out.equals(plaintext));
		assert.ok((await decryptStream(passphraseSource('a passphrase of the default cost'), first)).out.equals(plaintext), 'another process (a new source) derives the same key');
	});
});

/** An inner target that records its readRange calls and the sizes of partial writes. */
function spyOn(inner: ArtifactTarget): {target: ArtifactTarget; reads: Array<[string, number, number | undefined]>; writes: number[]} {
	const reads: Array<[string, number, number | undefined]> = [];
	const writes: number[] = [];
	const target = Object.create(inner) as ArtifactTarget;
	target.readRange = (name, start, end) => {
		reads.push([name, start, end]);
		return inner.readRange(name, start, end);
	};
	target.openPartial = async (name, options) => {
		const partial = await inner.openPartial(name, options);
		return Object.assign(Object.create(partial) as PartialArtifact, {
			write: (bytes: Uint8Array) => {
				writes.push(bytes.length);
				return partial.write(bytes);
			},
		});
	};
	return {target, reads, writes};
}

describe('the encrypted target', () => {
	test('openPartial writes whole segments with backpressure; the file holds header and segments; readRange and stat give the plaintext', async () => {
		const {root, local} = fresh();
		const spy = spyOn(local);
		const source = newKey();
		const target = new EncryptedTarget(spy.target, source);
		const plaintext = randomBytes(5 * MiB + 777);
		await writeArtifact(target, 'shop.tar', plaintext, 300_001);
		assert.deepEqual(readdirSync(root), ['shop.tar']);
		const stored = readFileSync(path.join(root, 'shop.tar'));
		assert.ok(isEncryptedArtifact(stored));
		assert.equal(stored.length, ciphertextSize(plaintext.length, {segmentBytes: S}));
		assert.equal(statSync(path.join(root, 'shop.tar')).mode & 0o777, 0o600);
		// the header goes out with the first segments; every write but the last is whole segments
		assert.equal((spy.writes[0]! - 96) % (S + 16), 0);
		for (const size of spy.writes.slice(1, -1)) assert.equal(size % (S + 16), 0);
		assert.deepEqual(await collect(target.readRange('shop.tar', 0)), plaintext);
		assert.deepEqual((await target.stat('shop.tar'))!.bytes, plaintext.length);
		assert.deepEqual((await target.list('shop'))[0]!.bytes, stored.length, 'list gives stored sizes');
		assert.equal(await target.stat('none.tar'), undefined);
		assert.equal(target.localPath(), undefined);
		assert.equal(target.describe('shop.tar'), path.join(root, 'shop.tar'));
		assert.deepEqual(await collect(Readable.from([stored]).pipe(createDecryptStream(source, {name: 'shop.tar'}))), plaintext);
	});

	test('empty, 1 byte, exactly one segment, one more, three segments: with a key and a passphrase, by openPartial and by put', async () => {
		const {local} = fresh();
		for (const source of [newKey(), passphraseSource('a passphrase')]) {
			const target = new EncryptedTarget(local, source, FAST);
			for (const size of SIZES) {
				const plaintext = randomBytes(size);
				const name = `a-${source.kind}-${size}.sql`;
				await writeArtifact(target, name, plaintext, 40_000);
				assert.deepEqual(await collect(target.readRange(name, 0)), plaintext, name);
				assert.equal((await target.stat(name))!.bytes, size);
				await target.put(`${name}.meta.json`, plaintext);
				assert.deepEqual(await collect(target.readRange(`${name}.meta.json`, 0)), plaintext);
			}
		}
	});

	test('random ranged reads, across segment boundaries and at the end, equal the plaintext slice', async () => {
		const {local} = fresh();
		const target = new EncryptedTarget(local, newKey());
		const plaintext = randomBytes(20 * MiB + 4321);
		await writeArtifact(target, 'big.tar', plaintext, 4 * MiB);
		const P = plaintext.length;
		const ranges: Array<[number, number | undefined]> = [
			[0, 1],
			[S - 1, S + 1],
			[S, 2 * S],
			[P - 1, P],
			[P - 4321, undefined],
			[P, undefined],
			[P - 10, P + 1000],
			[P + 5, P + 10],
			[12_345, 12_345],
			[3 * S - 3, 3 * S + 3],
		];
		for (let index = 0; index < 150; index++) {
			const start = randomInt(P);
			ranges.push([start, Math.min(P, start + randomInt(index % 3 === 0 ? 3 * MiB : 3 * S))]);
		}
		for (const [start, end] of ranges) {
			const got = await collect(target.readRange('big.tar', start, end));
			assert.ok(got.equals(plaintext.subarray(start, end)), `bytes ${start} to ${end}`);
		}
	});

	test('a range fetches only its covering segments, the header is read once per name, and a large range streams in bounded pieces', async () => {
		const {local} = fresh();
		const spy = spyOn(local);
		const target = new EncryptedTarget(spy.target, newKey());
		const plaintext = randomBytes(10 * S + 5);
		await writeArtifact(target, 'a.tar', plaintext);
		spy.reads.length = 0;
		const stored = S + 16;
		const chunks: Buffer[] = [];
		for await (const chunk of target.readRange('a.tar', 2 * S + 10, 4 * S + 1)) chunks.push(chunk as Buffer);
		assert.ok(Buffer.concat(chunks).equals(plaintext.subarray(2 * S + 10, 4 * S + 1)));
		assert.deepEqual(spy.reads, [
			['a.tar', 0, 96],
			['a.tar', 96 + 2 * stored, 96 + 5 * stored],
		]);
		await collect(target.readRange('a.tar', 9 * S, 9 * S + 2));
		await collect(target.readRange('a.tar', 10 * S));
		assert.deepEqual(spy.reads.slice(2), [
			['a.tar', 96 + 9 * stored, 96 + 10 * stored],
			['a.tar', 96 + 10 * stored, 96 + 10 * stored + 21],
		]);
		// a large range streams as the stored bytes arrive: no chunk over what one stored chunk (1 MiB locally) completes, so memory stays bounded
		const {local: big} = fresh();
		const bigTarget = new EncryptedTarget(big, newKey());
		await writeArtifact(bigTarget, 'big.tar', randomBytes(8 * MiB), MiB);
		const sizes: number[] = [];
		for await (const chunk of bigTarget.readRange('big.tar', 0)) sizes.push((chunk as Buffer).length);
		assert.ok(Math.max(...sizes) <= MiB + S && sizes.length >= 8, `chunks of ${Math.max(...sizes)} bytes`);
	});

	test('nothing of the plaintext appears in the stored file', async () => {
		const {root, local} = fresh();
		const plaintext = Buffer.from('CREATE TABLE `customer_secrets` (id int);\n' + 'INSERT INTO `customer_secrets` VALUES (1);\n'.repeat(20_000));
		for (const source of [newKey(), passphraseSource('customer_secrets')]) {
			const target = new EncryptedTarget(local, source, FAST);
			await writeArtifact(target, `${source.kind}.sql`, plaintext, 65_000);
			await target.put(`${source.kind}.sql.meta.json`, Buffer.from('{"tables":["customer_secrets"]}'));
		}
		for (const name of readdirSync(root)) {
			const stored = readFileSync(path.join(root, name));
			for (const needle of ['customer_secrets', 'CREATE TABLE', 'INSERT INTO', 'tables']) assert.equal(stored.indexOf(needle), -1, `${needle} in ${name}`);
		}
	});

	test('abort leaves nothing; delete and describe pass through', async () => {
		const {root, local} = fresh();
		const target = new EncryptedTarget(local, newKey());
		const partial = await target.openPartial('gone.tar');
		await partial.write(randomBytes(3 * S));
		assert.equal(partial.location, path.join(root, 'gone.tar.partial'));
		await partial.abort();
		assert.deepEqual(readdirSync(root), []);
		await target.put('x.json', Buffer.from('{}'));
		await target.delete('x.json');
		assert.deepEqual(readdirSync(root), []);
	});

	test('a replaced artifact is read with its new header (put and commit forget the cached one)', async () => {
		const {local} = fresh();
		const target = new EncryptedTarget(local, newKey());
		await target.put('a.json', Buffer.from('first'));
		assert.equal((await collect(target.readRange('a.json', 0))).toString(), 'first');
		await target.put('a.json', Buffer.from('second, longer'));
		assert.equal((await collect(target.readRange('a.json', 0))).toString(), 'second, longer');
		const partial = await target.openPartial('a.json', {replace: true});
		await partial.write(Buffer.from('third'));
		await partial.commit();
		await partial.release();
		assert.equal((await collect(target.readRange('a.json', 0))).toString(), 'third');
	});

	test('after a failed write nothing more is written or committed, and abort leaves nothing (mock: a write the disk refuses)', async () => {
		const {root, local} = fresh();
		const failing = Object.create(local) as ArtifactTarget;
		let writes = 0;
		failing.openPartial = async (name, options) => {
			const partial = await local.openPartial(name, options);
			return Object.assign(Object.create(partial) as PartialArtifact, {
				write: (bytes: Uint8Array) => (++writes === 2 ? Promise.reject(new Error('disk said no')) : partial.write(bytes)),
			});
		};
		const target = new EncryptedTarget(failing, newKey());
		const partial = await target.openPartial('a.tar');
		await partial.write(randomBytes(3 * S));
		await assert.rejects(partial.write(randomBytes(3 * S)), /disk said no/);
		await assert.rejects(partial.write(randomBytes(10)), /disk said no/);
		await assert.rejects(partial.commit(), /disk said no/);
		assert.equal(writes, 2);
		await partial.abort();
		assert.deepEqual(readdirSync(root), []);
	});

	test('a second commit is refused by the inner target; an artifact replaced behind the target is read anew once stat sees its new size', async () => {
		const {root, local} = fresh();
		const source = newKey();
		const target = new EncryptedTarget(local, source);
		const partial = await target.openPartial('a.tar');
		await partial.write(Buffer.from('first'));
		await partial.commit();
		await assert.rejects(partial.commit(), {code: 'ARTIFACT_NOT_OPEN'});
		await partial.release();
		assert.equal((await collect(target.readRange('a.tar', 0))).toString(), 'first');
		writeFileSync(path.join(root, 'a.tar'), await encrypt(source, Buffer.from('second, longer')));
		assert.equal((await target.stat('a.tar'))!.bytes, 14);
		assert.equal((await collect(target.readRange('a.tar', 0))).toString(), 'second, longer');
	});

	test('an artifact written without encryption is read as it is (or refused, when asked); a plain target sniffs an encrypted one', async () => {
		const {root, local} = fresh();
		writeFileSync(path.join(root, 'old.sql'), 'CREATE TABLE t (a int);\n');
		const target = new EncryptedTarget(local, newKey());
		assert.equal(await target.isEncrypted('old.sql'), false);
		assert.equal((await collect(target.readRange('old.sql', 7, 12))).toString(), 'TABLE');
		assert.equal((await target.stat('old.sql'))!.bytes, 24);
		const strict = new EncryptedTarget(local, newKey(), {plainArtifacts: 'refuse'});
		assertIntegrity(await drain(strict.readRange('old.sql', 0)), 'ENCRYPTED_NOT_OURS', Buffer.alloc(0), undefined, /old\.sql is not an artifact encrypted by dbbackup/);
		await target.put('new.sql', Buffer.from('secret'));
		assert.equal(await target.isEncrypted('new.sql'), true);
		assert.equal(isEncryptedArtifact(readFileSync(path.join(root, 'new.sql')).subarray(0, 8)), true);
		assert.equal(isEncryptedArtifact(readFileSync(path.join(root, 'old.sql'))), false);
		assert.equal(isEncryptedArtifact(Buffer.from('DBBKE')), false);
	});
});
