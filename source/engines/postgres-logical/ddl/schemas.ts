import type pg from 'pg';
import {quoteIdent} from '../identifiers.ts';
import {notInExtension, userSchema} from './catalog-filters.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

interface SchemaRow {
	oid: number;
	nspname: string;
	owner: string;
}

/**
 * Every user schema. The public schema exists in every new database (from template0): it is not
 * created, only its owner, comment and grants are carried over when they differ from a new database's.
 */
export async function readSchemas(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<SchemaRow>(
		`SELECT n.oid, n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) AS owner
		FROM pg_catalog.pg_namespace n
		WHERE ${userSchema('n')} AND ${notInExtension('pg_namespace', 'n.oid')}
		ORDER BY n.nspname`,
	);
	for (const row of rows) {
		const sqlName = `SCHEMA ${quoteIdent(row.nspname)}`;
		if (row.nspname === 'public') {
			toc.describe('pg_namespace', row.oid, {
				id: entryId('schema', row.nspname),
				section: 'pre-data',
				kind: 'schema',
				name: row.nspname,
				sqlName,
				grantName: sqlName,
				owner: row.owner === 'pg_database_owner' ? undefined : row.owner,
			});
			continue;
		}
		const id = entryId('schema', row.nspname);
		toc.add({id, kind: 'schema', section: 'pre-data', name: row.nspname, sql: `CREATE ${sqlName};\n`, owner: row.owner});
		toc.describe('pg_namespace', row.oid, {
			id,
			entryId: id,
			section: 'pre-data',
			kind: 'schema',
			name: row.nspname,
			sqlName,
			grantName: sqlName,
			owner: row.owner,
		});
	}
}
