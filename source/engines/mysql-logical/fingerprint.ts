import {createHash} from 'node:crypto';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {qualifiedName, quoteIdentifier} from './identifiers.ts';

/**
 * What must be equal between a database and its restored copy: every object's definition (its SHOW
 * CREATE row) and every table's rows. Used by the round-trip checks (the demo; `verify --restore-test` when it is built)
 * and the tests; two fingerprints compare with deepEqual or, for words a user reads, with
 * `fingerprintDifferences`.
 */

export type ObjectKind = 'database' | 'table' | 'view' | 'procedure' | 'function' | 'trigger' | 'event' | 'sequence';

export interface ObjectFingerprint {
	kind: ObjectKind;
	name: string;
	/** the SHOW CREATE row minus the creation time, which a re-created object cannot keep */
	definition: Record<string, string | null>;
	/** tables: how many rows */
	rows?: number;
	/** tables: a hash of the rows as a multiset (the order they are stored in does not count) */
	rowsHash?: string;
	/** tables without VIRTUAL columns: CHECKSUM TABLE */
	checksum?: string | null;
	/** sequences: next_not_cached_value and cycle_count */
	position?: string;
}

/** Keyed `<kind> <name>` (the database itself: `database`), in the order read. */
export type DatabaseFingerprint = Record<string, ObjectFingerprint>;

type Row = RowDataPacket & Record<string, unknown>;

async function all(connection: Connection, sql: string, values: unknown[] = []): Promise<Row[]> {
	const [rows] = await connection.query<Row[]>(sql, values);
	return rows;
}

function text(value: unknown): string | null {
	if (value === null || value === undefined) return null;
	return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function definition(row: Row | undefined): Record<string, string | null> {
	const result: Record<string, string | null> = {};
	for (const [key, value] of Object.entries(row ?? {})) if (key !== 'Created') result[key] = text(value);
	return result;
}

/**
 * MySQL shows a column created with an explicit COLLATE as `CHARACTER SET cs COLLATE cs_…`, and the same
 * column created without one as `COLLATE cs_…` (the charset follows from the collation either way): a
 * re-created table, whose text names the collation, shows the longer form. The same column, so one form.
 */
function sameColumnCharsetForm(createTable: string | null): string | null {
	if (createTable === null) return null;
	return createTable
		.split('\n')
		.map((line) => (line.startsWith('  `') ? line.replace(/ CHARACTER SET (\w+) COLLATE (\1_\w+)/, ' COLLATE $2') : line))
		.join('\n');
}

/**
 * MySQL keeps the `;` a routine, trigger or event was created with at the end of its SHOW CREATE text
 * when it came in a multi-statement query, and a re-created one has none: the same object.
 */
function withoutFinalSemicolon(row: Record<string, string | null>): Record<string, string | null> {
	const result = {...row};
	for (const column of Object.keys(result)) {
		if (isStatementColumn(column) && result[column] !== null) result[column] = result[column]!.replace(/;\s*$/, '');
	}
	return result;
}

/**
 * Every row's columns (invisible ones included), each as the hex of its text form, through SHA-256 on
 * the server; the per-row hashes are folded into sums and an XOR there too, so a table of any size costs
 * one pass and no client memory, and equal multisets of rows give equal results. FLOAT is read as
 * DOUBLE, whose text keeps every bit of it.
 */
async function rowsHash(connection: Connection, database: string, table: string): Promise<{rows: number; rowsHash: string}> {
	const columns = await all(
		connection,
		'SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
		[database, table],
	);
	const parts = columns.map((column) => {
		const name = quoteIdentifier(String(text(column.name)));
		const type = text(column.type);
		// MySQL's CONCAT refuses a VECTOR; HEX takes its bytes
		if (type === 'vector') return `COALESCE(HEX(${name}), 'NULL')`;
		const expression = type === 'float' ? `CAST(${name} AS DOUBLE)` : name;
		return `COALESCE(HEX(CONCAT(${expression})), 'NULL')`;
	});
	const slice = (from: number, length: number) => `CAST(CONV(SUBSTRING(h, ${from}, ${length}), 16, 10) AS UNSIGNED)`;
	const [result] = await all(
		connection,
		`SELECT COUNT(*) AS n, CAST(SUM(${slice(1, 15)}) AS CHAR) AS s1, CAST(SUM(${slice(16, 15)}) AS CHAR) AS s2,
			CAST(BIT_XOR(${slice(31, 16)}) AS CHAR) AS x
		FROM (SELECT SHA2(CONCAT_WS('|', ${parts.join(', ')}), 256) AS h FROM ${qualifiedName(database, table)}) AS hashed`,
	);
	const folded = [result.n, result.s1, result.s2, result.x].map((value) => text(value) ?? '').join(':');
	return {rows: Number(result.n), rowsHash: createHash('sha256').update(folded).digest('hex')};
}

async function hasVirtualColumns(connection: Connection, database: string, table: string): Promise<boolean> {
	const [{virtuals}] = await all(
		connection,
		"SELECT COUNT(*) AS virtuals FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND EXTRA LIKE 'VIRTUAL%'",
		[database, table],
	);
	return Number(virtuals) > 0;
}

/** Whether a SHOW CREATE TABLE has a key with an expression part, `KEY k ((a + 1))` (MySQL 8.0.13+). */
function hasFunctionalKeyParts(createTable: string): boolean {
	// a name holding `((` gives a false positive, which only leaves CHECKSUM TABLE out
	return createTable.split('\n').some((line) => /^\s+(?:UNIQUE |FULLTEXT |SPATIAL )?KEY `(?:[^`]|``)*` \(.*\(\(/.test(line));
}

/**
 * The fingerprint of one database. The database's own name is left out, so a copy restored under
 * another name compares equal. Sets the session's character set (utf8mb4), time zone
 * (UTC) and current database (SHOW CREATE VIEW output depends on it) on `connection`.
 */
export async function fingerprintDatabase(connection: Connection, database: string): Promise<DatabaseFingerprint> {
	await connection.query("SET NAMES utf8mb4, time_zone = '+00:00'");
	await connection.query(`USE ${quoteIdentifier(database)}`);
	const result: DatabaseFingerprint = {};
	const add = (fingerprint: ObjectFingerprint) => {
		result[fingerprint.kind === 'database' ? 'database' : `${fingerprint.kind} ${fingerprint.name}`] = fingerprint;
	};

	const [created] = await all(connection, `SHOW CREATE DATABASE ${quoteIdentifier(database)}`);
	const {Database: _name, ...databaseDefinition} = definition(created);
	const createDatabase = databaseDefinition['Create Database'];
	if (createDatabase) databaseDefinition['Create Database'] = createDatabase.replace(/^CREATE DATABASE `(?:[^`]|``)*`/, 'CREATE DATABASE');
	add({kind: 'database', name: '', definition: databaseDefinition});

	const tables = await all(
		connection,
		'SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
		[database],
	);
	for (const table of tables) {
		const name = String(text(table.name));
		const qualified = qualifiedName(database, name);
		if (table.type === 'VIEW') {
			add({kind: 'view', name, definition: definition((await all(connection, `SHOW CREATE VIEW ${qualified}`))[0])});
			continue;
		}
		if (table.type === 'SEQUENCE') {
			const [state] = await all(connection, `SELECT CAST(next_not_cached_value AS CHAR) AS next, cycle_count AS round FROM ${qualified}`);
			add({
				kind: 'sequence',
				name,
				definition: definition((await all(connection, `SHOW CREATE SEQUENCE ${qualified}`))[0]),
				position: `${text(state?.next)} (round ${text(state?.round)})`,
			});
			continue;
		}
		const tableDefinition = definition((await all(connection, `SHOW CREATE TABLE ${qualified}`))[0]);
		tableDefinition['Create Table'] = sameColumnCharsetForm(tableDefinition['Create Table'] ?? null);
		const fingerprint: ObjectFingerprint = {kind: 'table', name, definition: tableDefinition};
		// MariaDB's CHECKSUM TABLE reads VIRTUAL columns uncomputed, so it varies run to run on such a
		// table (seen on 10.11: the same rows gave different sums); so does MySQL's (9.7) on a table with
		// a functional or multi-valued index, whose hidden virtual columns information_schema does not
		// list: the rows hash covers those tables
		if (!(await hasVirtualColumns(connection, database, name)) && !hasFunctionalKeyParts(tableDefinition['Create Table'] ?? '')) {
			fingerprint.checksum = text((await all(connection, `CHECKSUM TABLE ${qualified}`))[0]?.Checksum);
		}
		add({...fingerprint, ...(await rowsHash(connection, database, name))});
	}

	const routines = await all(
		connection,
		'SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 1, 2',
		[database],
	);
	for (const routine of routines) {
		const type = String(text(routine.type));
		const name = String(text(routine.name));
		const [row] = await all(connection, `SHOW CREATE ${type} ${qualifiedName(database, name)}`);
		add({kind: type.toLowerCase() as 'procedure' | 'function', name, definition: withoutFinalSemicolon(definition(row))});
	}
	const triggers = await all(connection, 'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1', [database]);
	for (const trigger of triggers) {
		const name = String(text(trigger.name));
		add({kind: 'trigger', name, definition: withoutFinalSemicolon(definition((await all(connection, `SHOW CREATE TRIGGER ${qualifiedName(database, name)}`))[0]))});
	}
	const events = await all(connection, 'SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1', [database]);
	for (const event of events) {
		const name = String(text(event.name));
		add({kind: 'event', name, definition: withoutFinalSemicolon(definition((await all(connection, `SHOW CREATE EVENT ${qualifiedName(database, name)}`))[0]))});
	}
	return result;
}

function label(fingerprint: ObjectFingerprint): string {
	return fingerprint.kind === 'database' ? 'database' : `${fingerprint.kind} ${quoteIdentifier(fingerprint.name)}`;
}

/** The SHOW CREATE column holding the statement itself: a difference there needs no column name. */
function isStatementColumn(column: string): boolean {
	return column.startsWith('Create ') || column === 'SQL Original Statement';
}

function definitionDifference(a: ObjectFingerprint, b: ObjectFingerprint): string | undefined {
	const columns = [...new Set([...Object.keys(a.definition), ...Object.keys(b.definition)])];
	const differing = columns.filter((column) => a.definition[column] !== b.definition[column]);
	if (differing.length === 0) return undefined;
	const detail = differing.filter((column) => !isStatementColumn(column));
	return detail.length === 0 ? 'definition differs' : `definition differs (${differing.join(', ')})`;
}

function rowCount(rows: number | undefined): string {
	return rows === undefined ? 'no rows' : `${rows} ${rows === 1 ? 'row' : 'rows'}`;
}

/** What differs between two fingerprints, one line per difference, in words a user reads; empty when equal. */
export function fingerprintDifferences(a: DatabaseFingerprint, b: DatabaseFingerprint): string[] {
	const differences: string[] = [];
	for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
		const first = a[key];
		const second = b[key];
		if (!second) {
			differences.push(`${label(first)}: only in the first`);
			continue;
		}
		if (!first) {
			differences.push(`${label(second)}: only in the second`);
			continue;
		}
		const name = label(first);
		const definition = definitionDifference(first, second);
		if (definition) differences.push(`${name}: ${definition}`);
		if (first.rows !== second.rows) {
			differences.push(`${name}: ${rowCount(first.rows)} vs ${rowCount(second.rows)}`);
		} else if (first.rowsHash !== second.rowsHash) {
			differences.push(`${name}: row contents differ`);
		} else if (first.checksum !== second.checksum) {
			differences.push(`${name}: CHECKSUM TABLE differs (${first.checksum} vs ${second.checksum})`);
		}
		if (first.position !== second.position) differences.push(`${name}: position ${first.position} vs ${second.position}`);
	}
	return differences;
}
