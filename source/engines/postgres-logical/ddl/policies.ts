import type pg from 'pg';
import {quoteIdent} from '../identifiers.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

interface PolicyRow {
	oid: number;
	polrelid: number;
	polname: string;
	polpermissive: boolean;
	polcmd: string;
	roles: string[];
	qual: string | null;
	with_check: string | null;
}

const COMMAND: Record<string, string> = {'*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE'};

/** Row level security policies (ENABLE / FORCE ROW LEVEL SECURITY are `row-security` entries of the table, see tables.ts). */
export async function readPolicies(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<PolicyRow>(
		`SELECT p.oid, p.polrelid, p.polname, p.polpermissive, p.polcmd,
			ARRAY(SELECT CASE WHEN r.role = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.role)) END
				FROM pg_catalog.unnest(p.polroles) WITH ORDINALITY AS r(role, position) ORDER BY r.position) AS roles,
			pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual,
			pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS with_check
		FROM pg_catalog.pg_policy p
		ORDER BY p.polrelid, p.polname`,
	);
	for (const row of rows) {
		const table = toc.objectAt('pg_class', row.polrelid);
		if (!table?.entryId || !table.qualified || !table.schema) continue;
		const id = entryId('policy', table.schema, table.name, row.polname);
		let sql = `CREATE POLICY ${quoteIdent(row.polname)} ON ${table.qualified}\n\tAS ${row.polpermissive ? 'PERMISSIVE' : 'RESTRICTIVE'}\n\tFOR ${COMMAND[row.polcmd]}\n\tTO ${row.roles.join(', ')}`;
		if (row.qual !== null) sql += `\n\tUSING (${row.qual})`;
		if (row.with_check !== null) sql += `\n\tWITH CHECK (${row.with_check})`;
		const tableRef = {schema: table.schema, name: table.name};
		toc.addDescribed(
			'pg_policy',
			row.oid,
			{id, kind: 'policy', section: 'post-data', schema: table.schema, name: row.polname, table: tableRef, sql: `${sql};\n`, dependsOn: [table.entryId]},
			{sqlName: `POLICY ${quoteIdent(row.polname)} ON ${table.qualified}`},
		);
	}
}
