/**
 * Streaming statement splitter for MySQL/MariaDB scripts (mysqldump / mariadb-dump output), the part of
 * the `mysql` client that cuts a script into statements, done on bytes so that statements reach the
 * server byte for byte (dumps without --hex-blob hold raw binary inside string literals) and UTF-8 split
 * across chunks needs no care: every byte the splitter looks at is ASCII.
 * Only the statement being read and a few bytes of look-ahead are held in memory.
 */
import {isDigit, isLetter, isSpace} from '../../sql-script/bytes.ts';
import {SqlScriptError} from '../../sql-script/script-error.ts';
import {ScriptStatement, type ScriptChunk} from '../../sql-script/statement.ts';


const CODE = 0;
const SINGLE_QUOTE = 1;
const DOUBLE_QUOTE = 2;
const BACKTICK = 3;
const LINE_COMMENT = 4;
const BLOCK_COMMENT = 5;
type Mode = typeof CODE | typeof SINGLE_QUOTE | typeof DOUBLE_QUOTE | typeof BACKTICK | typeof LINE_COMMENT | typeof BLOCK_COMMENT;

const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
const STAR = 0x2a;
const SLASH = 0x2f;
const DASH = 0x2d;
const HASH = 0x23;
const BANG = 0x21;

/** Commands of the mysql client that are not SQL: a script using them cannot be replayed statement by statement. */
const CLIENT_COMMANDS = new Set([
	'source',
	'connect',
	'system',
	'tee',
	'notee',
	'pager',
	'nopager',
	'prompt',
	'rehash',
	'edit',
	'ego',
	'go',
	'print',
	'exit',
	'quit',
	'status',
	'charset',
	'warnings',
	'nowarning',
	'clear',
]);
const LONGEST_COMMAND = 'delimiter'.length;

/** mariadb-dump ≥ 10.5.25 starts its scripts with this line, read only by the mariadb client (no shell escapes). */
const SANDBOX_COMMENT = Buffer.from('/*M!999999\\- enable the sandbox mode */');

const isWordByte = (byte: number) => isLetter(byte) || isDigit(byte) || byte === 0x5f;

const clientCommandHint =
	'The script uses a command of the mysql client; remove it (statements end with ; or the current DELIMITER) and run the rest.';

export interface SplitterOptions {
	/** the script's name in error messages, e.g. the archive member */
	name?: string;
	/**
	 * The largest statement accepted (the server's max_allowed_packet: it would refuse a larger one);
	 * a longer one stops the script before it fills memory (a compressed member can inflate a thousandfold).
	 */
	maxStatementBytes?: number;
}

/**
 * Async iterable of the statements of a script. `noBackslashEscapes` may be flipped between statements
 * (from the server's status flags) when the script turns on the NO_BACKSLASH_ESCAPES sql_mode.
 */
export class SqlScriptSplitter implements AsyncIterable<ScriptStatement> {
	noBackslashEscapes = false;

	private delimiter = Buffer.from(';');
	private mode: Mode = CODE;
	/** inside a `/*!…*\/` or `/*M!…*\/` comment, whose text is SQL the server runs */
	private inConditional = false;
	private escaped = false;
	/** the current statement has begun (a byte other than whitespace or a comment was seen) */
	private started = false;
	private parts: Buffer[] = [];
	private partsBytes = 0;
	private readonly maxStatementBytes: number;
	private line = 1;
	/** offset in the script of the first byte of the buffer being scanned */
	private offset = 0;
	private statementLine = 0;
	private statementOffset = 0;
	private openedOnLine = 0;
	private readonly name: string;

	constructor(
		private readonly source: AsyncIterable<ScriptChunk>,
		options: SplitterOptions = {},
	) {
		this.name = options.name ?? 'SQL script';
		this.maxStatementBytes = options.maxStatementBytes ?? Number.POSITIVE_INFINITY;
	}

	/** bytes of the script scanned so far */
	get bytesConsumed(): number {
		return this.offset;
	}

	get currentDelimiter(): string {
		return this.delimiter.toString('utf8');
	}

	async *[Symbol.asyncIterator](): AsyncGenerator<ScriptStatement> {
		let tail: Buffer = Buffer.alloc(0);
		for await (const chunk of this.source) {
			const bytes =
				typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
			if (bytes.length === 0) continue;
			const buffer = tail.length > 0 ? Buffer.concat([tail, bytes]) : bytes;
			const stop = yield* this.scan(buffer, false);
			// the look-ahead bytes are copied: the source may reuse its chunk
			tail = Buffer.from(buffer.subarray(stop));
			this.offset += stop;
		}
		yield* this.scan(tail, true);
		this.offset += tail.length;
		this.checkEnd();
		if (this.started) yield this.finishStatement(Buffer.alloc(0), 0, 0, this.offset);
	}

	private fail(line: number, message: string, hint: string): never {
		throw new SqlScriptError({code: 'SQL_SCRIPT_SYNTAX', message: `${this.name} line ${line}: ${message}`, hint, line});
	}

	private checkEnd(): void {
		const hint = 'The script is truncated or not a MySQL/MariaDB script; check that the file is complete.';
		const where = this.started ? ` (in the statement starting on line ${this.statementLine})` : '';
		switch (this.mode) {
			case SINGLE_QUOTE:
			case DOUBLE_QUOTE:
			case BACKTICK: {
				const kind = this.mode === BACKTICK ? 'quoted identifier' : 'string';
				this.fail(this.openedOnLine, `unterminated ${kind} starting on line ${this.openedOnLine}${where} at the end of the script`, hint);
			}
			case BLOCK_COMMENT:
				this.fail(this.openedOnLine, `unterminated comment starting on line ${this.openedOnLine}${where} at the end of the script`, hint);
		}
		if (this.inConditional) {
			this.fail(this.openedOnLine, `unterminated /*! comment starting on line ${this.openedOnLine}${where} at the end of the script`, hint);
		}
	}

	private finishStatement(buffer: Buffer, start: number, end: number, endOffset: number): ScriptStatement {
		let last = end;
		if (this.parts.length === 0) {
			while (last > start && isSpace(buffer[last - 1])) last -= 1;
		}
		let bytes = Buffer.concat([...this.parts, buffer.subarray(start, last)]);
		if (this.parts.length > 0) {
			let length = bytes.length;
			while (length > 0 && isSpace(bytes[length - 1])) length -= 1;
			bytes = bytes.subarray(0, length);
		}
		const statement = new ScriptStatement(bytes, this.statementLine, this.statementOffset, endOffset);
		this.parts = [];
		this.partsBytes = 0;
		this.started = false;
		return statement;
	}

	private matchesDelimiter(buffer: Buffer, at: number): boolean {
		const delimiter = this.delimiter;
		for (let k = 0; k < delimiter.length; k++) if (buffer[at + k] !== delimiter[k]) return false;
		return true;
	}

	/**
	 * Scans `buffer` from its start, yielding every statement that ends in it. Returns the index where it
	 * stopped: everything before is consumed; the bytes from there on are look-ahead that needs more input
	 * (never when `eof`). Bytes of an unfinished statement are kept in `parts`.
	 */
	private *scan(buffer: Buffer, eof: boolean): Generator<ScriptStatement, number> {
		const n = buffer.length;
		let i = 0;
		let start = 0;
		/** at least `count` bytes are there from `at`, or the script ends before */
		const has = (at: number, count: number) => at + count <= n || eof;
		const suspend = (at: number): number => {
			if (this.started && at > start) {
				this.parts.push(Buffer.from(buffer.subarray(start, at)));
				this.partsBytes += at - start;
				if (this.partsBytes > this.maxStatementBytes) {
					this.fail(this.statementLine, `the statement starting on line ${this.statementLine} is longer than ${this.maxStatementBytes} bytes, the server's max_allowed_packet`, 'The script is damaged or crafted; a server would refuse this statement too.');
				}
			}
			return at;
		};

		while (i < n) {
			const mode = this.mode;
			if (mode === SINGLE_QUOTE || mode === DOUBLE_QUOTE) {
				const quote = mode === SINGLE_QUOTE ? 0x27 : 0x22;
				const escapes = !this.noBackslashEscapes;
				let escaped = this.escaped;
				let line = this.line;
				for (; i < n; i++) {
					const byte = buffer[i];
					if (byte === NEWLINE) line += 1;
					if (escaped) escaped = false;
					else if (byte === BACKSLASH && escapes) escaped = true;
					else if (byte === quote) {
						i += 1;
						this.mode = CODE;
						break;
					}
				}
				this.escaped = escaped;
				this.line = line;
				continue;
			}
			if (mode === BACKTICK || mode === LINE_COMMENT) {
				const end = buffer.indexOf(mode === BACKTICK ? 0x60 : NEWLINE, i);
				const stop = end < 0 ? n : end + 1;
				this.line += countNewlines(buffer, i, stop);
				i = stop;
				if (end >= 0) this.mode = CODE;
				continue;
			}
			if (mode === BLOCK_COMMENT) {
				let line = this.line;
				let closed = false;
				for (; i < n; i++) {
					const byte = buffer[i];
					if (byte === NEWLINE) line += 1;
					else if (byte === STAR) {
						if (!has(i, 2)) break;
						if (buffer[i + 1] === SLASH) {
							i += 2;
							closed = true;
							break;
						}
					}
				}
				this.line = line;
				if (closed) this.mode = CODE;
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
				if (byte === HASH) {
					this.mode = LINE_COMMENT;
					i += 1;
					continue;
				}
				if (!has(i, this.delimiter.length)) return suspend(i);
				if (this.matchesDelimiter(buffer, i)) {
					// an empty statement
					i += this.delimiter.length;
					continue;
				}
				if (byte === DASH) {
					if (!has(i, 3)) return suspend(i);
					if (buffer[i + 1] === DASH && (i + 2 >= n || buffer[i + 2] <= 0x20)) {
						this.mode = LINE_COMMENT;
						i += 2;
						continue;
					}
				} else if (byte === SLASH) {
					if (!has(i, SANDBOX_COMMENT.length)) return suspend(i);
					if (buffer[i + 1] === STAR) {
						if (buffer.subarray(i, i + SANDBOX_COMMENT.length).equals(SANDBOX_COMMENT)) {
							i += SANDBOX_COMMENT.length;
							continue;
						}
						const third = buffer[i + 2];
						if (third !== BANG && !(third === 0x4d && buffer[i + 3] === BANG)) {
							this.mode = BLOCK_COMMENT;
							this.openedOnLine = this.line;
							i += 2;
							continue;
						}
					}
				} else if (byte === BACKSLASH) {
					if (!has(i, 2)) return suspend(i);
					this.fail(this.line, `\`${buffer.toString('latin1', i, Math.min(n, i + 2))}\` is a command of the mysql client, not SQL`, clientCommandHint);
				} else if (isLetter(byte)) {
					let j = i;
					while (j < n && j - i <= LONGEST_COMMAND && isWordByte(buffer[j])) j += 1;
					if (j === n && !eof && j - i <= LONGEST_COMMAND) return suspend(i);
					const word = buffer.toString('latin1', i, j).toLowerCase();
					const wordEnds = j >= n || isSpace(buffer[j]) || buffer[j] === 0x3b;
					if (word === 'delimiter' && wordEnds) {
						const lineEnd = buffer.indexOf(NEWLINE, j);
						if (lineEnd < 0 && !eof) return suspend(i);
						this.setDelimiter(buffer, j, lineEnd < 0 ? n : lineEnd);
						i = lineEnd < 0 ? n : lineEnd;
						continue;
					}
					if (wordEnds && CLIENT_COMMANDS.has(word)) {
						this.fail(this.line, `\`${word}\` is a command of the mysql client, not SQL`, clientCommandHint);
					}
				}
				this.started = true;
				this.statementLine = this.line;
				this.statementOffset = this.offset + i;
				start = i;
			}

			// inside a statement, outside strings and comments
			const delimiter = this.delimiter;
			const first = delimiter[0];
			let line = this.line;
			for (; i < n; i++) {
				const byte = buffer[i];
				if (byte === NEWLINE) {
					line += 1;
					continue;
				}
				if (byte === first && !this.inConditional) {
					if (!has(i, delimiter.length)) {
						this.line = line;
						return suspend(i);
					}
					if (this.matchesDelimiter(buffer, i)) {
						this.line = line;
						const end = i;
						i += delimiter.length;
						yield this.finishStatement(buffer, start, end, this.offset + i);
						start = i;
						break;
					}
				}
				if (byte === 0x27 || byte === 0x22 || byte === 0x60) {
					this.mode = byte === 0x27 ? SINGLE_QUOTE : byte === 0x22 ? DOUBLE_QUOTE : BACKTICK;
					this.escaped = false;
					this.openedOnLine = line;
					i += 1;
					break;
				}
				if (byte === HASH) {
					this.mode = LINE_COMMENT;
					i += 1;
					break;
				}
				if (byte === DASH || byte === SLASH || byte === STAR || byte === BACKSLASH) {
					if (!has(i, byte === SLASH ? 4 : byte === DASH ? 3 : 2)) {
						this.line = line;
						return suspend(i);
					}
					const next = buffer[i + 1];
					if (byte === DASH && next === DASH && (i + 2 >= n || buffer[i + 2] <= 0x20)) {
						this.mode = LINE_COMMENT;
						i += 2;
						break;
					}
					if (byte === SLASH && next === STAR) {
						const third = buffer[i + 2];
						const conditional = third === BANG || (third === 0x4d && buffer[i + 3] === BANG);
						this.openedOnLine = line;
						if (conditional && !this.inConditional) {
							this.inConditional = true;
							i += third === BANG ? 2 : 3;
							continue;
						}
						this.mode = BLOCK_COMMENT;
						i += 2;
						break;
					}
					if (byte === STAR && next === SLASH && this.inConditional) {
						this.inConditional = false;
						i += 1;
						continue;
					}
					if (byte === BACKSLASH && next !== undefined && next !== 0x4e && (isLetter(next) || next === 0x2e)) {
						this.fail(line, `\`\\${String.fromCharCode(next)}\` is a command of the mysql client, not SQL`, clientCommandHint);
					}
				}
			}
			this.line = line;
		}
		return suspend(n);
	}

	private setDelimiter(buffer: Buffer, from: number, to: number): void {
		let a = from;
		while (a < to && isSpace(buffer[a])) a += 1;
		let b = a;
		while (b < to && !isSpace(buffer[b])) b += 1;
		const value = buffer.subarray(a, b);
		const hint = 'Write the delimiter after DELIMITER on the same line, e.g. `DELIMITER ;;` … `DELIMITER ;`.';
		if (value.length === 0) this.fail(this.line, 'DELIMITER without a delimiter', hint);
		if (value.includes(BACKSLASH)) this.fail(this.line, 'a DELIMITER cannot contain a backslash', hint);
		this.delimiter = Buffer.from(value);
	}
}

function countNewlines(buffer: Buffer, from: number, to: number): number {
	let count = 0;
	for (let at = buffer.indexOf(NEWLINE, from); at >= 0 && at < to; at = buffer.indexOf(NEWLINE, at + 1)) count += 1;
	return count;
}

/** The statements of a script, one at a time. */
export function splitSqlScript(source: AsyncIterable<ScriptChunk>, options: SplitterOptions = {}): SqlScriptSplitter {
	return new SqlScriptSplitter(source, options);
}
