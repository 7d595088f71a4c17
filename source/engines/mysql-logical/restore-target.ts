import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {UsageError} from '../../core/errors.ts';
import {describeUnfinished, unfinishedRestore, type UnfinishedRestore} from './restore-marker.ts';
import {qualifiedName, quoteIdentifier} from './identifiers.ts';
import type {SelectedDatabase} from './restore-selection.ts';

export interface TargetState {
	database: string;
	source: string;
	exists: boolean;
	/** tables, views, routines and events already in the target database */
	objects: number;
	/** with --tables: which of the chosen tables already exist */
	existingTables: string[];
	/** the whole database is restored, not a --tables subset */
	whole: boolean;
	/** restoring would replace something that exists */
	destructive: boolean;
	/** a restore into it began and did not finish */
	unfinished?: UnfinishedRestore;
}

async function count(connection: MysqlConnection, sql: string, values: unknown[]): Promise<number> {
	const [rows] = await connection.query<RowDataPacket[]>(sql, values);
	return Number(rows[0].n);
}

/** What is at each target today. */
export async function inspectTargets(connection: MysqlConnection, databases: SelectedDatabase[]): Promise<TargetState[]> {
	const states: TargetState[] = [];
	for (const database of databases) {
		const name = database.target;
		const exists = (await count(connection, 'SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])) > 0;
		let objects = 0;
		let existingTables: string[] = [];
		if (exists) {
			objects =
				(await count(connection, 'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [name])) +
				(await count(connection, 'SELECT COUNT(*) AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?', [name])) +
				(await count(connection, 'SELECT COUNT(*) AS n FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?', [name]));
			const [rows] = await connection.query<RowDataPacket[]>('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [name]);
			const present = new Set(rows.map((row) => String(row.name)));
			existingTables = database.tables.map((table) => table.name).filter((table) => present.has(table));
		}
		const unfinished = exists ? await unfinishedRestore(connection, name) : undefined;
		const destructive = database.whole ? objects > 0 : existingTables.length > 0 || unfinished !== undefined;
		states.push({database: name, source: database.source.name, whole: database.whole, exists, objects, existingTables, destructive, ...(unfinished ? {unfinished} : {})});
	}
	return states;
}

/** Refuses to restore over existing data unless the user said --drop-existing; never drops anything itself. */
export function refuseNonEmptyTargets(states: TargetState[], dropExisting: boolean): void {
	if (dropExisting) return;
	const occupied = states.filter((state) => state.destructive);
	if (occupied.length === 0) return;
	const described = occupied.map((state) =>
		state.unfinished
			? describeUnfinished(state.database, state.unfinished)
			: state.whole
				? `${state.database} exists and is not empty (${state.objects} object${state.objects === 1 ? '' : 's'})`
				: `${state.database} already has ${state.existingTables.map((table) => `\`${table}\``).join(', ')}`,
	);
	throw new UsageError({
		code: occupied.some((state) => state.unfinished) ? 'RESTORE_UNFINISHED' : 'TARGET_NOT_EMPTY',
		message: `refusing to restore over existing data: ${described.join('; ')}`,
		hint:
			states.length > 1
				? 'Replace what is there with --drop-existing, or restore one of the databases under a new name with --database DB --target-db NAME.'
				: 'Restore into another database with --target-db NAME, or replace what is there with --drop-existing.',
	});
}

/** With --drop-existing: drops the whole target database, or only the chosen tables that exist. */
export async function dropExisting(connection: MysqlConnection, states: TargetState[]): Promise<string[]> {
	const dropped: string[] = [];
	for (const state of states) {
		if (!state.destructive) continue;
		if (state.whole) {
			await connection.query(`DROP DATABASE ${quoteIdentifier(state.database)}`);
			dropped.push(`database ${state.database}`);
		} else {
			await connection.query('SET foreign_key_checks = 0');
			for (const table of state.existingTables) {
				await connection.query(`DROP TABLE ${qualifiedName(state.database, table)}`);
				dropped.push(`table ${state.database}.${table}`);
			}
		}
	}
	return dropped;
}

/**
 * --data-only loads rows into what is there: every target database and every table to load must exist
 * (refused naming the missing ones before any row is loaded), and a database a restore left unfinished is
 * refused. Returns the triggers on the tables to load, which fire for every row.
 */
export async function checkDataOnlyTargets(connection: MysqlConnection, databases: SelectedDatabase[]): Promise<string[]> {
	const missing: string[] = [];
	const triggers: string[] = [];
	for (const database of databases) {
		const name = database.target;
		if ((await count(connection, 'SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])) === 0) {
			throw new UsageError({
				code: 'TARGET_MISSING',
				message: `--data-only loads rows into existing tables, but database ${name} does not exist`,
				hint: 'Restore the definitions first (--schema-only, or a whole restore), or name an existing database with --target-db.',
			});
		}
		const unfinished = await unfinishedRestore(connection, name);
		if (unfinished) throw new UsageError({code: 'RESTORE_UNFINISHED', message: `--data-only: ${describeUnfinished(name, unfinished)}`, hint: 'Restore the definitions again with --drop-existing first.'});
		const [tables] = await connection.query<RowDataPacket[]>("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", [name]);
		const present = new Set(tables.map((row) => String(row.name)));
		const absent = database.tables.map((table) => table.name).filter((table) => !present.has(table));
		if (absent.length > 0) missing.push(`${name} has no table ${absent.map((table) => `\`${table}\``).join(', ')}`);
		const [found] = await connection.query<RowDataPacket[]>('SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tableName FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [name]);
		const loaded = new Set(database.tables.map((table) => table.name));
		for (const row of found) if (loaded.has(String(row.tableName))) triggers.push(`${name}.${String(row.name)}`);
	}
	if (missing.length > 0) {
		throw new UsageError({
			code: 'TARGET_TABLE_MISSING',
			message: `--data-only: ${missing.join('; ')}`,
			hint: 'Create the tables first (restore with --schema-only), or leave them out with --tables.',
		});
	}
	return triggers;
}
