import {describeTarget, type ConnectionSettings} from './connection-settings.ts';
import {WorkError} from './errors.ts';

/** Socket-level codes (node, mysql2) and server codes that mean the session is gone, not that a statement failed. */
const LOST_CODES = new Set([
	'PROTOCOL_CONNECTION_LOST',
	'ECONNRESET',
	'ECONNREFUSED',
	'EPIPE',
	'ETIMEDOUT',
	'ER_SERVER_SHUTDOWN',
	'ER_CONNECTION_KILLED',
	// PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now
	'57P01',
	'57P02',
	'57P03',
]);

/**
 * node-postgres reports a dead socket with plain Errors that have no code; so does mysql2 for a command
 * queued on a connection that has already closed.
 */
const LOST_MESSAGES = [/^Connection terminated/, /connection error and is not queryable/, /^terminating connection due to/, /^Can't add new command when connection is in closed state/];

interface DriverError {
	code?: unknown;
	message?: unknown;
	cause?: unknown;
}

/** Whether `error` (or an error it wraps, through `cause`) says the connection to the server was lost. */
export function isConnectionLost(error: unknown): boolean {
	for (let current = error, depth = 0; current && typeof current === 'object' && depth < 8; depth += 1) {
		const {code, message, cause} = current as DriverError;
		if (typeof code === 'string' && (LOST_CODES.has(code) || code.startsWith('08'))) return true;
		if (typeof message === 'string' && LOST_MESSAGES.some((pattern) => pattern.test(message))) return true;
		current = cause;
	}
	return false;
}

/** The one-line failure of a backup whose server went away while it ran (exit 1, not 3: we had connected). */
export function connectionLostError(settings: ConnectionSettings, stage: string, cause: unknown): WorkError {
	const detail = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
	return new WorkError({
		code: 'CONNECTION_LOST',
		message: `lost connection to ${describeTarget(settings)} during ${stage} (${detail})`,
		hint: 'The server went away or closed the session (restart, crash, kill, network); check its log and run the backup again. The unfinished file was removed.',
		cause,
	});
}
