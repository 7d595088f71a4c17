/**
 * Keeps a plain PostgreSQL script restored with --target-db in the target: the one database a
 * `pg_dump --create` script makes for itself is the target (its CREATE DATABASE is not run, since the
 * restore made the target already; its ALTER / COMMENT ON / GRANT … ON DATABASE and `\connect` are
 * pointed at the target), DROP DATABASE is never run, and a statement or `\connect` that names any
 * other database is refused before it runs.
 */
import {UsageError} from '../../../core/errors.ts';
import type {EventBus} from '../../../core/events.ts';
import {statementPrefix, type ScriptStatement} from '../../sql-script/statement.ts';
import {quoteIdent} from '../identifiers.ts';
import {isPgWord, tokenizePostgres, type PgToken} from './tokens.ts';

/** What to do with a statement: run it as it is, run this text instead, or skip it. */
export type StatementAction = {run: 'as-is'} | {run: 'text'; sql: string} | {run: 'skip'};

const MENTIONS_DATABASE = /^\s*(?:CREATE|DROP|ALTER|COMMENT|GRANT|REVOKE|SECURITY)\b[\s\S]*\bDATABASE\b/i;

export class DatabaseMap {
	/** the database the script creates for itself, once seen */
	private source?: string;

	constructor(
		private readonly target: string,
		private readonly scriptName: string,
		private readonly bus: EventBus,
	) {}

	private outside(line: number, what: string): UsageError {
		return new UsageError({
			code: 'SCRIPT_LEAVES_TARGET',
			message: `${this.scriptName} line ${line}: ${what}, outside --target-db ${this.target}; nothing of it was run`,
			hint: 'A script restored with --target-db may only touch the one database it creates for itself. Restore a script of several databases without --target-db, as a user whose rights are limited to what it should change.',
		});
	}

	/** `\connect DATABASE`: the database the client goes to (the target), or a refusal. */
	connect(database: string, line: number): string {
		if (database === this.target || (this.source !== undefined && database === this.source)) return this.target;
		throw this.outside(line, `\\connect ${database} switches to ${this.source === undefined ? 'a database the script did not create' : `another database than the script's own (${this.source})`}`);
	}

	statement(statement: ScriptStatement): StatementAction {
		const sql = statement.sql;
		if (!MENTIONS_DATABASE.test(sql.slice(0, 4096))) return {run: 'as-is'};
		const tokens = tokenizePostgres(sql);
		if (typeof tokens === 'string') return {run: 'as-is'};
		const head = tokens[0]?.text.toUpperCase();
		if (head === 'DROP' && isPgWord(tokens[1], 'DATABASE')) {
			this.bus.warn(`${this.scriptName} line ${statement.line}: not run: ${statementPrefix(sql)} (--target-db ${this.target} is where this restore goes; it never drops a database)`, {code: 'SCRIPT_STATEMENT_SKIPPED'});
			return {run: 'skip'};
		}
		if (head === 'CREATE' && isPgWord(tokens[1], 'DATABASE')) {
			const name = tokens[2];
			if (!name || (this.source !== undefined && name.text !== this.source)) throw this.outside(statement.line, `the script creates a second database (${name?.text ?? '?'})`);
			this.source = name.text;
			this.bus.log('info', `${this.scriptName} line ${statement.line}: the script's database ${name.text} is restored as ${this.target}; its CREATE DATABASE is not run`);
			return {run: 'skip'};
		}
		const names = databaseNames(tokens);
		if (names.length === 0) return {run: 'as-is'};
		let text = sql;
		for (const token of [...names].reverse()) {
			if (token.text !== this.source && token.text !== this.target) throw this.outside(statement.line, `${statementPrefix(sql)} names database ${token.text}`);
			text = `${text.slice(0, token.start)}${quoteIdent(this.target)}${text.slice(token.end)}`;
		}
		return {run: 'text', sql: text};
	}
}

/** The database names a statement addresses: ALTER DATABASE x, … ON DATABASE x[, y], ALTER ROLE r IN DATABASE x. */
function databaseNames(tokens: PgToken[]): PgToken[] {
	const names: PgToken[] = [];
	for (let index = 0; index < tokens.length; index++) {
		if (!isPgWord(tokens[index], 'DATABASE')) continue;
		const before = tokens[index - 1];
		if (!(index === 1 && isPgWord(tokens[0], 'ALTER')) && !isPgWord(before, 'ON', 'IN')) continue;
		for (let at = index + 1; at < tokens.length; at += 2) {
			const token = tokens[at]!;
			if (token.kind !== 'word' && token.kind !== 'identifier') break;
			names.push(token.kind === 'word' ? {...token, text: token.text.toLowerCase()} : token);
			if (tokens[at + 1]?.text !== ',') break;
		}
	}
	return names;
}
