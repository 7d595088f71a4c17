import type pg from 'pg';
import {qualifiedName, quoteIdent, quoteLiteral} from '../identifiers.ts';
import {notInExtension, serverQualified, userSchema} from './catalog-filters.ts';
import {sequenceOptions, type SequenceRow} from './sequences.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';
import type {DataTable} from './types.ts';

interface TableRow {
	oid: number;
	nspname: string;
	relname: string;
	relkind: 'r' | 'p';
	relpersistence: string;
	reltype: number;
	rowtype_array: number | null;
	reloptions: string[] | null;
	toast_options: string[] | null;
	relispartition: boolean;
	bound: string | null;
	partition_key: string | null;
	owner: string;
	relreplident: string;
	relrowsecurity: boolean;
	relforcerowsecurity: boolean;
	amname: string | null;
	relpages: number;
	reltuples: number;
}

interface ParentRow {
	inhrelid: number;
	inhparent: number;
}

interface ColumnRow {
	attrelid: number;
	attname: string;
	type: string;
	attnotnull: boolean;
	attidentity: string;
	attgenerated: string;
	attislocal: boolean;
	attstattarget: number | null;
	attstorage: string;
	typstorage: string;
	attcompression: string;
	attoptions: string[] | null;
	collation: string | null;
	generation: string | null;
}

interface CheckRow {
	oid: number;
	conrelid: number;
	conname: string;
	definition: string;
	convalidated: boolean;
	conislocal: boolean;
}

const STORAGE: Record<string, string> = {p: 'PLAIN', e: 'EXTERNAL', m: 'MAIN', x: 'EXTENDED'};
const COMPRESSION: Record<string, string> = {p: 'pglz', l: 'lz4'};

/** `k=v` reloptions as a WITH list; values quoted as literals, which every option accepts. */
export function formatOptions(options: string[] | null, prefix = ''): string[] {
	return (options ?? []).map((option) => {
		const equals = option.indexOf('=');
		return `${prefix}${option.slice(0, equals)}=${quoteLiteral(option.slice(equals + 1))}`;
	});
}

function columnDefinition(column: ColumnRow): string {
	let definition = `${quoteIdent(column.attname)} ${column.type}`;
	if (column.collation) definition += ` COLLATE ${column.collation}`;
	if (column.attgenerated === 's') definition += ` GENERATED ALWAYS AS (${column.generation}) STORED`;
	if (column.attnotnull) definition += ' NOT NULL';
	return definition;
}

function columnSettings(table: string, column: ColumnRow): string[] {
	const alter = `ALTER TABLE ONLY ${table} ALTER COLUMN ${quoteIdent(column.attname)}`;
	const statements: string[] = [];
	if (column.attstattarget !== null && column.attstattarget >= 0) statements.push(`${alter} SET STATISTICS ${column.attstattarget};`);
	if (column.attstorage !== column.typstorage) statements.push(`${alter} SET STORAGE ${STORAGE[column.attstorage]};`);
	if (column.attoptions?.length) statements.push(`${alter} SET (${formatOptions(column.attoptions).join(', ')});`);
	if (column.attcompression && COMPRESSION[column.attcompression]) {
		statements.push(`${alter} SET COMPRESSION ${COMPRESSION[column.attcompression]};`);
	}
	return statements;
}

function identityStatement(table: string, column: ColumnRow, sequence: SequenceRow | undefined): string {
	const kind = column.attidentity === 'a' ? 'ALWAYS' : 'BY DEFAULT';
	const options = sequence ? [`SEQUENCE NAME ${qualifiedName(sequence.nspname, sequence.relname)}`, ...sequenceOptions(sequence)] : [];
	return `ALTER TABLE ONLY ${table} ALTER COLUMN ${quoteIdent(column.attname)} ADD GENERATED ${kind} AS IDENTITY (\n\t${options.join('\n\t')}\n);`;
}

/**
 * Tables and partitioned tables, as pg_dump writes them: columns (a partition's all, an inheritance
 * child's own), validated CHECK constraints inline, identity after, partitions attached by a separate
 * `table-attach` entry, NOT VALID checks and row security in post-data. Returns the tables whose rows
 * are copied. Column defaults are read by readDefaults.
 */
export async function readTables(client: pg.Client, toc: TocBuilder, sequences: SequenceRow[]): Promise<DataTable[]> {
	const {rows: tables} = await client.query<TableRow>(
		`SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, c.reltype,
			(SELECT t.typarray FROM pg_catalog.pg_type t WHERE t.oid = c.reltype) AS rowtype_array,
			c.reloptions, tc.reloptions AS toast_options, c.relispartition,
			CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS bound,
			CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_key,
			pg_catalog.pg_get_userbyid(c.relowner) AS owner, c.relreplident, c.relrowsecurity, c.relforcerowsecurity,
			am.amname, c.relpages, c.reltuples
		FROM pg_catalog.pg_class c
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid
			LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
		WHERE c.relkind IN ('r', 'p') AND ${userSchema('n')} AND ${notInExtension('pg_class', 'c.oid')}
		ORDER BY n.nspname, c.relname`,
	);
	const oids = tables.map((table) => table.oid);
	const {rows: parents} = await client.query<ParentRow>(
		`SELECT i.inhrelid, i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = ANY($1::oid[]) ORDER BY i.inhrelid, i.inhseqno`,
		[oids],
	);
	const {rows: columns} = await client.query<ColumnRow>(
		`SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
			a.attidentity, a.attgenerated, a.attislocal, a.attstattarget, a.attstorage, t.typstorage, a.attcompression, a.attoptions,
			(SELECT ${serverQualified('cn', 'co.collname')} FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
				WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation) AS collation,
			CASE WHEN a.attgenerated <> '' THEN
				(SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum) END AS generation
		FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attrelid, a.attnum`,
		[oids],
	);
	const {rows: checks} = await client.query<CheckRow>(
		`SELECT co.oid, co.conrelid, co.conname, pg_catalog.pg_get_constraintdef(co.oid) AS definition, co.convalidated, co.conislocal
		FROM pg_catalog.pg_constraint co
		WHERE co.contype = 'c' AND co.conrelid = ANY($1::oid[])
		ORDER BY co.conrelid, co.conname`,
		[oids],
	);

	const byOid = new Map(tables.map((table) => [table.oid, table]));
	const columnsOf = groupBy(columns, (column) => column.attrelid);
	const checksOf = groupBy(checks, (check) => check.conrelid);
	const parentsOf = groupBy(parents, (parent) => parent.inhrelid);
	const hasChildren = new Set(parents.map((parent) => parent.inhparent));
	const identitySequence = new Map(
		sequences.filter((sequence) => sequence.owned_kind === 'i').map((sequence) => [`${sequence.owned_table}:${sequence.owned_column}`, sequence]),
	);
	const tableId = (table: TableRow) => entryId('table', table.nspname, table.relname);
	const dataTables: DataTable[] = [];

	for (const table of tables) {
		const id = tableId(table);
		const name = qualifiedName(table.nspname, table.relname);
		const tableRef = {schema: table.nspname, name: table.relname};
		const ownColumns = columnsOf.get(table.oid) ?? [];
		const tableParents = (parentsOf.get(table.oid) ?? []).map((parent) => byOid.get(parent.inhparent)).filter((parent) => parent !== undefined);
		const inherits = table.relispartition ? [] : tableParents;
		const printed = ownColumns.filter((column) => table.relispartition || column.attislocal);
		const lines = printed.map((column) => `\t${columnDefinition(column)}`);
		const statements: string[] = [];
		for (const check of checksOf.get(table.oid) ?? []) {
			const checkId = entryId('constraint', table.nspname, table.relname, check.conname);
			const inline = check.convalidated && (check.conislocal || table.relispartition);
			if (inline) {
				lines.push(`\tCONSTRAINT ${quoteIdent(check.conname)} ${check.definition}`);
			} else if (check.conislocal) {
				const only = hasChildren.has(table.oid) ? '' : 'ONLY ';
				toc.add({
					id: checkId,
					kind: 'constraint',
					section: 'post-data',
					schema: table.nspname,
					name: check.conname,
					table: tableRef,
					sql: `ALTER TABLE ${only}${name} ADD CONSTRAINT ${quoteIdent(check.conname)} ${check.definition};\n`,
					dependsOn: [id],
				});
			}
			toc.describe('pg_constraint', check.oid, {
				id: checkId,
				entryId: inline || !check.conislocal ? id : checkId,
				section: inline || !check.conislocal ? 'pre-data' : 'post-data',
				kind: 'constraint',
				schema: table.nspname,
				name: check.conname,
				table: tableRef,
				sqlName: `CONSTRAINT ${quoteIdent(check.conname)} ON ${name}`,
			});
		}
		let create = `CREATE ${table.relpersistence === 'u' ? 'UNLOGGED ' : ''}TABLE ${name} (\n${lines.join(',\n')}\n)`;
		if (inherits.length > 0) create += `\nINHERITS (${inherits.map((parent) => qualifiedName(parent.nspname, parent.relname)).join(', ')})`;
		if (table.partition_key) create += `\nPARTITION BY ${table.partition_key}`;
		if (table.relkind === 'r' && table.amname && table.amname !== 'heap') create += `\nUSING ${quoteIdent(table.amname)}`;
		const options = [...formatOptions(table.reloptions), ...formatOptions(table.toast_options, 'toast.')];
		if (options.length > 0) create += `\nWITH (${options.join(', ')})`;
		statements.push(`${create};`);

		for (const column of ownColumns) {
			const inheritedOnly = !printed.includes(column);
			if (inheritedOnly && column.attnotnull) {
				const parentHasIt = inherits.some((parent) =>
					(columnsOf.get(parent.oid) ?? []).some((other) => other.attname === column.attname && other.attnotnull),
				);
				if (!parentHasIt) statements.push(`ALTER TABLE ONLY ${name} ALTER COLUMN ${quoteIdent(column.attname)} SET NOT NULL;`);
			}
			statements.push(...columnSettings(name, column));
			if (column.attidentity) {
				statements.push(identityStatement(name, column, identitySequence.get(`${table.oid}:${column.attname}`)));
			}
		}
		if (table.relreplident === 'f') statements.push(`ALTER TABLE ONLY ${name} REPLICA IDENTITY FULL;`);
		if (table.relreplident === 'n') statements.push(`ALTER TABLE ONLY ${name} REPLICA IDENTITY NOTHING;`);

		toc.add({
			id,
			kind: 'table',
			section: 'pre-data',
			schema: table.nspname,
			name: table.relname,
			sql: `${statements.join('\n')}\n`,
			dependsOn: inherits.map(tableId),
			owner: table.owner,
		});
		toc.describe('pg_class', table.oid, {
			id,
			entryId: id,
			section: 'pre-data',
			kind: 'table',
			schema: table.nspname,
			name: table.relname,
			sqlName: `TABLE ${name}`,
			grantName: `TABLE ${name}`,
			qualified: name,
			owner: table.owner,
			relkind: table.relkind,
		});
		toc.locate('pg_type', table.reltype, id);
		if (table.rowtype_array) toc.locate('pg_type', table.rowtype_array, id);

		if (table.relispartition && tableParents[0]) {
			const parent = tableParents[0];
			toc.add({
				id: entryId('table-attach', table.nspname, table.relname),
				kind: 'table-attach',
				section: 'pre-data',
				schema: table.nspname,
				name: table.relname,
				table: tableRef,
				sql: `ALTER TABLE ONLY ${qualifiedName(parent.nspname, parent.relname)} ATTACH PARTITION ${name} ${table.bound};\n`,
				dependsOn: [tableId(parent), id],
			});
		}
		if (table.relrowsecurity || table.relforcerowsecurity) {
			const security: string[] = [];
			if (table.relrowsecurity) security.push(`ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY;`);
			if (table.relforcerowsecurity) security.push(`ALTER TABLE ${name} FORCE ROW LEVEL SECURITY;`);
			toc.add({
				id: entryId('row-security', table.nspname, table.relname),
				kind: 'row-security',
				section: 'post-data',
				schema: table.nspname,
				name: table.relname,
				table: tableRef,
				sql: `${security.join('\n')}\n`,
				dependsOn: [id],
			});
		}
		if (table.relkind === 'r') {
			dataTables.push({
				schema: table.nspname,
				name: table.relname,
				columns: ownColumns.filter((column) => column.attgenerated === '').map((column) => quoteIdent(column.attname)),
				entryId: id,
				pages: table.relpages,
				estimatedRows: Math.max(0, table.reltuples),
			});
		}
	}
	return dataTables;
}

export function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
	const groups = new Map<K, T[]>();
	for (const item of items) {
		const k = key(item);
		const group = groups.get(k);
		if (group) group.push(item);
		else groups.set(k, [item]);
	}
	return groups;
}
