import type pg from 'pg';
import {qualifiedName, quoteIdent, quoteLiteral} from '../identifiers.ts';
import {notInExtension, serverQualified, userSchema} from './catalog-filters.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

interface TypeRow {
	oid: number;
	nspname: string;
	typname: string;
	typtype: 'e' | 'c' | 'r' | 'd';
	typarray: number;
	typrelid: number;
	owner: string;
	labels: string[] | null;
	subtype: string | null;
	subtype_opclass: string | null;
	range_collation: string | null;
	canonical: string | null;
	subtype_diff: string | null;
	multirange_oid: number | null;
	multirange_name: string | null;
	multirange_array: number | null;
	base_type: string | null;
	domain_collation: string | null;
	typnotnull: boolean;
	typdefault: string | null;
}

interface AttributeRow {
	attrelid: number;
	attname: string;
	type: string;
	collation: string | null;
}

interface DomainConstraintRow {
	oid: number;
	contypid: number;
	conname: string;
	definition: string;
	convalidated: boolean;
}

/**
 * Enum, composite, range and domain types. A domain's validated CHECK constraints are part of its
 * CREATE DOMAIN; NOT VALID ones are added in post-data, as pg_dump does.
 */
export async function readTypes(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<TypeRow>(
		`SELECT t.oid, n.nspname, t.typname, t.typtype, t.typarray, t.typrelid,
			pg_catalog.pg_get_userbyid(t.typowner) AS owner,
			CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) END AS labels,
			pg_catalog.format_type(r.rngsubtype, NULL) AS subtype,
			(SELECT ${serverQualified('ocn', 'oc.opcname')} FROM pg_catalog.pg_opclass oc JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace WHERE oc.oid = r.rngsubopc) AS subtype_opclass,
			(SELECT ${serverQualified('cn', 'co.collname')} FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
				WHERE co.oid = r.rngcollation AND r.rngcollation <> (SELECT st.typcollation FROM pg_catalog.pg_type st WHERE st.oid = r.rngsubtype)) AS range_collation,
			CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::pg_catalog.regproc::text END AS canonical,
			CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::pg_catalog.regproc::text END AS subtype_diff,
			r.rngmultitypid AS multirange_oid,
			(SELECT ${serverQualified('mn', 'mt.typname')} FROM pg_catalog.pg_type mt JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace WHERE mt.oid = r.rngmultitypid) AS multirange_name,
			(SELECT mt.typarray FROM pg_catalog.pg_type mt WHERE mt.oid = r.rngmultitypid) AS multirange_array,
			CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS base_type,
			(SELECT ${serverQualified('cn', 'co.collname')} FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
				WHERE t.typtype = 'd' AND co.oid = t.typcollation AND t.typcollation <> (SELECT bt.typcollation FROM pg_catalog.pg_type bt WHERE bt.oid = t.typbasetype)) AS domain_collation,
			t.typnotnull, t.typdefault
		FROM pg_catalog.pg_type t
			JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
			LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
		WHERE ${userSchema('n')} AND ${notInExtension('pg_type', 't.oid')}
			AND (t.typtype IN ('e', 'r', 'd')
				OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c'))
		ORDER BY n.nspname, t.typname`,
	);
	const composites = rows.filter((row) => row.typtype === 'c').map((row) => row.typrelid);
	const attributes = await client.query<AttributeRow>(
		`SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
			(SELECT ${serverQualified('cn', 'co.collname')} FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
				WHERE co.oid = a.attcollation AND a.attcollation <> (SELECT at.typcollation FROM pg_catalog.pg_type at WHERE at.oid = a.atttypid)) AS collation
		FROM pg_catalog.pg_attribute a
		WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attrelid, a.attnum`,
		[composites],
	);
	const domains = rows.filter((row) => row.typtype === 'd').map((row) => row.oid);
	const constraints = await client.query<DomainConstraintRow>(
		`SELECT co.oid, co.contypid, co.conname, pg_catalog.pg_get_constraintdef(co.oid) AS definition, co.convalidated
		FROM pg_catalog.pg_constraint co
		WHERE co.contypid = ANY($1::oid[]) AND co.contype = 'c'
		ORDER BY co.contypid, co.conname`,
		[domains],
	);

	for (const row of rows) {
		const kind = row.typtype === 'd' ? 'domain' : 'type';
		const id = entryId(kind, row.nspname, row.typname);
		const name = qualifiedName(row.nspname, row.typname);
		let sql: string;
		if (row.typtype === 'e') {
			sql = `CREATE TYPE ${name} AS ENUM (${(row.labels ?? []).map(quoteLiteral).join(', ')});\n`;
		} else if (row.typtype === 'c') {
			const fields = attributes.rows
				.filter((attribute) => attribute.attrelid === row.typrelid)
				.map((attribute) => `\t${quoteIdent(attribute.attname)} ${attribute.type}${attribute.collation ? ` COLLATE ${attribute.collation}` : ''}`);
			sql = `CREATE TYPE ${name} AS (\n${fields.join(',\n')}\n);\n`;
		} else if (row.typtype === 'r') {
			const options = [`subtype = ${row.subtype}`];
			if (row.multirange_name) options.push(`multirange_type_name = ${row.multirange_name}`);
			if (row.subtype_opclass) options.push(`subtype_opclass = ${row.subtype_opclass}`);
			if (row.range_collation) options.push(`collation = ${row.range_collation}`);
			if (row.canonical) options.push(`canonical = ${row.canonical}`);
			if (row.subtype_diff) options.push(`subtype_diff = ${row.subtype_diff}`);
			sql = `CREATE TYPE ${name} AS RANGE (\n\t${options.join(',\n\t')}\n);\n`;
		} else {
			const parts = [`CREATE DOMAIN ${name} AS ${row.base_type}`];
			if (row.domain_collation) parts.push(`COLLATE ${row.domain_collation}`);
			if (row.typdefault !== null) parts.push(`DEFAULT ${row.typdefault}`);
			if (row.typnotnull) parts.push('NOT NULL');
			for (const constraint of constraints.rows) {
				if (constraint.contypid !== row.oid) continue;
				const constraintId = entryId('constraint', row.nspname, row.typname, constraint.conname);
				if (constraint.convalidated) {
					parts.push(`CONSTRAINT ${quoteIdent(constraint.conname)} ${constraint.definition}`);
				} else {
					toc.add({
						id: constraintId,
						kind: 'constraint',
						section: 'post-data',
						schema: row.nspname,
						name: constraint.conname,
						sql: `ALTER DOMAIN ${name} ADD CONSTRAINT ${quoteIdent(constraint.conname)} ${constraint.definition};\n`,
						dependsOn: [id],
					});
				}
				toc.describe('pg_constraint', constraint.oid, {
					id: constraintId,
					entryId: constraint.convalidated ? id : constraintId,
					section: constraint.convalidated ? 'pre-data' : 'post-data',
					kind: 'constraint',
					schema: row.nspname,
					name: constraint.conname,
					sqlName: `CONSTRAINT ${quoteIdent(constraint.conname)} ON DOMAIN ${name}`,
				});
			}
			sql = `${parts.join('\n\t')};\n`;
		}
		toc.add({id, kind, section: 'pre-data', schema: row.nspname, name: row.typname, sql, owner: row.owner});
		const keyword = row.typtype === 'd' ? 'DOMAIN' : 'TYPE';
		toc.describe('pg_type', row.oid, {
			id,
			entryId: id,
			section: 'pre-data',
			kind,
			schema: row.nspname,
			name: row.typname,
			sqlName: `${keyword} ${name}`,
			grantName: `${keyword} ${name}`,
			qualified: name,
			owner: row.owner,
		});
		if (row.typarray) toc.locate('pg_type', row.typarray, id);
		if (row.typrelid) {
			// a composite type's relation: its columns' comments name it
			toc.describe('pg_class', row.typrelid, {
				id,
				entryId: id,
				section: 'pre-data',
				kind,
				schema: row.nspname,
				name: row.typname,
				sqlName: `TYPE ${name}`,
				qualified: name,
			});
		}
		if (row.multirange_oid) toc.locate('pg_type', row.multirange_oid, id);
		if (row.multirange_array) toc.locate('pg_type', row.multirange_array, id);
	}
}
