import {createCipheriv, createDecipheriv} from 'node:crypto';
import type {SegmentKeys} from './header.ts';

/** Bytes of the AES-GCM tag after each segment's ciphertext. */
export const TAG_BYTES = 16;

/** 11-byte big-endian segment counter, then 0x01 on the last segment and 0x00 on the others (STREAM). */
function nonceOf(index: number, last: boolean): Buffer {
	const nonce = Buffer.alloc(12);
	nonce.writeUIntBE(index, 5, 6);
	nonce[11] = last ? 1 : 0;
	return nonce;
}

/** Segment `index` of its artifact, sealed: ciphertext ‖ tag. */
export function sealSegment(keys: SegmentKeys, index: number, last: boolean, plaintext: Uint8Array): Buffer {
	const cipher = createCipheriv('aes-256-gcm', keys.payloadKey, nonceOf(index, last));
	cipher.setAAD(keys.aad);
	const out = Buffer.allocUnsafe(plaintext.length + TAG_BYTES);
	cipher.update(plaintext).copy(out, 0);
	cipher.final();
	cipher.getAuthTag().copy(out, plaintext.length);
	return out;
}

/** The plaintext of a stored segment (ciphertext ‖ tag), or undefined when it does not authenticate as segment `index`, last or not. */
export function openSegment(keys: SegmentKeys, index: number, last: boolean, stored: Buffer): Buffer | undefined {
	if (stored.length < TAG_BYTES) return undefined;
	const decipher = createDecipheriv('aes-256-gcm', keys.payloadKey, nonceOf(index, last));
	decipher.setAAD(keys.aad);
	decipher.setAuthTag(stored.subarray(stored.length - TAG_BYTES));
	// update's output is unauthenticated until final succeeds: it is returned only then
	const plaintext = decipher.update(stored.subarray(0, stored.length - TAG_BYTES));
	try {
		decipher.final();
	} catch {
		return undefined;
	}
	return plaintext;
}
