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
	/** the archive's databases to restore (--database); absent: every one */
	databases?: string[];
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

/** The archive's databases named by --database (all of them without it); an unknown name is a usage error listing them. */
function chosenDatabases(manifest: Manifest, names: string[] | undefined): ManifestDatabase[] {
	if (names === undefined) return manifest.databases;
	const unknown = names.filter((name) => !manifest.databases.some((database) => database.name === name));
	if (unknown.length > 0) {
		throw new UsageError({
			code: 'DATABASE_NOT_IN_ARCHIVE',
			message: `--database ${unknown.join(', ')}: not in the backup (it has ${listed(manifest.databases.map((database) => database.name)) || 'no databases'})`,
			hint: 'Name one of the databases the backup holds.',
		});
	}
	return manifest.databases.filter((database) => names.includes(database.name));
}

/** --target-db with several databases to restore: which two ways there are to go on. */
function targetNeedsOneDatabase(targetDb: string, databases: SelectedDatabase[], byTables: boolean): UsageError {
	const names = databases.map((database) => database.source.name);
	return new UsageError({
		code: 'TARGET_DB_NEEDS_ONE_DATABASE',
		message: byTables
			? `--target-db ${targetDb} takes one database, but --tables names tables of ${names.length} databases: ${listed(names)}`
			: `--target-db ${targetDb} takes one database, but the backup holds ${names.length} databases: ${listed(names)}`,
		hint: byTables
			? 'Name tables of one database with --tables, or restore without --target-db.'
			: `Restore every database under its own name: run the restore without --target-db; or one of them under a new name: --database ${names[0]} --target-db ${targetDb}.`,
	});
}

function findTable(databases: ManifestDatabase[], wanted: string): {database: ManifestDatabase; table: ManifestTable} {
	const matches = databases.flatMap((database) =>
		database.tables.filter((table) => `${database.name}.${table.name}` === wanted || table.name === wanted).map((table) => ({database, table})),
	);
	const exact = matches.filter(({database, table}) => `${database.name}.${table.name}` === wanted);
	if (exact.length === 1) return exact[0];
	if (matches.length === 1) return matches[0];
	const all = databases.flatMap((database) => database.tables.map((table) => `${database.name}.${table.name}`));
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
	const chosen = chosenDatabases(manifest, request.databases);
	let databases: SelectedDatabase[];
	if (wantedTables.length === 0) {
		databases = chosen.map((source) => ({source, target: source.name, tables: source.tables, whole: true}));
	} else {
		const picked = new Map<ManifestDatabase, Set<ManifestTable>>();
		for (const wanted of wantedTables) {
			const {database, table} = findTable(chosen, wanted);
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
		if (databases.length === 0) {
			throw new UsageError({code: 'TARGET_DB_NEEDS_ONE_DATABASE', message: `--target-db ${request.targetDb}: the backup holds no database to restore into it`});
		}
		if (databases.length > 1) throw targetNeedsOneDatabase(request.targetDb, databases, wantedTables.length > 0);
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
