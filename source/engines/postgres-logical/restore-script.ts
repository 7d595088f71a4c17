import type pg from 'pg';
import {connectPostgres} from '../../core/connect.ts';
import {UsageError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {readScriptArtifact, type ArtifactFile} from '../../storage/artifact.ts';
import {scriptUnreadable} from '../sql-script/unreadable.ts';
import type {RestoreOptions} from '../types.ts';
import {quoteIdent} from './identifiers.ts';
import {markRestoreFinished, markRestoreStarted} from './restore-marker.ts';
import {decideTarget, dropDatabase, inspectPostgresTarget} from './restore-target.ts';
import {PLAIN_SCRIPT_WARNING} from '../sql-script/confinement.ts';
import {applyPostgresScript} from './script/apply.ts';
import {DatabaseMap} from './script/database-map.ts';

export type PostgresScriptRestoreOptions = Pick<RestoreOptions, 'settings' | 'targetDb' | 'dropExisting' | 'create' | 'continueOnError'> & {artifact: ArtifactFile};

export interface PostgresScriptRestoreResult {
	/** the database the script ended in */
	database: string;
	statements: number;
	copyRows: number;
	failedStatements: number;
	bytes: number;
	startedAt: string;
	finishedAt: string;
}

/**
 * Restores a plain SQL script (pg_dump -Fp, ours with --format sql) natively into --target-db, which is
 * created when missing and must otherwise be empty (or --clean). A script made with pg_dump --create
 * creates its own database and `\connect`s to it; the restore follows it there.
 */
export async function restorePostgresScript(options: PostgresScriptRestoreOptions, bus: EventBus): Promise<PostgresScriptRestoreResult> {
	const startedAt = new Date().toISOString();
	const {targetDb} = options;
	if (!targetDb) {
		throw new UsageError({
			code: 'TARGET_DB_REQUIRED',
			message: `a plain PostgreSQL script does not say which database it belongs in: give --target-db NAME to restore ${options.artifact.path}`,
			hint: 'The database is created when it does not exist; an existing one must be empty (or use --clean).',
		});
	}
	const control = await connectPostgres({...options.settings, database: options.settings.database ?? 'postgres'});
	const clients: pg.Client[] = [];
	try {
		const state = await inspectPostgresTarget(control, options.settings, targetDb);
		const decision = decideTarget(state, {create: options.create, clean: options.dropExisting});
		if (decision.drop) {
			await dropDatabase(control, targetDb);
			bus.warn(`--clean: dropped database ${targetDb}`, {code: 'DROPPED_EXISTING'});
		}
		if (decision.create) await control.query(`CREATE DATABASE ${quoteIdent(targetDb)}`);
		const previousComment = await markRestoreStarted(control, targetDb, options.artifact.path);
		let database = targetDb;
		const client = await connectPostgres({...options.settings, database});
		clients.push(client);
		const map = new DatabaseMap(targetDb, options.artifact.path, bus);
		bus.warn(PLAIN_SCRIPT_WARNING, {code: 'SCRIPT_NOT_CONFINED'});
		bus.stage('restore', `applying ${options.artifact.path}${options.artifact.compression === 'none' ? '' : ` (${options.artifact.compression})`} into ${targetDb}`);
		const result = await applyPostgresScript({
			client,
			source: readScriptArtifact(options.artifact) as AsyncIterable<Buffer>,
			bus,
			member: options.artifact.path,
			continueOnError: options.continueOnError,
			totalBytes: options.artifact.compression === 'none' ? options.artifact.bytes : undefined,
			onStatement: (statement) => map.statement(statement),
			onConnect: async (name: string, line: number) => {
				const mapped = map.connect(name, line);
				if (mapped === database) return clients[clients.length - 1]!;
				const next = await connectPostgres({...options.settings, database: mapped});
				clients.push(next);
				database = mapped;
				return next;
			},
		}).catch(scriptUnreadable(options.artifact.path));
		await markRestoreFinished(control, targetDb, previousComment);
		return {database, statements: result.statements, copyRows: result.copyRows, failedStatements: result.errors.length, bytes: result.bytes, startedAt, finishedAt: new Date().toISOString()};
	} finally {
		for (const client of [...clients, control]) await client.end().catch(() => undefined);
	}
}
