import path from 'node:path';
import type {RowDataPacket} from 'mysql2/promise';
import {connectMysql, connectPostgres} from '../core/connect.ts';
import {connectionLostError, isConnectionLost} from '../core/connection-lost.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import {EngineUnavailableError, UsageError} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {SYSTEM_DATABASES} from '../engines/mysql-logical/catalog.ts';
import {findEngine} from '../engines/registry.ts';
import {selectEngine} from '../engines/selector.ts';
import type {BackupEngine, BackupOptions, BackupResult, EngineName} from '../engines/types.ts';
import type {Compression} from '../storage/compression.ts';
import {removeDeadLeftovers} from '../storage/leftovers.ts';
import {detectServer} from './environment.ts';

/** The engine's options, with the server to back up and, optionally, the engine to use. */
export type BackupRequest = Omit<BackupOptions, 'settings' | 'compress'> & {
	target: ConnectionSettings;
	/** absent: the selector picks */
	engine?: string;
	compress: Compression;
};

export interface BackupOutcome {
	engine: EngineName;
	result: BackupResult;
}

export interface DatabaseSummary {
	name: string;
	bytes: number;
	tables: number;
}

/** The engine that runs the backup: the one asked for (if it can run here), else the selector's pick. */
async function chooseEngine(request: BackupRequest, bus: EventBus): Promise<BackupEngine> {
	const environment = await detectServer(request.target, bus);
	const context = {destination: request.output};
	if (request.engine) {
		const engine = findEngine(request.engine, request.target.dbType);
		const availability = engine.checkAvailability(environment, context);
		if (!availability.available) {
			throw new EngineUnavailableError({
				code: 'ENGINE_UNAVAILABLE',
				message: `engine ${engine.name} cannot run against ${environment.connection.target}: ${availability.reason}`,
				hint: 'Run `dbbackup engine list` to see what can run here and why.',
			});
		}
		for (const warning of availability.warnings) bus.warn(`${engine.name}: ${warning}`);
		return engine;
	}
	const selection = selectEngine(environment, context);
	bus.log('info', `engine selection: ${selection.reasons.join(' ')}`);
	if (!selection.engine) {
		const preferred = selection.candidates.find((row) => row.name === selection.preferred);
		throw new EngineUnavailableError({
			code: 'NO_ENGINE_AVAILABLE',
			message: `no engine can back up ${environment.connection.target}: ${selection.preferred} would be chosen but ${preferred?.availability.reason ?? 'it is unavailable'}`,
			hint: 'Run `dbbackup engine select` for every criterion and `dbbackup engine list` for every engine.',
		});
	}
	return findEngine(selection.engine, request.target.dbType);
}

/** Picks the engine, checks it can run, and runs the backup; stages and progress go to the bus. */
export async function runBackup(request: BackupRequest, bus: EventBus): Promise<BackupOutcome> {
	if (!Number.isSafeInteger(request.workers) || request.workers < 1) {
		throw new UsageError({code: 'BAD_WORKERS', message: `--workers must be a whole number of 1 or more, got ${request.workers}`});
	}
	if (request.chunkRows !== undefined && (!Number.isSafeInteger(request.chunkRows) || request.chunkRows < 0)) {
		throw new UsageError({code: 'BAD_CHUNK_ROWS', message: `--chunk-rows must be a whole number of 0 or more, got ${request.chunkRows}`, hint: '0 dumps every table as one chunk.'});
	}
	const engine = await chooseEngine(request, bus);
	bus.stage('backup', `${engine.name} → ${request.output}`);
	if (!/^s3:\/\//i.test(request.output)) await removeDeadLeftovers(path.dirname(path.resolve(request.output)), bus);
	const {target, engine: _requested, ...options} = request;
	let stage = 'backup';
	const stopWatching = bus.on('stage', (event) => (stage = event.name));
	try {
		const result = await engine.backup({...options, settings: target}, bus);
		return {engine: engine.name, result};
	} catch (error) {
		throw isConnectionLost(error) ? connectionLostError(target, stage, error) : error;
	} finally {
		stopWatching();
	}
}

/** The user databases of a MySQL/MariaDB server with their size, largest first. */
export async function listDatabases(target: ConnectionSettings): Promise<DatabaseSummary[]> {
	if (target.dbType === 'postgres') return listPostgresDatabases(target);
	const connection = await connectMysql(target);
	try {
		const [rows] = await connection.query<RowDataPacket[]>(
			`SELECT s.SCHEMA_NAME AS name, COUNT(t.TABLE_NAME) AS tables, COALESCE(SUM(t.DATA_LENGTH + t.INDEX_LENGTH), 0) AS bytes
			FROM information_schema.SCHEMATA s LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME
			GROUP BY s.SCHEMA_NAME ORDER BY bytes DESC, name`,
		);
		return rows
			.map((row) => ({name: String(row.name), tables: Number(row.tables), bytes: Number(row.bytes)}))
			.filter((database) => !SYSTEM_DATABASES.has(database.name.toLowerCase()));
	} finally {
		await connection.end().catch(() => undefined);
	}
}

/** The connectable, non-template databases of a PostgreSQL server with their size and table count, largest first. */
async function listPostgresDatabases(target: ConnectionSettings): Promise<DatabaseSummary[]> {
	const control = await connectPostgres({...target, database: target.database ?? 'postgres'});
	let databases: Array<{name: string; bytes: number}>;
	try {
		const {rows} = await control.query<{name: string; bytes: string}>(
			'SELECT datname AS name, pg_catalog.pg_database_size(oid) AS bytes FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 2 DESC, 1',
		);
		databases = rows.map((row) => ({name: row.name, bytes: Number(row.bytes)}));
	} finally {
		await control.end().catch(() => undefined);
	}
	const summaries: DatabaseSummary[] = [];
	for (const database of databases) {
		const client = await connectPostgres({...target, database: database.name});
		try {
			const {rows} = await client.query<{tables: number}>(
				"SELECT count(*)::int AS tables FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
			);
			summaries.push({...database, tables: rows[0].tables});
		} finally {
			await client.end().catch(() => undefined);
		}
	}
	return summaries;
}
