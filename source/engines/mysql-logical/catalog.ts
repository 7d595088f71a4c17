import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {UsageError, WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {qualifiedName, quoteIdentifier} from './identifiers.ts';
import {readSequences, type SequenceInfo} from './sequences.ts';

export const SYSTEM_DATABASES = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

export interface ColumnInfo {
	name: string;
	/** information_schema DATA_TYPE, lower case: int, decimal, float, varchar, point... */
	dataType: string;
	/** full COLUMN_TYPE: "int(10) unsigned", "enum('a','b')" */
	columnType: string;
	/** null for non-string types; "binary" for BINARY/VARBINARY/BLOB */
	charset: string | null;
	/** VIRTUAL or STORED generated: computed by the server, never inserted */
	generated: boolean;
	invisible: boolean;
	nullable: boolean;
}

/** A PRIMARY KEY or a UNIQUE index over NOT NULL columns: rows can be ordered and split by it. */
export interface TableKey {
	name: string;
	columns: ColumnInfo[];
}

export interface TableInfo {
	database: string;
	name: string;
	engine: string;
	/** information_schema estimate, for ordering the work and sizing chunks */
	estimatedRows: number;
	dataLength: number;
	createStatement: string;
	columns: ColumnInfo[];
	key?: TableKey;
}

/** The session state an object was created under: replayed before re-creating it. */
export interface CreationContext {
	sqlMode: string;
	characterSetClient: string;
	collationConnection: string;
	/** events only */
	timeZone?: string;
}

export interface StoredObject {
	database: string;
	name: string;
	kind: 'VIEW' | 'PROCEDURE' | 'FUNCTION' | 'TRIGGER' | 'EVENT';
	/** triggers: the table they fire on */
	table?: string;
	createStatement: string;
	context: CreationContext;
}

export interface DatabaseCatalog {
	name: string;
	createStatement: string;
	tables: TableInfo[];
	sequences: SequenceInfo[];
	routines: StoredObject[];
	triggers: StoredObject[];
	events: StoredObject[];
}

export interface Catalog {
	databases: DatabaseCatalog[];
	/** every view of every database, each after the views it reads from */
	views: StoredObject[];
}

type Row = RowDataPacket & Record<string, unknown>;

async function rows(connection: MysqlConnection, sql: string, values: unknown[] = []): Promise<Row[]> {
	const [result] = await connection.query<Row[]>(sql, values);
	return result;
}

function text(value: unknown): string {
	if (value === null || value === undefined) return '';
	return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** The databases to dump: the ones asked for (each must exist) or every non-system database. */
export async function resolveDatabases(connection: MysqlConnection, wanted: string[]): Promise<string[]> {
	const existing = (await rows(connection, 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME')).map(
		(row) => text(row.name),
	);
	if (wanted.length === 0) return existing.filter((name) => !SYSTEM_DATABASES.has(name.toLowerCase()));
	const missing = wanted.filter((name) => !existing.includes(name));
	if (missing.length > 0) {
		throw new UsageError({
			code: 'UNKNOWN_DATABASE',
			message: `no such database: ${missing.join(', ')}`,
			hint: 'Check the database names; `dbbackup detect` lists the databases the user can see.',
		});
	}
	return [...new Set(wanted)];
}

async function readColumns(connection: MysqlConnection, database: string): Promise<Map<string, ColumnInfo[]>> {
	const result = await rows(
		connection,
		`SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType,
			CHARACTER_SET_NAME AS charset, EXTRA AS extra, IS_NULLABLE AS nullable
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
		[database],
	);
	const byTable = new Map<string, ColumnInfo[]>();
	for (const row of result) {
		const extra = text(row.extra).toUpperCase();
		const column: ColumnInfo = {
			name: text(row.name),
			dataType: text(row.dataType).toLowerCase(),
			columnType: text(row.columnType).toLowerCase(),
			charset: row.charset === null ? null : text(row.charset).toLowerCase(),
			generated: /\b(VIRTUAL|STORED|PERSISTENT) GENERATED\b/.test(extra),
			invisible: /\bINVISIBLE\b/.test(extra),
			nullable: text(row.nullable) === 'YES',
		};
		const table = text(row.tableName);
		byTable.set(table, [...(byTable.get(table) ?? []), column]);
	}
	return byTable;
}

async function readKeys(
	connection: MysqlConnection,
	database: string,
	columns: Map<string, ColumnInfo[]>,
): Promise<Map<string, TableKey>> {
	const result = await rows(
		connection,
		`SELECT TABLE_NAME AS tableName, INDEX_NAME AS indexName, COLUMN_NAME AS columnName, SUB_PART AS subPart
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND NON_UNIQUE = 0
		ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
		[database],
	);
	const candidates = new Map<string, Map<string, {columns: string[]; prefix: boolean}>>();
	for (const row of result) {
		const table = text(row.tableName);
		const index = text(row.indexName);
		const perTable = candidates.get(table) ?? new Map();
		candidates.set(table, perTable);
		const entry = perTable.get(index) ?? {columns: [], prefix: false};
		perTable.set(index, entry);
		entry.columns.push(text(row.columnName));
		if (row.subPart !== null) entry.prefix = true;
	}
	const keys = new Map<string, TableKey>();
	for (const [table, indexes] of candidates) {
		const tableColumns = columns.get(table) ?? [];
		const usable: TableKey[] = [];
		for (const [name, entry] of indexes) {
			if (entry.prefix) continue;
			const keyColumns = entry.columns.map((column) => tableColumns.find((candidate) => candidate.name === column));
			if (keyColumns.some((column) => column === undefined || column.nullable)) continue;
			usable.push({name, columns: keyColumns as ColumnInfo[]});
		}
		// the primary key first, then the narrowest unique index
		usable.sort((a, b) => Number(b.name === 'PRIMARY') - Number(a.name === 'PRIMARY') || a.columns.length - b.columns.length);
		if (usable.length > 0) keys.set(table, usable[0]);
	}
	return keys;
}

async function showCreate(connection: MysqlConnection, statement: string, column: string): Promise<Row | undefined> {
	const [result] = await connection.query<Row[]>(statement);
	const row = result[0];
	return row && row[column] !== null && row[column] !== undefined ? row : undefined;
}

function contextOf(row: Row): CreationContext {
	return {
		sqlMode: text(row.sql_mode),
		characterSetClient: text(row.character_set_client),
		collationConnection: text(row.collation_connection),
		timeZone: row.time_zone === undefined ? undefined : text(row.time_zone),
	};
}

async function readTables(
	connection: MysqlConnection,
	database: string,
	bus: EventBus,
): Promise<{tables: TableInfo[]; viewNames: string[]}> {
	const listed = await rows(
		connection,
		`SELECT TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine, TABLE_ROWS AS estimatedRows, DATA_LENGTH AS dataLength
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
		[database],
	);
	const columns = await readColumns(connection, database);
	const keys = await readKeys(connection, database, columns);
	const tables: TableInfo[] = [];
	const viewNames: string[] = [];
	for (const row of listed) {
		const name = text(row.name);
		const type = text(row.type);
		if (type === 'VIEW') {
			viewNames.push(name);
			continue;
		}
		// sequences are read by readSequences, re-created before the tables whose defaults call them
		if (type === 'SEQUENCE') continue;
		if (type !== 'BASE TABLE') {
			bus.warn(`${database}.${name} is a ${type.toLowerCase()}, which this engine does not dump; it is left out`, {
				code: 'UNSUPPORTED_TABLE_TYPE',
			});
			continue;
		}
		const created = await showCreate(connection, `SHOW CREATE TABLE ${qualifiedName(database, name)}`, 'Create Table');
		if (!created) throw new WorkError({code: 'SHOW_CREATE_FAILED', message: `SHOW CREATE TABLE ${database}.${name} returned nothing`});
		tables.push({
			database,
			name,
			engine: text(row.engine),
			estimatedRows: Number(row.estimatedRows ?? 0),
			dataLength: Number(row.dataLength ?? 0),
			createStatement: text(created['Create Table']),
			columns: columns.get(name) ?? [],
			key: keys.get(name),
		});
	}
	return {tables, viewNames};
}

async function readObjects(
	connection: MysqlConnection,
	database: string,
	kind: StoredObject['kind'],
	names: string[],
	bus: EventBus,
): Promise<StoredObject[]> {
	const createColumn = {
		VIEW: 'Create View',
		PROCEDURE: 'Create Procedure',
		FUNCTION: 'Create Function',
		TRIGGER: 'SQL Original Statement',
		EVENT: 'Create Event',
	}[kind];
	const objects: StoredObject[] = [];
	for (const name of names) {
		const row = await showCreate(connection, `SHOW CREATE ${kind} ${qualifiedName(database, name)}`, createColumn);
		if (!row) {
			bus.warn(`${kind.toLowerCase()} ${database}.${name} cannot be read by this user and is left out`, {
				code: 'OBJECT_NOT_READABLE',
				hint: `Grant the user ${kind === 'VIEW' ? 'SHOW VIEW' : kind === 'TRIGGER' ? 'TRIGGER' : kind === 'EVENT' ? 'EVENT' : 'SELECT on mysql.proc'} to include it.`,
			});
			continue;
		}
		// views carry no sql_mode of their own; the others report theirs
		const context = contextOf(row);
		objects.push({database, name, kind, createStatement: text(row[createColumn]), context});
	}
	return objects;
}

async function names(connection: MysqlConnection, sql: string, database: string): Promise<string[]> {
	return (await rows(connection, sql, [database])).map((row) => text(row.name));
}

/**
 * Views after the views they select from. information_schema.VIEWS.VIEW_DEFINITION names every table
 * and view it reads as `db`.`name` (MariaDB 10.11 has no VIEW_TABLE_USAGE), so a view depends on
 * another when that quoted name occurs in its definition. A name inside a string literal can only add
 * an edge; a cycle (impossible for real views) falls back to the order read.
 */
export function orderViews(views: StoredObject[], definitions: Map<StoredObject, string>): StoredObject[] {
	const ordered: StoredObject[] = [];
	const state = new Map<StoredObject, 'visiting' | 'done'>();
	const visit = (view: StoredObject) => {
		if (state.get(view)) return;
		state.set(view, 'visiting');
		const definition = definitions.get(view) ?? '';
		for (const other of views) {
			if (other !== view && state.get(other) !== 'visiting' && definition.includes(qualifiedName(other.database, other.name))) {
				visit(other);
			}
		}
		state.set(view, 'done');
		ordered.push(view);
	};
	for (const view of views) visit(view);
	return ordered;
}

/** Everything needed to re-create the databases, read on a connection inside the snapshot. */
export async function readCatalog(connection: MysqlConnection, databases: string[], bus: EventBus): Promise<Catalog> {
	const result: Catalog = {databases: [], views: []};
	const definitions = new Map<StoredObject, string>();
	for (const database of databases) {
		// SHOW CREATE VIEW names objects of the current database without qualifying them: the script can
		// then be loaded into a database of another name
		await connection.query(`USE ${quoteIdentifier(database)}`);
		const created = await showCreate(connection, `SHOW CREATE DATABASE ${quoteIdentifier(database)}`, 'Create Database');
		const {tables, viewNames} = await readTables(connection, database, bus);
		const views = await readObjects(connection, database, 'VIEW', viewNames, bus);
		const viewRows = await rows(
			connection,
			'SELECT TABLE_NAME AS name, VIEW_DEFINITION AS definition FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?',
			[database],
		);
		for (const view of views) {
			definitions.set(view, text(viewRows.find((row) => text(row.name) === view.name)?.definition));
		}
		result.views.push(...views);
		const procedures = await names(
			connection,
			"SELECT ROUTINE_NAME AS name FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = 'PROCEDURE' ORDER BY ROUTINE_NAME",
			database,
		);
		const functions = await names(
			connection,
			"SELECT ROUTINE_NAME AS name FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE = 'FUNCTION' ORDER BY ROUTINE_NAME",
			database,
		);
		const triggerRows = await rows(
			connection,
			'SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tableName FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER',
			[database],
		);
		const triggerTables = new Map(triggerRows.map((row) => [text(row.name), text(row.tableName)]));
		const triggers = await readObjects(connection, database, 'TRIGGER', [...triggerTables.keys()], bus);
		for (const trigger of triggers) trigger.table = triggerTables.get(trigger.name);
		const events = await names(
			connection,
			'SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME',
			database,
		);
		result.databases.push({
			name: database,
			createStatement: text(created?.['Create Database']) || `CREATE DATABASE ${quoteIdentifier(database)}`,
			tables,
			sequences: await readSequences(connection, database),
			// functions first: a procedure may call a function, and a function body is only checked when run
			routines: [
				...(await readObjects(connection, database, 'FUNCTION', functions, bus)),
				...(await readObjects(connection, database, 'PROCEDURE', procedures, bus)),
			],
			triggers,
			events: await readObjects(connection, database, 'EVENT', events, bus),
		});
	}
	result.views = orderViews(result.views, definitions);
	return result;
}
