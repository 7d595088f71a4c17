import type pg from 'pg';
import {quoteIdent} from '../identifiers.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

interface DefaultRow {
	oid: number;
	adrelid: number;
	attname: string;
	attgenerated: string;
	expression: string;
}

/**
 * Column defaults as separate entries after their table (pg_dump does the same), so that a default
 * may call nextval() of a sequence owned by the table, or a function taking the table's rowtype.
 * Generated columns' expressions are part of CREATE TABLE. A parent's defaults come after its
 * inheritance children are created, or CREATE TABLE … INHERITS would copy them.
 */
export async function readDefaults(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<DefaultRow>(
		`SELECT d.oid, d.adrelid, a.attname, a.attgenerated, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS expression
		FROM pg_catalog.pg_attrdef d
			JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
		WHERE NOT a.attisdropped
		ORDER BY d.adrelid, d.adnum`,
	);
	const children = await client.query<{inhparent: number; inhrelid: number}>(
		`SELECT i.inhparent, i.inhrelid FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
		WHERE NOT c.relispartition AND c.relkind IN ('r', 'p')`,
	);
	for (const row of rows) {
		const relation = toc.objectAt('pg_class', row.adrelid);
		if (!relation?.entryId || !relation.schema || !relation.qualified) continue;
		if (row.attgenerated !== '') {
			toc.locate('pg_attrdef', row.oid, relation.entryId);
			continue;
		}
		const id = entryId('default', relation.schema, relation.name, row.attname);
		const alter = relation.kind === 'view' ? 'ALTER VIEW' : 'ALTER TABLE ONLY';
		toc.add({
			id,
			kind: 'default',
			section: 'pre-data',
			schema: relation.schema,
			name: row.attname,
			table: {schema: relation.schema, name: relation.name},
			sql: `${alter} ${relation.qualified} ALTER COLUMN ${quoteIdent(row.attname)} SET DEFAULT ${row.expression};\n`,
			dependsOn: [relation.entryId],
		});
		toc.locate('pg_attrdef', row.oid, id);
		for (const child of children.rows) {
			if (child.inhparent !== row.adrelid) continue;
			const childEntry = toc.objectAt('pg_class', child.inhrelid)?.entryId;
			if (childEntry) toc.dependOn(id, childEntry);
		}
	}
}
