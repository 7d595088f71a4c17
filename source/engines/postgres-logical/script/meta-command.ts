/**
 * The psql meta-commands a pg_dump / pg_dumpall script may hold, read from one line (the `\` included,
 * the line end not). Only what a restore can honour natively is understood: `\restrict KEY` /
 * `\unrestrict KEY` (pg_dump 15.14+ guards its output with them: between the two, psql refuses every
 * other meta-command, and so does our splitter), `\connect DB`
 * (pg_dump --create), and `\encoding` to UTF8 or SQL_ASCII (pg_dump sets SQL_ASCII just before a
 * \connect whose database name is not ASCII, so psql passes its bytes through; the script sets the
 * session's encoding again right after). Everything else is reported as unsupported so a script never half-applies silently.
 */

export type MetaCommand =
	| {kind: 'skip'; command: string}
	| {kind: 'restrict'; key: string}
	| {kind: 'unrestrict'; key: string}
	| {kind: 'connect'; database: string}
	| {kind: 'unsupported'; command: string; reason: string};

import {isUtf8EncodingName} from './encoding.ts';


/** psql's argument quoting: "…" keeps case and doubles ", '…' doubles ' and takes backslash escapes. */
function splitArguments(text: string): string[] | string {
	const args: string[] = [];
	let i = 0;
	while (i < text.length) {
		while (i < text.length && /\s/.test(text[i])) i += 1;
		if (i >= text.length) break;
		let arg = '';
		while (i < text.length && !/\s/.test(text[i])) {
			const char = text[i];
			if (char === '"' || char === "'") {
				i += 1;
				let closed = false;
				while (i < text.length) {
					if (text[i] === char) {
						if (text[i + 1] === char) {
							arg += char;
							i += 2;
							continue;
						}
						i += 1;
						closed = true;
						break;
					}
					if (char === "'" && text[i] === '\\' && i + 1 < text.length) {
						arg += text[i + 1];
						i += 2;
						continue;
					}
					arg += text[i];
					i += 1;
				}
				if (!closed) return `an unterminated ${char} quote in its arguments`;
				continue;
			}
			if (char === '`') return 'a shell command (backquotes) in its arguments';
			if (char === ':') return 'a psql variable in its arguments';
			arg += char;
			i += 1;
		}
		args.push(arg);
	}
	return args;
}

/** The dbname of a libpq key=value connection string, or why it cannot be used. */
function databaseOfConnectionString(text: string): {database: string} | {reason: string} {
	const pairs = /\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']+)/y;
	let database: string | undefined;
	let at = 0;
	while (at < text.length) {
		if (/^\s*$/.test(text.slice(at))) break;
		pairs.lastIndex = at;
		const match = pairs.exec(text);
		if (!match) return {reason: `an unreadable connection string ${JSON.stringify(text)}`};
		at = pairs.lastIndex;
		const [, key, raw] = match;
		const value = raw.startsWith("'") ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
		if (key !== 'dbname') return {reason: `a connection string that sets ${key} (only dbname can be followed)`};
		database = value;
	}
	return database === undefined ? {reason: 'a connection string without dbname'} : {database};
}

export function parseMetaCommand(line: string): MetaCommand {
	const match = /^\\([A-Za-z_]+|[^\sA-Za-z_])?/.exec(line);
	const command = match?.[1] ?? '';
	const rest = line.slice(1 + command.length);
	if (command === 'restrict') return {kind: 'restrict', key: rest.trim()};
	if (command === 'unrestrict') return {kind: 'unrestrict', key: rest.trim()};
	if (command === 'encoding') {
		const [encoding = ''] = rest.trim().split(/\s+/);
		if (isUtf8EncodingName(encoding) || /^sql_ascii$/i.test(encoding)) return {kind: 'skip', command};
		return {kind: 'unsupported', command, reason: `a script in encoding ${encoding || '(none given)'} cannot be applied natively, only UTF-8`};
	}
	if (command !== 'connect' && command !== 'c') {
		return {kind: 'unsupported', command, reason: 'dbbackup runs SQL natively and does not implement this psql meta-command'};
	}
	const args = splitArguments(rest);
	if (typeof args === 'string') return {kind: 'unsupported', command, reason: `\\${command} with ${args}`};
	if (args[0]?.startsWith('-reuse-previous=')) args.shift();
	if (args.length !== 1 || args[0] === '-' || args[0] === '') {
		return {kind: 'unsupported', command, reason: `\\${command} with a user, host or port (only \\connect DATABASE can be followed)`};
	}
	const target = args[0];
	if (/^postgres(?:ql)?:\/\//.test(target)) {
		return {kind: 'unsupported', command, reason: `\\${command} with a connection URI (only \\connect DATABASE can be followed)`};
	}
	if (!target.includes('=')) return {kind: 'connect', database: target};
	const parsed = databaseOfConnectionString(target);
	return 'database' in parsed ? {kind: 'connect', database: parsed.database} : {kind: 'unsupported', command, reason: `\\${command} with ${parsed.reason}`};
}
