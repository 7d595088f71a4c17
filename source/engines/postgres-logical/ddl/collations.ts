import type pg from 'pg';
import {qualifiedName, quoteLiteral} from '../identifiers.ts';
import {notInExtension, userSchema} from './catalog-filters.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

interface CollationRow {
	oid: number;
	nspname: string;
	collname: string;
	provider: string;
	deterministic: boolean;
	collate: string | null;
	ctype: string | null;
	/** PostgreSQL 15 colliculocale, 17 colllocale */
	icu_locale: string | null;
	owner: string;
}

function collationOptions(row: CollationRow): string[] {
	const options: string[] = [];
	if (row.provider === 'i') {
		options.push('provider = icu', `locale = ${quoteLiteral(row.icu_locale ?? row.collate ?? '')}`);
	} else if (row.provider === 'c') {
		options.push('provider = libc');
		if (row.collate === row.ctype) options.push(`locale = ${quoteLiteral(row.collate ?? '')}`);
		else options.push(`lc_collate = ${quoteLiteral(row.collate ?? '')}`, `lc_ctype = ${quoteLiteral(row.ctype ?? '')}`);
	} else {
		options.push(`provider = ${row.provider === 'b' ? 'builtin' : 'default'}`, `locale = ${quoteLiteral(row.icu_locale ?? '')}`);
	}
	if (!row.deterministic) options.push('deterministic = false');
	return options;
}

export async function readCollations(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<CollationRow>(
		`SELECT c.oid, n.nspname, c.collname, c.collprovider AS provider, c.collisdeterministic AS deterministic,
			c.collcollate AS collate, c.collctype AS ctype,
			COALESCE(pg_catalog.to_jsonb(c) ->> 'colliculocale', pg_catalog.to_jsonb(c) ->> 'colllocale') AS icu_locale,
			pg_catalog.pg_get_userbyid(c.collowner) AS owner
		FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
		WHERE ${userSchema('n')} AND ${notInExtension('pg_collation', 'c.oid')}
		ORDER BY n.nspname, c.collname`,
	);
	for (const row of rows) {
		const id = entryId('collation', row.nspname, row.collname);
		const name = qualifiedName(row.nspname, row.collname);
		toc.add({
			id,
			kind: 'collation',
			section: 'pre-data',
			schema: row.nspname,
			name: row.collname,
			sql: `CREATE COLLATION ${name} (${collationOptions(row).join(', ')});\n`,
			owner: row.owner,
		});
		toc.describe('pg_collation', row.oid, {
			id,
			entryId: id,
			section: 'pre-data',
			kind: 'collation',
			schema: row.nspname,
			name: row.collname,
			sqlName: `COLLATION ${name}`,
			owner: row.owner,
		});
	}
}
