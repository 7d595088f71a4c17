import type pg from 'pg';
import {quoteIdent} from '../identifiers.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

interface AclChangeRow {
	catalog: string;
	oid: number;
	subid: number;
	attname: string | null;
	action: 'GRANT' | 'REVOKE';
	grantee: string;
	privileges: string[];
	grantable: boolean;
}

/**
 * Grants are written as the difference between an object's ACL and the one a new object of its owner
 * has (acldefault), as pg_dump does: REVOKE what the default has and the source lacks, GRANT the rest.
 * The public schema's default is template0's (PostgreSQL 15: owner pg_database_owner, USAGE and CREATE
 * to it, USAGE to PUBLIC), with the owner it has after the restore. Columns' ACLs start empty.
 */
function aclChangesQuery(publicSchemaOwner: string): string {
	return `WITH objects AS (
		SELECT 'pg_class' AS catalog, c.oid, 0 AS subid, NULL::name AS attname, c.relacl AS acl,
			pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner) AS base
		FROM pg_catalog.pg_class c WHERE c.relacl IS NOT NULL
		UNION ALL
		SELECT 'pg_class', a.attrelid, a.attnum, a.attname, a.attacl, NULL::pg_catalog.aclitem[]
		FROM pg_catalog.pg_attribute a WHERE a.attacl IS NOT NULL AND NOT a.attisdropped
		UNION ALL
		SELECT 'pg_proc', p.oid, 0, NULL, p.proacl, pg_catalog.acldefault('f', p.proowner)
		FROM pg_catalog.pg_proc p WHERE p.proacl IS NOT NULL
		UNION ALL
		SELECT 'pg_type', t.oid, 0, NULL, t.typacl, pg_catalog.acldefault('T', t.typowner)
		FROM pg_catalog.pg_type t WHERE t.typacl IS NOT NULL
		UNION ALL
		SELECT 'pg_namespace', n.oid, 0, NULL, n.nspacl,
			CASE WHEN n.nspname = 'public' THEN ARRAY[
				pg_catalog.makeaclitem(${publicSchemaOwner}, ${publicSchemaOwner}, 'USAGE', false),
				pg_catalog.makeaclitem(${publicSchemaOwner}, ${publicSchemaOwner}, 'CREATE', false),
				pg_catalog.makeaclitem(0, ${publicSchemaOwner}, 'USAGE', false)]
			ELSE pg_catalog.acldefault('n', n.nspowner) END
		FROM pg_catalog.pg_namespace n WHERE n.nspacl IS NOT NULL
		UNION ALL
		SELECT 'pg_largeobject_metadata', m.oid, 0, NULL, m.lomacl, pg_catalog.acldefault('L', m.lomowner)
		FROM pg_catalog.pg_largeobject_metadata m WHERE m.lomacl IS NOT NULL
	),
	granted AS (
		SELECT o.catalog, o.oid, o.subid, o.attname, x.grantee, x.privilege_type, x.is_grantable
		FROM objects o, pg_catalog.aclexplode(o.acl) x
	),
	baseline AS (
		SELECT o.catalog, o.oid, o.subid, o.attname, x.grantee, x.privilege_type, x.is_grantable
		FROM objects o, pg_catalog.aclexplode(o.base) x
	),
	changes AS (
		SELECT 'REVOKE' AS action, r.* , false AS grantable FROM (
			SELECT catalog, oid, subid, attname, grantee, privilege_type FROM baseline
			EXCEPT SELECT catalog, oid, subid, attname, grantee, privilege_type FROM granted) r
		UNION ALL
		SELECT 'GRANT', g.catalog, g.oid, g.subid, g.attname, g.grantee, g.privilege_type, g.is_grantable FROM (
			SELECT * FROM granted EXCEPT SELECT * FROM baseline) g
	)
	SELECT catalog, oid, subid, attname, action,
		CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(grantee)) END AS grantee,
		pg_catalog.array_agg(privilege_type ORDER BY privilege_type) AS privileges, grantable
	FROM changes
	GROUP BY catalog, oid, subid, attname, action, grantee, grantable
	ORDER BY catalog, oid, subid, action DESC, grantee, grantable`;
}

/** `acl` entries (post-data, like pg_restore's last pass): every described object's GRANT/REVOKE. */
export async function readPrivileges(client: pg.Client, toc: TocBuilder): Promise<void> {
	const publicSchemaOwner = toc.options.noOwner ? `'pg_database_owner'::pg_catalog.regrole` : 'n.nspowner';
	const {rows} = await client.query<AclChangeRow>(aclChangesQuery(publicSchemaOwner));
	const statements = new Map<string, string[]>();
	for (const row of rows) {
		const object = toc.objectAt(row.catalog, row.oid);
		if (!object?.grantName) continue;
		const privileges =
			row.subid > 0 && row.attname !== null
				? row.privileges.map((privilege) => `${privilege}(${quoteIdent(row.attname!)})`).join(', ')
				: row.privileges.join(', ');
		const statement =
			row.action === 'GRANT'
				? `GRANT ${privileges} ON ${object.grantName} TO ${row.grantee}${row.grantable ? ' WITH GRANT OPTION' : ''};`
				: `REVOKE ${privileges} ON ${object.grantName} FROM ${row.grantee};`;
		const id = `acl:${object.id}`;
		const list = statements.get(id);
		if (list) {
			list.push(statement);
			continue;
		}
		statements.set(id, [statement]);
		const owner = toc.ownerEntryOf(object);
		toc.add({
			id,
			kind: 'acl',
			section: 'post-data',
			schema: object.schema,
			name: object.name,
			table: object.table,
			sql: '',
			dependsOn: [...(object.entryId === undefined ? [] : [object.entryId]), ...(owner === undefined ? [] : [owner])],
		});
	}
	for (const [id, list] of statements) {
		const entry = toc.entries.get(id);
		if (entry) entry.sql = `${list.join('\n')}\n`;
	}
	await readDefaultPrivileges(client, toc);
}

interface DefaultAclRow {
	role: string;
	nspname: string | null;
	nspoid: number | null;
	objtype: string;
	action: 'GRANT' | 'REVOKE';
	grantee: string;
	privileges: string[];
	grantable: boolean;
}

const DEFAULT_ACL_OBJECTS: Record<string, string> = {r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS'};

/** ALTER DEFAULT PRIVILEGES, against acldefault for a role's global ones and nothing for a schema's. */
async function readDefaultPrivileges(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<DefaultAclRow>(
		`WITH objects AS (
			SELECT d.oid, d.defaclrole, d.defaclnamespace, d.defaclobjtype, d.defaclacl AS acl,
				CASE WHEN d.defaclnamespace = 0 THEN pg_catalog.acldefault(
					CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype END::"char", d.defaclrole)
				ELSE NULL::pg_catalog.aclitem[] END AS base
			FROM pg_catalog.pg_default_acl d
		),
		granted AS (SELECT o.oid, x.grantee, x.privilege_type, x.is_grantable FROM objects o, pg_catalog.aclexplode(o.acl) x),
		baseline AS (SELECT o.oid, x.grantee, x.privilege_type, x.is_grantable FROM objects o, pg_catalog.aclexplode(o.base) x),
		changes AS (
			SELECT 'REVOKE' AS action, r.*, false AS grantable FROM (
				SELECT oid, grantee, privilege_type FROM baseline EXCEPT SELECT oid, grantee, privilege_type FROM granted) r
			UNION ALL
			SELECT 'GRANT', g.* FROM (SELECT * FROM granted EXCEPT SELECT * FROM baseline) g
		)
		SELECT pg_catalog.pg_get_userbyid(o.defaclrole) AS role, n.nspname, n.oid AS nspoid, o.defaclobjtype AS objtype, c.action,
			CASE WHEN c.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(c.grantee)) END AS grantee,
			pg_catalog.array_agg(c.privilege_type ORDER BY c.privilege_type) AS privileges, c.grantable
		FROM changes c JOIN objects o ON o.oid = c.oid LEFT JOIN pg_catalog.pg_namespace n ON n.oid = o.defaclnamespace
		GROUP BY o.defaclrole, n.nspname, n.oid, o.defaclobjtype, c.action, c.grantee, c.grantable
		ORDER BY role, n.nspname NULLS FIRST, objtype, c.action DESC, grantee`,
	);
	for (const row of rows) {
		const id = `acl:${entryId('default-privileges', row.role, row.nspname ?? '', row.objtype)}`;
		const inSchema = row.nspname === null ? '' : ` IN SCHEMA ${quoteIdent(row.nspname)}`;
		const objects = DEFAULT_ACL_OBJECTS[row.objtype];
		const change =
			row.action === 'GRANT'
				? `GRANT ${row.privileges.join(', ')} ON ${objects} TO ${row.grantee}${row.grantable ? ' WITH GRANT OPTION' : ''}`
				: `REVOKE ${row.privileges.join(', ')} ON ${objects} FROM ${row.grantee}`;
		const statement = `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(row.role)}${inSchema} ${change};\n`;
		const existing = toc.entries.get(id);
		if (existing) {
			existing.sql += statement;
			continue;
		}
		const schemaEntry = row.nspoid === null ? undefined : toc.objectAt('pg_namespace', row.nspoid)?.entryId;
		toc.add({
			id,
			kind: 'acl',
			section: 'post-data',
			schema: row.nspname ?? undefined,
			name: `${row.role} ${objects}`,
			sql: statement,
			dependsOn: schemaEntry ? [schemaEntry] : [],
		});
	}
}
