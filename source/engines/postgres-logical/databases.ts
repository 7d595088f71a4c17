import {connectPostgres} from '../../core/connect.ts';
import type {ConnectionSettings} from '../../core/connection-settings.ts';
import type {DatabaseSummary} from '../types.ts';

/** The connectable, non-template databases of a PostgreSQL server with their size and table count, largest first. */
export async function listPostgresDatabases(target: ConnectionSettings): Promise<DatabaseSummary[]> {
	const control = await connectPostgres({...target, database: target.database ?? 'postgres'});
	let databases: Array<{name: string; bytes: number}>;
	try {
		const {rows} = await control.query<{name: string; bytes: string}>(
			'SELECT datname AS name, pg_catalog.pg_database_size(oid) AS bytes FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 2 DESC, 1',
		);
		databases = rows.map((row) => ({name: row.name, bytes: Number(row.bytes)}));
	} finally {
		await control.end().catch(() => undefined);
	}
	const summaries: DatabaseSummary[] = [];
	for (const database of databases) {
		const client = await connectPostgres({...target, database: database.name});
		try {
			const {rows} = await client.query<{tables: number}>(
				"SELECT count(*)::int AS tables FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
			);
			summaries.push({...database, tables: rows[0].tables});
		} finally {
			await client.end().catch(() => undefined);
		}
	}
	return summaries;
}
