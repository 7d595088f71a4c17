/**
 * What the table of contents of our PostgreSQL archive may ask a restore to run, checked before the
 * server is touched, so that a crafted archive (whose checksums match its own manifest) cannot reach
 * past the database it is restored into: no role is created or altered, no other database, tablespace
 * or server setting is touched, nothing is copied to or from a program or file, no statement reads or
 * writes rows (the rows come only from the data members, through a COPY we write), no function in C.
 * Definitions themselves (a view's query, an index expression, a default) are not judged: those that
 * run during the restore run as the restoring role (see the readme's security model).
 */
import {IntegrityError} from '../../core/errors.ts';
import type {StoredToc} from './stored-toc.ts';
import {isPgWord, postgresStatements, tokenizePostgres, type PgToken} from './script/tokens.ts';

/** What CREATE may make in a database: the kinds our dump writes, and their close relatives. */
const CREATABLE = new Set([
	'SCHEMA', 'TABLE', 'VIEW', 'SEQUENCE', 'TYPE', 'DOMAIN', 'FUNCTION', 'PROCEDURE', 'AGGREGATE', 'INDEX', 'TRIGGER', 'RULE', 'POLICY',
	'COLLATION', 'EXTENSION', 'PUBLICATION', 'STATISTICS', 'EVENT', 'OPERATOR', 'CAST', 'CONVERSION', 'TEXT', 'FOREIGN',
]);
/** Words between CREATE and the kind. */
const CREATE_MODIFIERS = new Set(['OR', 'REPLACE', 'UNIQUE', 'UNLOGGED', 'CONSTRAINT', 'MATERIALIZED', 'RECURSIVE', 'DEFAULT', 'TRUSTED']);
/** Objects outside the database, or that act on the server: never created, altered, commented or granted on by a restore. */
const SERVER_WIDE = new Set(['ROLE', 'USER', 'GROUP', 'DATABASE', 'TABLESPACE', 'SUBSCRIPTION', 'SERVER', 'SYSTEM', 'LANGUAGE', 'PARAMETER']);
/** Settings that change who the session is or load code. */
const SETTINGS_REFUSED = /^(?:role|session_authorization|session_preload_libraries|local_preload_libraries|shared_preload_libraries)$/i;
const LITERAL = String.raw`(?:E'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*')`;

function refused(where: string, why: string, statement: string): IntegrityError {
	const shown = statement.replace(/\s+/g, ' ').trim();
	return new IntegrityError({
		code: 'MEMBER_STATEMENT_REFUSED',
		message: `${where}: ${why}; statement: ${shown.length > 120 ? `${shown.slice(0, 117)}...` : shown}`,
		hint: 'The archive holds statements our dumps never write: it was altered after it was made. Nothing was run; restore from another copy.',
	});
}

function textOf(sql: string, statement: PgToken[]): string {
	return sql.slice(statement[0]!.start, statement[statement.length - 1]!.end);
}

function wordAt(statement: PgToken[], index: number): string {
	const token = statement[index];
	return token?.kind === 'word' ? token.text.toUpperCase() : '';
}

/** Why one statement of a toc entry is not one a definition may hold, or undefined. */
function statementProblem(statement: PgToken[], text: string): string | undefined {
	const head = wordAt(statement, 0);
	switch (head) {
		case 'CREATE': {
			let at = 1;
			while (CREATE_MODIFIERS.has(wordAt(statement, at))) at += 1;
			const kind = wordAt(statement, at);
			if (!CREATABLE.has(kind)) return `CREATE ${kind || '(no kind)'} has no place in a database's definitions`;
			if (kind === 'FOREIGN' && wordAt(statement, at + 1) !== 'TABLE') return 'CREATE FOREIGN DATA WRAPPER has no place in a database\'s definitions';
			if (kind === 'TABLE' && statement.some((token, index) => index > at && isPgWord(token, 'AS') && isPgWord(statement[index + 1], 'SELECT', 'VALUES', 'TABLE', 'WITH', 'EXECUTE'))) {
				return 'CREATE TABLE … AS runs a query';
			}
			if (kind === 'FUNCTION' || kind === 'PROCEDURE' || kind === 'AGGREGATE') {
				const language = statement.findIndex((token, index) => isPgWord(token, 'LANGUAGE') && index > at);
				const name = statement[language + 1];
				if (language !== -1 && name && /^(?:c|internal)$/i.test(name.text)) return `a function in LANGUAGE ${name.text} runs native code from a library file`;
			}
			return undefined;
		}
		case 'ALTER': {
			const target = wordAt(statement, 1);
			if (SERVER_WIDE.has(target)) return `ALTER ${target} reaches outside the database`;
			if (target === 'FOREIGN' && wordAt(statement, 2) === 'DATA') return 'ALTER FOREIGN DATA WRAPPER reaches outside the database';
			if (statement.some((token, index) => isPgWord(token, 'SET') && SETTINGS_REFUSED.test(statement[index + 1]?.text ?? ''))) return 'the statement sets who the session is or what it loads';
			return undefined;
		}
		case 'COMMENT':
		case 'SECURITY': {
			const on = statement.findIndex((token) => isPgWord(token, 'ON'));
			const target = wordAt(statement, on + 1);
			if (on === -1) return `${head} without ON`;
			if (SERVER_WIDE.has(target) || (target === 'FOREIGN' && wordAt(statement, on + 2) !== 'TABLE')) return `${head} ON ${target} reaches outside the database`;
			return undefined;
		}
		case 'GRANT':
		case 'REVOKE': {
			const on = statement.findIndex((token) => isPgWord(token, 'ON'));
			const to = statement.findIndex((token) => isPgWord(token, 'TO', 'FROM'));
			if (on === -1 || (to !== -1 && to < on)) return `${head} of a role's membership reaches outside the database`;
			const target = wordAt(statement, on + 1);
			if (SERVER_WIDE.has(target) || (target === 'FOREIGN' && wordAt(statement, on + 2) !== 'TABLE')) return `${head} ON ${target} reaches outside the database`;
			return undefined;
		}
		case 'SELECT': {
			const normal = text.replace(/\s+/g, ' ').trim();
			if (new RegExp(`^SELECT pg_catalog\\.setval\\(${LITERAL}, -?\\d+, (?:true|false)\\)$`).test(normal)) return undefined;
			if (/^SELECT pg_catalog\.lo_create\('\d+'\)$/.test(normal)) return undefined;
			return 'a SELECT other than the setval or lo_create a dump writes';
		}
		case 'REFRESH':
			return wordAt(statement, 1) === 'MATERIALIZED' ? undefined : 'REFRESH of something other than a materialized view';
		default:
			return `${head || 'the statement'} has no place in a database's definitions (only CREATE, ALTER, COMMENT, SECURITY LABEL, GRANT, REVOKE and REFRESH do)`;
	}
}

function statementsOf(where: string, sql: string): PgToken[][] {
	const tokens = tokenizePostgres(sql);
	if (typeof tokens === 'string') throw refused(where, `it cannot be read: ${tokens}`, sql);
	return postgresStatements(tokens);
}

/** One definition (a toc entry's SQL): every statement must be one a definition may hold. */
export function checkDefinition(where: string, sql: string): void {
	for (const statement of statementsOf(where, sql)) {
		const text = textOf(sql, statement);
		const problem = statementProblem(statement, text);
		if (problem) throw refused(where, problem, text);
	}
}

const DATABASE_PLACEHOLDER = '{{database}}';

/**
 * What is set on the restored database after CREATE DATABASE: its comment, settings (of the database
 * and of roles in it) and grants, each naming only the target (the `{{database}}` placeholder).
 */
function checkDatabaseStatement(where: string, sql: string): void {
	const named = sql.replaceAll(DATABASE_PLACEHOLDER, '"target database"');
	const statements = statementsOf(where, named);
	if (statements.length !== 1) throw refused(where, 'it holds more than one statement', sql);
	const statement = statements[0]!;
	const targetAt = statement.findIndex((token) => token.kind === 'identifier' && token.text === 'target database');
	const after = (...words: string[]) => words.every((word, index) => isPgWord(statement[targetAt - words.length + index], word));
	const names = targetAt !== -1 && statement.filter((token) => isPgWord(token, 'DATABASE')).length === 1;
	const setting = statement.findIndex((token) => isPgWord(token, 'SET'));
	const fine =
		names &&
		((wordAt(statement, 0) === 'COMMENT' && after('COMMENT', 'ON', 'DATABASE')) ||
			(wordAt(statement, 0) === 'ALTER' && after('DATABASE') && setting === targetAt + 1 && !SETTINGS_REFUSED.test(statement[setting + 1]?.text ?? '') && (after('ALTER', 'DATABASE') || (wordAt(statement, 1) === 'ROLE' && after('IN', 'DATABASE')))) ||
			((wordAt(statement, 0) === 'GRANT' || wordAt(statement, 0) === 'REVOKE') && after('ON', 'DATABASE')));
	if (!fine) throw refused(where, 'what is set on the database is only its comment, settings and grants', sql);
}

/** CREATE DATABASE options as readDatabase writes them: template0, encoding, locales, connection limit. */
export function isCreateDatabaseOptions(text: string): boolean {
	const literal = LITERAL;
	return new RegExp(
		`^WITH TEMPLATE = template0 ENCODING = '[A-Za-z0-9_]+'(?: LOCALE_PROVIDER = (?:icu|libc|builtin))?(?: ICU_LOCALE = ${literal})?(?: LOCALE = ${literal}| LC_COLLATE = ${literal} LC_CTYPE = ${literal})(?: CONNECTION LIMIT = -?\\d+)?$`,
	).test(text);
}

/** A column as the toc lists it for COPY: one quoted identifier, or a plain lower-case name. */
function isColumnName(column: string): boolean {
	return /^(?:"(?:[^"]|"")+"|[\p{Ll}\p{Lo}_][\p{Ll}\p{Lo}\p{N}_$]*)$/u.test(column);
}

/**
 * Checks the whole table of contents before the restore touches the server: the database's options
 * and settings, every definition, the COPY column lists and the large-object ids.
 */
export function checkStoredToc(stored: StoredToc, member: string): void {
	const {toc} = stored;
	if (!isCreateDatabaseOptions(toc.database.createOptions)) {
		throw refused(`${member}: the database's CREATE options`, 'they are not the template, encoding and locales a dump writes', toc.database.createOptions);
	}
	for (const sql of toc.database.postCreateSql) checkDatabaseStatement(`${member}: database settings`, sql);
	for (const entry of toc.entries) checkDefinition(`${member}: ${entry.section} ${entry.kind} ${entry.schema ? `${entry.schema}.` : ''}${entry.name}`, entry.sql);
	for (const table of toc.tables) {
		const bad = table.columns.find((column) => !isColumnName(column));
		if (bad !== undefined) throw refused(`${member}: table ${table.schema}.${table.name}`, 'its COPY column list holds something other than column names', bad);
	}
	const badOid = stored.largeObjects.find((oid) => !Number.isSafeInteger(oid) || oid <= 0);
	if (badOid !== undefined) throw refused(`${member}: large objects`, 'a large object id is not a positive whole number', String(badOid));
}
