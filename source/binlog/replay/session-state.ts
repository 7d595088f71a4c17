/**
 * The session a QUERY event's statement ran under, from its status variables, as the SET statements a
 * replay connection needs before running it: only what changed since the last statement, like
 * mariadb-binlog's output does it.
 */
import type {QueryEvent} from '../event/decoded.ts';
import {atLeast as versionAtLeast, parseMysqlVersion} from '../../core/detect/version.ts';
import {binlogFlavorOf, type BinlogFlavor} from '../flavor.ts';

/** Bits of the QUERY event's flags2 (the server's OPTION_* session flags) and what they switch. */
const FLAGS2 = {
	autoIsNull: 1 << 14,
	/** MariaDB */
	noCheckConstraintChecks: 1 << 15,
	notAutocommit: 1 << 19,
	/** MariaDB 10.10+: explicit_defaults_for_timestamp travels in flags2 */
	explicitDefaultsForTimestamp: 1 << 24,
	noForeignKeyChecks: 1 << 26,
	relaxedUniqueChecks: 1 << 27,
	/** MariaDB */
	ifExists: 1 << 28,
	/** MariaDB 10.11+ */
	insertHistory: 1 << 30,
};

export interface SourceVersion {
	flavor: BinlogFlavor;
	major: number;
	minor: number;
}

export function sourceVersion(serverVersion: string): SourceVersion {
	const version = parseMysqlVersion(serverVersion);
	return {flavor: binlogFlavorOf(serverVersion), major: version?.major ?? 0, minor: version?.minor ?? 0};
}

function atLeast(version: SourceVersion, major: number, minor: number): boolean {
	return versionAtLeast({text: '', patch: 0, ...version}, major, minor);
}

const on = (value: boolean) => (value ? '1' : '0');

/**
 * variable → value (SQL text), for everything the event says about its session; `clientCharset` is the
 * name of the character set of status.charset.client.
 */
export function sessionValues(event: QueryEvent, version: SourceVersion, clientCharset?: string): Map<string, string> {
	const values = new Map<string, string>();
	const {status} = event;
	if (status.flags2 !== undefined) {
		const flags = status.flags2;
		values.set('foreign_key_checks', on((flags & FLAGS2.noForeignKeyChecks) === 0));
		values.set('sql_auto_is_null', on((flags & FLAGS2.autoIsNull) !== 0));
		values.set('unique_checks', on((flags & FLAGS2.relaxedUniqueChecks) === 0));
		values.set('autocommit', on((flags & FLAGS2.notAutocommit) === 0));
		if (version.flavor === 'mariadb') {
			if (atLeast(version, 10, 2)) values.set('check_constraint_checks', on((flags & FLAGS2.noCheckConstraintChecks) === 0));
			if (atLeast(version, 10, 5)) values.set('sql_if_exists', on((flags & FLAGS2.ifExists) !== 0));
			if (atLeast(version, 10, 10)) values.set('explicit_defaults_for_timestamp', on((flags & FLAGS2.explicitDefaultsForTimestamp) !== 0));
			if (atLeast(version, 10, 11)) values.set('system_versioning_insert_history', on((flags & FLAGS2.insertHistory) !== 0));
		}
	}
	if (status.sqlMode !== undefined) values.set('sql_mode', status.sqlMode.toString());
	if (status.autoIncrement) {
		values.set('auto_increment_increment', String(status.autoIncrement.increment));
		values.set('auto_increment_offset', String(status.autoIncrement.offset));
	}
	if (status.charset) {
		// by name: the server takes collation ids for the other two, not for this one
		values.set('character_set_client', clientCharset ?? String(status.charset.client));
		values.set('collation_connection', String(status.charset.connection));
		values.set('collation_server', String(status.charset.server));
	}
	if (status.timeZone !== undefined) values.set('time_zone', quoteText(status.timeZone));
	if (status.lcTimeNames !== undefined) values.set('lc_time_names', String(status.lcTimeNames));
	// absent: the default database's collation, which is what DEFAULT gives after USE
	values.set('collation_database', status.charsetDatabase !== undefined ? String(status.charsetDatabase) : 'DEFAULT');
	if (status.explicitDefaultsForTimestamp !== undefined) values.set('explicit_defaults_for_timestamp', on(status.explicitDefaultsForTimestamp));
	if (status.defaultCollationForUtf8mb4 !== undefined) values.set('default_collation_for_utf8mb4', String(status.defaultCollationForUtf8mb4));
	return values;
}

/** `SET TIMESTAMP=…` with the statement's microseconds when the server recorded them. */
export function timestampValue(event: QueryEvent): string {
	const micros = event.status.hrnow ?? event.status.microseconds;
	return micros === undefined ? String(event.header.timestamp) : `${event.header.timestamp}.${String(micros).padStart(6, '0')}`;
}

/** Remembers what the connection's session holds, and says what to SET for the next statement. */
export class SessionState {
	readonly #current = new Map<string, string>();

	/** One SET statement for the variables that differ from the session's, or undefined. */
	changesFor(values: Map<string, string>, timestamp?: string): string | undefined {
		const parts: string[] = [];
		if (timestamp !== undefined) parts.push(`@@session.timestamp=${timestamp}`);
		for (const [name, value] of values) {
			if (this.#current.get(name) === value) continue;
			parts.push(`@@session.${name}=${value}`);
		}
		return parts.length === 0 ? undefined : `SET ${parts.join(', ')}`;
	}

	/** after the SET ran */
	remember(values: Map<string, string>): void {
		for (const [name, value] of values) this.#current.set(name, value);
	}
}

/** A SQL string literal (ASCII-safe text: time zone names). */
export function quoteText(text: string): string {
	return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
