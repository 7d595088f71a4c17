/**
 * Lock conflicts during a restore: the server rolls a statement back as a deadlock victim (1213), or
 * gives up waiting for a lock (1205). Neither says anything about the statement: with several workers
 * they are a matter of timing (MySQL 9.7 deadlocks two CREATE TABLEs whose foreign keys name each
 * other's tables, about one restore of sakila in three), so the statement is sent again, a bounded number
 * of times, with a log line each time. Only a statement that runs on its own (autocommit) may be resent:
 * in an explicit transaction a deadlock has rolled back everything before it too.
 */
import type {MysqlConnection} from '../../core/connect.ts';
import {WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';

/** ER_LOCK_WAIT_TIMEOUT: the statement waited innodb_lock_wait_timeout / lock_wait_timeout for a lock. */
export const ER_LOCK_WAIT_TIMEOUT = 1205;
/** ER_LOCK_DEADLOCK: the server chose this statement's transaction as a deadlock victim and rolled it back. */
export const ER_LOCK_DEADLOCK = 1213;
/** attempts after the first */
export const LOCK_CONFLICT_RETRIES = 5;
const BACKOFF_MS = 50;

export function isLockConflict(error: unknown): boolean {
	const errno = (error as {errno?: number} | undefined)?.errno;
	return errno === ER_LOCK_DEADLOCK || errno === ER_LOCK_WAIT_TIMEOUT;
}

export function lockConflictName(error: unknown): string {
	return (error as {errno?: number}).errno === ER_LOCK_DEADLOCK ? 'deadlock with another session' : 'lock wait timeout';
}

/** Waits a little longer before each new attempt, so the sessions that collided move apart. */
export function lockConflictBackoff(attempt: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * attempt));
}

export interface LockRetryOptions {
	bus: EventBus;
	/** what the statement is, for the log line and the error: "sakila.store: CREATE TABLE" */
	what: string;
	retries?: number;
}

/**
 * Runs one statement on its own; a lock conflict sends it again (up to `retries` more times, each with a
 * log line). Any other refusal, and a conflict on the last attempt, is a WorkError naming the statement.
 */
export async function queryRetryingLockConflicts(connection: MysqlConnection, sql: string, options: LockRetryOptions): Promise<void> {
	const retries = options.retries ?? LOCK_CONFLICT_RETRIES;
	for (let attempt = 1; ; attempt++) {
		try {
			await connection.query(sql);
			return;
		} catch (error) {
			if (!isLockConflict(error) || attempt > retries) throw statementRefused(error, options.what, attempt);
			options.bus.log('warn', `${options.what}: ${lockConflictName(error)}, retrying the statement (attempt ${attempt + 1} of ${retries + 1})`);
			await lockConflictBackoff(attempt);
		}
	}
}

function statementRefused(error: unknown, what: string, attempts: number): unknown {
	const {code, errno, sqlMessage} = (error ?? {}) as {code?: string; errno?: number; sqlMessage?: string};
	// a lost connection or a protocol error is not the statement's doing: let the caller's handling see it
	if (sqlMessage === undefined || errno === undefined) return error;
	const conflict = isLockConflict(error);
	return new WorkError({
		code: 'SQL_STATEMENT_FAILED',
		message: `${what}: the server refused the statement${conflict ? ` ${attempts} time${attempts === 1 ? '' : 's'}` : ''}: ${sqlMessage} (${code ?? 'UNKNOWN'}, error ${errno})`,
		hint: conflict
			? 'Other sessions kept holding the locks it needs: restore again when the server is quieter, or with fewer --workers.'
			: 'Check the target server (version, settings, privileges), then restore again into an empty database.',
		cause: error,
	});
}
