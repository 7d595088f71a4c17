import {UsageError} from '../../core/errors.ts';
import type {Manifest, ManifestDatabase, ManifestObjectGroup, ManifestTable} from '../../storage/archive/manifest.ts';

export interface SelectedDatabase {
	source: ManifestDatabase;
	/** the database it is restored into */
	target: string;
	tables: ManifestTable[];
	/** every table of the database is restored (not a --tables subset) */
	whole: boolean;
}

export interface RestoreSelection {
	databases: SelectedDatabase[];
	/** post-data objects to apply, in manifest order */
	objects: ManifestObjectGroup[];
	/** objects left out, in words, for the log */
	skipped: string[];
}

export interface SelectionRequest {
	targetDb?: string;
	/** `db.table` or `table` (when it names one table in the archive) */
	tables?: string[];
	includeUsers?: boolean;
}

/** A whole database known only by name: the target of a plain script restored with --target-db. */
export function namedDatabase(name: string): SelectedDatabase {
	return {source: {name, tables: []}, target: name, tables: [], whole: true};
}

function listed(names: string[]): string {
	const shown = names.slice(0, 8).join(', ');
	return names.length > 8 ? `${shown} and ${names.length - 8} more` : shown;
}

function findTable(manifest: Manifest, wanted: string): {database: ManifestDatabase; table: ManifestTable} {
	const matches = manifest.databases.flatMap((database) =>
		database.tables.filter((table) => `${database.name}.${table.name}` === wanted || table.name === wanted).map((table) => ({database, table})),
	);
	const exact = matches.filter(({database, table}) => `${database.name}.${table.name}` === wanted);
	if (exact.length === 1) return exact[0];
	if (matches.length === 1) return matches[0];
	const all = manifest.databases.flatMap((database) => database.tables.map((table) => `${database.name}.${table.name}`));
	if (matches.length === 0) {
		throw new UsageError({
			code: 'TABLE_NOT_IN_ARCHIVE',
			message: `--tables: "${wanted}" is not in the backup (it has ${all.length === 0 ? 'no tables' : listed(all)})`,
			hint: 'Name tables as db.table or table; `dbbackup restore ARTIFACT --help` shows the syntax.',
		});
	}
	throw new UsageError({
		code: 'TABLE_AMBIGUOUS',
		message: `--tables: "${wanted}" matches ${matches.map(({database, table}) => `${database.name}.${table.name}`).join(' and ')}`,
		hint: 'Name the table as db.table.',
	});
}

/** What a restore applies: the databases and tables asked for, where they go, and the objects that come with them. */
export function selectForRestore(manifest: Manifest, request: SelectionRequest): RestoreSelection {
	const wantedTables = (request.tables ?? []).map((name) => name.trim()).filter((name) => name.length > 0);
	let databases: SelectedDatabase[];
	if (wantedTables.length === 0) {
		databases = manifest.databases.map((source) => ({source, target: source.name, tables: source.tables, whole: true}));
	} else {
		const picked = new Map<ManifestDatabase, Set<ManifestTable>>();
		for (const wanted of wantedTables) {
			const {database, table} = findTable(manifest, wanted);
			picked.set(database, (picked.get(database) ?? new Set()).add(table));
		}
		databases = [...picked].map(([source, tables]) => ({
			source,
			target: source.name,
			tables: source.tables.filter((table) => tables.has(table)),
			whole: false,
		}));
	}
	if (request.targetDb !== undefined) {
		if (request.targetDb.length === 0 || request.targetDb.length > 64) {
			throw new UsageError({code: 'BAD_TARGET_DB', message: `--target-db must be 1 to 64 characters, got "${request.targetDb}"`});
		}
		if (databases.length !== 1) {
			throw new UsageError({
				code: 'TARGET_DB_NEEDS_ONE_DATABASE',
				message: `--target-db renames one database, but this restore has ${databases.length === 0 ? 'none' : `${databases.length}: ${listed(databases.map((database) => database.source.name))}`}`,
				hint: 'Pick the tables of one database with --tables db.table, or restore without --target-db.',
			});
		}
		databases[0].target = request.targetDb;
	}

	const selected = new Map(databases.map((database) => [database.source.name, database]));
	const objects: ManifestObjectGroup[] = [];
	const skipped: string[] = [];
	for (const group of manifest.objects ?? []) {
		if (group.kind === 'users') {
			if (request.includeUsers) objects.push(group);
			else skipped.push('users and grants (restore them with --include-users)');
			continue;
		}
		const database = group.database === undefined ? undefined : selected.get(group.database);
		if (!database) continue;
		if (database.whole) objects.push(group);
		else if (group.kind === 'triggers' && database.tables.some((table) => table.name === group.table)) objects.push(group);
		else if (group.kind !== 'triggers') skipped.push(`${group.kind} of ${group.database} (only the chosen tables are restored)`);
	}
	return {databases, objects, skipped: [...new Set(skipped)]};
}
