import {text as streamText} from 'node:stream/consumers';
import {connectMysql, type MysqlConnection} from '../../core/connect.ts';
import {IntegrityError, UsageError} from '../../core/errors.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';
import type {OpenArchive} from '../../storage/archive/reader.ts';
import type {ManifestObjectGroup, ManifestTable} from '../../storage/archive/manifest.ts';
import {quoteIdentifier} from './identifiers.ts';
import {queryRetryingLockConflicts} from './lock-conflicts.ts';
import {dataMemberRule, isDatabaseOptions, objectMemberRule, tableSchemaRule, usersMemberRule, type StatementRule} from './member-rules.ts';
import {markRestoreFinished, markRestoreStarted} from './restore-marker.ts';
import {selectForRestore, type SelectedDatabase} from './restore-selection.ts';
import {checkDataOnlyTargets, dropExisting, inspectTargets, refuseNonEmptyTargets} from './restore-target.ts';
import {LOAD_SESSION_STATEMENTS} from './script-text.ts';
import {defersIndexes, deferSecondaryIndexes, referencedColumnsFrom} from './secondary-indexes.ts';
import {applySqlScript, maxAllowedPacket} from './sql-script/apply.ts';
import {SqlScriptSplitter} from './sql-script/splitter.ts';
import type {RestoreOptions, RestoreResult} from '../types.ts';
import {runOnWorkers} from '../worker-pool.ts';

/** The engine's restore options, with the archive already opened and the databases chosen from it (--database). */
export type MysqlRestoreOptions = Omit<RestoreOptions, 'artifact'> & {archive: OpenArchive; databases?: string[]};

/** The engine's result, less the artifact path (the caller knows it). */
export type MysqlRestoreResult = Omit<RestoreResult, 'artifact'>;

interface TableTask {
	database: SelectedDatabase;
	table: ManifestTable;
	/** ALTER TABLE … ADD KEY …, when indexes are built after the data */
	addIndexes?: string | null;
	progress: ProgressReporter;
	/** rows the server reported inserted */
	loaded: number;
}

interface DataTask {
	task: TableTask;
	member: string;
	rawBytes: number;
}

/** A worker connection that remembers its default database, so tasks switch only when they must. */
class RestoreWorker {
	private database?: string;

	constructor(readonly connection: MysqlConnection) {}

	async use(database: string): Promise<void> {
		if (this.database === database) return;
		await this.connection.query(`USE ${quoteIdentifier(database)}`);
		this.database = database;
	}
}

/** A definition longer than this is no definition our dumps write (the server's own cap is max_allowed_packet, at most 1 GiB). */
const SMALL_MEMBER_STATEMENT_BYTES = 64 * 1024 * 1024;

/** The statements of a small member (schema, objects), split as the applier would; every one passes `rule` before any is returned. */
async function memberStatements(archive: OpenArchive, member: string, rule: StatementRule, maxStatementBytes = SMALL_MEMBER_STATEMENT_BYTES): Promise<string[]> {
	const statements: string[] = [];
	for await (const statement of new SqlScriptSplitter(archive.readMember(member) as AsyncIterable<Buffer>, {name: member, maxStatementBytes})) {
		rule(statement);
		statements.push(statement.sql);
	}
	return statements;
}

async function readSmallMember(archive: OpenArchive, member: string): Promise<string> {
	return streamText(archive.readMember(member));
}

/** A sequence's position (`SELECT SETVAL(…)` after its CREATE SEQUENCE): data, as pg_dump has it; the rest of the member is definitions. */
function isSequencePosition(sql: string): boolean {
	return /^\s*SELECT\s+SETVAL\s*\(/i.test(sql);
}

/** Refuses --schema-only with --data-only, and --data-only with --drop-existing (it would drop the tables the rows go into). */
function checkSections(options: MysqlRestoreOptions): void {
	if (options.schemaOnly && options.dataOnly) {
		throw new UsageError({code: 'CONFLICTING_OPTIONS', message: '--schema-only and --data-only exclude each other', hint: 'Give one of them, or neither for both.'});
	}
	if (options.dataOnly && options.dropExisting) {
		throw new UsageError({code: 'CONFLICTING_OPTIONS', message: '--data-only loads rows into the tables that exist; --drop-existing would drop them first', hint: 'Leave out --drop-existing, or --data-only to restore the definitions too.'});
	}
}

function objectGroupRule(group: ManifestObjectGroup): StatementRule {
	return group.kind === 'users' ? usersMemberRule(group.member) : objectMemberRule(group.member, group.kind);
}

/** The small members' statements, read and checked once, before anything is created. */
interface CheckedMembers {
	/** per restored database, its CREATE DATABASE renamed to the target */
	createDatabase: Map<SelectedDatabase, string>;
	/** per schema or sequences member, its statements */
	statements: Map<string, string[]>;
}

/**
 * Reads every small member the restore will run (database, sequences, table schemas, objects) and
 * checks each statement against what its member may hold, before anything is created: a crafted
 * archive is refused whole, with nothing done. The schema and sequences statements are kept for the
 * restore to run; object members are small and run later through the applier, which checks them
 * again as it sends them. Data members are checked statement by statement as they load.
 */
async function checkSmallMembers(archive: OpenArchive, selection: ReturnType<typeof selectForRestore>): Promise<CheckedMembers> {
	const checked: CheckedMembers = {createDatabase: new Map(), statements: new Map()};
	for (const database of selection.databases) {
		checked.createDatabase.set(database, await createDatabaseStatement(archive, database));
		const sequences = database.source.sequences;
		if (database.whole && sequences) checked.statements.set(sequences, await memberStatements(archive, sequences, objectMemberRule(sequences, 'sequences')));
		for (const table of database.tables) if (table.schema) checked.statements.set(table.schema, await memberStatements(archive, table.schema, tableSchemaRule(table.schema, table.name)));
	}
	for (const group of selection.objects) await memberStatements(archive, group.member, objectGroupRule(group));
	return checked;
}

/** CREATE DATABASE of the source, renamed to the target (the member is what createDatabase wrote). */
async function createDatabaseStatement(archive: OpenArchive, database: SelectedDatabase): Promise<string> {
	const member = database.source.schema;
	if (!member) return `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database.target)}`;
	const statement = (await readSmallMember(archive, member)).trim().replace(/;$/, '');
	const prefix = `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database.source.name)}`;
	if (!statement.startsWith(prefix) || !isDatabaseOptions(statement.slice(prefix.length))) {
		throw new IntegrityError({
			code: 'SCHEMA_MEMBER_INVALID',
			message: `${member}: holds something other than the CREATE DATABASE of ${database.source.name} (in ${archive.path})`,
			hint: 'The archive was not written by this engine, or altered after it was made: nothing was run; restore from another copy.',
		});
	}
	return `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database.target)}${statement.slice(prefix.length)}`;
}

/**
 * Restores a mysqldump-engine archive: checks every member's checksum first, refuses occupied targets
 * unless dropExisting, creates the tables, loads the chunks on `workers` connections (largest first,
 * foreign-key and unique checks off), builds deferred indexes, then re-creates routines, views, triggers
 * and events in the order the dump recorded. --schema-only stops before the rows (and sequence
 * positions); --data-only loads only those, into databases and tables that must exist.
 */
export async function restoreMysqlArchive(options: MysqlRestoreOptions, bus: EventBus): Promise<MysqlRestoreResult> {
	const startedAt = new Date().toISOString();
	const {archive} = options;
	const {manifest} = archive;
	if (manifest.dbType !== 'mysql' || manifest.engine !== 'mysqldump') {
		throw new UsageError({
			code: 'WRONG_ARCHIVE_KIND',
			message: `${archive.path} is a ${manifest.dbType} backup made by the ${manifest.engine} engine, not a MySQL/MariaDB logical backup`,
			hint: manifest.dbType === 'mysql' ? `Restore it with the ${manifest.engine} engine.` : 'Restore it into a PostgreSQL server with --db-type postgres.',
		});
	}
	checkSections(options);
	const selection = selectForRestore(manifest, options);
	for (const skipped of selection.skipped) bus.log('info', `not restored: ${skipped}`);
	if (options.dataOnly && selection.objects.length > 0) {
		bus.log('info', 'not restored: views, routines, triggers, events and accounts (--data-only)');
		selection.objects = [];
	}

	bus.stage('verify', `checking the checksums of ${manifest.members.length} member(s) of ${archive.path}`);
	await archive.verify();
	const checked = await checkSmallMembers(archive, selection);

	const workerCount = Math.max(1, options.workers);
	const connections: MysqlConnection[] = [];
	try {
		bus.stage('connect', `opening ${workerCount} connection(s)`);
		for (let index = 0; index < workerCount; index++) connections.push(await connectMysql(options.settings));
		const control = connections[0];
		if (options.dataOnly) {
			const triggers = await checkDataOnlyTargets(control, selection.databases);
			if (triggers.length > 0) {
				bus.warn(`--data-only: ${triggers.length} trigger(s) on the tables loaded fire for every row (${triggers.slice(0, 5).join(', ')}${triggers.length > 5 ? ', …' : ''})`, {code: 'DATA_ONLY_TRIGGERS'});
			}
		} else {
			const states = await inspectTargets(control, selection.databases);
			refuseNonEmptyTargets(states, options.dropExisting ?? false);
			const dropped = await dropExisting(control, states);
			if (dropped.length > 0) bus.warn(`--drop-existing: dropped ${dropped.join(', ')}`, {code: 'DROPPED_EXISTING'});
		}

		const maxStatementBytes = await maxAllowedPacket(control);
		const workers = connections.map((connection) => new RestoreWorker(connection));
		for (const worker of workers) {
			for (const statement of LOAD_SESSION_STATEMENTS) await worker.connection.query(statement);
			if (options.binlog === false) await skipBinlog(worker.connection);
		}
		bus.stage('schema', `${options.dataOnly ? 'loading into' : 'creating'} ${selection.databases.map((database) => database.target).join(', ')}`);
		for (const database of selection.databases) {
			if (!options.dataOnly) await control.query(checked.createDatabase.get(database)!);
			await markRestoreStarted(control, database.target, archive.path);
			if (database.whole && database.source.sequences) {
				await control.query(`USE ${quoteIdentifier(database.target)}`);
				for (const statement of checked.statements.get(database.source.sequences)!) {
					if (isSequencePosition(statement) ? !options.schemaOnly : !options.dataOnly) await control.query(statement);
				}
			}
		}

		const tasks: TableTask[] = selection.databases.flatMap((database) =>
			database.tables.map((table) => ({
				database,
				table,
				progress: new ProgressReporter(bus, `restore ${database.target}.${table.name}`, 'rows', options.schemaOnly ? 0 : table.rows),
				loaded: 0,
			})),
		);
		// schema members are small: read them all first, so the keys other tables' foreign keys need are known
		const schemas = new Map<TableTask, string[]>();
		for (const task of tasks) schemas.set(task, task.table.schema && !options.dataOnly ? checked.statements.get(task.table.schema)! : []);
		const referenced = referencedColumnsFrom([...schemas.values()].flat());
		// tables whose foreign keys name each other, created at once on two workers, can deadlock on their
		// metadata locks (MySQL 9.7: sakila's store and staff, about one restore in three): sent again
		await runOnWorkers(workers, tasks, async (worker, task) => {
			await worker.use(task.database.target);
			const what = `${task.table.schema}: ${task.database.target}.${task.table.name}`;
			for (const statement of schemas.get(task)!) {
				if (!options.schemaOnly && defersIndexes(options.indexesAfterData, task.table.rows) && /^\s*CREATE\s+TABLE/i.test(statement)) {
					const deferred = deferSecondaryIndexes(statement, task.table.name, referenced.get(task.table.name));
					task.addIndexes = deferred.addIndexes;
					await queryRetryingLockConflicts(worker.connection, deferred.create, {bus, what});
				} else {
					await queryRetryingLockConflicts(worker.connection, statement, {bus, what});
				}
			}
		});

		const sizes = new Map(manifest.members.map((member) => [member.path, member]));
		const data: DataTask[] = (options.schemaOnly ? [] : tasks)
			.flatMap((task) => task.table.members.map((member) => ({task, member, rawBytes: sizes.get(member)?.rawBytes ?? 0})))
			.sort((a, b) => b.rawBytes - a.rawBytes);
		const total = data.reduce((sum, item) => sum + item.rawBytes, 0);
		const overall = new ProgressReporter(bus, 'restore', 'bytes', total);
		let applied = 0;
		let failedStatements = 0;
		bus.stage('data', `${data.length} chunk(s) of ${tasks.length} table(s) on ${workers.length} worker(s)`);
		await runOnWorkers(workers, data, async (worker, item) => {
			await worker.use(item.task.database.target);
			item.task.progress.begin();
			let seen = 0;
			const result = await applySqlScript({
				connection: worker.connection,
				source: archive.readMember(item.member) as AsyncIterable<Buffer>,
				bus,
				member: item.member,
				continueOnError: options.continueOnError,
				keepSession: true,
				onStatement: dataMemberRule(item.member, item.task.table.name),
				maxStatementBytes,
				onProgress: (bytes) => {
					overall.add(bytes - seen);
					applied += bytes - seen;
					seen = bytes;
				},
			});
			failedStatements += result.errors.length;
			item.task.loaded += result.affectedRows;
			item.task.progress.add(result.affectedRows);
		});
		for (const task of tasks) task.progress.finish();

		const indexed = tasks.filter((task) => task.addIndexes);
		if (indexed.length > 0) {
			bus.stage('indexes', `building secondary indexes of ${indexed.length} table(s)`);
			await runOnWorkers(workers, indexed, async (worker, task) => {
				await worker.use(task.database.target);
				await queryRetryingLockConflicts(worker.connection, task.addIndexes!, {bus, what: `${task.database.target}.${task.table.name}: secondary indexes`});
			});
		}

		if (selection.objects.length > 0) {
			bus.stage('objects', `${selection.objects.length} group(s) of views, routines, triggers and events`);
			failedStatements += await applyObjects(workers[0], archive, selection.objects, selection.databases, options.continueOnError, bus);
		}
		overall.finish();
		for (const database of selection.databases) await markRestoreFinished(control, database.target);
		return {
			databases: selection.databases.map((database) => database.target),
			tables: tasks.length,
			// what the server took, not what the manifest claims (a chunk listed twice loads twice)
			rows: tasks.reduce((sum, task) => sum + task.loaded, 0),
			bytes: applied,
			failedStatements,
			startedAt,
			finishedAt: new Date().toISOString(),
		};
	} finally {
		await Promise.all(connections.map((connection) => connection.end().catch(() => undefined)));
	}
}

/** --no-binlog: this session's writes stay out of the binary log (needs SUPER or BINLOG ADMIN). */
export async function skipBinlog(connection: MysqlConnection): Promise<void> {
	try {
		await connection.query('SET SESSION sql_log_bin = 0');
	} catch (error) {
		throw new UsageError({
			code: 'NO_BINLOG_DENIED',
			message: `--no-binlog: the server refused SET sql_log_bin = 0: ${(error as Error).message}`,
			hint: 'It needs SUPER (MySQL) or BINLOG ADMIN (MariaDB); restore without --no-binlog otherwise.',
			cause: error,
		});
	}
}

async function applyObjects(
	worker: RestoreWorker,
	archive: OpenArchive,
	objects: ManifestObjectGroup[],
	databases: SelectedDatabase[],
	continueOnError: boolean | undefined,
	bus: EventBus,
): Promise<number> {
	const targetOf = new Map(databases.map((database) => [database.source.name, database.target]));
	let failed = 0;
	for (const group of objects) {
		if (group.database !== undefined) await worker.use(targetOf.get(group.database)!);
		const result = await applySqlScript({
			connection: worker.connection,
			source: archive.readMember(group.member) as AsyncIterable<Buffer>,
			bus,
			member: group.member,
			continueOnError,
			keepSession: true,
			onStatement: objectGroupRule(group),
			// the bound checkSmallMembers read it with (and saves asking the server once per group)
			maxStatementBytes: SMALL_MEMBER_STATEMENT_BYTES,
			onProgress: () => undefined,
		});
		failed += result.errors.length;
	}
	return failed;
}
