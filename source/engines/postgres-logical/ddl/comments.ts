import type pg from 'pg';
import {quoteIdent, quoteLiteral} from '../identifiers.ts';
import type {TocBuilder} from './toc-builder.ts';

interface CommentRow {
	catalog: string;
	objoid: number;
	objsubid: number;
	description: string;
	attname: string | null;
}

/**
 * COMMENT ON every described object and column that has one. The public schema's comment is always
 * written (NULL included): a new database's public schema has one of its own.
 */
export async function readComments(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<CommentRow>(
		`SELECT d.classoid::pg_catalog.regclass::text AS catalog, d.objoid, d.objsubid, d.description, a.attname
		FROM pg_catalog.pg_description d
			LEFT JOIN pg_catalog.pg_attribute a ON d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
				AND a.attrelid = d.objoid AND a.attnum = d.objsubid AND d.objsubid > 0
		ORDER BY d.classoid, d.objoid, d.objsubid`,
	);
	let publicSchemaCommented = false;
	for (const row of rows) {
		const object = toc.objectAt(row.catalog, row.objoid);
		if (!object) continue;
		let target = object.sqlName;
		let id = `comment:${object.id}`;
		if (row.objsubid > 0) {
			if (row.attname === null || !object.qualified) continue;
			target = `COLUMN ${object.qualified}.${quoteIdent(row.attname)}`;
			id = `comment:${object.id}.${quoteIdent(row.attname)}`;
		}
		if (object.id === 'schema:public') publicSchemaCommented = true;
		toc.add({
			id,
			kind: 'comment',
			section: object.section,
			schema: object.schema,
			name: object.name,
			table: object.table,
			sql: `COMMENT ON ${target} IS ${quoteLiteral(row.description)};\n`,
			dependsOn: object.entryId === undefined ? [] : [object.entryId],
		});
	}
	const publicSchema = await client.query<{oid: number}>(`SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public'`);
	const described = publicSchema.rows[0] && toc.objectAt('pg_namespace', publicSchema.rows[0].oid);
	if (described && !publicSchemaCommented) {
		toc.add({
			id: 'comment:schema:public',
			kind: 'comment',
			section: 'pre-data',
			name: 'public',
			sql: `COMMENT ON SCHEMA ${quoteIdent('public')} IS NULL;\n`,
		});
	}
}
