import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs';
import {inspect} from 'node:util';
import {after, before, describe, test} from 'node:test';
import {UsageError} from '../../../source/core/errors.ts';
import {redact} from '../../../source/core/redact.ts';
import {encryptedWithoutKey} from '../../../source/storage/crypto/errors.ts';
import {loadEncryptionKey, passphraseSource, rawKeySource, type EncryptionKeySource} from '../../../source/storage/crypto/key.ts';
import {tempDir, type TempDir} from '../helpers.ts';

let dir: TempDir;
let count = 0;

before(() => {
	dir = tempDir();
});

after(() => dir.remove());

/** A key file holding `content`, private unless `mode` says otherwise. */
function keyFile(content: string | Buffer, mode = 0o600): string {
	const file = dir.at(`key${count++}`);
	writeFileSync(file, content);
	chmodSync(file, mode);
	return file;
}

function keyOf(source: EncryptionKeySource): Buffer {
	assert.equal(source.kind, 'key');
	return (source as EncryptionKeySource & {kind: 'key'}).key;
}

async function refused(action: Promise<unknown>, code: string, message: RegExp, secret?: string): Promise<UsageError> {
	try {
		await action;
	} catch (error) {
		assert.ok(error instanceof UsageError, String(error));
		assert.equal(error.exitCode, 2);
		assert.equal(error.code, code);
		assert.match(error.message, message);
		if (secret !== undefined) {
			for (const text of [error.message, error.hint ?? '', JSON.stringify(error), inspect(error)]) assert.ok(!text.includes(secret), `the key's content in: ${text}`);
		}
		return error;
	}
	assert.fail(`expected ${code}`);
}

describe('loading the encryption key', () => {
	const key = randomBytes(32);

	test('a key file of 32 raw bytes, or their base64 (standard or URL-safe) or hex with whitespace around', async () => {
		for (const content of [key, `${key.toString('base64')}\n`, `  ${key.toString('base64url')}  `, `${key.toString('base64').replace(/=$/, '')}`, `\n${key.toString('hex')}\r\n`, key.toString('hex').toUpperCase()]) {
			const loaded = await loadEncryptionKey({keyFile: keyFile(content), env: {}});
			assert.ok(keyOf(loaded.source).equals(key), String(content));
			assert.deepEqual(loaded.warnings, []);
			assert.match(loaded.origin, /^--encryption-key-file /);
		}
	});

	test('a key file other users can read loads, with a warning naming the file and the fix', async () => {
		const file = keyFile(key.toString('hex'), 0o644);
		const loaded = await loadEncryptionKey({keyFile: file, env: {}});
		assert.ok(keyOf(loaded.source).equals(key));
		assert.deepEqual(loaded.warnings, [`${file}, the encryption key file, can be read by other users than its owner (mode 0644); make it private: chmod 600 ${file}`]);
	});

	test('DBBACKUP_ENCRYPTION_KEY as base64 or hex; DBBACKUP_PASSPHRASE', async () => {
		for (const text of [key.toString('base64'), key.toString('hex'), ` ${key.toString('hex')}\n`]) {
			const loaded = await loadEncryptionKey({env: {DBBACKUP_ENCRYPTION_KEY: text}});
			assert.ok(keyOf(loaded.source).equals(key));
			assert.equal(loaded.origin, 'DBBACKUP_ENCRYPTION_KEY');
		}
		const loaded = await loadEncryptionKey({env: {DBBACKUP_PASSPHRASE: 'correct horse'}});
		assert.equal(loaded.source.kind, 'passphrase');
		assert.equal(loaded.origin, 'DBBACKUP_PASSPHRASE');
	});

	test('precedence: the key file, then DBBACKUP_ENCRYPTION_KEY, then DBBACKUP_PASSPHRASE', async () => {
		const other = randomBytes(32);
		const env = {DBBACKUP_ENCRYPTION_KEY: other.toString('hex'), DBBACKUP_PASSPHRASE: 'correct horse'};
		assert.ok(keyOf((await loadEncryptionKey({keyFile: keyFile(key), env})).source).equals(key));
		assert.ok(keyOf((await loadEncryptionKey({env})).source).equals(other));
		// what is not used is not checked either
		assert.ok(keyOf((await loadEncryptionKey({keyFile: keyFile(key), env: {DBBACKUP_ENCRYPTION_KEY: 'nonsense'}})).source).equals(key));
	});

	test('none given: ENCRYPTION_KEY_MISSING, its hint listing the three ways', async () => {
		const error = await refused(loadEncryptionKey({env: {PATH: '/bin'}}), 'ENCRYPTION_KEY_MISSING', /^no encryption key given$/);
		assert.match(error.hint!, /--encryption-key-file FILE.*DBBACKUP_ENCRYPTION_KEY.*DBBACKUP_PASSPHRASE/);
	});

	test('an encrypted artifact met without a key: ENCRYPTION_KEY_MISSING naming it, exit 2', () => {
		const error = encryptedWithoutKey('/backups/shop.tar');
		assert.ok(error instanceof UsageError);
		assert.equal(error.code, 'ENCRYPTION_KEY_MISSING');
		assert.equal(error.message, '/backups/shop.tar is encrypted; give the key it was encrypted with');
		assert.match(error.hint!, /--encryption-key-file FILE/);
	});

	test('a key of the wrong length names the file or the variable, never the content', async () => {
		const secret = 'customer-master-key-0123456789';
		const file = keyFile(`${secret}\n`);
		await refused(loadEncryptionKey({keyFile: file, env: {}}), 'ENCRYPTION_KEY_INVALID', new RegExp(`^--encryption-key-file ${file}: does not hold a 32-byte key`), secret);
		const short = randomBytes(31).toString('hex');
		await refused(loadEncryptionKey({keyFile: keyFile(short), env: {}}), 'ENCRYPTION_KEY_INVALID', /does not hold a 32-byte key/, short);
		await refused(loadEncryptionKey({keyFile: keyFile(randomBytes(33)), env: {}}), 'ENCRYPTION_KEY_INVALID', /does not hold a 32-byte key/);
		await refused(loadEncryptionKey({keyFile: keyFile(randomBytes(5000)), env: {}}), 'ENCRYPTION_KEY_INVALID', /does not hold a 32-byte key/);
		await refused(loadEncryptionKey({env: {DBBACKUP_ENCRYPTION_KEY: secret}}), 'ENCRYPTION_KEY_INVALID', /^DBBACKUP_ENCRYPTION_KEY: is not the base64 or hex of 32 bytes$/, secret);
		const base64of16 = randomBytes(16).toString('base64');
		await refused(loadEncryptionKey({env: {DBBACKUP_ENCRYPTION_KEY: base64of16}}), 'ENCRYPTION_KEY_INVALID', /^DBBACKUP_ENCRYPTION_KEY: /, base64of16);
		await refused(loadEncryptionKey({env: {DBBACKUP_ENCRYPTION_KEY: ''}}), 'ENCRYPTION_KEY_INVALID', /^DBBACKUP_ENCRYPTION_KEY: is set but empty$/);
		await refused(loadEncryptionKey({env: {DBBACKUP_PASSPHRASE: ''}}), 'ENCRYPTION_KEY_INVALID', /^DBBACKUP_PASSPHRASE: is set but empty$/);
	});

	test('a key file that cannot be read, or a directory, is named', async () => {
		const missing = dir.at('no-such-key');
		await refused(loadEncryptionKey({keyFile: missing, env: {}}), 'ENCRYPTION_KEY_INVALID', new RegExp(`^--encryption-key-file ${missing}: cannot be read \\(ENOENT\\)$`));
		const folder = dir.at('folder');
		mkdirSync(folder);
		await refused(loadEncryptionKey({keyFile: folder, env: {}}), 'ENCRYPTION_KEY_INVALID', /folder: is not a file$/);
	});

	test('the texts read are registered as secrets: output would show [redacted]', async () => {
		const text = randomBytes(32).toString('base64');
		await loadEncryptionKey({env: {DBBACKUP_ENCRYPTION_KEY: text}});
		assert.equal(redact(`key ${text}`), 'key [redacted]');
		await loadEncryptionKey({env: {DBBACKUP_PASSPHRASE: 'a long passphrase'}});
		assert.equal(redact('it was a long passphrase'), 'it was [redacted]');
	});

	test('a key source prints as [redacted] everywhere: String, JSON, util.inspect, inside other objects and assertion messages', async () => {
		const loaded = await loadEncryptionKey({env: {DBBACKUP_ENCRYPTION_KEY: key.toString('hex')}});
		const passphrase = passphraseSource('hunter2-is-my-passphrase');
		for (const source of [loaded.source, passphrase, rawKeySource(key)]) {
			const shown = [String(source), `${source}`, JSON.stringify(source), JSON.stringify({loaded: source}), inspect(source), inspect({source}, {showHidden: true, depth: 5}), inspect(loaded)];
			for (const text of shown) {
				for (const secret of [key.toString('hex'), key.toString('base64'), 'hunter2-is-my-passphrase', ...key.subarray(0, 4).toString('hex').match(/../g)!.map((byte) => `${byte} `)]) {
					assert.ok(!text.includes(secret), `${secret} in ${text}`);
				}
			}
			assert.equal(String(source), '[redacted]');
			assert.equal(JSON.stringify(source), '"[redacted]"');
			assert.deepEqual(Object.keys(source), ['kind']);
			assert.deepEqual({...source}, {kind: source.kind});
		}
		assert.throws(() => rawKeySource(randomBytes(16)), RangeError);
		assert.throws(() => passphraseSource(''), RangeError);
	});
});
