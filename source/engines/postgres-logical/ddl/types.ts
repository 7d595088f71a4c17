/**
 * The engine's table of contents: every definition of one database as SQL, in an order that applies,
 * with the dependencies a parallel restore needs. Read from the catalogs inside the dump's snapshot;
 * stored in the archive as `schema/<db>.toc.json`; written out as the plain script of `--format sql`.
 */

/** pg_dump's sections: pre-data runs before the rows are loaded, post-data after. */
export type DdlSection = 'pre-data' | 'data' | 'post-data';

export type DdlKind =
	| 'schema'
	| 'extension'
	| 'collation'
	| 'type'
	| 'domain'
	| 'function'
	| 'procedure'
	| 'aggregate'
	| 'operator'
	| 'sequence'
	| 'sequence-owned-by'
	| 'sequence-set'
	| 'table'
	| 'table-attach'
	/** `ALTER INDEX parent ATTACH PARTITION child`: a partition's index joins its partitioned table's index */
	| 'index-attach'
	| 'default'
	| 'view'
	| 'materialized-view'
	| 'materialized-view-refresh'
	| 'index'
	| 'constraint'
	| 'foreign-key'
	| 'trigger'
	| 'rule'
	| 'policy'
	| 'row-security'
	| 'statistics'
	| 'event-trigger'
	| 'publication'
	/** a table or a schema added to a publication */
	| 'publication-table'
	| 'comment'
	| 'acl'
	| 'owner'
	| 'large-object';

export interface DdlEntry {
	/** unique within the database; other entries name it in dependsOn (e.g. `table:public.orders`, `index:public.orders_pkey`) */
	id: string;
	kind: DdlKind;
	section: DdlSection;
	/** the object's schema (absent for schemas, extensions' own entry, event triggers, publications, large objects) */
	schema?: string;
	name: string;
	/** entries that belong to one table (its indexes, constraints, triggers, policies, comments, grants): `schema.table` unquoted */
	table?: {schema: string; name: string};
	/** one or more complete statements, each ending with `;` and a newline */
	sql: string;
	/** ids of entries that must be applied first; only ids present in the same toc */
	dependsOn: string[];
	/** the role that owns the object (for --no-owner the statements that set it are separate `owner` entries) */
	owner?: string;
}

/** A table (or partition, or materialized view's nothing: those are refreshed, not copied) whose rows are copied. */
export interface DataTable {
	schema: string;
	name: string;
	/** quoted column names for COPY, in attnum order; generated and dropped columns left out */
	columns: string[];
	/** the toc entry that creates it */
	entryId: string;
	/** pg_class.relpages and reltuples at dump time: size estimate for chunking and largest-first ordering */
	pages: number;
	estimatedRows: number;
	/** true for partitioned parents and tables with no storage: nothing to copy */
	noStorage?: boolean;
}

export interface DatabaseToc {
	/** the source database, to create its copy on restore */
	database: {
		name: string;
		owner: string;
		/** what follows `CREATE DATABASE name`: `WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8'` */
		createOptions: string;
		/** database-level COMMENT / ALTER DATABASE … SET / grants, with `{{database}}` where the (quoted) target name goes */
		postCreateSql: string[];
	};
	/** in an order that applies: pre-data, then data-section entries (sequence values), then post-data */
	entries: DdlEntry[];
	tables: DataTable[];
	/**
	 * Objects of the source that the toc does not recreate (kinds the engine does not dump yet, e.g.
	 * `2 foreign tables`), in words for a warning; absent or empty when the toc is complete.
	 */
	unsupported?: string[];
}
