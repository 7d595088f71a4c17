import {readFileSync, statSync} from 'node:fs';

/** What a connection is matched on; `host` may be a socket directory, matched as `localhost` like libpq does. */
export interface PgpassQuery {
	host: string;
	port: number;
	database: string;
	user: string;
}

export interface PgpassMatch {
	password?: string;
	/** 1-based line of the entry that matched */
	line?: number;
	/** why the file was not used, for the user to fix; never contains a password */
	warning?: string;
}

/** Splits one entry at unescaped colons, keeping each field raw (escapes intact) so a bare `*` is told from `\*`. */
function splitFields(line: string): string[] {
	const fields: string[] = [];
	let current = '';
	for (let index = 0; index < line.length; index++) {
		const char = line[index];
		if (char === '\\' && index + 1 < line.length) {
			current += char + line[index + 1];
			index++;
		} else if (char === ':') {
			fields.push(current);
			current = '';
		} else {
			current += char;
		}
	}
	fields.push(current);
	return fields;
}

function unescapeField(field: string): string {
	return field.replace(/\\(.)/g, '$1');
}

function fieldMatches(field: string, value: string): boolean {
	return field === '*' || unescapeField(field) === value;
}

/** libpq matches a unix-socket connection (empty host or a directory path) against `localhost` entries. */
export function pgpassHost(host: string | undefined): string {
	return !host || host.startsWith('/') ? 'localhost' : host;
}

/**
 * Looks up a password in a pgpass file (`host:port:database:username:password` per line, `*` matches
 * anything, `\:` and `\\` escape). The first matching line wins. A file that group or others can access
 * is ignored with a warning, as libpq does.
 */
export function lookupPgpass(file: string, query: PgpassQuery, label: string = file): PgpassMatch {
	let mode: number;
	try {
		const info = statSync(file);
		if (!info.isFile()) return {warning: `${label} is ignored: it is not a plain file`};
		mode = info.mode;
	} catch {
		return {};
	}
	if ((mode & 0o077) !== 0) {
		return {warning: `${label} is ignored: group or others can access it; run chmod 600 ${file}`};
	}
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		return {warning: `${label} is ignored: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`};
	}
	const wanted = [pgpassHost(query.host), String(query.port), query.database, query.user];
	for (const [index, line] of text.split('\n').entries()) {
		const entry = line.replace(/\r$/, '');
		if (entry.startsWith('#') || entry.trim() === '') continue;
		const fields = splitFields(entry);
		// an entry without all five fields never matches (libpq skips it silently)
		if (fields.length < 5) continue;
		if (!wanted.every((value, position) => fieldMatches(fields[position], value))) continue;
		// the password is the fifth field; an unescaped colon after it ends it
		return {password: unescapeField(fields[4]), line: index + 1};
	}
	return {};
}
