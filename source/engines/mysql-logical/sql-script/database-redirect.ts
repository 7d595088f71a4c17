import {UsageError} from '../../../core/errors.ts';
import {quoteIdentifier} from '../identifiers.ts';
import {statementPrefix, type ScriptStatement} from '../../sql-script/statement.ts';
import {isWord, tokenize} from './tokens.ts';

/** USE x, CREATE DATABASE [IF NOT EXISTS] x, DROP DATABASE [IF EXISTS] x (with mysqldump's version comments). */
const NAMES_DATABASE =
	/^(USE\s+|(?:CREATE|DROP)\s+(?:DATABASE|SCHEMA)\s+(?:\/\*!\d+\s+)?(?:IF\s+(?:NOT\s+)?EXISTS\s*)?(?:\*\/\s*)?)(`(?:[^`]|``)+`|[\w$]+)/i;

/**
 * A statement that is, read as the server reads it (version comments are code), a USE or a
 * CREATE / DROP / ALTER DATABASE that the plain pattern above did not match: `/*!40000 USE other *\/`,
 * comments between the words, ALTER SCHEMA.
 */
function namesDatabaseOtherwise(sql: string): boolean {
	const head = sql.slice(0, 4096);
	if (!/USE|DATABASE|SCHEMA/i.test(head)) return false;
	const tokens = tokenize(head);
	if (typeof tokens === 'string') return false;
	return isWord(tokens[0], 'USE') || (isWord(tokens[0], 'CREATE', 'DROP', 'ALTER') && isWord(tokens[1], 'DATABASE', 'SCHEMA'));
}

function unquote(identifier: string): string {
	return identifier.startsWith('`') ? identifier.slice(1, -1).replaceAll('``', '`') : identifier;
}

/**
 * For --target-db on a plain script, whose target the restore has already created: the one database the
 * script names (USE, CREATE/DROP DATABASE) becomes `target` — USE switches to it, CREATE keeps only its
 * charset and collation (as ALTER DATABASE), DROP does nothing. A second database in the same script is
 * refused, since rows meant for two databases cannot go into one.
 */
export function databaseRedirect(target: string, scriptName: string): (statement: ScriptStatement) => string | undefined {
	let source: string | undefined;
	return (statement) => {
		const sql = statement.sql.trimStart();
		const match = NAMES_DATABASE.exec(sql);
		if (!match) {
			if (namesDatabaseOtherwise(sql)) {
				throw new UsageError({
					code: 'SCRIPT_LEAVES_TARGET',
					message: `${scriptName} line ${statement.line} switches or changes a database in a form --target-db cannot redirect (${statementPrefix(statement.sql)}); nothing of it was run`,
					hint: 'Remove the statement, or restore the script without --target-db as an account whose rights are limited to what it should change.',
				});
			}
			return undefined;
		}
		const named = unquote(match[2]);
		source ??= named;
		if (named !== source) {
			throw new UsageError({
				code: 'SCRIPT_HAS_SEVERAL_DATABASES',
				message: `${scriptName} line ${statement.line} switches to a second database (${statementPrefix(statement.sql)}) after ${source}, so --target-db cannot take it all`,
				hint: 'Restore it without --target-db (each database then goes where the script says).',
			});
		}
		const rest = sql.slice(match[0].length);
		if (/^USE/i.test(sql)) return `USE ${quoteIdentifier(target)}${rest}`;
		// the restore created (or emptied) the target already: a DROP would undo that, a CREATE fail
		if (/^DROP/i.test(sql) || rest.trim() === '') return 'DO 0';
		return `ALTER DATABASE ${quoteIdentifier(target)} ${rest.trim()}`;
	};
}
