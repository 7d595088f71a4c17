import {UsageError} from '../../core/errors.ts';
import type {DataTable, DatabaseToc, DdlEntry, DdlKind} from './ddl/types.ts';

export interface EntrySelectionOptions {
	/** `schema.table` or `table` (any schema) */
	tables?: string[];
	schemaOnly?: boolean;
	dataOnly?: boolean;
	noOwner?: boolean;
	noPrivileges?: boolean;
}

export interface EntrySelection {
	entries: DdlEntry[];
	tables: DataTable[];
	/** large objects' bytes are loaded (not with --schema-only) */
	largeObjects: boolean;
}

/** Kinds that are a relation of their own: with --tables, only the named ones are kept. */
const RELATION_KINDS: ReadonlySet<DdlKind> = new Set(['table', 'view', 'materialized-view']);
/** With --data-only, what still runs: sequence values, matview refreshes and the large objects the bytes go into. */
const DATA_ONLY_KINDS: ReadonlySet<DdlKind> = new Set(['sequence-set', 'materialized-view-refresh', 'large-object']);

function relationOf(entry: DdlEntry): string | undefined {
	if (entry.table) return `${entry.table.schema}.${entry.table.name}`;
	if (RELATION_KINDS.has(entry.kind) && entry.schema !== undefined) return `${entry.schema}.${entry.name}`;
	return undefined;
}

/** Which relations `--tables` names; an unknown name is an error listing what the archive has. */
function namedRelations(toc: DatabaseToc, names: string[], database: string): Set<string> {
	const relations = [...new Set(toc.entries.map(relationOf).filter((relation): relation is string => relation !== undefined))];
	const chosen = new Set<string>();
	const unknown: string[] = [];
	for (const name of names) {
		const matches = relations.filter((relation) => relation === name || relation.slice(relation.indexOf('.') + 1) === name);
		if (matches.length === 0) unknown.push(name);
		for (const match of matches) chosen.add(match);
	}
	if (unknown.length > 0) {
		throw new UsageError({
			code: 'UNKNOWN_TABLE',
			message: `the archive's database ${database} has no table ${unknown.map((name) => JSON.stringify(name)).join(', ')}`,
			hint: `Tables are named schema.table or table; it has ${relations.slice(0, 20).join(', ')}${relations.length > 20 ? ', …' : ''}.`,
		});
	}
	return chosen;
}

/**
 * The entries and tables a restore applies: with --tables, the named relations with everything that is
 * theirs (indexes, constraints, triggers, grants) and everything not tied to a relation (schemas, types,
 * functions), less whatever depends on a relation left out; then the section and owner/grant filters.
 */
export function selectEntries(toc: DatabaseToc, options: EntrySelectionOptions): EntrySelection {
	if (options.schemaOnly && options.dataOnly) {
		throw new UsageError({code: 'CONFLICTING_OPTIONS', message: '--schema-only and --data-only exclude each other', hint: 'Give one of them, or neither for both.'});
	}
	let entries = toc.entries;
	let tables = toc.tables;
	if (options.tables && options.tables.length > 0) {
		const chosen = namedRelations(toc, options.tables, toc.database.name);
		const excluded = new Set(entries.filter((entry) => {
			const relation = relationOf(entry);
			return relation !== undefined && !chosen.has(relation);
		}).map((entry) => entry.id));
		// entries are in an order that applies, so one pass sees every dependency's fate first
		for (const entry of entries) {
			if (!excluded.has(entry.id) && entry.dependsOn.some((id) => excluded.has(id))) excluded.add(entry.id);
		}
		entries = entries.filter((entry) => !excluded.has(entry.id));
		tables = tables.filter((table) => chosen.has(`${table.schema}.${table.name}`));
	}
	if (options.noOwner) entries = entries.filter((entry) => entry.kind !== 'owner');
	if (options.noPrivileges) entries = entries.filter((entry) => entry.kind !== 'acl');
	if (options.schemaOnly) entries = entries.filter((entry) => entry.section !== 'data' && entry.kind !== 'materialized-view-refresh');
	if (options.dataOnly) entries = entries.filter((entry) => DATA_ONLY_KINDS.has(entry.kind));
	return {entries, tables: options.schemaOnly ? [] : tables, largeObjects: !options.schemaOnly};
}
