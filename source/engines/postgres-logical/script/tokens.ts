/**
 * The tokens of PostgreSQL SQL text as the server reads it (standard_conforming_strings on, as the
 * restore session sets it), for checking what a statement is before it is sent: comments (nested) are
 * skipped; strings ('…', E'…', U&'…'), dollar-quoted bodies and quoted identifiers are single tokens;
 * `;` is its own token, so a text holding several statements shows it.
 */

export type PgTokenKind = 'word' | 'identifier' | 'string' | 'dollar' | 'number' | 'punctuation';

export interface PgToken {
	kind: PgTokenKind;
	/** a word as written; an identifier or a string unquoted; a dollar-quoted body without its tags */
	text: string;
	start: number;
	end: number;
}

import {readQuoted} from '../../sql-script/quoted.ts';

const WORD_START = /[A-Za-z_\u0080-\uffff]/u;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/u;

/** The text's tokens, or a sentence saying why it cannot be read. */
export function tokenizePostgres(sql: string): PgToken[] | string {
	const tokens: PgToken[] = [];
	let i = 0;
	while (i < sql.length) {
		const char = sql[i]!;
		if (/\s/.test(char)) {
			i += 1;
			continue;
		}
		if (char === '-' && sql[i + 1] === '-') {
			const end = sql.indexOf('\n', i);
			i = end === -1 ? sql.length : end + 1;
			continue;
		}
		if (char === '/' && sql[i + 1] === '*') {
			let depth = 1;
			let at = i + 2;
			while (depth > 0) {
				const open = sql.indexOf('/*', at);
				const close = sql.indexOf('*/', at);
				if (close === -1) return 'an unterminated comment';
				if (open !== -1 && open < close) {
					depth += 1;
					at = open + 2;
				} else {
					depth -= 1;
					at = close + 2;
				}
			}
			i = at;
			continue;
		}
		const prefixed = /^(?:[Ee]|[Uu]&|[Bb]|[Xx]|[Nn])(?=')/.exec(sql.slice(i, i + 3));
		if (char === "'" || prefixed) {
			const open = i + (prefixed ? prefixed[0].length : 0);
			const read = readQuoted(sql, open, "'", prefixed?.[0].toUpperCase() === 'E');
			if (!read) return 'an unterminated string';
			tokens.push({kind: 'string', text: read.text, start: i, end: read.end});
			i = read.end;
			continue;
		}
		const unicodeIdentifier = /^[Uu]&(?=")/.exec(sql.slice(i, i + 3));
		if (char === '"' || unicodeIdentifier) {
			const open = i + (unicodeIdentifier ? 2 : 0);
			const read = readQuoted(sql, open, '"', false);
			if (!read) return 'an unterminated quoted identifier';
			tokens.push({kind: 'identifier', text: read.text, start: i, end: read.end});
			i = read.end;
			continue;
		}
		if (char === '$') {
			const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/u.exec(sql.slice(i, i + 66));
			if (tag) {
				const close = sql.indexOf(tag[0], i + tag[0].length);
				if (close === -1) return `an unterminated ${tag[0]} quote`;
				tokens.push({kind: 'dollar', text: sql.slice(i + tag[0].length, close), start: i, end: close + tag[0].length});
				i = close + tag[0].length;
				continue;
			}
		}
		if (WORD_START.test(char)) {
			let end = i + 1;
			while (end < sql.length && WORD_PART.test(sql[end]!)) end += 1;
			tokens.push({kind: 'word', text: sql.slice(i, end), start: i, end});
			i = end;
			continue;
		}
		if (/[0-9]/.test(char) || (char === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
			const number = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(i))!;
			tokens.push({kind: 'number', text: number[0], start: i, end: i + number[0].length});
			i += number[0].length;
			continue;
		}
		tokens.push({kind: 'punctuation', text: char, start: i, end: i + 1});
		i += 1;
	}
	return tokens;
}

/**
 * The tokens split into statements at each `;`, except inside a SQL-standard function body
 * (`BEGIN ATOMIC … END`), whose statements belong to its CREATE; the `;` tokens themselves are dropped.
 */
export function postgresStatements(tokens: PgToken[]): PgToken[][] {
	const statements: PgToken[][] = [];
	let current: PgToken[] = [];
	let atomicDepth = 0;
	for (let index = 0; index < tokens.length; index++) {
		const token = tokens[index]!;
		if (token.kind === 'word') {
			const word = token.text.toUpperCase();
			if (word === 'BEGIN' && isPgWord(tokens[index + 1], 'ATOMIC')) atomicDepth += 1;
			else if (atomicDepth > 0 && word === 'CASE') atomicDepth += 1;
			else if (atomicDepth > 0 && word === 'END') atomicDepth -= 1;
		}
		if (token.kind === 'punctuation' && token.text === ';' && atomicDepth === 0) {
			if (current.length > 0) statements.push(current);
			current = [];
			continue;
		}
		current.push(token);
	}
	if (current.length > 0) statements.push(current);
	return statements;
}

export function isPgWord(token: PgToken | undefined, ...words: string[]): boolean {
	return token?.kind === 'word' && words.includes(token.text.toUpperCase());
}
