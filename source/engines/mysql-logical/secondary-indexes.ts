import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {quoteIdentifier} from './identifiers.ts';

/**
 * Loading rows into a table that only has its primary key and then building the other indexes in one
 * ALTER TABLE is much faster than maintaining every index row by row. This splits SHOW CREATE TABLE text
 * (MariaDB 10.x and MySQL 8 formats) into the CREATE to run before the data and the ALTER to run after.
 */

export interface DeferredIndexes {
	/** the CREATE TABLE to run before the data (the input unchanged when nothing is deferred) */
	create: string;
	/** `ALTER TABLE `t` ADD …, ADD …;` to run after the data, or null when nothing is deferred */
	addIndexes: string | null;
}

/**
 * Without --indexes-after-data or --no-indexes-after-data, a table's secondary indexes are built after
 * its data when the archive holds at least this many of its rows. Below it the indexes stay in memory
 * while rows go in, and the extra ALTER TABLE per table saves next to nothing; on 4 sysbench tables of
 * 100,000 rows deferring was already about 8 % faster, and on 1M rows about 23 %.
 */
export const DEFER_INDEXES_MIN_ROWS = 100_000;

/** Whether a table's secondary indexes are built after its rows: the user's choice, else by its size. */
export function defersIndexes(choice: boolean | undefined, rows: number): boolean {
	return choice ?? rows >= DEFER_INDEXES_MIN_ROWS;
}

/** Engines where an index built after the load gives the same table, and sooner. */
const DEFERRING_ENGINES = new Set(['innodb', 'aria', 'myisam']);

type Token =
	| {kind: 'word'; text: string}
	| {kind: 'ident'; name: string}
	| {kind: 'string'}
	| {kind: 'group'; inner: string}
	| {kind: 'comment'}
	| {kind: 'other'; text: string};

/** Index just past a quoted name, string literal or /* comment *\/ starting at `start`; `start` when none does. */
function skipQuoted(text: string, start: number): number {
	const opener = text[start];
	if (opener === '/' && text[start + 1] === '*') {
		const end = text.indexOf('*/', start + 2);
		return end === -1 ? text.length : end + 2;
	}
	if (opener !== '`' && opener !== '"' && opener !== "'") return start;
	let index = start + 1;
	while (index < text.length) {
		const character = text[index];
		// string literals in SHOW CREATE escape with a backslash; names never do
		if (character === '\\' && opener !== '`') {
			index += 2;
			continue;
		}
		if (character === opener) {
			// a doubled quote stands for itself
			if (text[index + 1] === opener) {
				index += 2;
				continue;
			}
			return index + 1;
		}
		index += 1;
	}
	return text.length;
}

/** Index just past the parenthesis that closes the one at `open`; -1 when none does. */
function closingParenthesis(text: string, open: number): number {
	let depth = 0;
	let index = open;
	while (index < text.length) {
		const skipped = skipQuoted(text, index);
		if (skipped !== index) {
			index = skipped;
			continue;
		}
		if (text[index] === '(') depth += 1;
		if (text[index] === ')') {
			depth -= 1;
			if (depth === 0) return index + 1;
		}
		index += 1;
	}
	return -1;
}

/** Splits at the commas outside parentheses, quotes and comments; pieces trimmed, empty ones dropped. */
export function splitTopLevel(text: string): string[] {
	const pieces: string[] = [];
	let depth = 0;
	let from = 0;
	let index = 0;
	while (index < text.length) {
		const skipped = skipQuoted(text, index);
		if (skipped !== index) {
			index = skipped;
			continue;
		}
		const character = text[index];
		if (character === '(') depth += 1;
		else if (character === ')') depth -= 1;
		else if (character === ',' && depth === 0) {
			pieces.push(text.slice(from, index));
			from = index + 1;
		}
		index += 1;
	}
	pieces.push(text.slice(from));
	return pieces.map((piece) => piece.trim()).filter((piece) => piece !== '');
}

function unquoteName(quoted: string): string {
	const quote = quoted[0];
	return quoted.slice(1, -1).replaceAll(quote + quote, quote);
}

/** The top-level tokens of one definition: parenthesized parts stay whole as groups. */
function tokenize(definition: string): Token[] {
	const tokens: Token[] = [];
	let index = 0;
	while (index < definition.length) {
		const character = definition[index];
		if (/\s/.test(character)) {
			index += 1;
			continue;
		}
		const skipped = skipQuoted(definition, index);
		if (skipped !== index) {
			const raw = definition.slice(index, skipped);
			if (character === '/') tokens.push({kind: 'comment'});
			else if (character === "'") tokens.push({kind: 'string'});
			else tokens.push({kind: 'ident', name: unquoteName(raw)});
			index = skipped;
			continue;
		}
		if (character === '(') {
			const closing = closingParenthesis(definition, index);
			const end = closing === -1 ? definition.length : closing;
			tokens.push({kind: 'group', inner: definition.slice(index + 1, end - 1)});
			index = end;
			continue;
		}
		const word = /^[\p{L}\p{N}_$]+/u.exec(definition.slice(index));
		if (word) {
			tokens.push({kind: 'word', text: word[0]});
			index += word[0].length;
			continue;
		}
		tokens.push({kind: 'other', text: character});
		index += 1;
	}
	return tokens;
}

function isWord(token: Token | undefined, ...words: string[]): boolean {
	return token?.kind === 'word' && words.includes(token.text.toUpperCase());
}

function hasWordPair(tokens: Token[], first: string, second: string): boolean {
	return tokens.some((token, index) => isWord(token, first) && isWord(tokens[index + 1], second));
}

interface Column {
	kind: 'column';
	name: string;
	autoIncrement: boolean;
	notNull: boolean;
}

interface Index {
	kind: 'index';
	primary: boolean;
	unique: boolean;
	/** the key parts' column names; null for an expression part (MySQL 8 functional key) */
	columns: (string | null)[];
}

type Definition = Column | Index | {kind: 'foreign-key'} | {kind: 'other'};

/** The column a key part names: `a`, `a`(10), `a` DESC, or null for an expression. */
function keyPartColumn(part: string): string | null {
	const [first] = tokenize(part);
	if (first?.kind === 'ident') return first.name;
	if (first?.kind === 'word' && !/^\d/.test(first.text)) return first.text;
	return null;
}

function indexDefinition(tokens: Token[], primary: boolean, unique: boolean): Index {
	const parts = tokens.find((token) => token.kind === 'group');
	const columns = parts?.kind === 'group' ? splitTopLevel(parts.inner).map(keyPartColumn) : [];
	return {kind: 'index', primary, unique, columns};
}

function classify(definition: string): Definition {
	let tokens = tokenize(definition).filter((token) => token.kind !== 'comment');
	if (isWord(tokens[0], 'CONSTRAINT')) {
		// CONSTRAINT [name] FOREIGN KEY | CHECK | PRIMARY KEY | UNIQUE
		const named = !isWord(tokens[1], 'FOREIGN', 'CHECK', 'PRIMARY', 'UNIQUE');
		tokens = tokens.slice(named ? 2 : 1);
	}
	const [first] = tokens;
	if (isWord(first, 'FOREIGN')) return {kind: 'foreign-key'};
	if (isWord(first, 'PRIMARY')) return indexDefinition(tokens, true, true);
	if (isWord(first, 'UNIQUE')) return indexDefinition(tokens, false, true);
	if (isWord(first, 'KEY', 'INDEX', 'FULLTEXT', 'SPATIAL')) return indexDefinition(tokens, false, false);
	if (isWord(first, 'CHECK', 'PERIOD')) return {kind: 'other'};
	if (first?.kind === 'ident' || first?.kind === 'word') {
		return {
			kind: 'column',
			name: first.kind === 'ident' ? first.name : first.text,
			autoIncrement: tokens.some((token) => isWord(token, 'AUTO_INCREMENT')),
			notNull: hasWordPair(tokens, 'NOT', 'NULL'),
		};
	}
	return {kind: 'other'};
}

interface CreateTableParts {
	/** `CREATE TABLE `t` ` */
	head: string;
	definitions: string[];
	/** `ENGINE=InnoDB …` after the closing parenthesis */
	tail: string;
}

function splitCreateTable(createTable: string): CreateTableParts | undefined {
	let open = 0;
	while (open < createTable.length && createTable[open] !== '(') {
		const skipped = skipQuoted(createTable, open);
		open = skipped === open ? open + 1 : skipped;
	}
	if (open >= createTable.length) return undefined;
	const close = closingParenthesis(createTable, open);
	if (close === -1) return undefined;
	return {
		head: createTable.slice(0, open).trimEnd(),
		definitions: splitTopLevel(createTable.slice(open + 1, close - 1)),
		tail: createTable.slice(close).trim(),
	};
}

/** SEQUENCE=1 marks a MariaDB sequence, whose ENGINE is InnoDB or Aria like any table's. */
function engineDefers(tail: string): boolean {
	const tokens = tokenize(tail);
	const option = (name: string) => {
		const at = tokens.findIndex((token) => isWord(token, name));
		if (at === -1) return undefined;
		const value = tokens[tokens[at + 1]?.kind === 'other' ? at + 2 : at + 1];
		return value?.kind === 'word' ? value.text.toLowerCase() : undefined;
	};
	const engine = option('ENGINE');
	return engine !== undefined && DEFERRING_ENGINES.has(engine) && option('SEQUENCE') !== '1';
}

function startsWith(columns: (string | null)[], prefix: string[]): boolean {
	return prefix.length > 0 && prefix.every((column, index) => columns[index]?.toLowerCase() === column.toLowerCase());
}

/**
 * Kept in the CREATE:
 * - the PRIMARY KEY; without one, a first UNIQUE key over NOT NULL columns, which InnoDB clusters the
 *   rows by (deferring it would load into a hidden clustered index and rebuild the table at the end);
 * - any key holding an AUTO_INCREMENT column: the table cannot be created without it (InnoDB needs the
 *   column first in a key, MyISAM/Aria anywhere in one);
 * - any key whose leading columns are ones another table's foreign key references (`referencedColumns`):
 *   the server refuses to create that child table, foreign_key_checks=0 or not, while the key is missing;
 * - and every key listed before a kept one. The server orders keys (unique before plain, fulltext
 *   last, creation order within each), and ADD KEY puts the new keys after the existing ones: deferring
 *   only keys that follow every kept key is what makes the rebuilt SHOW CREATE TABLE identical.
 * Nothing is deferred from a table with FOREIGN KEY constraints (their indexes must exist when the
 * constraint is created), nor from an engine other than InnoDB, Aria and MyISAM, nor from a sequence.
 */
export function deferSecondaryIndexes(createTable: string, tableName: string, referencedColumns: string[][] = []): DeferredIndexes {
	const unchanged = {create: createTable, addIndexes: null};
	const parts = splitCreateTable(createTable);
	if (!parts || !engineDefers(parts.tail)) return unchanged;
	const definitions = parts.definitions.map((text) => ({text, parsed: classify(text)}));
	if (definitions.some(({parsed}) => parsed.kind === 'foreign-key')) return unchanged;

	const columns = definitions.flatMap(({parsed}) => (parsed.kind === 'column' ? [parsed] : []));
	const autoIncrement = new Set(columns.filter((column) => column.autoIncrement).map((column) => column.name.toLowerCase()));
	const notNull = new Set(columns.filter((column) => column.notNull).map((column) => column.name.toLowerCase()));
	const indexes = definitions.filter((definition) => definition.parsed.kind === 'index');
	const hasPrimary = indexes.some(({parsed}) => (parsed as Index).primary);
	const mustKeep = (index: Index, position: number) =>
		index.primary ||
		(!hasPrimary && position === 0 && index.unique && index.columns.every((column) => column !== null && notNull.has(column.toLowerCase()))) ||
		index.columns.some((column) => column !== null && autoIncrement.has(column.toLowerCase())) ||
		referencedColumns.some((referenced) => startsWith(index.columns, referenced));
	let lastKept = -1;
	indexes.forEach(({parsed}, position) => {
		if (mustKeep(parsed as Index, position)) lastKept = position;
	});
	const deferred = new Set(indexes.slice(lastKept + 1));
	if (deferred.size === 0) return unchanged;

	const kept = definitions.filter((definition) => !deferred.has(definition));
	const create = `${parts.head} (\n${kept.map(({text}) => `  ${text}`).join(',\n')}\n)${parts.tail ? ` ${parts.tail}` : ''}`;
	const additions = [...deferred].map(({text}) => `ADD ${text}`).join(', ');
	return {create, addIndexes: `ALTER TABLE ${quoteIdentifier(tableName)} ${additions};`};
}

type Row = RowDataPacket & {schemaName: string; tableName: string; constraintName: string; referencedTable: string; columnName: string};

/**
 * Per table of `database`: the column lists that foreign keys (of any database) reference in it, in key
 * order, for `deferSecondaryIndexes`' `referencedColumns`.
 */
export async function readReferencedColumns(connection: MysqlConnection, database: string): Promise<Map<string, string[][]>> {
	const [rows] = await connection.query<Row[]>(
		`SELECT TABLE_SCHEMA AS schemaName, TABLE_NAME AS tableName, CONSTRAINT_NAME AS constraintName,
			REFERENCED_TABLE_NAME AS referencedTable, REFERENCED_COLUMN_NAME AS columnName
		FROM information_schema.KEY_COLUMN_USAGE
		WHERE REFERENCED_TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL
		ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`,
		[database],
	);
	const byConstraint = new Map<string, {table: string; columns: string[]}>();
	for (const row of rows) {
		const key = JSON.stringify([row.schemaName, row.tableName, row.constraintName]);
		const entry = byConstraint.get(key) ?? {table: String(row.referencedTable), columns: []};
		entry.columns.push(String(row.columnName));
		byConstraint.set(key, entry);
	}
	const byTable = new Map<string, string[][]>();
	for (const {table, columns} of byConstraint.values()) byTable.set(table, [...(byTable.get(table) ?? []), columns]);
	return byTable;
}

const IDENTIFIER = '`((?:[^`]|``)+)`';
const REFERENCES = new RegExp(`REFERENCES\\s+(?:${IDENTIFIER}\\.)?${IDENTIFIER}\\s*\\(([^)]*)\\)`, 'g');

/**
 * The same map as readReferencedColumns, read from CREATE TABLE statements (a restore has no source
 * server to ask). Keyed by table name only: a same-named table of another database keeps a key it could
 * have deferred, which costs time, never correctness.
 */
export function referencedColumnsFrom(createStatements: string[]): Map<string, string[][]> {
	const referenced = new Map<string, string[][]>();
	for (const statement of createStatements) {
		for (const match of statement.matchAll(REFERENCES)) {
			const table = match[2].replaceAll('``', '`');
			const columns = [...match[3].matchAll(new RegExp(IDENTIFIER, 'g'))].map((column) => column[1].replaceAll('``', '`'));
			referenced.set(table, [...(referenced.get(table) ?? []), columns]);
		}
	}
	return referenced;
}
