import type {Connection, RowDataPacket} from 'mysql2/promise';
import {attempt} from './attempt.ts';
import {evaluateMysqlGrants} from './mysql-privileges.ts';
import {detectPlacement} from './placement.ts';
import {atLeast, mysqlFlavor, parseMysqlVersion} from './version.ts';
import {
	known,
	unknown,
	type BinlogInfo,
	type ClonePluginState,
	type ConnectionSummary,
	type DataSize,
	type Fact,
	type GtidInfo,
	type MysqlEnvironment,
	type MysqlFlavor,
	type PrivilegeInfo,
	type ServerVersion,
} from './types.ts';

async function rows(conn: Connection, sql: string): Promise<RowDataPacket[]> {
	const [result] = await conn.query<RowDataPacket[]>(sql);
	return result;
}

/** Everything detection can find out about a MySQL / MariaDB / Percona server; a failing query makes one item unknown. */
export async function detectMysql(conn: Connection, connection: ConnectionSummary): Promise<MysqlEnvironment> {
	const {version, flavor} = await detectVersion(conn);
	const release = version.known ? version.value : undefined;
	const kind = flavor.known ? flavor.value : undefined;
	const datadir = await detectDatadir(conn);
	const placement = await detectPlacement(connection.target, datadir);
	return {
		dbType: 'mysql',
		connection,
		version,
		flavor,
		dataSize: await detectDataSize(conn, kind),
		clonePlugin: await detectClonePlugin(conn, kind, release),
		binlog: await detectBinlog(conn, kind, release),
		gtid: await detectGtid(conn, kind),
		datadir,
		filesystem: placement.filesystem,
		snapshot: placement.snapshot,
		privileges: await detectPrivileges(conn, kind, release),
		local: placement.local,
	};
}

async function detectVersion(conn: Connection): Promise<{version: Fact<ServerVersion>; flavor: Fact<MysqlFlavor>}> {
	const sql = 'SELECT @@version AS version, @@version_comment AS comment';
	const result = await attempt(sql, () => rows(conn, sql));
	if (!result.ok) return {version: unknown(result.reason), flavor: unknown(result.reason)};
	const text = String(result.value[0]?.version ?? '');
	const comment = String(result.value[0]?.comment ?? '');
	const parsed = parseMysqlVersion(text);
	const flavor = mysqlFlavor(text, comment);
	return {
		version: parsed ? known(parsed, 'SELECT @@version') : unknown(`SELECT @@version returned "${text}", which has no version number`),
		flavor: known(flavor, flavorSource(flavor, text, comment)),
	};
}

function flavorSource(flavor: MysqlFlavor, version: string, comment: string): string {
	const quoted = `@@version "${version}", @@version_comment "${comment}"`;
	if (flavor === 'mariadb') return `SELECT @@version, @@version_comment (${/mariadb/i.test(version) ? '@@version' : '@@version_comment'} names MariaDB: ${quoted})`;
	if (flavor === 'percona') return `SELECT @@version_comment (names Percona: "${comment}")`;
	return `SELECT @@version, @@version_comment (neither names MariaDB nor Percona: ${quoted})`;
}

async function detectDatadir(conn: Connection): Promise<Fact<string>> {
	const sql = 'SELECT @@datadir AS datadir';
	const result = await attempt(sql, () => rows(conn, sql));
	if (!result.ok) return unknown(result.reason);
	const value = String(result.value[0]?.datadir ?? '');
	if (!value) return unknown(`${sql} returned nothing`);
	return known(value.length > 1 ? value.replace(/\/+$/, '') : value, 'SELECT @@datadir');
}

/** information_schema sizes are the server's estimates (InnoDB statistics), and cover only what this user may see. */
async function detectDataSize(conn: Connection, flavor: MysqlFlavor | undefined): Promise<Fact<DataSize>> {
	const sql =
		'SELECT s.SCHEMA_NAME AS name, COUNT(t.TABLE_NAME) AS tables, ' +
		'COALESCE(SUM(t.DATA_LENGTH + t.INDEX_LENGTH), 0) AS bytes ' +
		'FROM information_schema.SCHEMATA s LEFT JOIN information_schema.TABLES t ' +
		"ON t.TABLE_SCHEMA = s.SCHEMA_NAME AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') " +
		"WHERE s.SCHEMA_NAME NOT IN ('information_schema', 'performance_schema', 'sys') " +
		'GROUP BY s.SCHEMA_NAME ORDER BY s.SCHEMA_NAME';
	const result = await attempt('reading information_schema.TABLES', () => rows(conn, sql));
	if (!result.ok) return unknown(result.reason);
	const databases = result.value.map((row) => ({name: String(row.name), bytes: Number(row.bytes), tables: Number(row.tables)}));
	return known(
		{totalBytes: databases.reduce((sum, db) => sum + db.bytes, 0), databases},
		'information_schema.TABLES: SUM(DATA_LENGTH + INDEX_LENGTH) and COUNT per schema, without information_schema, performance_schema and sys ' +
			'(estimates from table statistics' +
			(flavor === 'mariadb' ? '' : ', which MySQL 8 caches for information_schema_stats_expiry seconds') +
			'; only schemas this user can see)',
	);
}

async function detectClonePlugin(conn: Connection, flavor: MysqlFlavor | undefined, version: ServerVersion | undefined): Promise<Fact<ClonePluginState>> {
	if (flavor === undefined) return unknown('the server flavor is unknown, so whether it can have a clone plugin is too');
	if (flavor === 'mariadb') return known('UNSUPPORTED', 'MariaDB has no clone plugin');
	if (version && !atLeast(version, 8, 0, 17)) return known('UNSUPPORTED', `the clone plugin needs MySQL 8.0.17 or later; this is ${version.text}`);
	const sql = "SELECT PLUGIN_STATUS AS status FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'clone'";
	const result = await attempt(sql, () => rows(conn, sql));
	if (!result.ok) return unknown(result.reason);
	if (result.value.length === 0) return known('NOT_INSTALLED', `${sql}: no row`);
	const status = String(result.value[0].status).toUpperCase();
	const states: ClonePluginState[] = ['ACTIVE', 'INACTIVE', 'DISABLED', 'DELETED'];
	const state = states.find((item) => item === status);
	return state ? known(state, sql) : unknown(`${sql} returned an unexpected status "${status}"`);
}

async function detectBinlog(conn: Connection, flavor: MysqlFlavor | undefined, version: ServerVersion | undefined): Promise<Fact<BinlogInfo>> {
	const sql = 'SELECT @@log_bin AS log_bin, @@binlog_format AS format, @@binlog_checksum AS checksum';
	const settings = await attempt(sql, () => rows(conn, sql));
	if (!settings.ok) return unknown(settings.reason);
	const row = settings.value[0] ?? {};
	const info: BinlogInfo = {enabled: Number(row.log_bin) === 1, format: String(row.format ?? ''), checksum: String(row.checksum ?? '')};
	if (!info.enabled) return known(info, `${sql} (log_bin is off)`);
	// MySQL 8.4 removed SHOW MASTER STATUS; MariaDB keeps it
	const statusSql = flavor !== 'mariadb' && version && atLeast(version, 8, 4) ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS';
	const status = await attempt(statusSql, () => rows(conn, statusSql));
	const source = `${sql}; ${statusSql}`;
	if (!status.ok) {
		const needs = flavor === 'mariadb' ? 'BINLOG MONITOR (or its alias REPLICATION CLIENT)' : 'REPLICATION CLIENT';
		return known({...info, coordinatesReason: `${status.reason} (needs ${needs})`}, source);
	}
	const current = status.value[0];
	if (!current) return known({...info, coordinatesReason: `${statusSql} returned no row`}, source);
	return known({...info, file: String(current.File), position: Number(current.Position)}, source);
}

async function detectGtid(conn: Connection, flavor: MysqlFlavor | undefined): Promise<Fact<GtidInfo>> {
	if (flavor === undefined) return unknown('the server flavor is unknown, so which GTID variables to read is too');
	if (flavor === 'mariadb') {
		const sql =
			'SELECT @@gtid_binlog_pos AS binlog_pos, @@gtid_current_pos AS current_pos, @@gtid_strict_mode AS strict_mode, @@gtid_domain_id AS domain_id';
		const result = await attempt(sql, () => rows(conn, sql));
		if (!result.ok) return unknown(result.reason);
		const row = result.value[0] ?? {};
		return known(
			{
				mode: 'available',
				position: String(row.binlog_pos ?? ''),
				detail: {
					gtid_strict_mode: String(row.strict_mode ?? ''),
					gtid_domain_id: String(row.domain_id ?? ''),
					gtid_current_pos: String(row.current_pos ?? ''),
				},
			},
			sql,
		);
	}
	const sql = 'SELECT @@gtid_mode AS mode, @@gtid_executed AS executed';
	const result = await attempt(sql, () => rows(conn, sql));
	if (!result.ok) return unknown(result.reason);
	const row = result.value[0] ?? {};
	return known({mode: String(row.mode ?? ''), position: String(row.executed ?? '').replace(/\n/g, '')}, sql);
}

async function detectPrivileges(conn: Connection, flavor: MysqlFlavor | undefined, version: ServerVersion | undefined): Promise<Fact<PrivilegeInfo>> {
	if (flavor === undefined) return unknown('the server flavor is unknown, so which privileges its engines need is too');
	const grants = await attempt('SHOW GRANTS', () => rows(conn, 'SHOW GRANTS'));
	if (!grants.ok) return unknown(grants.reason);
	let lines = grants.value.map((row) => String(Object.values(row)[0]));
	let source = 'SHOW GRANTS';
	// MySQL lists only the names of granted roles; their privileges need USING. MariaDB already shows the current role's grants.
	if (flavor !== 'mariadb') {
		const roles = await attempt('SELECT CURRENT_ROLE()', () => rows(conn, 'SELECT CURRENT_ROLE() AS roles'));
		const active = roles.ok ? String(roles.value[0]?.roles ?? 'NONE') : 'NONE';
		if (active !== 'NONE' && active !== '') {
			const sql = `SHOW GRANTS FOR CURRENT_USER() USING ${active}`;
			const expanded = await attempt(sql, () => rows(conn, sql));
			if (expanded.ok) {
				lines = expanded.value.map((row) => String(Object.values(row)[0]));
				source = `SELECT CURRENT_ROLE(); ${sql}`;
			}
		}
	}
	return known(evaluateMysqlGrants(lines, flavor, version), source);
}
