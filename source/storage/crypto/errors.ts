import {IntegrityError, UsageError} from '../../core/errors.ts';

/*
 * The errors of encrypted artifacts. `artifact` is how the user reads the artifact's name (a path, a
 * URL); no key, passphrase or plaintext ever goes into a message.
 */

const HOW_TO_GIVE = 'Give the key with --encryption-key-file FILE (32 bytes: raw, base64 or hex), or set DBBACKUP_ENCRYPTION_KEY (base64 or hex of 32 bytes) or DBBACKUP_PASSPHRASE.';

const DAMAGED_HINT = 'The encrypted artifact changed after it was written (a damaged disk or transfer, a cut, or tampering); nothing of it past the damage can be trusted. Use another copy of the backup.';

/** No key given for work that needs one: `what` says what is encrypted or is to be. Exit 2. */
export function keyMissing(what = 'no encryption key given'): UsageError {
	return new UsageError({code: 'ENCRYPTION_KEY_MISSING', message: what, hint: HOW_TO_GIVE});
}

/** An encrypted artifact met without a key. Exit 2. */
export function encryptedWithoutKey(artifact: string): UsageError {
	return keyMissing(`${artifact} is encrypted; give the key it was encrypted with`);
}

/** A key that cannot be used, named by where it came from (a file, a variable), never by its content. Exit 2. */
export function keyInvalid(origin: string, problem: string): UsageError {
	return new UsageError({code: 'ENCRYPTION_KEY_INVALID', message: `${origin}: ${problem}`, hint: HOW_TO_GIVE});
}

/** Bytes that are not an artifact encrypted by dbbackup. Exit 5. */
export function notOurs(artifact: string): IntegrityError {
	return new IntegrityError({
		code: 'ENCRYPTED_NOT_OURS',
		message: `${artifact} is not an artifact encrypted by dbbackup (no DBBKENC header)`,
		hint: 'Check that the path names an encrypted backup; an artifact written without encryption is read without a key.',
	});
}

/** Our header, in a version (or with settings) this version of dbbackup cannot read. Exit 5. */
export function unsupportedVersion(artifact: string, problem: string): IntegrityError {
	return new IntegrityError({code: 'ENCRYPTION_UNSUPPORTED_VERSION', message: `${artifact} ${problem}`, hint: 'Read it with the version of dbbackup that wrote it, or a newer one.'});
}

/** The header does not authenticate under the key given (or the key is of the other kind). Exit 5. */
export function wrongKey(artifact: string, problem = 'its header does not authenticate (another key, or a damaged header)'): IntegrityError {
	return new IntegrityError({code: 'ENCRYPTION_WRONG_KEY', message: `${artifact} cannot be decrypted with this key: ${problem}`, hint: 'Give the key or passphrase the backup was encrypted with.'});
}

/** The encrypted bytes are not what was written: `problem` says where. Exit 5. */
export function damaged(artifact: string, problem: string): IntegrityError {
	return new IntegrityError({code: 'ENCRYPTED_DAMAGED', message: `${artifact} is damaged: ${problem}`, hint: DAMAGED_HINT});
}

/** Segment `index` failed authentication: changed, moved, cut, repeated, or from another file. Exit 5. */
export function segmentDamaged(artifact: string, index: number, segmentBytes: number): IntegrityError {
	return damaged(artifact, `segment ${index} (plaintext from byte ${index * segmentBytes}) does not authenticate`);
}
