import type pg from 'pg';
import {quoteIdent, quoteLiteral} from '../identifiers.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

interface PublicationRow {
	oid: number;
	pubname: string;
	owner: string;
	puballtables: boolean;
	pubinsert: boolean;
	pubupdate: boolean;
	pubdelete: boolean;
	pubtruncate: boolean;
	pubviaroot: boolean;
}

interface PublicationTableRow {
	oid: number;
	prpubid: number;
	prrelid: number;
	where_clause: string | null;
	columns: string[] | null;
}

interface PublicationSchemaRow {
	oid: number;
	pnpubid: number;
	pnnspid: number;
	nspname: string;
}

/** Publications, and their tables (with column lists and row filters) and schemas as `publication-table` entries. */
export async function readPublications(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<PublicationRow>(
		`SELECT p.oid, p.pubname, pg_catalog.pg_get_userbyid(p.pubowner) AS owner, p.puballtables,
			p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, p.pubviaroot
		FROM pg_catalog.pg_publication p ORDER BY p.pubname`,
	);
	const pubIds = new Map<number, {id: string; name: string}>();
	for (const row of rows) {
		const id = entryId('publication', row.pubname);
		const name = quoteIdent(row.pubname);
		const actions = (['insert', 'update', 'delete', 'truncate'] as const).filter((action) => row[`pub${action}`]);
		const options = `WITH (publish = ${quoteLiteral(actions.join(', '))}, publish_via_partition_root = ${row.pubviaroot})`;
		toc.addDescribed(
			'pg_publication',
			row.oid,
			{id, kind: 'publication', section: 'post-data', name: row.pubname, sql: `CREATE PUBLICATION ${name}${row.puballtables ? ' FOR ALL TABLES' : ''} ${options};\n`, owner: row.owner},
			{sqlName: `PUBLICATION ${name}`},
		);
		pubIds.set(row.oid, {id, name});
	}
	const tables = await client.query<PublicationTableRow>(
		`SELECT pr.oid, pr.prpubid, pr.prrelid, pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) AS where_clause,
			CASE WHEN pr.prattrs IS NOT NULL THEN ARRAY(
				SELECT a.attname::text FROM pg_catalog.unnest(pr.prattrs) AS k(attnum)
					JOIN pg_catalog.pg_attribute a ON a.attrelid = pr.prrelid AND a.attnum = k.attnum ORDER BY k.attnum) END AS columns
		FROM pg_catalog.pg_publication_rel pr ORDER BY pr.prpubid, pr.prrelid`,
	);
	for (const row of tables.rows) {
		const publication = pubIds.get(row.prpubid);
		const table = toc.objectAt('pg_class', row.prrelid);
		if (!publication || !table?.entryId || !table.qualified || !table.schema) continue;
		let member = `ONLY ${table.qualified}`;
		if (row.columns) member += ` (${row.columns.map(quoteIdent).join(', ')})`;
		if (row.where_clause !== null) member += ` WHERE (${row.where_clause})`;
		const id = `publication-table:${publication.id.slice('publication:'.length)}.${table.entryId}`;
		toc.add({
			id,
			kind: 'publication-table',
			section: 'post-data',
			schema: table.schema,
			name: table.name,
			table: {schema: table.schema, name: table.name},
			sql: `ALTER PUBLICATION ${publication.name} ADD TABLE ${member};\n`,
			dependsOn: [publication.id, table.entryId],
		});
		toc.locate('pg_publication_rel', row.oid, id);
	}
	const schemas = await client.query<PublicationSchemaRow>(
		`SELECT pn.oid, pn.pnpubid, pn.pnnspid, n.nspname
		FROM pg_catalog.pg_publication_namespace pn JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid
		ORDER BY pn.pnpubid, n.nspname`,
	);
	for (const row of schemas.rows) {
		const publication = pubIds.get(row.pnpubid);
		if (!publication) continue;
		const schemaEntry = toc.objectAt('pg_namespace', row.pnnspid)?.entryId;
		const id = `publication-table:${publication.id.slice('publication:'.length)}.${entryId('schema', row.nspname)}`;
		toc.add({
			id,
			kind: 'publication-table',
			section: 'post-data',
			schema: row.nspname,
			name: row.nspname,
			sql: `ALTER PUBLICATION ${publication.name} ADD TABLES IN SCHEMA ${quoteIdent(row.nspname)};\n`,
			dependsOn: schemaEntry ? [publication.id, schemaEntry] : [publication.id],
		});
		toc.locate('pg_publication_namespace', row.oid, id);
	}
}
