import type {DbType} from '../../core/detect/types.ts';
import {IntegrityError} from '../../core/errors.ts';
import {COMPRESSIONS, type Compression} from '../compression.ts';
import {memberPathProblem} from './member-path.ts';
import {stagesProblem, type MemberStage} from './member-stages.ts';
import {physicalLayoutProblems, type PhysicalLayout} from './physical-layout.ts';

export const MANIFEST_FORMAT_VERSION = 1;

export interface ManifestMember {
	/** path inside the archive, extension included (e.g. `data/shop/orders.00003.sql.zst`) */
	path: string;
	/** bytes stored in the archive (after compression) */
	bytes: number;
	/** bytes before compression */
	rawBytes: number;
	/** hex SHA-256 of the stored bytes */
	sha256: string;
	/** the compression stage, also in `stages`; kept for readers that predate stages */
	compression: Compression;
	/** what was applied to the bytes on the way in, in order; absent in archives written before stages were recorded */
	stages?: MemberStage[];
	rows?: number;
}

export interface ManifestTable {
	name: string;
	/** PostgreSQL: the table's schema (`name` is then unqualified) */
	namespace?: string;
	rows: number;
	/**
	 * The rows as a multiset (`rowsum1:` + 24 hex digits, engines/row-checksum.ts), as the dump read
	 * them; `verify --restore-test` recomputes it on the restored copy. Absent in archives written before.
	 */
	checksum?: string;
	/** paths of the members holding this table, in order */
	members: string[];
	/** the member that creates the table (without a database qualifier) */
	schema?: string;
}

export interface ManifestDatabase {
	name: string;
	tables: ManifestTable[];
	/** the member that creates the database */
	schema?: string;
	/** the member that creates its sequences (before the tables, whose defaults may call them) */
	sequences?: string;
}

export type ManifestObjectKind = 'routines' | 'views' | 'triggers' | 'events' | 'sequences' | 'users';

/** Objects re-created after the data, member by member in manifest order (views across databases depend on it). */
export interface ManifestObjectGroup {
	kind: ManifestObjectKind;
	member: string;
	/** absent for server-wide objects (users) */
	database?: string;
	/** triggers: the table they belong to */
	table?: string;
}

const OBJECT_KINDS: readonly ManifestObjectKind[] = ['routines', 'views', 'triggers', 'events', 'sequences', 'users'];

export interface Manifest {
	formatVersion: typeof MANIFEST_FORMAT_VERSION;
	tool: {name: string; version: string};
	engine: string;
	dbType: DbType;
	/** host is a name, address or socket path, never with credentials */
	server: {version: string; flavor: string; host: string};
	databases: ManifestDatabase[];
	members: ManifestMember[];
	/** in the order they are to be applied */
	objects?: ManifestObjectGroup[];
	/** physical engines: the files the archive holds, and which members hold their bytes (physical-layout.ts) */
	physical?: PhysicalLayout;
	/** where the dump is consistent: binlog file/pos and GTID set, or PG LSN and snapshot */
	coordinates: Record<string, unknown>;
	startedAt: string;
	finishedAt: string;
	lockMs?: number;
	options: Record<string, unknown>;
}

export interface ManifestProblem {
	/** JSON path of the field, e.g. `members[3].sha256` */
	field: string;
	message: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isText(value: unknown): value is string {
	return typeof value === 'string' && value.length > 0;
}

function isTimestamp(value: unknown): value is string {
	return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value));
}

/** Collects problems; each check names its field. */
class Checker {
	readonly problems: ManifestProblem[] = [];

	add(field: string, message: string): void {
		this.problems.push({field, message});
	}

	object(value: unknown, field: string): value is Json {
		if (isObject(value)) return true;
		this.add(field, 'must be an object');
		return false;
	}

	array(value: unknown, field: string): value is unknown[] {
		if (Array.isArray(value)) return true;
		this.add(field, 'must be an array');
		return false;
	}

	text(value: unknown, field: string): void {
		if (!isText(value)) this.add(field, 'must be a non-empty string');
	}

	count(value: unknown, field: string): void {
		if (!isCount(value)) this.add(field, 'must be a whole number of 0 or more');
	}

	timestamp(value: unknown, field: string): void {
		if (!isTimestamp(value)) this.add(field, 'must be an ISO 8601 timestamp');
	}
}

function checkServer(check: Checker, server: unknown): void {
	if (!check.object(server, 'server')) return;
	check.text(server.version, 'server.version');
	check.text(server.flavor, 'server.flavor');
	check.text(server.host, 'server.host');
	if (typeof server.host === 'string' && (server.host.includes('@') || server.host.includes('://'))) {
		check.add('server.host', 'must be a host name, address or socket path without user, password or scheme');
	}
}

function checkMembers(check: Checker, members: unknown): Set<string> {
	const paths = new Set<string>();
	if (!check.array(members, 'members')) return paths;
	members.forEach((member, index) => {
		const at = `members[${index}]`;
		if (!check.object(member, at)) return;
		const pathProblem = memberPathProblem(member.path);
		if (pathProblem) check.add(`${at}.path`, pathProblem);
		else if (paths.has(member.path as string)) check.add(`${at}.path`, `repeats ${JSON.stringify(member.path)}`);
		else paths.add(member.path as string);
		check.count(member.bytes, `${at}.bytes`);
		check.count(member.rawBytes, `${at}.rawBytes`);
		if (typeof member.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(member.sha256)) {
			check.add(`${at}.sha256`, 'must be 64 lowercase hex characters');
		}
		if (!(COMPRESSIONS as readonly unknown[]).includes(member.compression)) {
			check.add(`${at}.compression`, `must be one of ${COMPRESSIONS.join(', ')}`);
		}
		if (member.rows !== undefined) check.count(member.rows, `${at}.rows`);
		if (member.stages !== undefined) {
			const problem = stagesProblem(member.stages, member.compression);
			if (problem) check.add(`${at}.stages`, problem);
		}
	});
	return paths;
}

function checkDatabases(check: Checker, databases: unknown, memberPaths: Set<string>): void {
	if (!check.array(databases, 'databases')) return;
	const names = new Set<string>();
	// a data member listed twice would be loaded twice
	const dataMembers = new Map<string, string>();
	databases.forEach((database, index) => {
		const at = `databases[${index}]`;
		if (!check.object(database, at)) return;
		check.text(database.name, `${at}.name`);
		if (database.schema !== undefined) checkMemberReference(check, database.schema, `${at}.schema`, memberPaths);
		if (database.sequences !== undefined) checkMemberReference(check, database.sequences, `${at}.sequences`, memberPaths);
		if (typeof database.name === 'string') {
			if (names.has(database.name)) check.add(`${at}.name`, `repeats ${JSON.stringify(database.name)}`);
			names.add(database.name);
		}
		if (!check.array(database.tables, `${at}.tables`)) return;
		database.tables.forEach((table, tableIndex) => {
			const tableAt = `${at}.tables[${tableIndex}]`;
			if (!check.object(table, tableAt)) return;
			check.text(table.name, `${tableAt}.name`);
			if (table.namespace !== undefined) check.text(table.namespace, `${tableAt}.namespace`);
			check.count(table.rows, `${tableAt}.rows`);
			if (table.checksum !== undefined && (typeof table.checksum !== 'string' || !/^rowsum1:[0-9a-f]{24}$/.test(table.checksum))) {
				check.add(`${tableAt}.checksum`, 'must be "rowsum1:" and 24 lowercase hex characters');
			}
			if (table.schema !== undefined) checkMemberReference(check, table.schema, `${tableAt}.schema`, memberPaths);
			if (!check.array(table.members, `${tableAt}.members`)) return;
			table.members.forEach((path, memberIndex) => {
				const field = `${tableAt}.members[${memberIndex}]`;
				checkMemberReference(check, path, field, memberPaths);
				const first = dataMembers.get(path as string);
				if (first !== undefined) check.add(field, `repeats ${JSON.stringify(path)}, already listed at ${first}`);
				else dataMembers.set(path as string, field);
			});
		});
	});
}

function checkMemberReference(check: Checker, path: unknown, field: string, memberPaths: Set<string>): void {
	if (typeof path !== 'string' || !memberPaths.has(path)) check.add(field, `${JSON.stringify(path)} is not one of the manifest's members`);
}

function checkObjects(check: Checker, objects: unknown, memberPaths: Set<string>): void {
	if (objects === undefined || !check.array(objects, 'objects')) return;
	objects.forEach((group, index) => {
		const at = `objects[${index}]`;
		if (!check.object(group, at)) return;
		if (!(OBJECT_KINDS as readonly unknown[]).includes(group.kind)) check.add(`${at}.kind`, `must be one of ${OBJECT_KINDS.join(', ')}`);
		checkMemberReference(check, group.member, `${at}.member`, memberPaths);
		if (group.database !== undefined) check.text(group.database, `${at}.database`);
		if (group.table !== undefined) check.text(group.table, `${at}.table`);
	});
}

/** Every problem of `value` as a manifest, in field order; empty when it is a valid manifest. */
export function manifestProblems(value: unknown): ManifestProblem[] {
	const check = new Checker();
	if (!check.object(value, '(manifest)')) return check.problems;
	if (value.formatVersion !== MANIFEST_FORMAT_VERSION) {
		check.add(
			'formatVersion',
			typeof value.formatVersion === 'number' && value.formatVersion > MANIFEST_FORMAT_VERSION
				? `is ${value.formatVersion}, newer than this version of dbbackup reads (${MANIFEST_FORMAT_VERSION})`
				: `must be ${MANIFEST_FORMAT_VERSION}`,
		);
	}
	if (check.object(value.tool, 'tool')) {
		check.text(value.tool.name, 'tool.name');
		check.text(value.tool.version, 'tool.version');
	}
	check.text(value.engine, 'engine');
	if (value.dbType !== 'mysql' && value.dbType !== 'postgres') check.add('dbType', 'must be "mysql" or "postgres"');
	checkServer(check, value.server);
	const memberPaths = checkMembers(check, value.members);
	checkDatabases(check, value.databases, memberPaths);
	checkObjects(check, value.objects, memberPaths);
	if (value.physical !== undefined) {
		const rawBytes = new Map(Array.isArray(value.members) ? value.members.filter(isObject).map((member): [string, number] => [member.path as string, isCount(member.rawBytes) ? member.rawBytes : 0]) : []);
		for (const problem of physicalLayoutProblems(value.physical, rawBytes)) check.add(problem.field, problem.message);
	}
	check.object(value.coordinates, 'coordinates');
	check.timestamp(value.startedAt, 'startedAt');
	check.timestamp(value.finishedAt, 'finishedAt');
	if (isTimestamp(value.startedAt) && isTimestamp(value.finishedAt) && Date.parse(value.finishedAt) < Date.parse(value.startedAt)) {
		check.add('finishedAt', 'is before startedAt');
	}
	if (value.lockMs !== undefined && !(typeof value.lockMs === 'number' && Number.isFinite(value.lockMs) && value.lockMs >= 0)) {
		check.add('lockMs', 'must be a number of milliseconds, 0 or more');
	}
	check.object(value.options, 'options');
	return check.problems;
}

function describeProblems(problems: ManifestProblem[]): string {
	const [first] = problems;
	const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
	return `${first!.field} ${first!.message}${more}`;
}

/** `value` as a Manifest, or an IntegrityError naming `source` and the first bad field. */
export function validateManifest(value: unknown, source: string): Manifest {
	const problems = manifestProblems(value);
	if (problems.length === 0) return value as Manifest;
	throw new IntegrityError({
		code: 'MANIFEST_INVALID',
		message: `${source}: the manifest is not valid: ${describeProblems(problems)}`,
		hint: 'The archive was damaged or not written by dbbackup; restore from another copy.',
	});
}

/** Parses manifest JSON text; invalid JSON or an invalid manifest is an IntegrityError naming `source`. */
export function parseManifest(text: string, source: string): Manifest {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw new IntegrityError({
			code: 'MANIFEST_INVALID',
			message: `${source}: the manifest is not valid JSON (${(error as Error).message})`,
			hint: 'The archive was damaged; restore from another copy.',
			cause: error,
		});
	}
	return validateManifest(value, source);
}

/** The manifest as stored: stable key order, two-space indent, final newline. */
export function serializeManifest(manifest: Manifest): string {
	return `${JSON.stringify(manifest, null, 2)}\n`;
}
