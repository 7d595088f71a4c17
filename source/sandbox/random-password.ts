import {randomBytes} from 'node:crypto';
import {registerSecret} from '../core/redact.ts';

/** A random password of URL-safe characters (no quoting needed anywhere), registered for redaction. */
export function randomPassword(): string {
	const password = randomBytes(18).toString('base64url');
	registerSecret(password);
	return password;
}
