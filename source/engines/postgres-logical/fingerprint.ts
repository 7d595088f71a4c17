import type pg from 'pg';

/*
 * A database's definitions and contents as comparable strings, for the demo's proof that a restored
 * copy equals its original (and for the tests' round trips). Names are schema-qualified and never
 * include the database's own name, so a copy under another name compares equal.
 */

/**
 * Every table's and materialized view's row count and an md5 of its rows in a stable order, every
 * sequence's position and every large object's bytes: equal for databases with equal contents.
 */
export async function contentChecksums(client: pg.Client): Promise<Record<string, string>> {
	const {rows: relations} = await client.query<{name: string; kind: string; populated: boolean}>(
		`SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind, c.relispopulated AS populated
		 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		 WHERE c.relkind IN ('r', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
		 ORDER BY 1`,
	);
	const sums: Record<string, string> = {};
	for (const {name, kind, populated} of relations) {
		if (!populated) {
			sums[name] = 'not populated';
			continue;
		}
		const sql =
			kind === 'S'
				? `SELECT last_value::text || ':' || is_called::text AS sum FROM ${name}`
				: `SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS sum FROM ONLY ${name} t`;
		sums[name] = (await client.query<{sum: string}>(sql)).rows[0]!.sum;
	}
	const {rows: objects} = await client.query<{oid: string; sum: string}>(
		'SELECT oid::text AS oid, md5(pg_catalog.lo_get(oid)) AS sum FROM pg_catalog.pg_largeobject_metadata ORDER BY oid',
	);
	for (const object of objects) sums[`large object ${object.oid}`] = object.sum;
	return sums;
}

const USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

/** Columns (type, nullability, default), constraints, indexes, views and functions, each by its qualified name. */
export async function definitionFingerprint(client: pg.Client): Promise<Record<string, string>> {
	const queries = [
		`SELECT format('column %I.%I.%I', n.nspname, c.relname, a.attname) AS key,
		        format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') AS value
		 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm') AND ${USER_SCHEMAS}`,
		`SELECT format('constraint %I.%I.%I', n.nspname, c.relname, k.conname) AS key, pg_get_constraintdef(k.oid) AS value
		 FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_SCHEMAS}`,
		`SELECT format('index %I.%I', n.nspname, i.relname) AS key, pg_get_indexdef(i.oid) AS value
		 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace WHERE ${USER_SCHEMAS}`,
		`SELECT format('view %I.%I', n.nspname, c.relname) AS key, pg_get_viewdef(c.oid) AS value
		 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND ${USER_SCHEMAS}`,
		`SELECT format('function %I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) AS key, pg_get_functiondef(p.oid) AS value
		 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.prokind IN ('f', 'p') AND ${USER_SCHEMAS}
		   AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.objid = p.oid AND dep.deptype = 'e')`,
	];
	const fingerprint: Record<string, string> = {};
	for (const sql of queries) {
		for (const {key, value} of (await client.query<{key: string; value: string}>(sql)).rows) fingerprint[key] = value;
	}
	return fingerprint;
}

/** What differs between two databases' definitions and contents, one line per object. */
export async function postgresDifferences(original: pg.Client, copy: pg.Client): Promise<string[]> {
	const differences: string[] = [];
	for (const read of [definitionFingerprint, contentChecksums]) {
		const [left, right] = [await read(original), await read(copy)];
		for (const key of [...new Set([...Object.keys(left), ...Object.keys(right)])].sort()) {
			if (!(key in right)) differences.push(`${key}: missing in the copy`);
			else if (!(key in left)) differences.push(`${key}: only in the copy`);
			else if (left[key] !== right[key]) differences.push(`${key}: ${read === contentChecksums ? 'rows differ' : `${left[key]} ≠ ${right[key]}`}`);
		}
	}
	return differences;
}
