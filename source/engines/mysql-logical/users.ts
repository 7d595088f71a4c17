import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {registerSecret} from '../../core/redact.ts';
import {quoteIdentifier} from './identifiers.ts';

/**
 * Accounts for `--include-users`: every account of mysql.user with its authentication (the stored hash,
 * never a password), limits, roles and privileges, as statements that re-create it elsewhere.
 *
 * Left out, because every server has its own and the target's must win:
 * - the internal accounts: `mariadb.sys`@`localhost` (MariaDB 10.4+), `mysql.sys`, `mysql.session` and
 *   `mysql.infoschema` @`localhost` (MySQL 8);
 * - the superusers the installer creates: `root` and `mysql` at `localhost`, `127.0.0.1`, `::1` and the
 *   server's own host name. Their grants (ALL … WITH GRANT OPTION, PROXY ON ''@'%') could only be
 *   replayed by a restoring account holding those very privileges. `root`@`%` or any other root a user
 *   made is kept.
 * MariaDB's PUBLIC (10.11+) is not an account: only its grants are carried.
 */

export type AccountKind = 'user' | 'role' | 'public';

export interface UserDefinition {
	kind: AccountKind;
	user: string;
	/** '' for roles and PUBLIC */
	host: string;
	/** as SHOW GRANTS names it: `u`@`h`, `role`, PUBLIC */
	account: string;
	/** CREATE USER IF NOT EXISTS … / CREATE ROLE IF NOT EXISTS …; null for PUBLIC */
	create: string | null;
	/** the account's own GRANT statements, without the account options MariaDB repeats in them */
	grants: string[];
	/** SET DEFAULT ROLE … FOR the account */
	defaultRoles: string[];
}

const ER_NONEXISTING_GRANT = 1141;
const ER_PASSWORD_NO_MATCH = 1133;
const INTERNAL_ACCOUNTS = new Set(['mariadb.sys@localhost', 'mysql.sys@localhost', 'mysql.session@localhost', 'mysql.infoschema@localhost']);
const INSTALLER_SUPERUSERS = new Set(['root', 'mysql']);
const INSTALLER_HOSTS = ['localhost', '127.0.0.1', '::1'];

export function isSystemAccount(user: string, host: string, serverHostname = ''): boolean {
	if (INTERNAL_ACCOUNTS.has(`${user}@${host}`)) return true;
	const hosts = serverHostname ? [...INSTALLER_HOSTS, serverHostname.toLowerCase()] : INSTALLER_HOSTS;
	return INSTALLER_SUPERUSERS.has(user) && hosts.includes(host.toLowerCase());
}

export function accountName(kind: AccountKind, user: string, host: string): string {
	if (kind === 'public') return 'PUBLIC';
	return kind === 'role' ? quoteIdentifier(user) : `${quoteIdentifier(user)}@${quoteIdentifier(host)}`;
}

type Token = {kind: 'word'; upper: string; start: number} | {kind: 'string'; text: string; start: number} | {kind: 'other'; start: number};

/** Words and quoted runs of a statement's text, so that key words inside quotes are never taken as such. */
function tokenize(text: string): Token[] {
	const tokens: Token[] = [];
	let index = 0;
	while (index < text.length) {
		const character = text[index];
		if (/\s/.test(character)) {
			index += 1;
			continue;
		}
		if (character === "'" || character === '`' || character === '"') {
			let end = index + 1;
			let value = '';
			while (end < text.length) {
				if (text[end] === '\\' && character !== '`') {
					value += text[end + 1] ?? '';
					end += 2;
					continue;
				}
				if (text[end] === character) {
					if (text[end + 1] !== character) break;
					end += 1;
				}
				value += text[end];
				end += 1;
			}
			tokens.push(character === "'" ? {kind: 'string', text: value, start: index} : {kind: 'other', start: index});
			index = end + 1;
			continue;
		}
		const word = /^[\p{L}\p{N}_$.]+/u.exec(text.slice(index));
		if (word) {
			tokens.push({kind: 'word', upper: word[0].toUpperCase(), start: index});
			index += word[0].length;
			continue;
		}
		tokens.push({kind: 'other', start: index});
		index += 1;
	}
	return tokens;
}

/** The hashes after PASSWORD / USING / AS: not passwords, but never to be shown either. */
function registerAuthenticationStrings(statement: string): void {
	const tokens = tokenize(statement);
	tokens.forEach((token, index) => {
		const previous = tokens[index - 1];
		if (token.kind === 'string' && previous?.kind === 'word' && ['PASSWORD', 'USING', 'AS'].includes(previous.upper)) {
			registerSecret(token.text);
		}
	});
}

/**
 * A SHOW GRANTS line reduced to the privilege it grants. MariaDB repeats the account's authentication,
 * REQUIRE and resource limits in the GRANT … ON *.* line; replayed, they would reset an account that
 * already exists on the target, which CREATE USER IF NOT EXISTS deliberately leaves alone. Only WITH
 * GRANT OPTION / WITH ADMIN OPTION is kept. Null when nothing is left (a bare USAGE ON *.*) or the line
 * grants to another account (SHOW GRANTS FOR a role also lists the grants of the roles it holds).
 */
export function grantStatement(line: string, account: string): string | null {
	const marker = ` TO ${account}`;
	const at = line.lastIndexOf(marker);
	const after = line.slice(at + marker.length);
	if (!line.startsWith('GRANT ') || at === -1 || (after !== '' && !/^\s/.test(after))) return null;
	const options = tokenize(after);
	const withAt = options.findIndex((token) => token.kind === 'word' && token.upper === 'WITH');
	const words = withAt === -1 ? [] : options.slice(withAt + 1).map((token) => (token.kind === 'word' ? token.upper : ''));
	const hasPair = (first: string) => words.some((word, index) => word === first && words[index + 1] === 'OPTION');
	const granted = line.slice(0, at + marker.length);
	const suffix = hasPair('GRANT') ? ' WITH GRANT OPTION' : hasPair('ADMIN') ? ' WITH ADMIN OPTION' : '';
	if (suffix === '' && /^GRANT USAGE ON \*\.\* TO /.test(granted)) return null;
	return granted + suffix;
}

/**
 * MySQL's SHOW CREATE USER names the account's default roles (`… DEFAULT ROLE \`r\`@\`%\` REQUIRE …`),
 * which must exist, and be granted, before: the clause is taken out, to run as SET DEFAULT ROLE … TO the
 * account after the grants. (A user sorting before its role failed with ER_USER_DOES_NOT_EXIST.)
 */
export function splitDefaultRoles(showCreateUser: string, account: string): {create: string; setDefaultRoles: string | null} {
	const tokens = tokenize(showCreateUser);
	const at = tokens.findIndex((token, index) => token.kind === 'word' && token.upper === 'DEFAULT' && tokens[index + 1]?.kind === 'word' && (tokens[index + 1] as {upper: string}).upper === 'ROLE');
	if (at === -1) return {create: showCreateUser, setDefaultRoles: null};
	// the role list: quoted names, @ and commas, up to the next key word (REQUIRE, PASSWORD, ACCOUNT, …)
	let end = at + 2;
	while (end < tokens.length && tokens[end]!.kind !== 'word') end += 1;
	const listStart = tokens[at + 2]?.start ?? showCreateUser.length;
	const listEnd = tokens[end]?.start ?? showCreateUser.length;
	const roles = showCreateUser.slice(listStart, listEnd).trim();
	const create = `${showCreateUser.slice(0, tokens[at]!.start).trimEnd()} ${showCreateUser.slice(listEnd)}`.trimEnd();
	return {create, setDefaultRoles: roles === '' ? null : `SET DEFAULT ROLE ${roles} TO ${account}`};
}

/** SHOW CREATE USER text as CREATE USER IF NOT EXISTS. */
export function createUserIfNotExists(showCreateUser: string): string {
	return showCreateUser.replace(/^CREATE USER(?! IF NOT EXISTS)/i, 'CREATE USER IF NOT EXISTS');
}

type Row = RowDataPacket & Record<string, unknown>;

function text(value: unknown): string {
	if (value === null || value === undefined) return '';
	return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

async function firstColumn(connection: MysqlConnection, sql: string): Promise<string[]> {
	const [rows] = await connection.query<Row[]>({sql, rowsAsArray: true});
	return (rows as unknown as unknown[][]).map((row) => text(row[0]));
}

function unreadable(error: unknown): WorkError {
	const {sqlMessage, message} = (error ?? {}) as {sqlMessage?: string; message?: string};
	return new WorkError({
		code: 'USERS_NOT_READABLE',
		message: `the accounts cannot be read: ${sqlMessage ?? message ?? String(error)}`,
		hint: '--include-users needs SELECT on the mysql database (mysql.user, mysql.global_priv) for the backup user.',
		cause: error,
	});
}

/** Every account but the server's own, with what re-creates it; in mysql.user order (roles and PUBLIC first). */
export async function readUsers(connection: MysqlConnection, bus: EventBus): Promise<UserDefinition[]> {
	let listed: Row[];
	let serverHostname = '';
	try {
		const [[{roles}]] = await connection.query<Row[]>(
			"SELECT COUNT(*) AS roles FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME = 'user' AND COLUMN_NAME = 'is_role'",
		);
		// MySQL 8 has no is_role: its roles are locked accounts that SHOW CREATE USER describes like any other
		const isRole = Number(roles) > 0 ? "is_role = 'Y'" : '0';
		[listed] = await connection.query<Row[]>(
			`SELECT User AS user, Host AS host, ${isRole} AS isRole FROM mysql.user ORDER BY isRole DESC, User, Host`,
		);
		const [[{hostname}]] = await connection.query<Row[]>('SELECT @@hostname AS hostname');
		serverHostname = text(hostname);
	} catch (error) {
		throw unreadable(error);
	}
	// MySQL 8 prints caching_sha2_password hashes as raw bytes unless asked for hex; MariaDB has no such variable
	await connection.query('SET SESSION print_identified_with_as_hex = ON').catch(() => {});

	const users: UserDefinition[] = [];
	const skipped: string[] = [];
	for (const row of listed) {
		const user = text(row.user);
		const host = text(row.host);
		const kind: AccountKind = Number(row.isRole) !== 1 ? 'user' : user === 'PUBLIC' && host === '' ? 'public' : 'role';
		const account = accountName(kind, user, host);
		if (kind === 'user' && isSystemAccount(user, host, serverHostname)) {
			skipped.push(account);
			continue;
		}
		try {
			let create: string | null = null;
			let setDefaultRoles: string | null = null;
			if (kind === 'user') {
				const [shown] = await firstColumn(connection, `SHOW CREATE USER ${account}`);
				registerAuthenticationStrings(shown);
				const split = splitDefaultRoles(shown, account);
				create = createUserIfNotExists(split.create);
				setDefaultRoles = split.setDefaultRoles;
			} else if (kind === 'role') {
				create = `CREATE ROLE IF NOT EXISTS ${account}`;
			}
			const lines = await firstColumn(connection, `SHOW GRANTS FOR ${account}`);
			for (const line of lines) registerAuthenticationStrings(line);
			const grants = lines.map((line) => grantStatement(line, account)).filter((line): line is string => line !== null);
			const defaultRoles = lines.filter((line) => line.startsWith('SET DEFAULT ROLE ') && line.endsWith(` FOR ${account}`));
			if (setDefaultRoles) defaultRoles.push(setDefaultRoles);
			users.push({kind, user, host, account, create, grants, defaultRoles});
		} catch (error) {
			const {errno, sqlMessage, message} = (error ?? {}) as {errno?: number; sqlMessage?: string; message?: string};
			if (errno === undefined) throw error;
			// PUBLIC is not an account: a server may know no grants for it
			if (kind === 'public' && (errno === ER_NONEXISTING_GRANT || errno === ER_PASSWORD_NO_MATCH)) continue;
			bus.warn(`account ${account} cannot be read and is left out: ${sqlMessage ?? message}`, {
				code: 'ACCOUNT_NOT_READABLE',
				hint: 'Give the backup user SELECT on the mysql database to include every account.',
			});
		}
	}
	bus.log('info', `${users.length} account(s) read; the server's own left out: ${skipped.join(', ') || 'none'}`);
	return users;
}

/**
 * Statements that re-create the accounts on another server, to run after the databases (table, column
 * and routine grants need their objects): roles first, then users, then every grant (role grants need
 * both ends), then default roles (which need the role granted). Existing accounts are left as they are
 * and only gain the privileges. Like any CREATE ROLE, the restoring account becomes an admin of the
 * roles it creates; PROXY grants need a restoring account with PROXY … WITH GRANT OPTION (root has it).
 */
export function usersScript(users: UserDefinition[]): string {
	const ordered = [...users.filter((user) => user.kind !== 'user'), ...users.filter((user) => user.kind === 'user')];
	const lines = ['-- accounts'];
	for (const user of ordered) if (user.create) lines.push(`${user.create};`);
	for (const user of ordered) for (const grant of user.grants) lines.push(`${grant};`);
	for (const user of ordered) for (const line of user.defaultRoles) lines.push(`${line};`);
	return `${lines.join('\n')}\n`;
}
