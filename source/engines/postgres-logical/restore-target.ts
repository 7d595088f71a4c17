import type pg from 'pg';
import {connectPostgres} from '../../core/connect.ts';
import type {ConnectionSettings} from '../../core/connection-settings.ts';
import {UsageError} from '../../core/errors.ts';
import {quoteIdent} from './identifiers.ts';
import {describeUnfinished, unfinishedRestore, type UnfinishedRestore} from './restore-marker.ts';

export interface PostgresTargetState {
	database: string;
	exists: boolean;
	/** user objects found in it: relations, routines, types, schemas other than public, extensions other than plpgsql */
	objects: number;
	/** a few of them, for the message */
	examples: string[];
	/** a restore into it began and did not finish */
	unfinished?: UnfinishedRestore;
}

const USER_OBJECTS = `
	WITH user_namespaces AS (
		SELECT oid, nspname FROM pg_catalog.pg_namespace
		WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%'
	), found AS (
		SELECT 'schema ' || nspname AS object FROM user_namespaces WHERE nspname <> 'public'
		UNION ALL SELECT 'relation ' || n.nspname || '.' || c.relname FROM pg_catalog.pg_class c JOIN user_namespaces n ON n.oid = c.relnamespace
		UNION ALL SELECT 'routine ' || n.nspname || '.' || p.proname FROM pg_catalog.pg_proc p JOIN user_namespaces n ON n.oid = p.pronamespace
		UNION ALL SELECT 'type ' || n.nspname || '.' || t.typname FROM pg_catalog.pg_type t JOIN user_namespaces n ON n.oid = t.typnamespace WHERE t.typtype IN ('e', 'd', 'r', 'm') OR (t.typtype = 'c' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c'))
		UNION ALL SELECT 'extension ' || extname FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'
		UNION ALL SELECT 'large object ' || oid::text FROM pg_catalog.pg_largeobject_metadata
	)
	SELECT count(*)::int AS objects, (array_agg(object ORDER BY object))[1:5] AS examples FROM found`;

/** Whether the target database exists and what it already holds; changes nothing. */
export async function inspectPostgresTarget(control: pg.Client, settings: ConnectionSettings, database: string): Promise<PostgresTargetState> {
	const {rowCount} = await control.query('SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1', [database]);
	if (!rowCount) return {database, exists: false, objects: 0, examples: []};
	const client = await connectPostgres({...settings, database});
	try {
		const {rows: [row]} = await client.query<{objects: number; examples: string[] | null}>(USER_OBJECTS);
		const unfinished = await unfinishedRestore(control, database);
		return {database, exists: true, objects: row.objects, examples: row.examples ?? [], ...(unfinished ? {unfinished} : {})};
	} finally {
		await client.end().catch(() => undefined);
	}
}

export interface TargetDecision {
	/** drop the database first (--clean / --drop-existing over a non-empty or, with --create, existing target) */
	drop: boolean;
	/** create it (absent, or dropped) */
	create: boolean;
}

/** What to do with the target, or a usage error (exit 2) when restoring would mix with or replace data without being told to. */
export function decideTarget(state: PostgresTargetState, options: {create?: boolean; clean?: boolean; dataOnly?: boolean; several?: boolean}): TargetDecision {
	const name = JSON.stringify(state.database);
	// with several databases restored, --target-db alone would be refused: the way to another name is --database with it
	const elsewhere = options.several ? '--database DB --target-db NAME' : '--target-db NAME';
	if (options.dataOnly) {
		if (!state.exists) {
			throw new UsageError({code: 'TARGET_MISSING', message: `--data-only loads rows into existing tables, but database ${name} does not exist`, hint: 'Restore the definitions first (without --data-only), or name an existing database with --target-db.'});
		}
		if (state.unfinished) {
			throw new UsageError({code: 'RESTORE_UNFINISHED', message: `--data-only: ${describeUnfinished(state.database, state.unfinished)}`, hint: 'Restore the definitions again with --clean first.'});
		}
		return {drop: false, create: false};
	}
	if (!state.exists) return {drop: false, create: true};
	if (options.clean) return {drop: true, create: true};
	if (state.unfinished) {
		throw new UsageError({
			code: 'RESTORE_UNFINISHED',
			message: `refusing to restore: ${describeUnfinished(state.database, state.unfinished)}`,
			hint: `Replace what it holds with --clean, or restore into another database with ${elsewhere}.`,
		});
	}
	if (options.create) {
		throw new UsageError({code: 'TARGET_EXISTS', message: `--create: database ${name} exists already`, hint: `Choose another name with ${elsewhere}, or replace it with --clean.`});
	}
	if (state.objects > 0) {
		throw new UsageError({
			code: 'TARGET_NOT_EMPTY',
			message: `refusing to restore over existing data: database ${name} has ${state.objects} object(s) (${state.examples.join(', ')}${state.objects > state.examples.length ? ', …' : ''})`,
			hint: `Restore into another database with ${elsewhere}, or drop and re-create it with --clean.`,
		});
	}
	return {drop: false, create: false};
}

export async function dropDatabase(control: pg.Client, database: string): Promise<void> {
	await control.query(`DROP DATABASE ${quoteIdent(database)}`);
}
