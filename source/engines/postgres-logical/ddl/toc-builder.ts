import {quoteIdent} from '../identifiers.ts';
import type {DdlEntry, DdlKind, DdlSection} from './types.ts';

/** A catalog row: `pg_class` and the row's oid, as pg_depend and pg_description name objects. */
export type CatalogName =
	| 'pg_namespace'
	| 'pg_extension'
	| 'pg_collation'
	| 'pg_type'
	| 'pg_proc'
	| 'pg_class'
	| 'pg_attrdef'
	| 'pg_constraint'
	| 'pg_rewrite'
	| 'pg_trigger'
	| 'pg_policy'
	| 'pg_statistic_ext'
	| 'pg_event_trigger'
	| 'pg_publication'
	| 'pg_publication_rel'
	| 'pg_publication_namespace'
	| 'pg_largeobject_metadata'
	/** comments on large objects are filed under pg_largeobject */
	| 'pg_largeobject';

/** How the SQL names one object for COMMENT ON, ALTER … OWNER TO and GRANT … ON. */
export interface DescribedObject {
	/** unique object id; its comment, owner and acl entries are `comment:<id>`, `owner:<id>`, `acl:<id>` */
	id: string;
	/** the entry that creates it (a table's for its inline CHECK constraints); absent for objects that already exist in a new database (the public schema) */
	entryId?: string;
	section: DdlSection;
	kind: DdlKind;
	schema?: string;
	name: string;
	table?: {schema: string; name: string};
	/** after COMMENT ON: `TABLE "s"."t"`, `FUNCTION "s"."f"(integer)`, `CONSTRAINT "c" ON "s"."t"` */
	sqlName: string;
	/** after ALTER (… OWNER TO), when it differs from sqlName */
	alterName?: string;
	/** after GRANT … ON, for objects with privileges: `TABLE "s"."t"`, `SEQUENCE …`, `FUNCTION …` */
	grantName?: string;
	/** relations and composite types: `"s"."t"`, the prefix of their columns' names */
	qualified?: string;
	owner?: string;
	/** relations: pg_class.relkind */
	relkind?: string;
}

/** An entry id part: plain when it is a plain lower-case identifier, quoted otherwise, so ids never collide. */
function idPart(name: string): string {
	return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : quoteIdent(name);
}

export function entryId(kind: string, ...names: string[]): string {
	return `${kind}:${names.map(idPart).join('.')}`;
}

/** An entry as the readers give it: dependsOn may be left out. */
export type NewEntry = Omit<DdlEntry, 'dependsOn'> & {dependsOn?: string[]};

export interface TocOptions {
	noOwner?: boolean;
	noPrivileges?: boolean;
}

/** Collects the toc's entries while the families are read, and resolves catalog rows to the entries that create them. */
export class TocBuilder {
	readonly entries = new Map<string, DdlEntry>();
	private readonly addresses = new Map<string, string>();
	private readonly objects = new Map<string, DescribedObject>();

	constructor(readonly options: TocOptions) {}

	add(entry: NewEntry): DdlEntry {
		if (this.entries.has(entry.id)) throw new Error(`two toc entries with the id ${entry.id}`);
		const complete: DdlEntry = {
			id: entry.id,
			kind: entry.kind,
			section: entry.section,
			...(entry.schema === undefined ? {} : {schema: entry.schema}),
			name: entry.name,
			...(entry.table === undefined ? {} : {table: entry.table}),
			sql: entry.sql,
			dependsOn: [...new Set(entry.dependsOn ?? [])],
			...(entry.owner === undefined ? {} : {owner: entry.owner}),
		};
		this.entries.set(complete.id, complete);
		return complete;
	}

	/** The catalog row `catalog`/`oid` is created by entry `id` (a table's rowtype by the table, an index by its constraint...). */
	locate(catalog: CatalogName, oid: number | string, id: string): void {
		this.addresses.set(`${catalog}:${oid}`, id);
	}

	/** Only when no entry was located there yet: extension members resolve to their extension. */
	locateIfAbsent(catalog: string, oid: number | string, id: string): void {
		const key = `${catalog}:${oid}`;
		if (!this.addresses.has(key)) this.addresses.set(key, id);
	}

	entryAt(catalog: string, oid: number | string): string | undefined {
		return this.addresses.get(`${catalog}:${oid}`);
	}

	/**
	 * Names the object for comments and grants and, unless noOwner, adds its `owner` entry. The entry
	 * that creates the object is located at the same address.
	 */
	describe(catalog: CatalogName, oid: number | string, object: DescribedObject): void {
		this.objects.set(`${catalog}:${oid}`, object);
		if (object.entryId !== undefined) this.locate(catalog, oid, object.entryId);
		if (object.owner !== undefined && !this.options.noOwner) {
			this.add({
				id: `owner:${object.id}`,
				kind: 'owner',
				section: object.section,
				schema: object.schema,
				name: object.name,
				table: object.table,
				sql: `ALTER ${object.alterName ?? object.sqlName} OWNER TO ${quoteIdent(object.owner)};\n`,
				dependsOn: object.entryId === undefined ? [] : [object.entryId],
				owner: object.owner,
			});
		}
	}

	/** Adds the entry that creates an object and describes the object under the same id, named as `naming` says. */
	addDescribed(catalog: CatalogName, oid: number | string, entry: NewEntry, naming: Pick<DescribedObject, 'sqlName' | 'alterName' | 'grantName'>): DdlEntry {
		const added = this.add(entry);
		const {id, section, kind, schema, name, table, owner} = entry;
		this.describe(catalog, oid, {id, entryId: id, section, kind, schema, name, table, owner, ...naming});
		return added;
	}

	objectAt(catalog: string, oid: number | string): DescribedObject | undefined {
		return this.objects.get(`${catalog}:${oid}`);
	}

	/** The id of the object's owner entry, when there is one: grants and comments come after it. */
	ownerEntryOf(object: DescribedObject): string | undefined {
		const id = `owner:${object.id}`;
		return this.entries.has(id) ? id : undefined;
	}

	dependOn(id: string, ...on: string[]): void {
		const entry = this.entries.get(id);
		if (!entry) return;
		for (const other of on) {
			if (other !== id && this.entries.has(other) && !entry.dependsOn.includes(other)) entry.dependsOn.push(other);
		}
	}
}
