/** Runs a plain SQL script (mysqldump / mariadb-dump output) over a mysql2 connection, statement by statement. */
import {isUtf8} from 'node:buffer';
import type {Connection} from 'mysql2/promise';
import {ProgressReporter, type EventBus} from '../../../core/events.ts';
import {SqlScriptError} from '../../sql-script/script-error.ts';
import {statementPrefix, type ScriptChunk, type ScriptStatement} from '../../sql-script/statement.ts';
import {SqlScriptSplitter} from './splitter.ts';
import {isLockConflict, lockConflictBackoff, lockConflictName, LOCK_CONFLICT_RETRIES} from '../lock-conflicts.ts';

/** MySQL's "binary" character set: mysql2 then writes a latin1 string as its bytes, one to one. */
const BINARY_CHARSET_NUMBER = 63;
const SERVER_STATUS_IN_TRANS = 0x1;
const SERVER_STATUS_NO_BACKSLASH_ESCAPES = 0x200;
/** ER_EMPTY_QUERY: a statement that is only a version comment for a newer server, which the server skips. */
const ER_EMPTY_QUERY = 1065;
/** The server ended the session (killed, shutting down) or the client lost it: no statement can follow. */
const CONNECTION_ENDED = new Set([1053, 1927, 2006, 2013]);

export interface ApplySqlScriptOptions {
	/** owned by the applier while it runs: nothing else may queue queries on it */
	connection: Connection;
	source: AsyncIterable<ScriptChunk>;
	bus: EventBus;
	/** the script's name in messages: the archive member or the file */
	member?: string;
	continueOnError?: boolean;
	/** size of the script in bytes, when known, for the progress total and ETA */
	totalBytes?: number;
	/** reports the bytes consumed so far instead of the applier's own progress task (a restore that sums many members) */
	onProgress?: (bytes: number) => void;
	/**
	 * Sees each statement before it is sent: returning text sends that instead (a USE redirected by
	 * --target-db); throwing stops the script.
	 */
	onStatement?: (statement: ScriptStatement) => string | undefined;
	/** skip the SET NAMES at the start (the caller has set up the session) */
	keepSession?: boolean;
	/** attempts for a statement rolled back as a deadlock victim or after a lock wait timeout (default 5); only outside explicit transactions */
	deadlockRetries?: number;
	/** the longest statement accepted; default: the server's max_allowed_packet, asked once */
	maxStatementBytes?: number;
}

/** The server's max_allowed_packet: no statement can be longer. */
export async function maxAllowedPacket(connection: Connection): Promise<number> {
	const [rows] = await connection.query('SELECT @@max_allowed_packet AS bytes');
	return Number((rows as Array<{bytes: number | string}>)[0]?.bytes);
}

export interface FailedStatement {
	line: number;
	byteOffset: number;
	/** the statement's first characters */
	statement: string;
	/** the server's error code name (ER_…) and number */
	code: string;
	errno?: number;
	message: string;
}

export interface ApplySqlScriptResult {
	/** statements sent to the server, failed ones included */
	statements: number;
	/** rows the server reported as changed (for a data member: inserted) */
	affectedRows: number;
	errors: FailedStatement[];
	/** bytes of the script consumed */
	bytes: number;
}

interface ServerError {
	code?: string;
	errno?: number;
	sqlMessage?: string;
	message?: string;
}

interface ResultHeader {
	serverStatus?: number;
	affectedRows?: number;
}

/** mysql2 connection internals used to send a statement's bytes unchanged; pinned with the mysql2 version. */
interface ConnectionInternals {
	connection?: {config: {charsetNumber: number}; _command?: unknown};
}


/**
 * A statement that is valid UTF-8 goes as text. One that is not (raw binary in `_binary'…'` literals from a
 * dump made without --hex-blob) must reach the server byte for byte, as the mysql client sends it: mysql2
 * encodes the query text in the connection's charset, so for that one query the charset is "binary" and
 * the text holds one character per byte.
 */
async function sendStatement(connection: Connection, statement: ScriptStatement): Promise<unknown> {
	if (isUtf8(statement.bytes)) {
		const [result] = await connection.query(statement.sql);
		return result;
	}
	const internals = (connection as unknown as ConnectionInternals).connection;
	const config = internals?.config;
	if (!config) throw new Error('mysql2 internals changed: connection.connection.config is missing');
	if (internals._command) throw new Error('the connection is busy with another query: a binary statement would be sent with the wrong charset');
	const charsetNumber = config.charsetNumber;
	config.charsetNumber = BINARY_CHARSET_NUMBER;
	try {
		// the packet is built synchronously when the command starts on an idle connection
		const pending = connection.query(statement.bytes.toString('latin1'));
		config.charsetNumber = charsetNumber;
		const [result] = await pending;
		return result;
	} finally {
		config.charsetNumber = charsetNumber;
	}
}

export async function applySqlScript(options: ApplySqlScriptOptions): Promise<ApplySqlScriptResult> {
	const {connection, bus, continueOnError = false} = options;
	const name = options.member ?? 'SQL script';
	const maxStatementBytes = options.maxStatementBytes ?? (await maxAllowedPacket(connection));
	const splitter = new SqlScriptSplitter(options.source, {name, maxStatementBytes});
	const progress = options.onProgress ? {set: options.onProgress, finish() {}} : new ProgressReporter(bus, `restore ${name}`, 'bytes', options.totalBytes);
	const errors: FailedStatement[] = [];
	let statements = 0;
	let affectedRows = 0;
	let bytes = 0;

	if (!options.keepSession) await connection.query('SET NAMES utf8mb4');
	// a deadlock rolls back the whole transaction: resending the statement alone is only right in autocommit
	let inTransaction = false;
	const send = async (statement: ScriptStatement, replacement: string | undefined) => {
		const result = (replacement === undefined ? await sendStatement(connection, statement) : (await connection.query(replacement))[0]) as ResultHeader | ResultHeader[];
		const status = Array.isArray(result) ? undefined : result?.serverStatus;
		if (!Array.isArray(result) && typeof result?.affectedRows === 'number') affectedRows += result.affectedRows;
		if (typeof status === 'number') {
			splitter.noBackslashEscapes = (status & SERVER_STATUS_NO_BACKSLASH_ESCAPES) !== 0;
			inTransaction = (status & SERVER_STATUS_IN_TRANS) !== 0;
		}
	};
	for await (const statement of splitter) {
		const replacement = options.onStatement?.(statement);
		statements += 1;
		try {
			for (let attempt = 1; ; attempt++) {
				try {
					await send(statement, replacement);
					break;
				} catch (error) {
					if (!isLockConflict(error) || inTransaction || attempt > (options.deadlockRetries ?? LOCK_CONFLICT_RETRIES)) throw error;
					bus.log('warn', `${name} line ${statement.line}: ${lockConflictName(error)}, retrying the statement (attempt ${attempt + 1})`);
					await lockConflictBackoff(attempt);
				}
			}
		} catch (error) {
			const {code = 'UNKNOWN', errno, sqlMessage, message = String(error)} = (error ?? {}) as ServerError;
			if (errno === ER_EMPTY_QUERY) continue;
			// mysql2 gives a lost connection (ECONNRESET, EPIPE) a negative errno and no SQL message
			if (errno === undefined || errno < 0 || sqlMessage === undefined || CONNECTION_ENDED.has(errno)) {
				// not a refusal by the server (connection lost, protocol error): going on is impossible
				const lost = CONNECTION_ENDED.has(errno ?? 0) || /^(?:ECONNRESET|EPIPE|ETIMEDOUT|PROTOCOL_CONNECTION_LOST|ECONNREFUSED)$/.test(code);
				throw new SqlScriptError({
					code: 'SQL_SCRIPT_ABORTED',
					message: `${name} line ${statement.line}: ${lost ? 'lost the connection to the server' : 'the statement could not be run'}: ${message} (${code})`,
					hint: 'Check that the server is still up and reachable, then restore again into an empty database.',
					line: statement.line,
					member: options.member,
					cause: error,
				});
			}
			const failed: FailedStatement = {
				line: statement.line,
				byteOffset: statement.byteOffset,
				statement: statementPrefix(statement.sql),
				code,
				errno,
				message: sqlMessage ?? message,
			};
			if (!continueOnError) {
				throw new SqlScriptError({
					code: 'SQL_STATEMENT_FAILED',
					message: `${name} line ${failed.line}: the server refused the statement: ${failed.message} (${code}, error ${errno}); statement: ${failed.statement}`,
					hint: 'Fix the statement or the target server, or restore with --continue-on-error to skip failing statements and count them.',
					line: failed.line,
					member: options.member,
					cause: error,
				});
			}
			errors.push(failed);
			bus.warn(`${name} line ${failed.line}: ${failed.message} (${code}); statement: ${failed.statement}`, {code: 'SQL_STATEMENT_FAILED'});
		} finally {
			bytes = statement.endOffset;
			progress.set(bytes);
		}
	}
	bytes = splitter.bytesConsumed;
	progress.set(bytes);
	progress.finish();
	return {statements, affectedRows, errors, bytes};
}
