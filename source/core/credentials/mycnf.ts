import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {ConfigError} from '../errors.ts';

/** One option as found in a MySQL option file; `true` is an option given without a value. */
export interface OptionValue {
	value: string | true;
	file: string;
	line: number;
	group: string;
}

export interface MysqlOptions {
	/** option name (lower case, dashes as underscores, `loose_` removed) → the last value read */
	options: Map<string, OptionValue>;
	warnings: string[];
}

/** The groups dbbackup reads, in the order MySQL tools do: a later line wins whatever its group. */
export const MYSQL_OPTION_GROUPS = ['client', 'dbbackup'] as const;

const MAX_INCLUDE_DEPTH = 10;

const ESCAPES: Record<string, string> = {b: '\b', t: '\t', n: '\n', r: '\r', s: ' ', '\\': '\\', '"': '"', "'": "'"};

/** Option names compare with dashes and underscores alike, as MySQL does; `loose-` only silences unknown-option errors. */
export function normalizeOptionName(name: string): string {
	return name.toLowerCase().replace(/-/g, '_').replace(/^loose_/, '');
}

function unescape(text: string): string {
	return text.replace(/\\(.)/g, (whole, char: string) => ESCAPES[char] ?? whole);
}

class OptionFileReader {
	readonly options = new Map<string, OptionValue>();
	readonly warnings: string[] = [];
	readonly #groups: ReadonlySet<string>;
	readonly #show: (file: string) => string;
	readonly #reading: string[] = [];

	constructor(groups: readonly string[], show: (file: string) => string) {
		this.#groups = new Set(groups.map((group) => group.toLowerCase()));
		this.#show = show;
	}

	fail(file: string, line: number, message: string): never {
		const shown = this.#show(file);
		throw new ConfigError({
			code: 'MYCNF_SYNTAX',
			message: `${shown}:${line}: ${message}`,
			hint: 'Fix that line of the MySQL option file (or move the file away to ignore it).',
			file: shown,
			line,
		});
	}

	/** Reads a file; `from` is where it was included, for errors. Returns false when it was skipped. */
	readFile(file: string, from?: {file: string; line: number}): boolean {
		if (this.#reading.includes(file)) this.fail(from!.file, from!.line, `${this.#show(file)} includes itself`);
		if (this.#reading.length >= MAX_INCLUDE_DEPTH) this.fail(from!.file, from!.line, `includes nested more than ${MAX_INCLUDE_DEPTH} deep`);
		let text: string;
		try {
			// MySQL refuses option files anyone may write to: anyone could then set options for us
			if ((statSync(file).mode & 0o002) !== 0) {
				this.warnings.push(`${this.#show(file)} is ignored: it is world-writable (chmod o-w ${file})`);
				return false;
			}
			text = readFileSync(file, 'utf8');
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code ?? String(error);
			if (from) this.fail(from.file, from.line, `cannot read included ${this.#show(file)} (${code})`);
			throw new ConfigError({code: 'MYCNF_READ', message: `${this.#show(file)}: cannot be read (${code})`, hint: 'Check the file permissions.', file: this.#show(file)});
		}
		this.#reading.push(file);
		this.parse(text, file);
		this.#reading.pop();
		return true;
	}

	parse(text: string, file: string): void {
		let group: string | undefined;
		for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
			const line = index + 1;
			const content = rawLine.trim();
			if (content === '' || content.startsWith('#') || content.startsWith(';')) continue;
			if (content.startsWith('[')) {
				const match = /^\[([^\]]*)\]\s*([#;].*)?$/.exec(content);
				if (!match || match[1].trim() === '') this.fail(file, line, 'a group header must look like [client]');
				group = match[1].trim().toLowerCase();
				continue;
			}
			if (content.startsWith('!')) {
				this.directive(content, file, line);
				continue;
			}
			if (group === undefined) this.fail(file, line, 'option before any [group] header');
			const option = this.option(content, file, line);
			if (this.#groups.has(group)) this.options.set(option.name, {value: option.value, file, line, group});
		}
	}

	directive(content: string, file: string, line: number): void {
		const match = /^!(include|includedir)\s+(.+)$/.exec(content);
		if (!match) this.fail(file, line, 'unknown directive (only !include FILE and !includedir DIR exist)');
		const target = path.resolve(path.dirname(file), match[2].trim());
		if (match[1] === 'include') {
			this.readFile(target, {file, line});
			return;
		}
		let names: string[];
		try {
			names = readdirSync(target);
		} catch (error) {
			this.fail(file, line, `cannot read the directory ${this.#show(target)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
		}
		for (const name of names.filter((entry) => entry.endsWith('.cnf')).sort()) this.readFile(path.join(target, name), {file, line});
	}

	option(content: string, file: string, line: number): {name: string; value: string | true} {
		const equals = content.indexOf('=');
		const hash = content.indexOf('#');
		const hasValue = equals !== -1 && (hash === -1 || equals < hash);
		const rawName = (hasValue ? content.slice(0, equals) : content.replace(/#.*$/, '')).trim();
		if (!/^[A-Za-z0-9_-]+$/.test(rawName)) this.fail(file, line, 'an option must be `name = value` or `name` alone');
		const name = normalizeOptionName(rawName);
		if (!hasValue) return {name, value: true};
		return {name, value: this.value(content.slice(equals + 1).trim(), file, line)};
	}

	/** The value after `=`: quoted with escapes, or bare up to a `#` comment. Messages never quote it: it may be a password. */
	value(text: string, file: string, line: number): string {
		const quote = text[0];
		// as in MySQL, an unquoted # starts a comment anywhere: a value holding # must be quoted
		if (quote !== '"' && quote !== "'") return unescape(text.replace(/#.*$/, '').trim());
		let end = 1;
		while (end < text.length && text[end] !== quote) end += text[end] === '\\' ? 2 : 1;
		if (end >= text.length) this.fail(file, line, `the value has no closing ${quote}`);
		const rest = text.slice(end + 1).trim();
		if (rest !== '' && !rest.startsWith('#') && !rest.startsWith(';')) this.fail(file, line, `unexpected text after the closing ${quote}`);
		return unescape(text.slice(1, end));
	}
}

export interface ReadMysqlOptionsOptions {
	groups?: readonly string[];
	/** how a file name appears in messages (e.g. with ~ for the home directory) */
	show?: (file: string) => string;
}

/**
 * Reads a MySQL option file (e.g. ~/.my.cnf) with its includes and returns the options of the wanted
 * groups ([client] and [dbbackup] unless told otherwise). A missing file is no options; a world-writable
 * one is ignored with a warning, as MySQL does.
 */
export function readMysqlOptions(file: string, options: ReadMysqlOptionsOptions = {}): MysqlOptions {
	const reader = new OptionFileReader(options.groups ?? MYSQL_OPTION_GROUPS, options.show ?? ((name) => name));
	try {
		statSync(file);
	} catch {
		return {options: new Map(), warnings: []};
	}
	reader.readFile(file);
	return {options: reader.options, warnings: reader.warnings};
}
