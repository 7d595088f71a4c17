import type pg from 'pg';
import {qualifiedName, quoteIdent} from '../identifiers.ts';
import {notInExtension, userSchema} from './catalog-filters.ts';
import {formatOptions} from './tables.ts';
import {entryId, type TocBuilder} from './toc-builder.ts';

interface ViewRow {
	oid: number;
	nspname: string;
	relname: string;
	relkind: 'v' | 'm';
	reltype: number;
	rowtype_array: number | null;
	reloptions: string[] | null;
	definition: string;
	owner: string;
	relispopulated: boolean;
	amname: string | null;
	return_rule: number | null;
}

/**
 * Views and materialized views. A materialized view is created WITH NO DATA in pre-data; when the
 * source's is populated, a post-data `materialized-view-refresh` entry fills it after the data (its
 * dependencies are completed by the ordering, see order.ts).
 */
export async function readViews(client: pg.Client, toc: TocBuilder): Promise<void> {
	const {rows} = await client.query<ViewRow>(
		`SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltype,
			(SELECT t.typarray FROM pg_catalog.pg_type t WHERE t.oid = c.reltype) AS rowtype_array,
			c.reloptions, pg_catalog.pg_get_viewdef(c.oid) AS definition,
			pg_catalog.pg_get_userbyid(c.relowner) AS owner, c.relispopulated, am.amname,
			(SELECT r.oid FROM pg_catalog.pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename = '_RETURN') AS return_rule
		FROM pg_catalog.pg_class c
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
		WHERE c.relkind IN ('v', 'm') AND ${userSchema('n')} AND ${notInExtension('pg_class', 'c.oid')}
		ORDER BY n.nspname, c.relname`,
	);
	for (const view of rows) {
		const materialized = view.relkind === 'm';
		const kind = materialized ? 'materialized-view' : 'view';
		const keyword = materialized ? 'MATERIALIZED VIEW' : 'VIEW';
		const id = entryId(kind, view.nspname, view.relname);
		const name = qualifiedName(view.nspname, view.relname);
		const query = view.definition.trim().replace(/;$/, '');
		const options = formatOptions(view.reloptions);
		const withOptions = options.length > 0 ? ` WITH (${options.join(', ')})` : '';
		const sql = materialized
			? `CREATE MATERIALIZED VIEW ${name}${view.amname && view.amname !== 'heap' ? ` USING ${quoteIdent(view.amname)}` : ''}${withOptions} AS\n${query}\nWITH NO DATA;\n`
			: `CREATE VIEW ${name}${withOptions} AS\n${query};\n`;
		toc.add({id, kind, section: 'pre-data', schema: view.nspname, name: view.relname, sql, owner: view.owner});
		toc.describe('pg_class', view.oid, {
			id,
			entryId: id,
			section: 'pre-data',
			kind,
			schema: view.nspname,
			name: view.relname,
			sqlName: `${keyword} ${name}`,
			grantName: `TABLE ${name}`,
			qualified: name,
			owner: view.owner,
			relkind: view.relkind,
		});
		toc.locate('pg_type', view.reltype, id);
		if (view.rowtype_array) toc.locate('pg_type', view.rowtype_array, id);
		if (view.return_rule) toc.locate('pg_rewrite', view.return_rule, id);
		if (materialized && view.relispopulated) {
			toc.add({
				id: entryId('materialized-view-refresh', view.nspname, view.relname),
				kind: 'materialized-view-refresh',
				section: 'post-data',
				schema: view.nspname,
				name: view.relname,
				sql: `REFRESH MATERIALIZED VIEW ${name};\n`,
				dependsOn: [id],
			});
		}
	}
}
