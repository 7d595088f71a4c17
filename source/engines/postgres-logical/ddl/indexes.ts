import type pg from 'pg';
import {qualifiedName, quoteIdent} from '../identifiers.ts';
import {notInExtension, userSchema} from './catalog-filters.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

interface IndexRow {
	oid: number;
	indrelid: number;
	nspname: string;
	relname: string;
	relkind: string;
	table_kind: string;
	definition: string;
	indisclustered: boolean;
	indisreplident: boolean;
	parent_index: number | null;
	constraint_oid: number | null;
	conname: string | null;
	constraint_definition: string | null;
	column_statistics: {attnum: number; target: number}[] | null;
}

/**
 * Indexes, and the PRIMARY KEY / UNIQUE / EXCLUDE constraints that own one, in post-data. A partition's
 * index joins its parent's by an `index-attach` entry; constraints and indexes on a partitioned table
 * are created ON ONLY that table, as pg_dump does. Invalid indexes (a failed CREATE INDEX
 * CONCURRENTLY) are left out.
 */
export async function readIndexes(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<IndexRow>(
		`SELECT i.indexrelid AS oid, i.indrelid, n.nspname, ic.relname, ic.relkind, t.relkind AS table_kind,
			pg_catalog.pg_get_indexdef(i.indexrelid) AS definition, i.indisclustered, i.indisreplident,
			(SELECT h.inhparent FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid) AS parent_index,
			co.oid AS constraint_oid, co.conname, pg_catalog.pg_get_constraintdef(co.oid) AS constraint_definition,
			(SELECT pg_catalog.json_agg(pg_catalog.json_build_object('attnum', a.attnum, 'target', a.attstattarget) ORDER BY a.attnum)
				FROM pg_catalog.pg_attribute a WHERE a.attrelid = i.indexrelid AND a.attstattarget > 0) AS column_statistics
		FROM pg_catalog.pg_index i
			JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
			JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
			JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
			LEFT JOIN pg_catalog.pg_constraint co ON co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')
		WHERE t.relkind IN ('r', 'p', 'm') AND (i.indisvalid OR ic.relkind = 'I')
			AND ${userSchema('n')} AND ${notInExtension('pg_class', 't.oid')}
		ORDER BY n.nspname, ic.relname`,
	);
	const idOf = new Map<number, string>();
	for (const row of rows) {
		const table = toc.objectAt('pg_class', row.indrelid);
		if (!table?.entryId || !table.qualified) continue;
		const tableRef = {schema: row.nspname, name: table.name};
		const indexName = qualifiedName(row.nspname, row.relname);
		const statements: string[] = [];
		let id: string;
		if (row.constraint_oid !== null && row.conname !== null) {
			id = entryId('constraint', row.nspname, table.name, row.conname);
			statements.push(`ALTER TABLE ONLY ${table.qualified} ADD CONSTRAINT ${quoteIdent(row.conname)} ${row.constraint_definition};`);
		} else {
			id = entryId('index', row.nspname, row.relname);
			statements.push(`${row.definition};`);
		}
		for (const column of row.column_statistics ?? []) {
			statements.push(`ALTER INDEX ${indexName} ALTER COLUMN ${column.attnum} SET STATISTICS ${column.target};`);
		}
		if (row.indisclustered) statements.push(`ALTER TABLE ${table.qualified} CLUSTER ON ${quoteIdent(row.relname)};`);
		if (row.indisreplident) statements.push(`ALTER TABLE ONLY ${table.qualified} REPLICA IDENTITY USING INDEX ${quoteIdent(row.relname)};`);
		const kind = row.constraint_oid !== null ? 'constraint' : 'index';
		toc.add({
			id,
			kind,
			section: 'post-data',
			schema: row.nspname,
			name: row.conname ?? row.relname,
			table: tableRef,
			sql: `${statements.join('\n')}\n`,
			dependsOn: [table.entryId],
		});
		idOf.set(row.oid, id);
		toc.describe('pg_class', row.oid, {
			id: entryId('index', row.nspname, row.relname),
			entryId: id,
			section: 'post-data',
			kind: 'index',
			schema: row.nspname,
			name: row.relname,
			table: tableRef,
			sqlName: `INDEX ${indexName}`,
		});
		if (row.constraint_oid !== null && row.conname !== null) {
			toc.describe('pg_constraint', row.constraint_oid, {
				id,
				entryId: id,
				section: 'post-data',
				kind: 'constraint',
				schema: row.nspname,
				name: row.conname,
				table: tableRef,
				sqlName: `CONSTRAINT ${quoteIdent(row.conname)} ON ${table.qualified}`,
			});
		}
	}
	const byOid = new Map(rows.map((row) => [row.oid, row]));
	for (const row of rows) {
		if (row.parent_index === null) continue;
		const parentId = idOf.get(row.parent_index);
		const childId = idOf.get(row.oid);
		const parent = byOid.get(row.parent_index);
		if (!parentId || !childId || !parent) continue;
		toc.add({
			id: entryId('index-attach', row.nspname, row.relname),
			kind: 'index-attach',
			section: 'post-data',
			schema: row.nspname,
			name: row.relname,
			table: {schema: row.nspname, name: toc.objectAt('pg_class', row.indrelid)?.name ?? ''},
			sql: `ALTER INDEX ${qualifiedName(parent.nspname, parent.relname)} ATTACH PARTITION ${qualifiedName(row.nspname, row.relname)};\n`,
			dependsOn: [parentId, childId],
		});
	}
}

interface ForeignKeyRow {
	oid: number;
	conrelid: number;
	conname: string;
	definition: string;
}

/** Foreign keys, except the copies a partitioned table's key makes on its partitions. */
export async function readForeignKeys(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<ForeignKeyRow>(
		`SELECT co.oid, co.conrelid, co.conname, pg_catalog.pg_get_constraintdef(co.oid) AS definition
		FROM pg_catalog.pg_constraint co
		WHERE co.contype = 'f' AND co.conparentid = 0
		ORDER BY co.conrelid, co.conname`,
	);
	for (const row of rows) {
		const table = toc.objectAt('pg_class', row.conrelid);
		if (!table?.entryId || !table.qualified || !table.schema) continue;
		const partitioned = table.relkind === 'p';
		const id = entryId('constraint', table.schema, table.name, row.conname);
		const tableRef = {schema: table.schema, name: table.name};
		toc.add({
			id,
			kind: 'foreign-key',
			section: 'post-data',
			schema: table.schema,
			name: row.conname,
			table: tableRef,
			// ONLY is refused for a foreign key on a partitioned table
			sql: `ALTER TABLE ${partitioned ? '' : 'ONLY '}${table.qualified} ADD CONSTRAINT ${quoteIdent(row.conname)} ${row.definition};\n`,
			dependsOn: [table.entryId],
		});
		toc.describe('pg_constraint', row.oid, {
			id,
			entryId: id,
			section: 'post-data',
			kind: 'foreign-key',
			schema: table.schema,
			name: row.conname,
			table: tableRef,
			sqlName: `CONSTRAINT ${quoteIdent(row.conname)} ON ${table.qualified}`,
		});
	}
}
