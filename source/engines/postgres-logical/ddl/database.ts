import type pg from 'pg';
import {quoteIdent, quoteLiteral} from '../identifiers.ts';
import type {DatabaseToc} from './types.ts';

interface DatabaseRow {
	datname: string;
	owner: string;
	encoding: string;
	datcollate: string;
	datctype: string;
	provider: string | null;
	icu_locale: string | null;
	datconnlimit: number;
	description: string | null;
}

interface SettingRow {
	role: string | null;
	setconfig: string[];
}

interface GrantRow {
	action: 'GRANT' | 'REVOKE';
	grantee: string;
	privileges: string[];
	grantable: boolean;
}

/** Settings whose value is a list of identifiers (pg_dump's list): written unquoted, as stored. */
const LIST_SETTINGS = new Set([
	'local_preload_libraries',
	'search_path',
	'session_preload_libraries',
	'shared_preload_libraries',
	'temp_tablespaces',
	'unix_socket_directories',
]);

const TARGET = '{{database}}';

function setStatement(prefix: string, setting: string): string {
	const equals = setting.indexOf('=');
	const name = setting.slice(0, equals);
	const value = setting.slice(equals + 1);
	return `${prefix} SET ${quoteIdent(name)} TO ${LIST_SETTINGS.has(name.toLowerCase()) ? value : quoteLiteral(value)};`;
}

/**
 * The database itself: its CREATE DATABASE options (from template0, with the source's encoding and
 * locales) and what is set on it after creation: comment, ALTER DATABASE / ALTER ROLE … IN DATABASE
 * settings, grants (against acldefault for its owner).
 */
export async function readDatabase(client: pg.Client, options: {noPrivileges?: boolean}): Promise<DatabaseToc['database']> {
	const {rows} = await client.query<DatabaseRow>(
		`SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba) AS owner, pg_catalog.pg_encoding_to_char(d.encoding) AS encoding,
			d.datcollate, d.datctype, pg_catalog.to_jsonb(d) ->> 'datlocprovider' AS provider,
			COALESCE(pg_catalog.to_jsonb(d) ->> 'daticulocale', pg_catalog.to_jsonb(d) ->> 'datlocale') AS icu_locale,
			d.datconnlimit, pg_catalog.shobj_description(d.oid, 'pg_database') AS description
		FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()`,
	);
	const database = rows[0];
	const createOptions = ['WITH TEMPLATE = template0', `ENCODING = ${quoteLiteral(database.encoding)}`];
	if (database.provider === 'i') createOptions.push('LOCALE_PROVIDER = icu', `ICU_LOCALE = ${quoteLiteral(database.icu_locale ?? '')}`);
	else if (database.provider === 'c') createOptions.push('LOCALE_PROVIDER = libc');
	if (database.datcollate === database.datctype) createOptions.push(`LOCALE = ${quoteLiteral(database.datcollate)}`);
	else createOptions.push(`LC_COLLATE = ${quoteLiteral(database.datcollate)}`, `LC_CTYPE = ${quoteLiteral(database.datctype)}`);
	if (database.datconnlimit !== -1) createOptions.push(`CONNECTION LIMIT = ${database.datconnlimit}`);

	const postCreateSql: string[] = [];
	if (database.description !== null) postCreateSql.push(`COMMENT ON DATABASE ${TARGET} IS ${quoteLiteral(database.description)};`);
	const settings = await client.query<SettingRow>(
		`SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(s.setrole) END AS role, s.setconfig
		FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
		WHERE d.datname = pg_catalog.current_database()
		ORDER BY s.setrole`,
	);
	for (const row of settings.rows) {
		const prefix = row.role === null ? `ALTER DATABASE ${TARGET}` : `ALTER ROLE ${quoteIdent(row.role)} IN DATABASE ${TARGET}`;
		for (const setting of row.setconfig) postCreateSql.push(setStatement(prefix, setting));
	}
	if (!options.noPrivileges) {
		const grants = await client.query<GrantRow>(
			`WITH db AS (SELECT d.datacl AS acl, pg_catalog.acldefault('d', d.datdba) AS base FROM pg_catalog.pg_database d
				WHERE d.datname = pg_catalog.current_database() AND d.datacl IS NOT NULL),
			granted AS (SELECT x.grantee, x.privilege_type, x.is_grantable FROM db, pg_catalog.aclexplode(db.acl) x),
			baseline AS (SELECT x.grantee, x.privilege_type, x.is_grantable FROM db, pg_catalog.aclexplode(db.base) x),
			changes AS (
				SELECT 'REVOKE' AS action, r.*, false AS grantable FROM (
					SELECT grantee, privilege_type FROM baseline EXCEPT SELECT grantee, privilege_type FROM granted) r
				UNION ALL
				SELECT 'GRANT', g.* FROM (SELECT * FROM granted EXCEPT SELECT * FROM baseline) g
			)
			SELECT action, CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(grantee)) END AS grantee,
				pg_catalog.array_agg(privilege_type ORDER BY privilege_type) AS privileges, grantable
			FROM changes GROUP BY action, grantee, grantable ORDER BY action DESC, grantee`,
		);
		for (const row of grants.rows) {
			postCreateSql.push(
				row.action === 'GRANT'
					? `GRANT ${row.privileges.join(', ')} ON DATABASE ${TARGET} TO ${row.grantee}${row.grantable ? ' WITH GRANT OPTION' : ''};`
					: `REVOKE ${row.privileges.join(', ')} ON DATABASE ${TARGET} FROM ${row.grantee};`,
			);
		}
	}
	return {name: database.datname, owner: database.owner, createOptions: createOptions.join(' '), postCreateSql};
}
