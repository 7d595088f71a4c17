import {open} from 'node:fs/promises';
import {inspect} from 'node:util';
import {REDACTED, registerSecret} from '../../core/redact.ts';
import {keyInvalid, keyMissing} from './errors.ts';

/** Bytes of a raw key. */
export const KEY_BYTES = 32;

/** A raw 32-byte key, or a passphrase that scrypt turns into one. */
export type EncryptionKeySource = {readonly kind: 'key'; readonly key: Buffer} | {readonly kind: 'passphrase'; readonly passphrase: string};

export interface LoadedEncryptionKey {
	source: EncryptionKeySource;
	/** where it came from, for messages: `--encryption-key-file FILE`, `DBBACKUP_ENCRYPTION_KEY`, `DBBACKUP_PASSPHRASE` */
	origin: string;
	/** for the caller to emit (a key file other users can read) */
	warnings: string[];
}

export interface LoadKeyOptions {
	/** --encryption-key-file */
	keyFile?: string;
	env?: NodeJS.ProcessEnv;
}

/** A key file larger than this is not a key, whatever it holds (base64 and hex are 44 and 64 bytes, and whitespace). */
const MAX_KEY_FILE_BYTES = 1024;

/*
 * The secret is a non-enumerable property, and every way of printing the object (String, JSON,
 * util.inspect, so console.log and assertion messages) shows `[redacted]`.
 */
function redacted<T extends object>(fields: T, secretName: string, secret: unknown): T {
	const hide = (name: PropertyKey, value: unknown) => Object.defineProperty(fields, name, {value, enumerable: false});
	hide(secretName, secret);
	hide('toString', () => REDACTED);
	hide('toJSON', () => REDACTED);
	hide(inspect.custom, () => REDACTED);
	return Object.freeze(fields);
}

/** A key source over raw key bytes (copied). */
export function rawKeySource(key: Uint8Array): EncryptionKeySource {
	if (key.length !== KEY_BYTES) throw new RangeError(`an encryption key has ${KEY_BYTES} bytes, not ${key.length}`);
	return redacted({kind: 'key'}, 'key', Buffer.from(key)) as EncryptionKeySource;
}

/** A key source over a passphrase (not empty). */
export function passphraseSource(passphrase: string): EncryptionKeySource {
	if (passphrase.length === 0) throw new RangeError('an empty passphrase');
	return redacted({kind: 'passphrase'}, 'passphrase', passphrase) as EncryptionKeySource;
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

/** The 32 bytes written as hex or base64 (standard or URL-safe) in `text`, or undefined. */
export function decodeKeyText(text: string): Buffer | undefined {
	const trimmed = text.trim();
	if (HEX_KEY.test(trimmed)) return Buffer.from(trimmed, 'hex');
	if (BASE64_KEY.test(trimmed)) {
		const bytes = Buffer.from(trimmed, 'base64');
		if (bytes.length === KEY_BYTES) return bytes;
	}
	return undefined;
}

const NOT_A_KEY = `does not hold a ${KEY_BYTES}-byte key (give ${KEY_BYTES} raw bytes, or their base64 or hex)`;

async function readKeyFile(file: string): Promise<{key: Buffer; warnings: string[]}> {
	const origin = `--encryption-key-file ${file}`;
	let content: Buffer;
	let mode: number;
	try {
		const handle = await open(file, 'r');
		try {
			const info = await handle.stat();
			if (!info.isFile()) throw keyInvalid(origin, 'is not a file');
			if (info.size > MAX_KEY_FILE_BYTES) throw keyInvalid(origin, NOT_A_KEY);
			mode = info.mode;
			content = await handle.readFile();
		} finally {
			await handle.close();
		}
	} catch (error) {
		if (error instanceof Error && 'code' in error && typeof (error as NodeJS.ErrnoException).errno === 'number') {
			throw keyInvalid(origin, `cannot be read (${(error as NodeJS.ErrnoException).code})`);
		}
		throw error;
	}
	const warnings = mode & 0o077 ? [`${file}, the encryption key file, can be read by other users than its owner (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); make it private: chmod 600 ${file}`] : [];
	// exactly 32 bytes is the raw key; no text form of a 32-byte key is 32 characters long
	if (content.length === KEY_BYTES) return {key: content, warnings};
	const text = content.toString('utf8');
	registerSecret(text.trim());
	const key = decodeKeyText(text);
	if (!key) throw keyInvalid(origin, NOT_A_KEY);
	return {key, warnings};
}

/** Whether any of loadEncryptionKey's sources is given (set, even empty: loading then says what is wrong with it). */
export function keyGiven(options: LoadKeyOptions = {}): boolean {
	const env = options.env ?? process.env;
	return options.keyFile !== undefined || env.DBBACKUP_ENCRYPTION_KEY !== undefined || env.DBBACKUP_PASSPHRASE !== undefined;
}

/**
 * The key to encrypt or decrypt with, from the first of: `--encryption-key-file FILE`, the variable
 * DBBACKUP_ENCRYPTION_KEY (base64 or hex of 32 bytes), the variable DBBACKUP_PASSPHRASE. None is
 * UsageError ENCRYPTION_KEY_MISSING; one that cannot be used is ENCRYPTION_KEY_INVALID naming where it
 * came from. The texts are registered as secrets, so output never shows them.
 */
export async function loadEncryptionKey(options: LoadKeyOptions = {}): Promise<LoadedEncryptionKey> {
	const env = options.env ?? process.env;
	if (options.keyFile !== undefined) {
		const {key, warnings} = await readKeyFile(options.keyFile);
		return {source: rawKeySource(key), origin: `--encryption-key-file ${options.keyFile}`, warnings};
	}
	const keyText = env.DBBACKUP_ENCRYPTION_KEY;
	if (keyText !== undefined) {
		registerSecret(keyText.trim());
		if (keyText.trim() === '') throw keyInvalid('DBBACKUP_ENCRYPTION_KEY', 'is set but empty');
		const key = decodeKeyText(keyText);
		if (!key) throw keyInvalid('DBBACKUP_ENCRYPTION_KEY', `is not the base64 or hex of ${KEY_BYTES} bytes`);
		return {source: rawKeySource(key), origin: 'DBBACKUP_ENCRYPTION_KEY', warnings: []};
	}
	const passphrase = env.DBBACKUP_PASSPHRASE;
	if (passphrase !== undefined) {
		if (passphrase === '') throw keyInvalid('DBBACKUP_PASSPHRASE', 'is set but empty');
		registerSecret(passphrase);
		return {source: passphraseSource(passphrase), origin: 'DBBACKUP_PASSPHRASE', warnings: []};
	}
	throw keyMissing();
}
