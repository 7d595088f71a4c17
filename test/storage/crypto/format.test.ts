import assert from 'node:assert/strict';
import {createDecipheriv, createHmac, hkdfSync, randomBytes, scryptSync} from 'node:crypto';
import {describe, test} from 'node:test';
import {createHeader, deriveKeys, HEADER_BYTES, parseHeader} from '../../../source/storage/crypto/header.ts';
import {passphraseSource, type EncryptionKeySource} from '../../../source/storage/crypto/key.ts';
import {ciphertextSize, decryptSegments, plaintextSize, segmentRangeFor} from '../../../source/storage/crypto/layout.ts';
import {assertIntegrity, encrypt, KiB, newKey} from './crypto-helpers.ts';

/**
 * Decrypts following only the format as the readme writes it (no code of ours): if this agrees with
 * the implementation, the documentation is the format.
 */
function decryptBySpec(file: Buffer, master: (header: Buffer) => Buffer): Buffer {
	const header = file.subarray(0, 96);
	assert.equal(header.subarray(0, 8).toString('latin1'), 'DBBKENC\0');
	assert.equal(header[8], 1);
	const segment = 2 ** header[13]!;
	const fileSalt = header.subarray(32, 64);
	const ikm = master(header);
	const macKey = Buffer.from(hkdfSync('sha256', ikm, fileSalt, 'dbbackup header', 32));
	assert.deepEqual(createHmac('sha256', macKey).update(header.subarray(0, 64)).digest(), header.subarray(64, 96));
	const payloadKey = Buffer.from(hkdfSync('sha256', ikm, fileSalt, 'dbbackup payload', 32));
	const out: Buffer[] = [];
	let offset = 96;
	for (let index = 0; offset < file.length; index++) {
		const stored = file.subarray(offset, Math.min(file.length, offset + segment + 16));
		offset += stored.length;
		const nonce = Buffer.alloc(12);
		nonce.writeUIntBE(index, 5, 6);
		nonce[11] = offset === file.length ? 1 : 0;
		const decipher = createDecipheriv('aes-256-gcm', payloadKey, nonce);
		decipher.setAAD(header.subarray(64, 96));
		decipher.setAuthTag(stored.subarray(stored.length - 16));
		out.push(decipher.update(stored.subarray(0, stored.length - 16)));
		decipher.final();
	}
	return Buffer.concat(out);
}

describe('the DBBKENC 1 format', () => {
	test('a raw-key header, byte by byte: magic, version, KDF 0, no scrypt settings or salt, segment size, file salt, MAC', async () => {
		const {header} = await createHeader(newKey());
		const bytes = header.bytes;
		assert.equal(bytes.length, HEADER_BYTES);
		assert.equal(HEADER_BYTES, 96);
		assert.deepEqual([...bytes.subarray(0, 16)], [0x44, 0x42, 0x42, 0x4b, 0x45, 0x4e, 0x43, 0x00, 1, 0, 0, 0, 0, 16, 0, 0]);
		assert.ok(bytes.subarray(16, 32).equals(Buffer.alloc(16)));
		assert.ok(header.fileSalt.equals(bytes.subarray(32, 64)));
		assert.ok(header.mac.equals(bytes.subarray(64, 96)));
		assert.equal(header.segmentBytes, 64 * KiB);
	});

	test('a passphrase header carries scrypt log2 N, r, p and its salt', async () => {
		const {header} = await createHeader(passphraseSource('correct horse'), {scryptLogN: 10, segmentLog2: 12});
		assert.deepEqual([...header.bytes.subarray(8, 16)], [1, 1, 10, 8, 1, 12, 0, 0]);
		assert.notDeepEqual(header.bytes.subarray(16, 32), Buffer.alloc(16));
		assert.deepEqual({...header.scrypt, salt: undefined}, {logN: 10, r: 8, p: 1, salt: undefined});
	});

	test('an artifact decrypts by the written format alone, with a raw key and with a passphrase', async () => {
		const plaintext = randomBytes(5 * KiB + 123);
		const key = newKey();
		const file = await encrypt(key, plaintext, {segmentLog2: 10});
		assert.deepEqual(decryptBySpec(file, () => (key as EncryptionKeySource & {kind: 'key'}).key), plaintext);
		const passphrase = 'correct horse battery staple';
		const sealed = await encrypt(passphraseSource(passphrase), plaintext, {segmentLog2: 10, scryptLogN: 10});
		const master = (header: Buffer) => scryptSync(passphrase, header.subarray(16, 32), 32, {N: 2 ** header[10]!, r: header[11]!, p: header[12]!});
		assert.deepEqual(decryptBySpec(sealed, master), plaintext);
	});

	test('sizes: C = 96 + 16·max(1, ceil(P/S)) + P, and P follows back from C', async () => {
		const key = newKey();
		const S = 1 * KiB;
		for (const size of [0, 1, S - 1, S, S + 1, 3 * S, 3 * S + 17]) {
			const file = await encrypt(key, randomBytes(size), {segmentLog2: 10}, 333);
			assert.equal(file.length, 96 + 16 * Math.max(1, Math.ceil(size / S)) + size, `P = ${size}`);
			assert.equal(ciphertextSize(size, {segmentBytes: S}), file.length);
			assert.equal(plaintextSize(file.length, {segmentBytes: S}), size);
		}
	});

	test('a size no plaintext gives is damage: cut inside the header, inside a tag, or an empty segment after full ones', () => {
		const S = 1 * KiB;
		for (const size of [0, 95, 96, 96 + 15, 96 + S + 16 + 5, 96 + S + 16 + 16]) {
			assertIntegrity({out: Buffer.alloc(0), error: catchError(() => plaintextSize(size, {segmentBytes: S}, 'x.tar'))}, 'ENCRYPTED_DAMAGED', Buffer.alloc(0), undefined, /^x\.tar is damaged: its size, \d+ bytes, is not one an encrypted artifact has/);
		}
	});

	test('segmentRangeFor gives the covering segments and where they are stored', () => {
		const S = 1 * KiB;
		const size = ciphertextSize(10 * S + 100, {segmentBytes: S});
		assert.deepEqual(segmentRangeFor(0, 1, {segmentBytes: S}, size), {firstSegment: 0, lastSegment: 0, cipherStart: 96, cipherEnd: 96 + S + 16, lastSegmentIndex: 10, plainSize: 10 * S + 100});
		assert.deepEqual(segmentRangeFor(S - 1, S + 1, {segmentBytes: S}, size), {firstSegment: 0, lastSegment: 1, cipherStart: 96, cipherEnd: 96 + 2 * (S + 16), lastSegmentIndex: 10, plainSize: 10 * S + 100});
		const tail = segmentRangeFor(10 * S, 10 * S + 100, {segmentBytes: S}, size);
		assert.deepEqual([tail.firstSegment, tail.lastSegment, tail.cipherStart, tail.cipherEnd], [10, 10, 96 + 10 * (S + 16), size]);
		assert.throws(() => segmentRangeFor(0, 10 * S + 101, {segmentBytes: S}, size), RangeError);
	});

	test('decryptSegments opens a run of stored segments with the flags their place implies', async () => {
		const S = KiB;
		const key = newKey();
		const plaintext = randomBytes(4 * S + 10);
		const file = await encrypt(key, plaintext, {segmentLog2: 10});
		const keys = await deriveKeys(key, parseHeader(file, 'x.tar'), 'x.tar');
		const at = (segment: number) => 96 + segment * (S + 16);
		assert.ok(decryptSegments(file.subarray(at(1), at(3)), 1, keys, 4).equals(plaintext.subarray(S, 3 * S)));
		assert.ok(decryptSegments(file.subarray(at(3)), 3, keys, 4).equals(plaintext.subarray(3 * S)));
		// the same bytes taken for the artifact's end (a cut at a boundary) do not authenticate
		assertIntegrity({out: Buffer.alloc(0), error: catchError(() => decryptSegments(file.subarray(at(1), at(3)), 1, keys, 2, 'x.tar'))}, 'ENCRYPTED_DAMAGED', Buffer.alloc(0), undefined, /^x\.tar is damaged: segment 2 \(plaintext from byte 2048\) does not authenticate$/);
		assertIntegrity({out: Buffer.alloc(0), error: catchError(() => decryptSegments(file.subarray(at(1), at(3) - 1), 1, keys, 4, 'x.tar'))}, 'ENCRYPTED_DAMAGED', Buffer.alloc(0), undefined, /x\.tar is damaged: it ends inside segment 2$/);
	});

	test('parseHeader refuses what is not ours, an unknown version, and settings beyond its limits', () => {
		const ours = Buffer.alloc(96);
		Buffer.from('DBBKENC\0', 'latin1').copy(ours);
		ours[8] = 1;
		ours[13] = 16;
		const fails = (bytes: Buffer, code: string, message: RegExp) => assertIntegrity({out: Buffer.alloc(0), error: catchError(() => parseHeader(bytes, 'x.tar'))}, code, Buffer.alloc(0), undefined, message);
		fails(Buffer.from('ustar archive, not ours'), 'ENCRYPTED_NOT_OURS', /^x\.tar is not an artifact encrypted by dbbackup/);
		fails(Buffer.alloc(0), 'ENCRYPTED_NOT_OURS', /not an artifact encrypted by dbbackup/);
		fails(Object.assign(Buffer.from(ours), {8: 2}), 'ENCRYPTION_UNSUPPORTED_VERSION', /^x\.tar is in encryption format version 2; this version of dbbackup reads version 1$/);
		fails(ours.subarray(0, 50), 'ENCRYPTED_DAMAGED', /ends inside its header \(50 of 96 bytes\)/);
		fails(Object.assign(Buffer.from(ours), {9: 7}), 'ENCRYPTION_UNSUPPORTED_VERSION', /uses key derivation 7/);
		fails(Object.assign(Buffer.from(ours), {13: 30}), 'ENCRYPTION_UNSUPPORTED_VERSION', /segments of 2\^30 bytes/);
		// a hostile header asking scrypt for 8 GiB would stall the restore: refused before scrypt runs
		fails(Object.assign(Buffer.from(ours), {9: 1, 10: 22, 11: 16, 12: 1}), 'ENCRYPTION_UNSUPPORTED_VERSION', /scrypt parameters this version does not accept \(log2 N 22, r 16, p 1\)/);
		assert.equal(parseHeader(Object.assign(Buffer.from(ours), {9: 1, 10: 20, 11: 8, 12: 1}), 'x.tar').kdf, 'scrypt');
	});
});

function catchError(action: () => unknown): unknown {
	try {
		action();
	} catch (error) {
		return error;
	}
	return undefined;
}
