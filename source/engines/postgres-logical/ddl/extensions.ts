import type pg from 'pg';
import {quoteIdent} from '../identifiers.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

interface ExtensionRow {
	oid: number;
	extname: string;
	nspname: string;
}

interface MemberRow {
	catalog: string;
	objid: number;
	extoid: number;
}

/** Objects with an oid below this were created by initdb (plpgsql is one): every new database has them. */
const FIRST_NORMAL_OBJECT_ID = 16384;

/**
 * Extensions, created without a version (the target server's default, as pg_dump does). Their member
 * objects are not dumped; a dependency on a member resolves to the extension.
 */
export async function readExtensions(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<ExtensionRow>(
		`SELECT e.oid, e.extname, n.nspname
		FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
		WHERE e.oid >= ${FIRST_NORMAL_OBJECT_ID}
		ORDER BY e.extname`,
	);
	for (const row of rows) {
		const id = entryId('extension', row.extname);
		toc.add({
			id,
			kind: 'extension',
			section: 'pre-data',
			name: row.extname,
			sql: `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(row.extname)} WITH SCHEMA ${quoteIdent(row.nspname)};\n`,
		});
		toc.describe('pg_extension', row.oid, {
			id,
			entryId: id,
			section: 'pre-data',
			kind: 'extension',
			name: row.extname,
			sqlName: `EXTENSION ${quoteIdent(row.extname)}`,
		});
	}
	const members = await client.query<MemberRow>(
		`SELECT d.classid::pg_catalog.regclass::text AS catalog, d.objid, d.refobjid AS extoid
		FROM pg_catalog.pg_depend d
		WHERE d.deptype = 'e' AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
			AND d.refobjid >= ${FIRST_NORMAL_OBJECT_ID}`,
	);
	const extensionIds = new Map(rows.map((row) => [row.oid, entryId('extension', row.extname)]));
	const memberTypes: number[] = [];
	for (const member of members.rows) {
		const id = extensionIds.get(member.extoid);
		if (id === undefined) continue;
		toc.locateIfAbsent(member.catalog, member.objid, id);
		if (member.catalog === 'pg_type') memberTypes.push(member.objid);
	}
	// array types and rowtypes of member types and tables are not members themselves
	const derived = await client.query<{oid: number; owner_oid: number}>(
		`SELECT t.typarray AS oid, t.oid AS owner_oid FROM pg_catalog.pg_type t WHERE t.oid = ANY($1::oid[]) AND t.typarray <> 0`,
		[memberTypes],
	);
	for (const row of derived.rows) {
		const id = toc.entryAt('pg_type', row.owner_oid);
		if (id !== undefined) toc.locateIfAbsent('pg_type', row.oid, id);
	}
}
