/** Runs a plain PostgreSQL script (pg_dump -Fp output) over a pg client, natively: no psql. */
import {isUtf8} from 'node:buffer';
import pg from 'pg';
import {ProgressReporter, type EventBus} from '../../../core/events.ts';
import {SqlScriptError} from '../../sql-script/script-error.ts';
import {copyIn, CopyDataReadError} from './copy-in.ts';
import {otherEncodingHint} from './encoding.ts';
import {statementPrefix, type ScriptChunk, type ScriptStatement} from '../../sql-script/statement.ts';
import type {StatementAction} from './database-map.ts';
import {PostgresScriptSplitter, type ScriptItem} from './splitter.ts';


export interface ApplyPostgresScriptOptions {
	/**
	 * owned by the applier while it runs: nothing else may queue queries on it. A transaction the script
	 * leaves open stays open: closing the client rolls it back, as psql's exit does.
	 */
	client: pg.Client;
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
	 * `\connect DATABASE` in the script (pg_dump --create): returns the connected client the rest of the
	 * script runs on (the caller owns and closes both), or throws to refuse. Without it, \connect is an error.
	 */
	onConnect?: (database: string, line: number) => pg.Client | Promise<pg.Client>;
	/** sees each statement (COPY included) before it is sent: it may run it, replace its text, or skip it; throwing stops the script */
	onStatement?: (statement: ScriptStatement) => StatementAction;
}

export interface FailedStatement {
	line: number;
	byteOffset: number;
	/** the statement's first characters */
	statement: string;
	/** SQLSTATE */
	code: string;
	message: string;
	/** a COPY whose data the server refused: the script line of the row it named */
	dataLine?: number;
}

export interface ApplyPostgresScriptResult {
	/** statements sent to the server (COPY included), failed ones included */
	statements: number;
	/** rows the server reported for the COPY blocks that succeeded */
	copyRows: number;
	errors: FailedStatement[];
	/** bytes of the script consumed */
	bytes: number;
}


async function standardConformingStrings(client: pg.Client): Promise<boolean> {
	const result = await client.query<{standard_conforming_strings: string}>('SHOW standard_conforming_strings');
	return result.rows[0]?.standard_conforming_strings === 'on';
}

/** The row a COPY error names (`COPY t, line 3, column a: …`) as a line of the script. */
function copyDataLine(error: pg.DatabaseError, item: ScriptItem): number | undefined {
	if (item.kind !== 'copy') return undefined;
	const row = /\bline (\d+)/.exec(error.where ?? '');
	return row ? item.dataLine + Number(row[1]) - 1 : undefined;
}

export async function applyPostgresScript(options: ApplyPostgresScriptOptions): Promise<ApplyPostgresScriptResult> {
	const {bus, continueOnError = false} = options;
	const name = options.member ?? 'SQL script';
	const splitter = new PostgresScriptSplitter(options.source, {name});
	const progress = options.onProgress
		? {set: options.onProgress, finish() {}}
		: new ProgressReporter(bus, `restore ${name}`, 'bytes', options.totalBytes);
	const errors: FailedStatement[] = [];
	let client = options.client;
	let statements = 0;
	let copyRows = 0;

	const aborted = (line: number, error: unknown) => {
		const {message = String(error), code = 'UNKNOWN'} = (error ?? {}) as {message?: string; code?: string};
		return new SqlScriptError({
			code: 'SQL_SCRIPT_ABORTED',
			message: `${name} line ${line}: the statement could not be run: ${message} (${code})`,
			hint: 'Check that the server is still up and reachable, then restore again into an empty database.',
			line,
			member: options.member,
			cause: error,
		});
	};
	const follow = async (line: number) => {
		try {
			splitter.standardConformingStrings = await standardConformingStrings(client);
		} catch (error) {
			throw aborted(line, error);
		}
	};

	await follow(1);
	for await (const item of splitter) {
		if (item.kind === 'connect') {
			if (!options.onConnect) {
				throw new SqlScriptError({
					code: 'SQL_SCRIPT_CONNECT',
					message: `${name} line ${item.line}: the script switches to database ${item.database} with \\connect, which this restore does not follow`,
					hint: 'Restore a dump made without --create into the target database, or restore it with the option that lets the script create its database.',
					line: item.line,
					member: options.member,
				});
			}
			client = await options.onConnect(item.database, item.line);
			await follow(item.line);
			progress.set(item.endOffset);
			continue;
		}
		const {statement} = item;
		// pg sends text as UTF-8: bytes that are not would be replaced without a word
		if (!isUtf8(statement.bytes)) {
			throw new SqlScriptError({
				code: 'SQL_SCRIPT_ENCODING',
				message: `${name} line ${statement.line}: the statement is not valid UTF-8 (the script is in another encoding or damaged): ${statementPrefix(statement.sql)}`,
				hint: otherEncodingHint,
				line: statement.line,
				member: options.member,
			});
		}
		const action = options.onStatement?.(statement) ?? {run: 'as-is'};
		if (action.run === 'skip') {
			if (item.kind === 'copy') for await (const _ of item.data) void _;
			progress.set(splitter.bytesConsumed);
			continue;
		}
		const sql = action.run === 'text' ? action.sql : statement.sql;
		statements += 1;
		try {
			if (item.kind === 'copy') copyRows += await copyIn(client, sql, item.data, () => progress.set(splitter.bytesConsumed));
			else await client.query(sql);
		} catch (error) {
			if (error instanceof CopyDataReadError) throw error.reason;
			// not a refusal by the server (connection lost, protocol error): going on is impossible
			if (!(error instanceof pg.DatabaseError)) throw aborted(statement.line, error);
			const dataLine = copyDataLine(error, item);
			const failed: FailedStatement = {
				line: statement.line,
				byteOffset: statement.byteOffset,
				statement: statementPrefix(statement.sql),
				code: error.code ?? 'UNKNOWN',
				message: error.message,
				...(dataLine === undefined ? {} : {dataLine}),
			};
			const where = dataLine === undefined ? '' : ` at ${error.where} (line ${dataLine} of the script)`;
			if (!continueOnError) {
				throw new SqlScriptError({
					code: 'SQL_STATEMENT_FAILED',
					message: `${name} line ${failed.line}: the server refused the statement: ${failed.message} (SQLSTATE ${failed.code})${where}; statement: ${failed.statement}`,
					hint: 'Fix the statement or the target server, or restore with --continue-on-error to skip failing statements and count them.',
					line: failed.line,
					member: options.member,
					cause: error,
				});
			}
			errors.push(failed);
			bus.warn(`${name} line ${failed.line}: ${failed.message} (SQLSTATE ${failed.code})${where}; statement: ${failed.statement}`, {
				code: 'SQL_STATEMENT_FAILED',
			});
		} finally {
			progress.set(splitter.bytesConsumed);
		}
	}
	const bytes = splitter.bytesConsumed;
	progress.set(bytes);
	progress.finish();
	return {statements, copyRows, errors, bytes};
}
