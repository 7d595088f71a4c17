import type {Client, QueryResultRow} from 'pg';
import {attempt, type Outcome} from './attempt.ts';
import {evaluatePostgresRole, type PostgresRoleFacts} from './postgres-privileges.ts';
import {detectPlacement} from './placement.ts';
import {parsePostgresVersion} from './version.ts';
import {
	known,
	unknown,
	type ConnectionSummary,
	type DataSize,
	type Fact,
	type PostgresEnvironment,
	type PrivilegeInfo,
	type ServerVersion,
	type WalSenders,
} from './types.ts';

async function rows<T extends QueryResultRow>(client: Client, sql: string, params: unknown[] = []): Promise<T[]> {
	return (await client.query<T>(sql, params)).rows;
}

function query<T extends QueryResultRow>(client: Client, what: string, sql: string, params: unknown[] = []): Promise<Outcome<T[]>> {
	return attempt(what, () => rows<T>(client, sql, params));
}

/**
 * Everything detection can find out about a PostgreSQL server; a failing query makes one item unknown.
 * The client must not be inside a transaction: one refused query (data_directory) would abort it.
 */
export async function detectPostgres(client: Client, connection: ConnectionSummary): Promise<PostgresEnvironment> {
	const version = await detectVersion(client);
	const dataDirectory = await detectDataDirectory(client);
	const placement = await detectPlacement(connection.target, dataDirectory);
	return {
		dbType: 'postgres',
		connection,
		version,
		dataSize: await detectDataSize(client),
		walLevel: await detectSetting(client, 'wal_level'),
		dataDirectory,
		filesystem: placement.filesystem,
		snapshot: placement.snapshot,
		privileges: await detectPrivileges(client, version.known ? version.value : undefined),
		local: placement.local,
		walSenders: await detectWalSenders(client),
	};
}

/** max_wal_senders, and the WAL senders running now (every role sees pg_stat_activity's backend_type). */
async function detectWalSenders(client: Client): Promise<Fact<WalSenders>> {
	const sql = "SELECT current_setting('max_wal_senders')::int AS max, (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender')::int AS used";
	const result = await query<{max: number; used: number}>(client, 'reading max_wal_senders and pg_stat_activity', sql);
	if (!result.ok) return unknown(result.reason);
	const row = result.value[0];
	return row ? known({max: Number(row.max), used: Number(row.used)}, sql) : unknown('no row');
}

async function detectVersion(client: Client): Promise<Fact<ServerVersion>> {
	const sql = "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text";
	const result = await query<{num: string; text: string}>(client, sql, sql);
	if (!result.ok) return unknown(result.reason);
	const num = Number(result.value[0]?.num);
	if (!Number.isInteger(num) || num <= 0) return unknown(`server_version_num is "${result.value[0]?.num}", not a version number`);
	return known(parsePostgresVersion(num, String(result.value[0].text)), sql);
}

async function detectSetting(client: Client, name: string): Promise<Fact<string>> {
	const sql = `SHOW ${name}`;
	const result = await query<Record<string, string>>(client, sql, sql);
	if (!result.ok) return unknown(result.reason);
	return known(String(result.value[0]?.[name] ?? ''), sql);
}

/** Readable only by superusers and members of pg_read_all_settings; the server's refusal is the reason. */
async function detectDataDirectory(client: Client): Promise<Fact<string>> {
	const fact = await detectSetting(client, 'data_directory');
	if (fact.known || /pg_read_all_settings/.test(fact.reason) || !/permission denied|must be superuser/i.test(fact.reason)) return fact;
	return unknown(`${fact.reason} (no privilege to read data_directory: needs SUPERUSER or membership in pg_read_all_settings)`);
}

async function detectDataSize(client: Client): Promise<Fact<DataSize>> {
	// pg_database_size needs CONNECT (or pg_read_all_stats): ask only for the databases this role may connect to
	const sql =
		"SELECT datname AS name, has_database_privilege(oid, 'CONNECT') AS can_connect, " +
		"CASE WHEN has_database_privilege(oid, 'CONNECT') THEN pg_database_size(oid) END AS bytes " +
		'FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname';
	const result = await query<{name: string; bytes: string | null; can_connect: boolean}>(client, 'reading database sizes', sql);
	if (!result.ok) return unknown(result.reason);
	const readable = result.value.filter((row) => row.can_connect && row.bytes !== null);
	const skipped = result.value.filter((row) => !row.can_connect).map((row) => row.name);
	const databases = readable.map((row) => ({name: row.name, bytes: Number(row.bytes)}));
	return known(
		{totalBytes: databases.reduce((sum, db) => sum + db.bytes, 0), databases},
		'pg_database_size() of every database that is not a template and that this role may CONNECT to' +
			(skipped.length > 0 ? ` (skipped, no CONNECT: ${skipped.join(', ')})` : ''),
	);
}

const PREDEFINED_ROLES = ['pg_read_all_data', 'pg_read_all_settings', 'pg_read_all_stats', 'pg_monitor', 'pg_checkpoint'];
const SYSTEM_SCHEMAS = "n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'";

async function detectPrivileges(client: Client, version: ServerVersion | undefined): Promise<Fact<PrivilegeInfo>> {
	const facts = await gatherRoleFacts(client, version);
	if (!facts.ok) return unknown(facts.reason);
	return known(
		evaluatePostgresRole(facts.value),
		`pg_roles (current_user), pg_has_role(…, 'USAGE') for ${PREDEFINED_ROLES.join(', ')}, has_database_privilege(…, 'CONNECT'), ` +
			`has_schema_privilege + has_table_privilege(…, 'SELECT') and relrowsecurity in database ${facts.value.database}, ` +
			`has_function_privilege('${facts.value.backupFunction}', 'EXECUTE')`,
	);
}

async function gatherRoleFacts(client: Client, version: ServerVersion | undefined): Promise<Outcome<PostgresRoleFacts>> {
	const role = await query<{role: string; database: string; rolsuper: boolean; rolreplication: boolean; rolcreatedb: boolean; rolbypassrls: boolean}>(
		client,
		'reading pg_roles',
		'SELECT rolname AS role, current_database() AS database, rolsuper, rolreplication, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = current_user',
	);
	if (!role.ok) return role;
	const self = role.value[0];
	if (!self) return {ok: false, reason: 'pg_roles has no row for current_user'};

	const memberOf = await query<{name: string}>(
		client,
		'checking predefined role membership',
		"SELECT rolname AS name FROM pg_roles WHERE rolname = ANY($1) AND pg_has_role(current_user, oid, 'USAGE') ORDER BY rolname",
		[PREDEFINED_ROLES],
	);
	if (!memberOf.ok) return memberOf;

	const noConnect = await query<{name: string}>(
		client,
		'checking CONNECT privileges',
		"SELECT datname AS name FROM pg_database WHERE NOT datistemplate AND datallowconn AND NOT has_database_privilege(oid, 'CONNECT') ORDER BY datname",
	);
	if (!noConnect.ok) return noConnect;

	// pg_dump reads tables and sequences (views and materialized views are dumped as definitions)
	const unreadable = await query<{name: string}>(
		client,
		'checking SELECT privileges on tables',
		"SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
			`WHERE c.relkind IN ('r', 'S') AND ${SYSTEM_SCHEMAS} ` +
			"AND NOT (has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')) ORDER BY 1",
	);
	if (!unreadable.ok) return unreadable;

	const rowSecured = await query<{name: string}>(
		client,
		'checking row-level security',
		"SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
			`WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity AND ${SYSTEM_SCHEMAS} ` +
			"AND NOT pg_has_role(current_user, c.relowner, 'USAGE') ORDER BY 1",
	);
	if (!rowSecured.ok) return rowSecured;

	const backupFunction = !version || version.major >= 15 ? 'pg_backup_start(text, boolean)' : 'pg_start_backup(text, boolean, boolean)';
	const backup = await query<{allowed: boolean | null}>(
		client,
		`checking EXECUTE on ${backupFunction}`,
		"SELECT has_function_privilege(to_regprocedure($1), 'EXECUTE') AS allowed",
		[backupFunction],
	);
	if (!backup.ok) return backup;

	return {
		ok: true,
		value: {
			role: self.role,
			database: self.database,
			superuser: self.rolsuper,
			replication: self.rolreplication,
			createdb: self.rolcreatedb,
			bypassRls: self.rolbypassrls,
			memberOf: memberOf.value.map((row) => row.name),
			noConnect: noConnect.value.map((row) => row.name),
			unreadable: unreadable.value.map((row) => row.name),
			rowSecured: rowSecured.value.map((row) => row.name),
			canStartBackup: backup.value[0]?.allowed === true,
			backupFunction,
		},
	};
}
