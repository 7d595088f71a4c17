/**
 * What each member of our MySQL/MariaDB archive may hold, checked statement by statement before the
 * statement is sent, so that a crafted archive (whose checksums match its own manifest) cannot reach
 * past the database it is restored into: a data member holds INSERTs of literal rows into its own
 * table; a table's schema member the CREATE TABLE of that table; the sequences member CREATE SEQUENCE
 * and SETVAL; object members the CREATE of one view, routine, trigger or event (unqualified name) and
 * the session settings it was created under. The accounts member runs only with --include-users.
 * Bodies of views, routines, triggers and events are not judged: they run later, with their definer's
 * rights (see the readme's security model).
 */
import {IntegrityError} from '../../core/errors.ts';
import type {ManifestObjectKind} from '../../storage/archive/manifest.ts';
import {isDigit} from '../sql-script/bytes.ts';
import {statementPrefix, type ScriptStatement} from '../sql-script/statement.ts';
import {isName, isWord, tokenize, type Token} from './sql-script/tokens.ts';

export type StatementRule = (statement: ScriptStatement) => undefined;

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const BACKTICK = 0x60;
const QUOTE = 0x27;
const BACKSLASH = 0x5c;

function refused(member: string, statement: ScriptStatement, why: string): IntegrityError {
	return new IntegrityError({
		code: 'MEMBER_STATEMENT_REFUSED',
		message: `${member} line ${statement.line}: ${why}; statement: ${statementPrefix(statement.sql)}`,
		hint: 'This archive holds statements our dumps never write there: it was altered after it was made. Nothing of this member was run; restore from another copy.',
	});
}

function skipSpace(bytes: Buffer, at: number): number {
	while (at < bytes.length && SPACE.has(bytes[at]!)) at += 1;
	return at;
}

/** A backquoted identifier at `at`: its name and the offset past it, or undefined. */
function identifierAt(bytes: Buffer, at: number): {name: string; end: number} | undefined {
	if (bytes[at] !== BACKTICK) return undefined;
	let name = '';
	let from = at + 1;
	for (;;) {
		const close = bytes.indexOf(BACKTICK, from);
		if (close === -1) return undefined;
		name += bytes.toString('utf8', from, close);
		if (bytes[close + 1] === BACKTICK) {
			name += '`';
			from = close + 2;
			continue;
		}
		return {name, end: close + 1};
	}
}

function keywordAt(bytes: Buffer, at: number, keyword: string): number | undefined {
	if (bytes.length < at + keyword.length || bytes.toString('latin1', at, at + keyword.length).toUpperCase() !== keyword) return undefined;
	const after = bytes[at + keyword.length];
	return after === undefined || SPACE.has(after) || after === BACKTICK || after === 0x28 ? at + keyword.length : undefined;
}

const LITERAL_WORD = /^(?:NULL|TRUE|FALSE|0x[0-9a-f]*|(?:\d+\.?\d*|\.\d+)(?:e\d*)?)$/i;
/** prefixes a string literal may carry: X'…', b'…', N'…', _charset'…' */
const STRING_PREFIX = /^(?:x|b|n|_[a-z0-9]+)$/i;

/** digits, ASCII letters, `_` and `.`: what a number, NULL or a string's prefix is made of */
function isWordByte(byte: number): boolean {
	const lower = byte | 0x20;
	return (byte >= 0x30 && byte <= 0x39) || (lower >= 0x61 && lower <= 0x7a) || byte === 0x5f || byte === 0x2e;
}


/** The end of `digits[.digits][e[+-]digits]` at `at` when a delimiter follows it, else undefined (the slow path decides). */
function numberEnd(bytes: Buffer, at: number): number | undefined {
	let i = at;
	while (i < bytes.length && isDigit(bytes[i]!)) i += 1;
	if (bytes[i] === 0x2e) {
		i += 1;
		while (i < bytes.length && isDigit(bytes[i]!)) i += 1;
	}
	if ((bytes[i]! | 0x20) === 0x65) {
		i += 1;
		if (bytes[i] === 0x2b || bytes[i] === 0x2d) i += 1;
		if (i >= bytes.length || !isDigit(bytes[i]!)) return undefined;
		while (i < bytes.length && isDigit(bytes[i]!)) i += 1;
	}
	const next = bytes[i];
	return next === undefined || next === 0x2c || next === 0x29 || SPACE.has(next) ? i : undefined;
}

/**
 * Why the tuples from `at` are not only literals (strings, numbers, hex, bit, NULL) in parentheses and
 * commas, or undefined. A function call or subquery could read another database or a file (LOAD_FILE)
 * into the restored table; an ON DUPLICATE KEY clause or a second statement would go further.
 */
export function literalTuplesProblem(bytes: Buffer, at: number): string | undefined {
	const n = bytes.length;
	let depth = 0;
	let i = at;
	while (i < n) {
		const c = bytes[i]!;
		if (c === QUOTE) {
			let from = i + 1;
			for (;;) {
				const close = bytes.indexOf(QUOTE, from);
				if (close === -1) return 'an unterminated string';
				let backslashes = 0;
				while (bytes[close - 1 - backslashes] === BACKSLASH && close - 1 - backslashes >= from) backslashes += 1;
				if (backslashes % 2 === 1) {
					from = close + 1;
					continue;
				}
				if (bytes[close + 1] === QUOTE) {
					from = close + 2;
					continue;
				}
				i = close + 1;
				break;
			}
			continue;
		}
		if (SPACE.has(c) || c === 0x2c || c === 0x2b || c === 0x2d) {
			i += 1;
			continue;
		}
		if (c === 0x28) {
			depth += 1;
			if (depth > 1) return 'a nested expression';
			i += 1;
			continue;
		}
		if (c === 0x29) {
			depth -= 1;
			if (depth < 0) return 'an unbalanced parenthesis';
			i += 1;
			continue;
		}
		if (c >= 0x30 && c <= 0x39 && c !== 0x30) {
			// a decimal number, the common case: checked without making a string of it
			const end = numberEnd(bytes, i);
			if (end !== undefined) {
				if (depth === 0) return 'a value outside the parentheses of a row';
				i = end;
				continue;
			}
		}
		const wordStart = i;
		while (i < n && isWordByte(bytes[i]!)) i += 1;
		if (i === wordStart) return `the character ${JSON.stringify(String.fromCharCode(c))}, which no literal holds`;
		const word = bytes.toString('latin1', wordStart, i);
		if (bytes[i] === QUOTE && STRING_PREFIX.test(word)) continue;
		if (!LITERAL_WORD.test(word)) return `${JSON.stringify(word.slice(0, 40))}, which is not a literal`;
		if (depth === 0) return 'a value outside the parentheses of a row';
	}
	return depth === 0 ? undefined : 'an unclosed row';
}

/** A data member: `INSERT INTO \`table\` (\`a\`, …) VALUES (literals), …` into its own table and nothing else. */
export function dataMemberRule(member: string, table: string): StatementRule {
	return (statement) => {
		const bytes = statement.bytes;
		let at = keywordAt(bytes, 0, 'INSERT');
		at = at === undefined ? undefined : keywordAt(bytes, skipSpace(bytes, at), 'INTO');
		if (at === undefined) throw refused(member, statement, 'a data member holds only INSERT INTO its table');
		const target = identifierAt(bytes, skipSpace(bytes, at));
		if (!target) throw refused(member, statement, 'the INSERT does not name its table as a quoted identifier');
		at = skipSpace(bytes, target.end);
		if (bytes[at] === 0x2e) throw refused(member, statement, `the INSERT names a table in another database`);
		if (target.name !== table) throw refused(member, statement, `a data member of table ${table} inserts into ${target.name}`);
		if (bytes[at] === 0x28) {
			at += 1;
			for (;;) {
				const column = identifierAt(bytes, skipSpace(bytes, at));
				if (!column) throw refused(member, statement, 'the column list holds something other than column names');
				at = skipSpace(bytes, column.end);
				if (bytes[at] === 0x2c) {
					at += 1;
					continue;
				}
				if (bytes[at] !== 0x29) throw refused(member, statement, 'the column list holds something other than column names');
				at = skipSpace(bytes, at + 1);
				break;
			}
		}
		const values = keywordAt(bytes, at, 'VALUES');
		if (values === undefined) throw refused(member, statement, 'the INSERT takes its rows from something other than VALUES');
		const problem = literalTuplesProblem(bytes, values);
		if (problem) throw refused(member, statement, `the rows hold ${problem}`);
		return undefined;
	};
}

function tokensOf(member: string, statement: ScriptStatement): Token[] {
	const tokens = tokenize(statement.sql);
	if (typeof tokens === 'string') throw refused(member, statement, `the statement cannot be read: ${tokens}`);
	return tokens;
}

/** The unqualified name at `index`, or a refusal. */
function unqualifiedName(member: string, statement: ScriptStatement, tokens: Token[], index: number, what: string): {name: string; next: number} {
	const token = tokens[index];
	if (!isName(token)) throw refused(member, statement, `the ${what} has no name where one belongs`);
	if (tokens[index + 1]?.text === '.' && tokens[index + 1]?.kind === 'punctuation') throw refused(member, statement, `the ${what} is named in another database`);
	return {name: token.text, next: index + 1};
}

/** Words that would make a CREATE TABLE copy rows from elsewhere (… SELECT, … LIKE other) or reach outside the server. */
const TABLE_OPTIONS_REFUSED = new Set(['SELECT', 'AS', 'LIKE', 'VALUES', 'TABLE', 'WITH', 'IGNORE', 'REPLACE', 'UNION', 'CONNECTION']);
const ENGINES_REFUSED = new Set(['MERGE', 'MRG_MYISAM', 'FEDERATED', 'FEDERATEDX', 'CONNECT', 'SPIDER']);

/** A table's schema member: the CREATE TABLE of that table, defined column by column, and nothing else. */
export function tableSchemaRule(member: string, table: string): StatementRule {
	return (statement) => {
		const tokens = tokensOf(member, statement);
		if (!isWord(tokens[0], 'CREATE') || !isWord(tokens[1], 'TABLE')) throw refused(member, statement, 'a table schema member holds only the CREATE TABLE of its table');
		const {name, next} = unqualifiedName(member, statement, tokens, 2, 'table');
		if (name !== table) throw refused(member, statement, `the schema member of table ${table} creates ${name}`);
		if (tokens[next]?.text !== '(') throw refused(member, statement, 'the CREATE TABLE does not define its columns');
		let depth = 0;
		for (let index = next; index < tokens.length; index++) {
			const token = tokens[index]!;
			if (token.kind === 'punctuation' && token.text === '(') depth += 1;
			else if (token.kind === 'punctuation' && token.text === ')') depth -= 1;
			else if (token.kind === 'punctuation' && token.text === ';') throw refused(member, statement, 'a second statement follows the CREATE TABLE');
			else if (depth === 0 && token.kind === 'word' && TABLE_OPTIONS_REFUSED.has(token.text.toUpperCase())) {
				throw refused(member, statement, `the CREATE TABLE has ${token.text.toUpperCase()} after its columns, which would take rows or tables from elsewhere`);
			} else if (depth === 0 && isWord(token, 'ENGINE') && ENGINES_REFUSED.has(tokens[index + (tokens[index + 1]?.text === '=' ? 2 : 1)]?.text.toUpperCase() ?? '')) {
				throw refused(member, statement, `the table uses an engine that reaches tables or servers outside the target`);
			}
		}
		return undefined;
	};
}

/** The session settings an object is re-created under (script-text.ts createStoredObject). */
const OBJECT_SESSION_VARIABLES = new Set(['SQL_MODE', 'CHARACTER_SET_CLIENT', 'COLLATION_CONNECTION', 'TIME_ZONE', 'NAMES', 'FOREIGN_KEY_CHECKS', 'UNIQUE_CHECKS']);

/** `SET variable = value` of the settings above, one value, nothing else. */
function isSessionSetting(tokens: Token[]): boolean {
	if (!isWord(tokens[0], 'SET') || tokens[1]?.kind !== 'word' || !OBJECT_SESSION_VARIABLES.has(tokens[1].text.toUpperCase())) return false;
	const rest = tokens.slice(2);
	if (rest[0]?.text === '=') rest.shift();
	return rest.length === 1 && (rest[0]!.kind === 'string' || rest[0]!.kind === 'word');
}

const KINDS_OF_GROUP: Record<Exclude<ManifestObjectKind, 'users'>, string[]> = {
	views: ['VIEW'],
	routines: ['PROCEDURE', 'FUNCTION'],
	triggers: ['TRIGGER'],
	events: ['EVENT'],
	sequences: ['SEQUENCE'],
};

/** Skips `OR REPLACE`, `ALGORITHM = …`, `DEFINER = user@host`, `SQL SECURITY …`, `AGGREGATE` after CREATE. */
function skipCreateClauses(tokens: Token[], index: number): number {
	for (;;) {
		if (isWord(tokens[index], 'OR') && isWord(tokens[index + 1], 'REPLACE')) index += 2;
		else if (isWord(tokens[index], 'ALGORITHM') && tokens[index + 1]?.text === '=') index += 3;
		else if (isWord(tokens[index], 'SQL') && isWord(tokens[index + 1], 'SECURITY')) index += 3;
		else if (isWord(tokens[index], 'AGGREGATE')) index += 1;
		else if (isWord(tokens[index], 'DEFINER') && tokens[index + 1]?.text === '=') {
			index += 3;
			if (tokens[index]?.text === '@') index += 2;
			else if (tokens[index]?.text === '(' && tokens[index + 1]?.text === ')') index += 2;
		} else return index;
	}
}

/** An object member: the CREATE of its kind's objects (unqualified names) and their session settings. */
export function objectMemberRule(member: string, kind: Exclude<ManifestObjectKind, 'users'>): StatementRule {
	const allowed = KINDS_OF_GROUP[kind];
	return (statement) => {
		const tokens = tokensOf(member, statement);
		if (isSessionSetting(tokens)) return undefined;
		if (kind === 'sequences' && isSetval(statement.sql)) return undefined;
		if (!isWord(tokens[0], 'CREATE')) throw refused(member, statement, `a ${kind} member holds only CREATE ${allowed.join(' / ')} and session settings`);
		const at = skipCreateClauses(tokens, 1);
		if (!isWord(tokens[at], ...allowed)) throw refused(member, statement, `a ${kind} member creates only ${allowed.join(' / ').toLowerCase()}s`);
		const {next} = unqualifiedName(member, statement, tokens, at + 1, allowed[0]!.toLowerCase());
		if (kind === 'triggers') {
			const on = tokens.findIndex((token, index) => index >= next && isWord(token, 'ON'));
			if (on === -1) throw refused(member, statement, 'the trigger names no table');
			unqualifiedName(member, statement, tokens, on + 1, 'trigger\'s table');
		}
		return undefined;
	};
}

/** `SELECT SETVAL(\`seq\`, n, 0, n)` exactly as sequences.ts writes it. */
function isSetval(sql: string): boolean {
	return /^SELECT SETVAL\(`(?:[^`]|``)+`, -?\d+, 0, \d+\)$/.test(sql.trim());
}

/**
 * The text after `CREATE DATABASE IF NOT EXISTS \`name\`` in a database's schema member, as SHOW CREATE
 * DATABASE prints it: character set, collation, MySQL's default encryption, MariaDB's comment.
 */
export function isDatabaseOptions(text: string): boolean {
	return /^(?:\s*\/\*!\d{5} DEFAULT CHARACTER SET \w+(?: COLLATE \w+)? \*\/)?(?:\s*\/\*!80016 DEFAULT ENCRYPTION='[NY]' \*\/)?(?:\s*COMMENT '(?:[^'\\]|\\.|'')*')?\s*$/.test(text);
}

/** The accounts member, run only with --include-users: accounts, roles, grants, default roles. */
export function usersMemberRule(member: string): StatementRule {
	return (statement) => {
		const tokens = tokensOf(member, statement);
		if (isWord(tokens[0], 'CREATE') && isWord(tokens[1], 'USER', 'ROLE')) return undefined;
		if (isWord(tokens[0], 'GRANT')) return undefined;
		if (isWord(tokens[0], 'SET') && isWord(tokens[1], 'DEFAULT') && isWord(tokens[2], 'ROLE')) return undefined;
		throw refused(member, statement, 'the accounts member holds only CREATE USER / ROLE, GRANT and SET DEFAULT ROLE');
	};
}
