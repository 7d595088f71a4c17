/**
 * SQL fragments that keep the catalogs' user objects: no system schemas, no temporary schemas, no
 * object that belongs to an extension (the extension's own CREATE EXTENSION brings those back).
 */

/** `alias` is a pg_namespace alias. */
export function userSchema(alias: string): string {
	return (
		`${alias}.nspname NOT IN ('pg_catalog', 'information_schema')` +
		` AND ${alias}.nspname !~ '^pg_toast' AND ${alias}.nspname !~ '^pg_temp_'`
	);
}

/** `oid` is the object's oid column; `catalog` its catalog (pg_class, pg_proc...). */
export function notInExtension(catalog: string, oid: string): string {
	return (
		`NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend ext_dep WHERE ext_dep.classid = '${catalog}'::pg_catalog.regclass` +
		` AND ext_dep.objid = ${oid} AND ext_dep.deptype = 'e')`
	);
}

/** A qualified, quoted name computed by the server from a namespace alias and a name column. */
export function serverQualified(namespaceAlias: string, nameColumn: string): string {
	return `pg_catalog.quote_ident(${namespaceAlias}.nspname) || '.' || pg_catalog.quote_ident(${nameColumn})`;
}
