import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {EncryptedTarget} from '../../../source/storage/crypto/encrypted-target.ts';
import {passphraseSource, rawKeySource, type EncryptionKeySource} from '../../../source/storage/crypto/key.ts';
import {LocalDirectoryTarget} from '../../../source/storage/target/local-directory.ts';
import {collect, tempDir, type TempDir} from '../helpers.ts';
import {assertIntegrity, decryptStream, drain, encrypt, KiB, newKey} from './crypto-helpers.ts';

/*
 * Every attack is read three ways: the stream API without the size (a pipe), with the size, and the
 * target's ranged read. Each must fail with its IntegrityError before any byte of the damaged segment
 * comes out; what came out before is the true plaintext.
 */

const S = KiB;
const STORED = S + 16;
const SEGMENTS = 11;
const at = (segment: number) => 96 + segment * STORED;

let dir: TempDir;
let local: LocalDirectoryTarget;
const source = newKey();
const plaintext = randomBytes(10 * S + 300);
let file: Buffer;
let other: Buffer;
let count = 0;

before(async () => {
	dir = tempDir();
	mkdirSync(dir.at('t'));
	local = new LocalDirectoryTarget(dir.at('t'));
	file = await encrypt(source, plaintext, {segmentLog2: 10});
	other = await encrypt(source, randomBytes(plaintext.length), {segmentLog2: 10});
	assert.equal(file.length, at(SEGMENTS - 1) + 300 + 16);
});

after(() => dir.remove());

function flip(bytes: Buffer, offset: number, mask = 0x01): Buffer {
	const out = Buffer.from(bytes);
	out[offset]! ^= mask;
	return out;
}

function segmentOf(bytes: Buffer, index: number): Buffer {
	return bytes.subarray(at(index), Math.min(bytes.length, at(index + 1)));
}

/** `bytes` read the three ways; each must fail with `code`, nothing of segment `segment` on given out. */
async function assertRefusedEverywhere(bytes: Buffer, code: string, segment: number | undefined, message: RegExp, key: EncryptionKeySource = source): Promise<void> {
	const damaged = segment === undefined ? undefined : {index: segment, bytes: S};
	for (const chunk of [1, 500, 1_000_000]) assertIntegrity(await decryptStream(key, bytes, chunk), code, plaintext, damaged, message);
	assertIntegrity(await decryptStream(key, bytes, 700, bytes.length), code, plaintext, damaged, message);
	const name = `a${count++}.tar`;
	writeFileSync(path.join(local.root, name), bytes);
	const target = new EncryptedTarget(local, key, {plainArtifacts: 'refuse'});
	const error = assertIntegrity(await drain(target.readRange(name, 0)), code, plaintext, damaged, message);
	assert.ok(error.message.startsWith(path.join(local.root, name)) || code === 'ENCRYPTION_UNSUPPORTED_VERSION', `${error.message} names the file`);
	if (segment !== undefined && segment < SEGMENTS) {
		// a range that starts in the damaged segment gives nothing
		const from = Math.min(segment * S + 5, plaintext.length - 1);
		const {out, error: rangeError} = await drain(target.readRange(name, from, plaintext.length));
		assert.equal(out.length, 0);
		assert.equal((rangeError as {code?: string})?.code, code);
	}
}

const segmentMessage = (index: number) => new RegExp(`is damaged: segment ${index} \\(plaintext from byte ${index * S}\\) does not authenticate`);

describe('tampering, each read three ways', () => {
	test('the untouched file reads back (the baseline of the attacks)', async () => {
		const {out, error} = await decryptStream(source, file, 500);
		assert.equal(error, undefined);
		assert.ok(out.equals(plaintext));
		writeFileSync(path.join(local.root, 'ok.tar'), file);
		assert.ok((await collect(new EncryptedTarget(local, source).readRange('ok.tar', 0))).equals(plaintext));
	});

	test('a flipped byte in a segment, in its tag, and in the last segment', async () => {
		await assertRefusedEverywhere(flip(file, at(3) + 100), 'ENCRYPTED_DAMAGED', 3, segmentMessage(3));
		await assertRefusedEverywhere(flip(file, at(4) - 5), 'ENCRYPTED_DAMAGED', 3, segmentMessage(3));
		await assertRefusedEverywhere(flip(file, at(0)), 'ENCRYPTED_DAMAGED', 0, segmentMessage(0));
		await assertRefusedEverywhere(flip(file, file.length - 1, 0x80), 'ENCRYPTED_DAMAGED', 10, segmentMessage(10));
	});

	test('a cut inside a segment, inside a tag, exactly at a segment boundary, and right after the header', async () => {
		await assertRefusedEverywhere(file.subarray(0, at(6) + 500), 'ENCRYPTED_DAMAGED', 6, /is damaged/);
		await assertRefusedEverywhere(file.subarray(0, at(6) + 10), 'ENCRYPTED_DAMAGED', 6, /is damaged/);
		// the size is that of a whole 6-segment artifact: only the missing last flag of segment 5 tells
		await assertRefusedEverywhere(file.subarray(0, at(6)), 'ENCRYPTED_DAMAGED', 5, segmentMessage(5));
		await assertRefusedEverywhere(file.subarray(0, at(1)), 'ENCRYPTED_DAMAGED', 0, segmentMessage(0));
		await assertRefusedEverywhere(file.subarray(0, 96), 'ENCRYPTED_DAMAGED', 0, /is damaged/);
	});

	test('a segment dropped, two swapped, one duplicated, one appended after the last', async () => {
		const dropped = Buffer.concat([file.subarray(0, at(4)), file.subarray(at(5))]);
		await assertRefusedEverywhere(dropped, 'ENCRYPTED_DAMAGED', 4, segmentMessage(4));
		const swapped = Buffer.concat([file.subarray(0, at(2)), segmentOf(file, 3), segmentOf(file, 2), file.subarray(at(4))]);
		await assertRefusedEverywhere(swapped, 'ENCRYPTED_DAMAGED', 2, segmentMessage(2));
		const duplicated = Buffer.concat([file.subarray(0, at(4)), segmentOf(file, 3), file.subarray(at(4))]);
		await assertRefusedEverywhere(duplicated, 'ENCRYPTED_DAMAGED', 4, segmentMessage(4));
		const extended = Buffer.concat([file, segmentOf(file, 10)]);
		await assertRefusedEverywhere(extended, 'ENCRYPTED_DAMAGED', 10, /is damaged/);
	});

	test('the header of another file with the same key spliced on, and a segment of another file at the same place', async () => {
		await assertRefusedEverywhere(Buffer.concat([other.subarray(0, 96), file.subarray(96)]), 'ENCRYPTED_DAMAGED', 0, segmentMessage(0));
		const mixed = Buffer.concat([file.subarray(0, at(7)), segmentOf(other, 7), file.subarray(at(8))]);
		await assertRefusedEverywhere(mixed, 'ENCRYPTED_DAMAGED', 7, segmentMessage(7));
	});

	test('a flipped bit at every header offset fails before any output, with the code of what it hit', async () => {
		const expected = (offset: number): string => {
			if (offset < 8) return 'ENCRYPTED_NOT_OURS';
			if (offset === 8 || offset === 9) return 'ENCRYPTION_UNSUPPORTED_VERSION';
			if (offset === 13 || offset >= 32) return 'ENCRYPTION_WRONG_KEY';
			return 'ENCRYPTED_DAMAGED';
		};
		for (let offset = 0; offset < 96; offset++) {
			const code = expected(offset);
			assertIntegrity(await decryptStream(source, flip(file, offset)), code, plaintext, {index: 0, bytes: S});
			if (offset === 0 || offset === 13 || offset === 40 || offset === 90) await assertRefusedEverywhere(flip(file, offset), code, 0, /./);
		}
		// a target that reads plain artifacts takes a broken magic for one: it gives the stored bytes, never plaintext
		writeFileSync(path.join(local.root, 'magic.tar'), flip(file, 0));
		assert.ok((await collect(new EncryptedTarget(local, source).readRange('magic.tar', 0))).equals(flip(file, 0)));
	});

	test('a wrong key, a wrong passphrase, and a key of the other kind fail at the header, before any output', async () => {
		await assertRefusedEverywhere(file, 'ENCRYPTION_WRONG_KEY', 0, /cannot be decrypted with this key: its header does not authenticate/, rawKeySource(randomBytes(32)));
		const sealed = await encrypt(passphraseSource('the right passphrase'), plaintext);
		assertIntegrity(await decryptStream(passphraseSource('the wrong passphrase'), sealed), 'ENCRYPTION_WRONG_KEY', plaintext, {index: 0, bytes: S}, /cannot be decrypted with this key/);
		assertIntegrity(await decryptStream(source, sealed), 'ENCRYPTION_WRONG_KEY', plaintext, {index: 0, bytes: S}, /cannot be decrypted with this key: it was encrypted with a passphrase/);
		assertIntegrity(await decryptStream(passphraseSource('x'), file), 'ENCRYPTION_WRONG_KEY', plaintext, {index: 0, bytes: S}, /it was encrypted with a key, not a passphrase/);
	});

	test('damage outside a range does not stop the range: only the covering segments are read', async () => {
		writeFileSync(path.join(local.root, 'partly.tar'), flip(file, at(8) + 3));
		const target = new EncryptedTarget(local, source);
		assert.ok((await collect(target.readRange('partly.tar', 100, 8 * S))).equals(plaintext.subarray(100, 8 * S)));
		assertIntegrity(await drain(target.readRange('partly.tar', 100, 8 * S + 1)), 'ENCRYPTED_DAMAGED', plaintext.subarray(100), {index: 8, bytes: S});
	});
});
