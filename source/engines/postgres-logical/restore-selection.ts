import {UsageError} from '../../core/errors.ts';
import type {Manifest, ManifestDatabase} from '../../storage/archive/manifest.ts';
import type {DataTable, DatabaseToc, DdlEntry, DdlKind} from './ddl/types.ts';

export interface DatabaseSelectionOptions {
	/** the archive's databases to restore (--database); absent: every one */
	databases?: string[];
	targetDb?: string;
	tables?: string[];
}

/** One database of the archive and the database it is restored into. */
export interface SelectedDatabase {
	source: ManifestDatabase;
	target: string;
}

function listed(names: string[]): string {
	const shown = names.slice(0, 8).join(', ');
	return names.length > 8 ? `${shown} and ${names.length - 8} more` : shown;
}

/**
 * The databases an archive restore creates: every one under its own name, or those --database names;
 * --target-db renames the one database restored, and with several it is refused, saying both ways on.
 */
export function selectDatabases(manifest: Manifest, options: DatabaseSelectionOptions): SelectedDatabase[] {
	const all = manifest.databases.map((database) => database.name);
	const unknown = (options.databases ?? []).filter((name) => !all.includes(name));
	if (unknown.length > 0) {
		throw new UsageError({
			code: 'DATABASE_NOT_IN_ARCHIVE',
			message: `--database ${unknown.join(', ')}: not in the backup (it has ${listed(all) || 'no databases'})`,
			hint: 'Name one of the databases the backup holds.',
		});
	}
	const chosen = options.databases ? manifest.databases.filter((database) => options.databases!.includes(database.name)) : manifest.databases;
	const several = chosen.length > 1 ? `the backup holds ${chosen.length} databases: ${listed(chosen.map((database) => database.name))}` : undefined;
	if (options.targetDb !== undefined) {
		if (several) {
			throw new UsageError({
				code: 'TARGET_DB_NEEDS_ONE_DATABASE',
				message: `--target-db ${options.targetDb} takes one database, but ${several}`,
				hint: `Restore every database under its own name: run the restore without --target-db; or one of them under a new name: --database ${chosen[0]!.name} --target-db ${options.targetDb}.`,
			});
		}
		return chosen.map((source) => ({source, target: options.targetDb!}));
	}
	if (several && (options.tables?.length ?? 0) > 0) {
		throw new UsageError({
			code: 'SEVERAL_DATABASES',
			message: `--tables names tables of one database, but ${several}`,
			hint: `Name the database with --database (e.g. --database ${chosen[0]!.name}).`,
		});
	}
	return chosen.map((source) => ({source, target: source.name}));
}

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
