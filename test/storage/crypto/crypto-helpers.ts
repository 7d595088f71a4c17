import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {Readable} from 'node:stream';
import {IntegrityError} from '../../../source/core/errors.ts';
import {createDecryptStream} from '../../../source/storage/crypto/decrypt-stream.ts';
import {createEncryptStream} from '../../../source/storage/crypto/encrypt-stream.ts';
import type {EncryptOptions} from '../../../source/storage/crypto/header.ts';
import {rawKeySource, type EncryptionKeySource} from '../../../source/storage/crypto/key.ts';
import {collect} from '../helpers.ts';

export const KiB = 1024;
export const MiB = 1024 * 1024;

export function newKey(): EncryptionKeySource {
	return rawKeySource(randomBytes(32));
}

/** `bytes` in pieces of `size` (the last shorter). */
export function pieces(bytes: Buffer, size: number): Buffer[] {
	const out: Buffer[] = [];
	for (let offset = 0; offset < bytes.length; offset += size) out.push(bytes.subarray(offset, offset + size));
	return out;
}

/** `plaintext` encrypted through the stream API, fed in pieces of `chunk` bytes. */
export async function encrypt(source: EncryptionKeySource, plaintext: Buffer, options: EncryptOptions = {}, chunk = 100_000): Promise<Buffer> {
	return collect(Readable.from(pieces(plaintext, chunk), {objectMode: false}).pipe(createEncryptStream(source, options)));
}

/** What a stream gave before it ended or failed, and how it failed. */
export async function drain(stream: AsyncIterable<unknown>): Promise<{out: Buffer; error: unknown}> {
	const chunks: Buffer[] = [];
	try {
		for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
	} catch (error) {
		return {out: Buffer.concat(chunks), error};
	}
	return {out: Buffer.concat(chunks), error: undefined};
}

/** The stream API's output for `ciphertext` fed in pieces of `chunk` bytes. */
export function decryptStream(source: EncryptionKeySource, ciphertext: Buffer, chunk = 100_000, ciphertextSize?: number) {
	return drain(Readable.from(pieces(ciphertext, chunk), {objectMode: false}).pipe(createDecryptStream(source, {name: 'backup.tar', ciphertextSize})));
}

/**
 * `result` is a failure with IntegrityError `code` (exit 5), and what came out before it is a prefix of
 * `plaintext` that holds nothing of segment `segment` on (the damaged one) when given.
 */
export function assertIntegrity(result: {out: Buffer; error: unknown}, code: string, plaintext: Buffer, segment?: {index: number; bytes: number}, message?: RegExp): IntegrityError {
	const {out, error} = result;
	assert.ok(error instanceof IntegrityError, `expected IntegrityError ${code}, got ${error === undefined ? `success (${out.length} bytes)` : String(error)}`);
	assert.equal(error.exitCode, 5);
	assert.equal(error.code, code, error.message);
	if (message) assert.match(error.message, message);
	assert.ok(out.equals(plaintext.subarray(0, out.length)), 'what came out is the plaintext');
	if (segment) assert.ok(out.length <= segment.index * segment.bytes, `${out.length} bytes came out, into damaged segment ${segment.index}`);
	return error;
}
