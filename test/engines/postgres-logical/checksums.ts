/** Row-level comparison of PostgreSQL databases for round-trip tests. */
import type pg from 'pg';
import {postgresSuperuserClient} from '../../harness/db.ts';

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
		sums[name] = (await client.query<{sum: string}>(sql)).rows[0].sum;
	}
	const {rows: objects} = await client.query<{oid: string; sum: string}>(
		'SELECT oid::text AS oid, md5(pg_catalog.lo_get(oid)) AS sum FROM pg_catalog.pg_largeobject_metadata ORDER BY oid',
	);
	for (const object of objects) sums[`large object ${object.oid}`] = object.sum;
	return sums;
}

/** contentChecksums of a database of the test server, read as the superuser. */
export async function databaseChecksums(database: string): Promise<Record<string, string>> {
	const client = await postgresSuperuserClient(database);
	try {
		return await contentChecksums(client);
	} finally {
		await client.end();
	}
}
