/**
 * Streaming splitter for plain PostgreSQL scripts (pg_dump -Fp output): the part of psql that cuts a
 * script into statements, hands over the data lines of `COPY … FROM stdin` and reads the meta-commands.
 * It works on bytes: every byte it decides on is ASCII, so UTF-8 split across chunks needs no care.
 * Only the statement being read and a few bytes of look-ahead are held in memory; COPY data is passed
 * on as slices of the source's chunks, never gathered.
 */
import {isDigit, isLetter, isSpace} from '../../sql-script/bytes.ts';
import {SqlScriptError} from '../../sql-script/script-error.ts';
import {ScriptStatement, type ScriptChunk} from '../../sql-script/statement.ts';
import {isUtf8EncodingName, otherEncodingHint} from './encoding.ts';
import {parseMetaCommand} from './meta-command.ts';


export interface StatementItem {
	kind: 'statement';
	statement: ScriptStatement;
}

/**
 * `COPY … FROM stdin` and its data: the lines after the statement up to the line `\.` (exclusive), with
 * their line ends. The data must be read (or left alone: the splitter skips what is left) before the
 * next item is asked for. Reading it throws when the script ends before `\.`. The chunks are slices of
 * the source's own buffers, not copies: a source must not reuse a buffer it has yielded (Node streams do not).
 */
export interface CopyItem {
	kind: 'copy';
	statement: ScriptStatement;
	/** line of the first data row */
	dataLine: number;
	data: AsyncIterable<Buffer>;
}

/** `\connect DATABASE` (pg_dump --create): the rest of the script belongs to that database. */
export interface ConnectItem {
	kind: 'connect';
	database: string;
	line: number;
	byteOffset: number;
	/** offset just past the meta-command's line */
	endOffset: number;
}

export type ScriptItem = StatementItem | CopyItem | ConnectItem;

export interface SplitterOptions {
	/** the script's name in error messages, e.g. the archive member or the file */
	name?: string;
	/** the largest statement accepted (default: 1 GiB, the most a server takes as one query text) */
	maxStatementBytes?: number;
}

const SERVER_QUERY_LIMIT = 1024 * 1024 * 1024 - 1;

const CODE = 0;
const QUOTE = 1;
const IDENT_QUOTE = 2;
const LINE_COMMENT = 3;
const BLOCK_COMMENT = 4;
const DOLLAR_QUOTE = 5;
/** after the `;` of COPY … FROM stdin, up to the end of its line */
const COPY_LINE_REST = 6;
const COPY_DATA = 7;
type Mode =
	| typeof CODE
	| typeof QUOTE
	| typeof IDENT_QUOTE
	| typeof LINE_COMMENT
	| typeof BLOCK_COMMENT
	| typeof DOLLAR_QUOTE
	| typeof COPY_LINE_REST
	| typeof COPY_DATA;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const SINGLE = 0x27;
const DOUBLE = 0x22;
const DOLLAR = 0x24;
const DASH = 0x2d;
const SLASH = 0x2f;
const STAR = 0x2a;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const AMPERSAND = 0x26;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;

/** the first words of a statement kept for recognising it (COPY … FROM stdin, CREATE FUNCTION, SET) */
const KEPT_WORDS = 16;
const LONGEST_KEPT_WORD = 64;

const MORE = Symbol('more input needed');

/** bytes ≥ 0x80 are letters to PostgreSQL's lexer (parts of multibyte characters) */
const isIdentStart = (byte: number) => isLetter(byte) || byte === 0x5f || byte >= 0x80;
const isTagByte = (byte: number) => isIdentStart(byte) || isDigit(byte);
const isIdentByte = (byte: number) => isTagByte(byte) || byte === DOLLAR;

const truncatedHint = 'The script is truncated or not a PostgreSQL script; check that the file is complete.';
const metaCommandHint =
	'Remove the psql meta-commands from the script (a native restore follows only \\connect DATABASE, and honours \\restrict / \\unrestrict as psql does), or run the script with psql.';

function toBuffer(chunk: ScriptChunk): Buffer {
	return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function countNewlines(buffer: Buffer, from: number, to: number): number {
	let count = 0;
	for (let at = buffer.indexOf(NEWLINE, from); at >= 0 && at < to; at = buffer.indexOf(NEWLINE, at + 1)) count += 1;
	return count;
}

/**
 * Length of the end-of-data line `\.` at `at` (with its LF or CRLF, or none at the end of the script),
 * 0 when the line is data, -1 when the bytes that decide are not in the buffer yet.
 */
function endMarkerLength(buffer: Buffer, at: number, eof: boolean): number {
	const n = buffer.length;
	if (at >= n) return eof ? 0 : -1;
	if (buffer[at] !== BACKSLASH) return 0;
	if (at + 1 >= n) return eof ? 0 : -1;
	if (buffer[at + 1] !== DOT) return 0;
	if (at + 2 >= n) return eof ? 2 : -1;
	if (buffer[at + 2] === NEWLINE) return 3;
	if (buffer[at + 2] !== CARRIAGE_RETURN) return 0;
	if (at + 3 >= n) return eof ? 3 : -1;
	return buffer[at + 3] === NEWLINE ? 4 : 0;
}

function booleanSetting(value: string): boolean | undefined {
	if (/^(?:on|t|tr|tru|true|y|ye|yes|1|default)$/.test(value)) return true;
	if (/^(?:off|of|f|fa|fal|fals|false|n|no|0)$/.test(value)) return false;
	return undefined;
}

/**
 * Async iterable of the items of a script. `standardConformingStrings` (whether backslashes in '…' are
 * plain characters) follows the script's own SET statements; set it first from the server's setting.
 */
export class PostgresScriptSplitter implements AsyncIterable<ScriptItem> {
	standardConformingStrings = true;

	private readonly name: string;
	private readonly member?: string;
	private iterator?: AsyncIterator<ScriptChunk>;
	private sourceDone = false;
	/** unconsumed input: bytes before `at` are consumed */
	private buffer: Buffer = Buffer.alloc(0);
	private at = 0;
	/** offset in the script of buffer[0] */
	private base = 0;

	private mode: Mode = CODE;
	private line = 1;
	/** the current statement has begun (a byte other than whitespace or a comment was seen) */
	private started = false;
	private parts: Buffer[] = [];
	private partsBytes = 0;
	private readonly maxStatementBytes: number;
	private statementLine = 0;
	private statementOffset = 0;
	private openedOnLine = 0;
	/** backslash escapes in the open '…' string: E'…', or any '…' with standard_conforming_strings off */
	private backslashEscapes = false;
	private escaped = false;
	/** a quote just closed: the same quote right after it is a doubled quote, and the string goes on as before */
	private reopen: typeof CODE | typeof QUOTE | typeof IDENT_QUOTE = CODE;
	private dollarTag: Buffer = Buffer.alloc(0);
	private commentDepth = 0;
	/** the key of the `\restrict` in force, and where it was given */
	private restrictedKey?: string;
	private restrictedOnLine = 0;
	private parenDepth = 0;
	/** BEGIN ATOMIC … END (and CASE … END inside it) of a SQL-standard function body, as psql counts them */
	private beginDepth = 0;
	private routineBody = false;
	/** the routine's argument list has been seen: a routine named `begin` opens no block */
	private routineNamed = false;
	private words: string[] = [];
	/** COPY data: the next byte starts a line */
	private lineStart = false;
	private copyLine = 0;
	private copyDataLine = 0;

	constructor(
		private readonly source: AsyncIterable<ScriptChunk>,
		options: SplitterOptions = {},
	) {
		this.name = options.name ?? 'SQL script';
		this.member = options.name;
		this.maxStatementBytes = options.maxStatementBytes ?? SERVER_QUERY_LIMIT;
	}

	/** bytes of the script consumed so far */
	get bytesConsumed(): number {
		return this.base + this.at;
	}

	async *[Symbol.asyncIterator](): AsyncGenerator<ScriptItem> {
		try {
			for (let item = await this.next(); item !== undefined; item = await this.next()) yield item;
		} finally {
			if (!this.sourceDone) await this.iterator?.return?.();
		}
	}

	/** The next item, or undefined at the end of the script. Skips what is left of the previous COPY's data. */
	async next(): Promise<ScriptItem | undefined> {
		while (this.mode === COPY_LINE_REST || this.mode === COPY_DATA) await this.readCopyChunk();
		for (;;) {
			const item = this.scan(this.sourceDone);
			if (item !== MORE) return item;
			await this.fill();
		}
	}

	private async fill(): Promise<void> {
		this.iterator ??= this.source[Symbol.asyncIterator]();
		for (;;) {
			const next = await this.iterator.next();
			if (next.done) {
				this.sourceDone = true;
				return;
			}
			const bytes = toBuffer(next.value);
			if (bytes.length === 0) continue;
			// what is left is look-ahead, a few bytes: the copy keeps it safe from a source that reuses its chunk
			const rest = this.buffer.subarray(this.at);
			this.base += this.at;
			this.buffer = rest.length > 0 ? Buffer.concat([rest, bytes]) : bytes;
			this.at = 0;
			return;
		}
	}

	private fail(line: number, message: string, hint: string): never {
		throw new SqlScriptError({code: 'SQL_SCRIPT_SYNTAX', message: `${this.name} line ${line}: ${message}`, hint, line, member: this.member});
	}

	private checkEnd(): void {
		const where = this.started ? ` (in the statement starting on line ${this.statementLine})` : '';
		let kind: string | undefined;
		if (this.mode === QUOTE) kind = 'string';
		else if (this.mode === IDENT_QUOTE) kind = 'quoted identifier';
		else if (this.mode === DOLLAR_QUOTE) kind = `dollar-quoted string ${this.dollarTag.toString('utf8')}`;
		else if (this.mode === BLOCK_COMMENT) kind = 'comment';
		if (kind) this.fail(this.openedOnLine, `unterminated ${kind} starting on line ${this.openedOnLine}${where} at the end of the script`, truncatedHint);
	}

	private startStatement(offset: number): void {
		this.started = true;
		this.statementLine = this.line;
		this.statementOffset = this.base + offset;
		this.parenDepth = 0;
		this.beginDepth = 0;
		this.routineBody = false;
		this.routineNamed = false;
		this.words = [];
	}

	private noteWord(word: string): void {
		const words = this.words;
		if (words.length < KEPT_WORDS) {
			words.push(word);
			// CREATE [OR REPLACE] FUNCTION|PROCEDURE: its body may be BEGIN ATOMIC … END with semicolons inside
			const routine = (at: number) => words[at] === 'function' || words[at] === 'procedure';
			if (words[0] === 'create' && (routine(1) || (words[1] === 'or' && words[2] === 'replace' && routine(3)))) this.routineBody = true;
		}
		if (!this.routineNamed) return;
		if (word === 'begin') this.beginDepth += 1;
		else if (word === 'case' && this.beginDepth > 0) this.beginDepth += 1;
		else if (word === 'end' && this.beginDepth > 0) this.beginDepth -= 1;
	}

	private finishStatement(buffer: Buffer, start: number, end: number, endOffset: number): ScriptItem {
		let bytes = Buffer.concat([...this.parts, buffer.subarray(start, end)]);
		let length = bytes.length;
		while (length > 0 && isSpace(bytes[length - 1])) length -= 1;
		bytes = bytes.subarray(0, length);
		const statement = new ScriptStatement(bytes, this.statementLine, this.statementOffset, endOffset);
		this.parts = [];
		this.partsBytes = 0;
		this.started = false;
		const words = this.words;
		if (words[0] === 'set' || words[0] === 'reset') this.followSetting(statement);
		if (words[0] === 'copy' && words.some((word, at) => word === 'from' && words[at + 1] === 'stdin')) {
			this.mode = COPY_LINE_REST;
			this.copyLine = statement.line;
			this.copyDataLine = this.line + 1;
			return {kind: 'copy', statement, dataLine: this.copyDataLine, data: this.copyData()};
		}
		return {kind: 'statement', statement};
	}

	private followSetting(statement: ScriptStatement): void {
		const sql = statement.sql;
		const encoding = /^set\s+(?:(?:session|local)\s+)?(?:client_encoding\s*(?:=|\bto\b)|names)\s*'?([a-z0-9_-]+)'?$/i.exec(sql)?.[1];
		if (encoding !== undefined && !isUtf8EncodingName(encoding) && !/^default$/i.test(encoding)) {
			this.fail(statement.line, `the script switches to client encoding ${encoding}: only UTF-8 scripts can be applied natively`, otherEncodingHint);
		}
		if (/^reset\s+(?:all|standard_conforming_strings)$/i.test(sql)) {
			this.standardConformingStrings = true;
			return;
		}
		const set = /^set\s+(?:(?:session|local)\s+)?standard_conforming_strings\s*(?:=|\bto\b)\s*'?([a-z0-9_]+)'?$/i.exec(sql);
		const value = set && booleanSetting(set[1].toLowerCase());
		if (typeof value === 'boolean') this.standardConformingStrings = value;
	}

	/** `\restrict KEY` … `\unrestrict KEY`, honoured as psql does: a key of letters and digits, the same at both ends. */
	private restriction(kind: 'restrict' | 'unrestrict', key: string, line: number): void {
		if (!/^[A-Za-z0-9]+$/.test(key)) this.fail(line, `\\${kind} needs a key of letters and digits, got ${JSON.stringify(key)}`, metaCommandHint);
		if (kind === 'restrict') {
			if (this.restrictedKey !== undefined) this.fail(line, `\\restrict again while restricted since line ${this.restrictedOnLine}`, metaCommandHint);
			this.restrictedKey = key;
			this.restrictedOnLine = line;
			return;
		}
		if (this.restrictedKey === undefined) this.fail(line, '\\unrestrict without \\restrict', metaCommandHint);
		if (key !== this.restrictedKey) this.fail(line, `\\unrestrict with another key than the \\restrict of line ${this.restrictedOnLine}`, 'The script was changed after it was dumped: do not restore it.');
		this.restrictedKey = undefined;
	}

	private metaCommand(text: string, line: number, offset: number, endOffset: number): ConnectItem | undefined {
		const command = parseMetaCommand(text);
		if (command.kind === 'restrict' || command.kind === 'unrestrict') {
			this.restriction(command.kind, command.key, line);
			return undefined;
		}
		if (this.restrictedKey !== undefined) {
			this.fail(
				line,
				`\\${command.kind === 'connect' ? 'connect' : command.command} after \\restrict (line ${this.restrictedOnLine}): the script forbids meta-commands until \\unrestrict, and psql would refuse this one too`,
				'The script was changed after it was dumped, or it is not what it claims to be: do not restore it.',
			);
		}
		if (command.kind === 'skip') return undefined;
		if (command.kind === 'connect') {
			return {kind: 'connect', database: command.database, line, byteOffset: this.base + offset, endOffset: this.base + endOffset};
		}
		this.fail(line, `\\${command.command} is a psql meta-command: ${command.reason}`, metaCommandHint);
	}

	/**
	 * Scans the buffer from `at`. Returns the next item, undefined at the end of the script, or MORE when
	 * it needs more input (never when `eof`); bytes of an unfinished statement are then kept in `parts`.
	 */
	private scan(eof: boolean): ScriptItem | undefined | typeof MORE {
		const buffer = this.buffer;
		const n = buffer.length;
		let i = this.at;
		let start = i;
		/** at least `count` bytes are there from `at`, or the script ends before */
		const has = (at: number, count: number) => at + count <= n || eof;
		const suspend = (at: number): typeof MORE => {
			if (this.started && at > start) {
				this.parts.push(Buffer.from(buffer.subarray(start, at)));
				this.partsBytes += at - start;
				if (this.partsBytes > this.maxStatementBytes) {
					this.fail(this.statementLine, `the statement starting on line ${this.statementLine} is longer than ${this.maxStatementBytes} bytes`, 'The script is damaged or crafted; a server would refuse this statement too.');
				}
			}
			this.at = at;
			return MORE;
		};

		while (i < n) {
			const mode = this.mode;
			if (mode === QUOTE) {
				let line = this.line;
				let closed = false;
				if (!this.backslashEscapes) {
					const end = buffer.indexOf(SINGLE, i);
					const stop = end < 0 ? n : end + 1;
					line += countNewlines(buffer, i, stop);
					i = stop;
					closed = end >= 0;
				} else {
					let escaped = this.escaped;
					for (; i < n; i++) {
						const byte = buffer[i];
						if (byte === NEWLINE) line += 1;
						if (escaped) escaped = false;
						else if (byte === BACKSLASH) escaped = true;
						else if (byte === SINGLE) {
							i += 1;
							closed = true;
							break;
						}
					}
					this.escaped = escaped;
				}
				this.line = line;
				if (closed) {
					this.mode = CODE;
					this.reopen = QUOTE;
				}
				continue;
			}
			if (mode === IDENT_QUOTE || mode === LINE_COMMENT) {
				const end = buffer.indexOf(mode === IDENT_QUOTE ? DOUBLE : NEWLINE, i);
				const stop = end < 0 ? n : end + 1;
				this.line += countNewlines(buffer, i, stop);
				i = stop;
				if (end >= 0) {
					this.mode = CODE;
					if (mode === IDENT_QUOTE) this.reopen = IDENT_QUOTE;
				}
				continue;
			}
			if (mode === DOLLAR_QUOTE) {
				const tag = this.dollarTag;
				const end = buffer.indexOf(tag, i);
				if (end >= 0) {
					this.line += countNewlines(buffer, i, end);
					i = end + tag.length;
					this.mode = CODE;
					continue;
				}
				// the last bytes may be the beginning of the closing tag
				const keep = eof ? n : Math.max(i, n - tag.length + 1);
				this.line += countNewlines(buffer, i, keep);
				i = keep;
				if (i < n) return suspend(i);
				continue;
			}
			if (mode === BLOCK_COMMENT) {
				let depth = this.commentDepth;
				let line = this.line;
				while (i < n && depth > 0) {
					const byte = buffer[i];
					if (byte === NEWLINE) line += 1;
					else if (byte === STAR || byte === SLASH) {
						if (!has(i, 2)) break;
						const next = buffer[i + 1];
						if (byte === STAR && next === SLASH) {
							depth -= 1;
							i += 1;
						} else if (byte === SLASH && next === STAR) {
							depth += 1;
							i += 1;
						}
					}
					i += 1;
				}
				this.commentDepth = depth;
				this.line = line;
				if (depth === 0) this.mode = CODE;
				else if (i < n) return suspend(i);
				continue;
			}

			if (!this.started) {
				const byte = buffer[i];
				if (isSpace(byte)) {
					if (byte === NEWLINE) this.line += 1;
					i += 1;
					continue;
				}
				if (byte === SEMICOLON) {
					i += 1;
					continue;
				}
				if (byte === DASH || byte === SLASH) {
					if (!has(i, 2)) return suspend(i);
					if (byte === DASH && buffer[i + 1] === DASH) {
						this.mode = LINE_COMMENT;
						i += 2;
						continue;
					}
					if (byte === SLASH && buffer[i + 1] === STAR) {
						this.mode = BLOCK_COMMENT;
						this.commentDepth = 1;
						this.openedOnLine = this.line;
						i += 2;
						continue;
					}
				}
				if (byte === BACKSLASH) {
					const end = buffer.indexOf(NEWLINE, i);
					if (end < 0 && !eof) return suspend(i);
					const lineEnd = end < 0 ? n : end;
					const text = buffer.toString('utf8', i, lineEnd).replace(/\r$/, '');
					const next = end < 0 ? n : end + 1;
					const item = this.metaCommand(text, this.line, i, next);
					if (end >= 0) this.line += 1;
					i = next;
					this.at = i;
					if (item) return item;
					continue;
				}
				this.startStatement(i);
				start = i;
			}

			// inside a statement, outside strings and comments
			if (this.reopen !== CODE) {
				const reopen = this.reopen;
				this.reopen = CODE;
				if (buffer[i] === (reopen === QUOTE ? SINGLE : DOUBLE)) {
					this.mode = reopen;
					this.escaped = false;
					i += 1;
					continue;
				}
			}
			let line = this.line;
			for (; i < n; i++) {
				const byte = buffer[i];
				if (byte === NEWLINE) {
					line += 1;
					continue;
				}
				if (byte === SEMICOLON) {
					if (this.parenDepth > 0 || this.beginDepth > 0) continue;
					this.line = line;
					this.at = i + 1;
					return this.finishStatement(buffer, start, i, this.base + i + 1);
				}
				if (byte === SINGLE || byte === DOUBLE) {
					this.mode = byte === SINGLE ? QUOTE : IDENT_QUOTE;
					this.backslashEscapes = !this.standardConformingStrings;
					this.escaped = false;
					this.openedOnLine = line;
					i += 1;
					break;
				}
				if (byte === OPEN_PAREN) {
					if (this.routineBody) this.routineNamed = true;
					this.parenDepth += 1;
					continue;
				}
				if (byte === CLOSE_PAREN) {
					if (this.parenDepth > 0) this.parenDepth -= 1;
					continue;
				}
				if (byte === DASH || byte === SLASH) {
					if (!has(i, 2)) {
						this.line = line;
						return suspend(i);
					}
					if (byte === DASH && buffer[i + 1] === DASH) {
						this.mode = LINE_COMMENT;
						i += 2;
						break;
					}
					if (byte === SLASH && buffer[i + 1] === STAR) {
						this.mode = BLOCK_COMMENT;
						this.commentDepth = 1;
						this.openedOnLine = line;
						i += 2;
						break;
					}
					continue;
				}
				if (byte === DOLLAR) {
					const tagEnd = this.dollarTagEnd(buffer, i, eof);
					if (tagEnd === MORE) {
						this.line = line;
						return suspend(i);
					}
					if (tagEnd < 0) continue;
					this.dollarTag = Buffer.from(buffer.subarray(i, tagEnd + 1));
					this.mode = DOLLAR_QUOTE;
					this.openedOnLine = line;
					i = tagEnd + 1;
					break;
				}
				if (byte === BACKSLASH) {
					let end = i + 1;
					while (end < n && isLetter(buffer[end])) end += 1;
					if (end === n && !eof) {
						this.line = line;
						return suspend(i);
					}
					const command = buffer.toString('latin1', i, Math.max(end, Math.min(n, i + 2)));
					this.fail(
						line,
						`${command} is a psql meta-command (inside the statement starting on line ${this.statementLine}); a native restore runs SQL only`,
						metaCommandHint,
					);
				}
				if (isIdentStart(byte) || isDigit(byte)) {
					let end = i + 1;
					while (end < n && isIdentByte(buffer[end])) end += 1;
					const single = end - i === 1;
					// the word, and the byte after it (two after U&), decide what follows
					if (!eof && (end === n || (single && (byte === 0x55 || byte === 0x75) && buffer[end] === AMPERSAND && end + 1 === n))) {
						this.line = line;
						return suspend(i);
					}
					const next = buffer[end];
					if (single && (byte === 0x45 || byte === 0x65) && next === SINGLE) {
						this.mode = QUOTE;
						this.backslashEscapes = true;
						this.escaped = false;
						this.openedOnLine = line;
						i = end + 1;
						break;
					}
					if (single && (byte === 0x55 || byte === 0x75) && next === AMPERSAND && (buffer[end + 1] === SINGLE || buffer[end + 1] === DOUBLE)) {
						// U&'…' never takes backslash escapes of the string kind; U&"…" is an identifier
						this.mode = buffer[end + 1] === SINGLE ? QUOTE : IDENT_QUOTE;
						this.backslashEscapes = false;
						this.openedOnLine = line;
						i = end + 2;
						break;
					}
					if (!isDigit(byte) && this.parenDepth === 0 && (this.words.length < KEPT_WORDS || this.routineBody)) {
						this.noteWord(end - i > LONGEST_KEPT_WORD ? '' : buffer.toString('latin1', i, end).toLowerCase());
					}
					i = end - 1;
				}
			}
			this.line = line;
		}
		if (!eof) return suspend(n);
		this.at = n;
		this.checkEnd();
		if (this.started) return this.finishStatement(buffer, start, n, this.base + n);
		return undefined;
	}

	/** Index of the `$` closing a dollar-quote tag that starts at `at`, -1 when it is no tag (`$1`, an operator). */
	private dollarTagEnd(buffer: Buffer, at: number, eof: boolean): number | typeof MORE {
		const n = buffer.length;
		let i = at + 1;
		if (i >= n) return eof ? -1 : MORE;
		if (buffer[i] === DOLLAR) return i;
		if (!isIdentStart(buffer[i])) return -1;
		while (i < n && isTagByte(buffer[i])) i += 1;
		if (i >= n) return eof ? -1 : MORE;
		return buffer[i] === DOLLAR ? i : -1;
	}

	private copyData(): AsyncIterable<Buffer> {
		const next = async (): Promise<IteratorResult<Buffer, undefined>> => {
			const chunk = await this.readCopyChunk();
			return chunk === undefined ? {done: true, value: undefined} : {done: false, value: chunk};
		};
		return {[Symbol.asyncIterator]: () => ({next})};
	}

	/** The next slice of the current COPY's data, undefined once its `\.` line has been read. */
	private async readCopyChunk(): Promise<Buffer | undefined> {
		for (;;) {
			if (this.mode !== COPY_LINE_REST && this.mode !== COPY_DATA) return undefined;
			const chunk = this.scanCopy(this.sourceDone);
			if (chunk !== MORE) return chunk;
			await this.fill();
		}
	}

	private failTruncatedCopy(): never {
		this.fail(
			this.copyLine,
			`the COPY data starting on line ${this.copyDataLine} has no end marker (a line \\.) before the end of the script`,
			truncatedHint,
		);
	}

	private scanCopy(eof: boolean): Buffer | undefined | typeof MORE {
		const buffer = this.buffer;
		const n = buffer.length;
		let i = this.at;
		if (this.mode === COPY_LINE_REST) {
			for (; i < n; i++) {
				const byte = buffer[i];
				if (byte === NEWLINE) {
					this.line += 1;
					this.mode = COPY_DATA;
					this.lineStart = true;
					i += 1;
					break;
				}
				if (byte !== SPACE && byte !== TAB && byte !== CARRIAGE_RETURN) {
					this.fail(
						this.line,
						'text after COPY … FROM stdin on the line of the statement; its data must start on the next line',
						'Put the COPY data on the lines after the statement, ended by a line \\. (as pg_dump writes it).',
					);
				}
			}
			this.at = i;
			if (this.mode === COPY_LINE_REST) {
				if (eof) this.failTruncatedCopy();
				return MORE;
			}
		}

		const from = i;
		let lineStart = this.lineStart;
		let line = this.line;
		for (;;) {
			if (lineStart) {
				const marker = endMarkerLength(buffer, i, eof);
				if (marker < 0) break;
				if (marker > 0) {
					this.line = buffer[i + marker - 1] === NEWLINE ? line + 1 : line;
					this.at = i + marker;
					this.mode = CODE;
					return i > from ? buffer.subarray(from, i) : undefined;
				}
			}
			if (i >= n) break;
			const end = buffer.indexOf(NEWLINE, i);
			if (end < 0) {
				i = n;
				lineStart = false;
				break;
			}
			line += 1;
			i = end + 1;
			lineStart = true;
		}
		this.line = line;
		this.lineStart = lineStart;
		this.at = i;
		if (i > from) return buffer.subarray(from, i);
		if (eof) this.failTruncatedCopy();
		return MORE;
	}
}
