import type pg from 'pg';
import {notInExtension, userSchema} from './catalog-filters.ts';

/** Catalog rows of user objects the toc does not recreate, each counted in words. */
const UNSUPPORTED: {what: string; query: string}[] = [
	{
		what: 'foreign tables',
		query: `SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind = 'f' AND ${userSchema('n')} AND ${notInExtension('pg_class', 'c.oid')}`,
	},
	{
		what: 'foreign data wrappers',
		query: `SELECT w.oid FROM pg_catalog.pg_foreign_data_wrapper w WHERE ${notInExtension('pg_foreign_data_wrapper', 'w.oid')}`,
	},
	{
		what: 'foreign servers',
		query: `SELECT s.oid FROM pg_catalog.pg_foreign_server s WHERE ${notInExtension('pg_foreign_server', 's.oid')}`,
	},
	{
		what: 'text search configurations, dictionaries, parsers or templates',
		query: `SELECT o.oid FROM (
				SELECT oid, cfgnamespace AS nsp, 'pg_ts_config' AS cat FROM pg_catalog.pg_ts_config
				UNION ALL SELECT oid, dictnamespace, 'pg_ts_dict' FROM pg_catalog.pg_ts_dict
				UNION ALL SELECT oid, prsnamespace, 'pg_ts_parser' FROM pg_catalog.pg_ts_parser
				UNION ALL SELECT oid, tmplnamespace, 'pg_ts_template' FROM pg_catalog.pg_ts_template) o
			JOIN pg_catalog.pg_namespace n ON n.oid = o.nsp
			WHERE ${userSchema('n')} AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
				WHERE d.classid = o.cat::pg_catalog.regclass AND d.objid = o.oid AND d.deptype = 'e')`,
	},
	{
		what: 'operators, operator classes or operator families',
		query: `SELECT o.oid FROM (
				SELECT oid, oprnamespace AS nsp, 'pg_operator' AS cat FROM pg_catalog.pg_operator
				UNION ALL SELECT oid, opcnamespace, 'pg_opclass' FROM pg_catalog.pg_opclass
				UNION ALL SELECT oid, opfnamespace, 'pg_opfamily' FROM pg_catalog.pg_opfamily) o
			JOIN pg_catalog.pg_namespace n ON n.oid = o.nsp
			WHERE ${userSchema('n')} AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
				WHERE d.classid = o.cat::pg_catalog.regclass AND d.objid = o.oid AND d.deptype = 'e')`,
	},
	{
		what: 'casts',
		// a range type's cast to its multirange is created with it (an internal dependency)
		query: `SELECT c.oid FROM pg_catalog.pg_cast c WHERE c.oid >= 16384 AND ${notInExtension('pg_cast', 'c.oid')}
			AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_cast'::pg_catalog.regclass
				AND d.objid = c.oid AND d.deptype = 'i')`,
	},
	{
		what: 'conversions',
		query: `SELECT c.oid FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
			WHERE ${userSchema('n')} AND ${notInExtension('pg_conversion', 'c.oid')}`,
	},
	{
		what: 'procedural languages outside extensions',
		query: `SELECT l.oid FROM pg_catalog.pg_language l WHERE l.oid >= 16384 AND ${notInExtension('pg_language', 'l.oid')}`,
	},
	{
		what: 'access methods outside extensions',
		query: `SELECT a.oid FROM pg_catalog.pg_am a WHERE a.oid >= 16384 AND ${notInExtension('pg_am', 'a.oid')}`,
	},
	{
		what: 'transforms',
		query: `SELECT t.oid FROM pg_catalog.pg_transform t WHERE ${notInExtension('pg_transform', 't.oid')}`,
	},
	{
		what: 'subscriptions',
		query: `SELECT s.oid FROM pg_catalog.pg_subscription s JOIN pg_catalog.pg_database d ON d.oid = s.subdbid
			WHERE d.datname = pg_catalog.current_database()`,
	},
	{
		what: 'relations in a non-default tablespace (created in the default one)',
		query: `SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.reltablespace <> 0 AND ${userSchema('n')}`,
	},
];

/** What the source has that the toc leaves out, e.g. `2 foreign tables`. */
export async function findUnsupported(client: pg.Client): Promise<string[]> {
	const found: string[] = [];
	for (const {what, query} of UNSUPPORTED) {
		const {rows} = await client.query<{count: string}>(`SELECT count(*) AS count FROM (${query}) AS objects`);
		const count = Number(rows[0].count);
		if (count > 0) found.push(`${count} ${what}`);
	}
	return found;
}
