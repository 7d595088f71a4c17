import {createHash, createHmac, pbkdf2Sync, randomBytes} from 'node:crypto';

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677, as in pg_authid), so
 * `CREATE ROLE ... PASSWORD '<verifier>'` sets the password without the plain text reaching the server.
 * The password must not need SASLprep (plain ASCII, as randomPassword makes).
 */
export function scramSha256Verifier(password: string, iterations = 4096, salt = randomBytes(16)): string {
	const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
	const clientKey = createHmac('sha256', salted).update('Client Key').digest();
	const storedKey = createHash('sha256').update(clientKey).digest();
	const serverKey = createHmac('sha256', salted).update('Server Key').digest();
	return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
