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
		hint: 'Restore into another database with --target-db NAME, or replace what is there with --drop-existing.',
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
