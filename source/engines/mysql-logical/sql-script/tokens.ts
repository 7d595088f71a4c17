/**
 * The tokens of one MySQL/MariaDB statement as the server reads them, for checking what a statement
 * is before it is sent: comments are skipped, but a version comment (`/*!50100 … *\/`, `/*M!100100 … *\/`)
 * is code, as it is to the server, so nothing can hide in one. Strings follow the restore session's
 * rules (backslash escapes on, `"` quotes a string).
 */

export type TokenKind = 'word' | 'identifier' | 'string' | 'punctuation';

export interface Token {
	kind: TokenKind;
	/** a word as written; an identifier or string unquoted; the punctuation character */
	text: string;
	/** offset of the token's first character in the statement */
	start: number;
	/** offset just past it */
	end: number;
}

import {readQuoted} from '../../sql-script/quoted.ts';

const WORD = /[A-Za-z0-9_$\u0080-\uffff]/u;

/** The statement's tokens, or a sentence saying why it cannot be read (an unterminated quote or comment). */
export function tokenize(sql: string): Token[] | string {
	const tokens: Token[] = [];
	let versionComments = 0;
	let i = 0;
	while (i < sql.length) {
		const char = sql[i]!;
		if (/\s/.test(char)) {
			i += 1;
			continue;
		}
		if (char === '#' || (char === '-' && sql[i + 1] === '-' && (i + 2 >= sql.length || /[\s\u0000-\u001f]/.test(sql[i + 2]!)))) {
			const end = sql.indexOf('\n', i);
			i = end === -1 ? sql.length : end + 1;
			continue;
		}
		if (char === '/' && sql[i + 1] === '*') {
			const version = /^\/\*M?!\d{0,6}/.exec(sql.slice(i, i + 10));
			if (version) {
				versionComments += 1;
				i += version[0].length;
				continue;
			}
			const end = sql.indexOf('*/', i + 2);
			if (end === -1) return 'an unterminated comment';
			i = end + 2;
			continue;
		}
		if (char === '*' && sql[i + 1] === '/' && versionComments > 0) {
			versionComments -= 1;
			i += 2;
			continue;
		}
		if (char === '`' || char === "'" || char === '"') {
			const read = readQuoted(sql, i, char, char !== '`');
			if (!read) return `an unterminated ${char} quote`;
			tokens.push({kind: char === '`' ? 'identifier' : 'string', text: read.text, start: i, end: read.end});
			i = read.end;
			continue;
		}
		if (WORD.test(char)) {
			let end = i + 1;
			while (end < sql.length && WORD.test(sql[end]!)) end += 1;
			tokens.push({kind: 'word', text: sql.slice(i, end), start: i, end});
			i = end;
			continue;
		}
		tokens.push({kind: 'punctuation', text: char, start: i, end: i + 1});
		i += 1;
	}
	return tokens;
}

/** Whether the token is the keyword `word` (any case). */
export function isWord(token: Token | undefined, ...words: string[]): boolean {
	return token?.kind === 'word' && words.includes(token.text.toUpperCase());
}

/** A name as a statement gives it: a backquoted identifier or a bare word. */
export function isName(token: Token | undefined): token is Token {
	return token?.kind === 'identifier' || token?.kind === 'word';
}
