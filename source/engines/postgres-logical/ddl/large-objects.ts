import type pg from 'pg';
import type {TocBuilder} from './toc-builder.ts';

/**
 * Large objects' existence (same oid), owner, comment and grants, in pre-data; their contents are data
 * and are copied by the data path.
 */
export async function readLargeObjects(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<{oid: number; owner: string}>(
		`SELECT m.oid, pg_catalog.pg_get_userbyid(m.lomowner) AS owner FROM pg_catalog.pg_largeobject_metadata m ORDER BY m.oid`,
	);
	for (const row of rows) {
		const id = `large-object:${row.oid}`;
		const sqlName = `LARGE OBJECT ${row.oid}`;
		toc.add({
			id,
			kind: 'large-object',
			section: 'pre-data',
			name: String(row.oid),
			sql: `SELECT pg_catalog.lo_create('${row.oid}');\n`,
			owner: row.owner,
		});
		const described = {id, entryId: id, section: 'pre-data' as const, kind: 'large-object' as const, name: String(row.oid), sqlName};
		toc.describe('pg_largeobject_metadata', row.oid, {...described, grantName: sqlName, owner: row.owner});
		toc.describe('pg_largeobject', row.oid, described);
	}
}
