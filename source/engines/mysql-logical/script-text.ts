import type {CreationContext, DatabaseCatalog, StoredObject, TableInfo} from './catalog.ts';
import {describeCoordinates, type Coordinates, type LockMethod} from './consistency.ts';
import {lineComment} from '../sql-script/comment.ts';
import {quoteIdentifier} from './identifiers.ts';
import {quoteString} from './values.ts';

/** The session the data is loaded under; routines and friends switch away from it and back. */
export const LOAD_SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO';

/** The session state every INSERT of a dump assumes: the script's header and each restore worker set it. */
export const LOAD_SESSION_STATEMENTS = [
	'SET NAMES utf8mb4',
	"SET time_zone = '+00:00'",
	'SET foreign_key_checks = 0',
	'SET unique_checks = 0',
	`SET sql_mode = '${LOAD_SQL_MODE}'`,
];

/** Archive members carry no database name (restore may rename it); the plain script switches with USE. */
export interface PlacementOptions {
	use?: boolean;
}

export interface ScriptHeader {
	serverVersion: string;
	databases: string[];
	coordinates: Coordinates;
	method: LockMethod;
	lockMs: number;
	startedAt: string;
}

/** `-- database.name`, for the line above an object's statements. */
export function objectComment(kind: string, database: string, name: string): string {
	return lineComment(`${kind} ${database}.${name}`);
}

const DATABASES_LINE = '-- dbbackup databases: ';

/** The databases our script's header lists; undefined for a script without that line (another tool's, or older). */
export function databasesOfScriptHead(head: string): string[] | undefined {
	const line = head.split('\n', 12).find((candidate) => candidate.startsWith(DATABASES_LINE));
	if (line === undefined) return undefined;
	try {
		const names: unknown = JSON.parse(line.slice(DATABASES_LINE.length));
		return Array.isArray(names) && names.every((name) => typeof name === 'string') ? names : undefined;
	} catch {
		return undefined;
	}
}

export function scriptHeader(header: ScriptHeader): string {
	const {coordinates} = header;
	const lines = [
		lineComment(`dbbackup SQL dump of ${header.databases.join(', ') || '(no databases)'}`),
		// the exact names (JSON: a name may hold ", "), for a restore that must check or replace them
		`${DATABASES_LINE}${JSON.stringify(header.databases)}`,
		lineComment(`server ${header.serverVersion}, started ${header.startedAt}`),
		lineComment(`snapshot: ${describeCoordinates(coordinates)} (${header.method}, writes blocked ${header.lockMs.toFixed(1)} ms)`),
	];
	if (coordinates.binlogFile) lines.push(lineComment(`binlog: ${coordinates.binlogFile} ${coordinates.binlogPosition}`));
	if (coordinates.gtid) lines.push(lineComment(`GTID: ${coordinates.gtid}`));
	lines.push(
		'',
		...LOAD_SESSION_STATEMENTS.map((statement) => `${statement};`),
		'',
	);
	return `${lines.join('\n')}\n`;
}

export function scriptFooter(): string {
	return '\nSET foreign_key_checks = 1;\nSET unique_checks = 1;\n-- dump complete\n';
}

/** CREATE DATABASE IF NOT EXISTS with the database's own charset and collation. */
export function createDatabase(database: DatabaseCatalog): string {
	const statement = database.createStatement.replace(/^CREATE DATABASE(?! IF NOT EXISTS)/i, 'CREATE DATABASE IF NOT EXISTS');
	return `${statement};\n`;
}

export function useDatabase(name: string): string {
	return `USE ${quoteIdentifier(name)};\n`;
}

export function createTable(table: TableInfo, placement: PlacementOptions = {use: true}): string {
	return `\n${objectComment('table', table.database, table.name)}\n${placement.use ? useDatabase(table.database) : ''}${table.createStatement};\n`;
}

/**
 * A delimiter whose first occurrence in `body + delimiter` is the one appended (the client ends the
 * statement at its first occurrence). Not only absent from the body: MySQL keeps the `;` a routine or
 * trigger was created with at the end of its SHOW CREATE text (`… RETURN a + b;`), and `;;` after it
 * would end the statement one character early.
 */
export function delimiterFor(body: string): string {
	const endsOnlyAtTheEnd = (candidate: string) => `${body}${candidate}`.indexOf(candidate) === body.length;
	for (const candidate of [';;', '$$', '//', '@@', ';;dbbackup;;']) {
		if (endsOnlyAtTheEnd(candidate)) return candidate;
	}
	let suffix = 0;
	while (!endsOnlyAtTheEnd(`;;dbbackup${suffix};;`)) suffix += 1;
	return `;;dbbackup${suffix};;`;
}

/**
 * The script's bytes are utf8mb4. An object created under a client charset whose bytes utf8mb4 text is
 * also valid in (the utf8 family, ascii) keeps it; any other is re-created with utf8mb4 as client
 * charset, which keeps its text and its connection collation (what its literals compare under).
 */
function clientCharsetFor(context: CreationContext): string {
	const charset = context.characterSetClient.toLowerCase();
	return ['utf8', 'utf8mb3', 'utf8mb4', 'ascii'].includes(charset) ? charset : 'utf8mb4';
}

/** Re-creates a view, routine, trigger or event under the session state it was created with. */
export function createStoredObject(object: StoredObject, placement: PlacementOptions = {use: true}): string {
	const {context} = object;
	const lines = [`\n${objectComment(object.kind.toLowerCase(), object.database, object.name)}`];
	if (placement.use) lines.push(useDatabase(object.database).trimEnd());
	const mode = context.sqlMode;
	lines.push(`SET sql_mode = ${quoteString(mode)};`);
	if (context.characterSetClient) lines.push(`SET character_set_client = ${clientCharsetFor(context)};`);
	if (context.collationConnection) lines.push(`SET collation_connection = ${quoteString(context.collationConnection)};`);
	if (context.timeZone) lines.push(`SET time_zone = ${quoteString(context.timeZone)};`);
	const delimiter = delimiterFor(object.createStatement);
	lines.push(`DELIMITER ${delimiter}`, `${object.createStatement}${delimiter}`, 'DELIMITER ;');
	lines.push('SET NAMES utf8mb4;', `SET sql_mode = '${LOAD_SQL_MODE}';`);
	if (context.timeZone) lines.push("SET time_zone = '+00:00';");
	return `${lines.join('\n')}\n`;
}
