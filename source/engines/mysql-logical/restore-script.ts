import {connectMysql} from '../../core/connect.ts';
import {UsageError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {readScriptArtifact, type ArtifactFile} from '../../storage/artifact.ts';
import {quoteIdentifier} from './identifiers.ts';
import {markRestoreFinished, markRestoreStarted} from './restore-marker.ts';
import {skipBinlog} from './restore-archive.ts';
import {namedDatabase} from './restore-selection.ts';
import {dropExisting, inspectTargets, refuseNonEmptyTargets} from './restore-target.ts';
import {PLAIN_SCRIPT_WARNING} from '../sql-script/confinement.ts';
import {applySqlScript} from './sql-script/apply.ts';
import {databaseRedirect} from './sql-script/database-redirect.ts';
import {scriptUnreadable} from '../sql-script/unreadable.ts';
import type {RestoreOptions} from '../types.ts';
import {databasesOfScriptHead} from './script-text.ts';
import {readScriptHead} from '../../storage/artifact.ts';

/** The engine's restore options that apply to a plain script, with the file already identified. */
/** where our script's header lines are (the databases line is the second) */
const HEADER_BYTES = 16 * 1024;

export type MysqlScriptRestoreOptions = Pick<RestoreOptions, 'settings' | 'targetDb' | 'dropExisting' | 'continueOnError' | 'binlog' | 'schemaOnly' | 'dataOnly'> & {artifact: ArtifactFile};

/**
 * A script's rows cannot be told from its definitions reliably (an INSERT may be in a routine's body, a
 * trigger may write rows, a CREATE TABLE … SELECT is both), so --schema-only and --data-only are refused
 * rather than guessed at.
 */
function refuseSections(options: MysqlScriptRestoreOptions): void {
	const flag = options.schemaOnly ? '--schema-only' : options.dataOnly ? '--data-only' : undefined;
	if (!flag) return;
	throw new UsageError({
		code: 'OPTION_NEEDS_ARCHIVE',
		message: `${flag} needs a dbbackup archive: ${options.artifact.path} is a plain SQL script, whose rows and definitions cannot be told apart reliably (an INSERT may be part of a routine, CREATE TABLE … SELECT is both)`,
		hint: 'Restore the whole script, or back up in the archive format (the default) to restore definitions and rows separately.',
	});
}

export interface MysqlScriptRestoreResult {
	statements: number;
	failedStatements: number;
	bytes: number;
	startedAt: string;
	finishedAt: string;
}

/**
 * Restores a plain SQL script (ours with --format sql, mysqldump's or mariadb-dump's), natively. With
 * targetDb the script runs in that database, which must be new or empty (or dropExisting); the one
 * database a script names itself (mysqldump --databases, ours) is redirected there.
 */
export async function restoreMysqlScript(options: MysqlScriptRestoreOptions, bus: EventBus): Promise<MysqlScriptRestoreResult> {
	const startedAt = new Date().toISOString();
	refuseSections(options);
	const connection = await connectMysql(options.settings);
	try {
		if (options.binlog === false) await skipBinlog(connection);
		const {targetDb} = options;
		if (targetDb !== undefined) {
			const states = await inspectTargets(connection, [namedDatabase(targetDb)]);
			refuseNonEmptyTargets(states, options.dropExisting ?? false);
			const dropped = await dropExisting(connection, states);
			if (dropped.length > 0) bus.warn(`--drop-existing: dropped ${dropped.join(', ')}`, {code: 'DROPPED_EXISTING'});
			await connection.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(targetDb)}`);
			await markRestoreStarted(connection, targetDb, options.artifact.path);
			await connection.query(`USE ${quoteIdentifier(targetDb)}`);
		} else {
			// our own script names its databases in its header: they are checked (and replaced) as an archive's are
			const named = databasesOfScriptHead(await readScriptHead(options.artifact, HEADER_BYTES));
			if (named !== undefined && named.length > 0) {
				const states = await inspectTargets(connection, named.map((name) => namedDatabase(name)));
				refuseNonEmptyTargets(states, options.dropExisting ?? false);
				const dropped = await dropExisting(connection, states);
				if (dropped.length > 0) bus.warn(`--drop-existing: dropped ${dropped.join(', ')}`, {code: 'DROPPED_EXISTING'});
			} else if (options.dropExisting) {
				throw new UsageError({
					code: 'DROP_NEEDS_TARGET',
					message: '--drop-existing with this SQL script needs --target-db: the script does not say which database it replaces',
					hint: 'Add --target-db NAME. (A script made by dbbackup --format sql names its databases, and needs no --target-db.)',
				});
			}
		}
		bus.warn(PLAIN_SCRIPT_WARNING, {code: 'SCRIPT_NOT_CONFINED'});
		bus.stage('restore', `applying ${options.artifact.path}${options.artifact.compression === 'none' ? '' : ` (${options.artifact.compression})`}`);
		const result = await applySqlScript({
			connection,
			source: readScriptArtifact(options.artifact) as AsyncIterable<Buffer>,
			bus,
			member: options.artifact.path,
			continueOnError: options.continueOnError,
			totalBytes: options.artifact.compression === 'none' ? options.artifact.bytes : undefined,
			onStatement: targetDb === undefined ? undefined : databaseRedirect(targetDb, options.artifact.path),
		}).catch(scriptUnreadable(options.artifact.path));
		if (targetDb !== undefined) await markRestoreFinished(connection, targetDb);
		return {statements: result.statements, failedStatements: result.errors.length, bytes: result.bytes, startedAt, finishedAt: new Date().toISOString()};
	} finally {
		await connection.end().catch(() => undefined);
	}
}
