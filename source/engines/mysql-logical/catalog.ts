import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {UsageError, WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {qualifiedName, quoteIdentifier} from './identifiers.ts';
import {readSequences, type SequenceInfo} from './sequences.ts';
import {runOnWorkers} from '../worker-pool.ts';
import {withoutOwnQualifier} from './own-qualifier.ts';

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

function columnsByTable(result: Row[]): Map<string, ColumnInfo[]> {
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

/** Each table's best key from its unique-index rows (information_schema.STATISTICS, NON_UNIQUE = 0). */
function keysByTable(result: Row[], columns: Map<string, ColumnInfo[]>): Map<string, TableKey> {
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

const CREATE_COLUMN: Record<StoredObject['kind'], string> = {
	VIEW: 'Create View',
	PROCEDURE: 'Create Procedure',
	FUNCTION: 'Create Function',
	TRIGGER: 'SQL Original Statement',
	EVENT: 'Create Event',
};

/** What information_schema lists for one database: one equality lookup each, which the server answers from that database alone. */
interface DatabaseListing {
	tables: Row[];
	columns: Row[];
	keys: Row[];
	views: Row[];
	routines: Row[];
	triggers: Row[];
	events: Row[];
	sequences: SequenceInfo[];
}

const LISTING_QUERIES: Record<Exclude<keyof DatabaseListing, 'sequences'>, string> = {
	tables: `SELECT TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine, TABLE_ROWS AS estimatedRows, DATA_LENGTH AS dataLength
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
	columns: `SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType,
			CHARACTER_SET_NAME AS charset, EXTRA AS extra, IS_NULLABLE AS nullable
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
	keys: `SELECT TABLE_NAME AS tableName, INDEX_NAME AS indexName, COLUMN_NAME AS columnName, SUB_PART AS subPart
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND NON_UNIQUE = 0
		ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
	views: 'SELECT TABLE_NAME AS name, VIEW_DEFINITION AS definition FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?',
	routines: `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES
		WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') ORDER BY ROUTINE_NAME`,
	triggers:
		'SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tableName FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER',
	events: 'SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME',
};

/** One SHOW CREATE, run in the database it belongs to; `row` is unset until read (and stays so when not readable). */
interface ShowCreate {
	database: string;
	statement: string;
	column: string;
	row?: Row;
}

async function readShowCreates(connections: MysqlConnection[], reads: ShowCreate[]): Promise<void> {
	// SHOW CREATE VIEW names objects of the current database without qualifying them: the script can
	// then be loaded into a database of another name. Every SHOW CREATE runs in its own database.
	const current = new Map<MysqlConnection, string>();
	await runOnWorkers(connections, reads, async (connection, read) => {
		if (current.get(connection) !== read.database) {
			await connection.query(`USE ${quoteIdentifier(read.database)}`);
			current.set(connection, read.database);
		}
		read.row = await showCreate(connection, read.statement, read.column);
	});
}

/** Phase one: what information_schema lists for each database, spread over the connections. */
async function readListings(pool: MysqlConnection[], databases: string[]): Promise<Map<string, DatabaseListing>> {
	const listings = new Map<string, DatabaseListing>(
		databases.map((database) => [database, {tables: [], columns: [], keys: [], views: [], routines: [], triggers: [], events: [], sequences: []}]),
	);
	const reads = databases.flatMap((database) => [
		...(Object.keys(LISTING_QUERIES) as Array<keyof typeof LISTING_QUERIES>).map((part) => ({database, part})),
		{database, part: 'sequences' as const},
	]);
	await runOnWorkers(pool, reads, async (connection, {database, part}) => {
		const listing = listings.get(database)!;
		if (part === 'sequences') listing.sequences = await readSequences(connection, database);
		else listing[part] = await rows(connection, LISTING_QUERIES[part], [database]);
	});
	return listings;
}

type ObjectRead = {name: string; kind: StoredObject['kind']; read: ShowCreate};

/** One database's SHOW CREATE statements, planned from its listing (read in phase two). */
interface PlannedDatabase {
	database: string;
	listing: DatabaseListing;
	created: ShowCreate;
	tables: Array<{row: Row; read: ShowCreate}>;
	views: ObjectRead[];
	triggers: ObjectRead[];
	routines: ObjectRead[];
	events: ObjectRead[];
}

function planDatabase(database: string, listing: DatabaseListing, plan: (statement: string, column: string) => ShowCreate, bus: EventBus): PlannedDatabase {
	const objects = (kind: StoredObject['kind'], names: string[]): ObjectRead[] =>
		names.map((name) => ({name, kind, read: plan(`SHOW CREATE ${kind} ${qualifiedName(database, name)}`, CREATE_COLUMN[kind])}));
	const tables: PlannedDatabase['tables'] = [];
	const viewNames: string[] = [];
	for (const row of listing.tables) {
		const name = text(row.name);
		const type = text(row.type);
		if (type === 'VIEW') viewNames.push(name);
		else if (type === 'BASE TABLE') tables.push({row, read: plan(`SHOW CREATE TABLE ${qualifiedName(database, name)}`, 'Create Table')});
		// sequences are read by readSequences, re-created before the tables whose defaults call them
		else if (type !== 'SEQUENCE') {
			bus.warn(`${database}.${name} is a ${type.toLowerCase()}, which this engine does not dump; it is left out`, {code: 'UNSUPPORTED_TABLE_TYPE'});
		}
	}
	const routines = (type: string) => listing.routines.filter((row) => text(row.type) === type).map((row) => text(row.name));
	return {
		database,
		listing,
		created: plan(`SHOW CREATE DATABASE ${quoteIdentifier(database)}`, 'Create Database'),
		tables,
		views: objects('VIEW', viewNames),
		triggers: objects('TRIGGER', listing.triggers.map((row) => text(row.name))),
		// functions first: a procedure may call a function, and a function body is only checked when run
		routines: [...objects('FUNCTION', routines('FUNCTION')), ...objects('PROCEDURE', routines('PROCEDURE'))],
		events: objects('EVENT', listing.events.map((row) => text(row.name))),
	};
}

/** Phase three: the database's catalog from its listing and SHOW CREATE results; its views go to `views`. */
function databaseCatalog(planned: PlannedDatabase, views: Map<StoredObject, string>, bus: EventBus): DatabaseCatalog {
	const {database, listing} = planned;
	const columns = columnsByTable(listing.columns);
	const keys = keysByTable(listing.keys, columns);
	const tables = planned.tables.map(({row, read}): TableInfo => {
		const name = text(row.name);
		if (!read.row) throw new WorkError({code: 'SHOW_CREATE_FAILED', message: `SHOW CREATE TABLE ${database}.${name} returned nothing`});
		return {
			database,
			name,
			engine: text(row.engine),
			estimatedRows: Number(row.estimatedRows ?? 0),
			dataLength: Number(row.dataLength ?? 0),
			createStatement: text(read.row['Create Table']),
			columns: columns.get(name) ?? [],
			key: keys.get(name),
		};
	});
	for (const view of storedObjects(database, planned.views, bus)) {
		views.set(view, text(listing.views.find((row) => text(row.name) === view.name)?.definition));
	}
	const triggerTables = new Map(listing.triggers.map((row) => [text(row.name), text(row.tableName)]));
	const triggers = storedObjects(database, planned.triggers, bus);
	for (const trigger of triggers) trigger.table = triggerTables.get(trigger.name);
	return {
		name: database,
		createStatement: text(planned.created.row?.['Create Database']) || `CREATE DATABASE ${quoteIdentifier(database)}`,
		tables,
		sequences: listing.sequences,
		routines: storedObjects(database, planned.routines, bus),
		triggers,
		events: storedObjects(database, planned.events, bus),
	};
}

/**
 * Everything needed to re-create the databases, read on connections inside one snapshot. Given several
 * (the dump's workers, all at the same point), the reads are spread over them: a dump reads this while
 * it holds the global lock, so it makes as few round trips one after another as it can.
 */
export async function readCatalog(connections: MysqlConnection | MysqlConnection[], databases: string[], bus: EventBus): Promise<Catalog> {
	const pool = Array.isArray(connections) ? connections : [connections];
	if (pool.length === 0) throw new Error('readCatalog needs a connection');
	const listings = await readListings(pool, databases);
	const showCreates: ShowCreate[] = [];
	const planned = databases.map((database) =>
		planDatabase(
			database,
			listings.get(database)!,
			(statement, column) => {
				const read: ShowCreate = {database, statement, column};
				showCreates.push(read);
				return read;
			},
			bus,
		),
	);
	await readShowCreates(pool, showCreates);
	// a Map keeps insertion order: views stay in database order until ordered by dependency
	const views = new Map<StoredObject, string>();
	const catalogs = planned.map((database) => databaseCatalog(database, views, bus));
	return {databases: catalogs, views: orderViews([...views.keys()], views)};
}

/** The objects whose SHOW CREATE returned a definition; the others are reported and left out. */
function storedObjects(database: string, reads: ObjectRead[], bus: EventBus): StoredObject[] {
	const objects: StoredObject[] = [];
	for (const {name, kind, read} of reads) {
		if (!read.row) {
			bus.warn(`${kind.toLowerCase()} ${database}.${name} cannot be read by this user and is left out`, {
				code: 'OBJECT_NOT_READABLE',
				hint: `Grant the user ${kind === 'VIEW' ? 'SHOW VIEW' : kind === 'TRIGGER' ? 'TRIGGER' : kind === 'EVENT' ? 'EVENT' : 'SELECT on mysql.proc'} to include it.`,
			});
			continue;
		}
		// views carry no sql_mode of their own; the others report theirs
		objects.push({database, name, kind, createStatement: withoutOwnQualifier(text(read.row[CREATE_COLUMN[kind]]), database), context: contextOf(read.row)});
	}
	return objects;
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
