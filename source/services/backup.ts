import {connectionLostError, isConnectionLost} from '../core/connection-lost.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import type {DetectedEnvironment} from '../core/detect/types.ts';
import {EngineUnavailableError, UsageError} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {availabilityRows, findEngine, logicalEngineFor} from '../engines/registry.ts';
import {selectEngine, selectPhysical} from '../engines/selector.ts';
import type {BackupEngine, BackupOptions, BackupResult, DatabaseSummary, EngineName, SelectionContext} from '../engines/types.ts';

export type {DatabaseSummary} from '../engines/types.ts';
import type {Compression} from '../storage/compression.ts';
import {targetFor} from '../storage/target/index.ts';
import {detectServer} from './environment.ts';

/** The engine's options, with the server to back up and, optionally, the engine to use. */
export type BackupRequest = Omit<BackupOptions, 'settings' | 'compress'> & {
	target: ConnectionSettings;
	/** absent: the selector picks */
	engine?: string;
	/** physical-backup: without `engine`, only a physical engine may run; a logical one named in `engine` runs with a warning */
	physical?: boolean;
	compress: Compression;
};

export interface BackupOutcome {
	engine: EngineName;
	result: BackupResult;
}

/** The engine that runs the backup: the one asked for (if it can run here), else the selector's pick. */
async function chooseEngine(request: BackupRequest, bus: EventBus): Promise<BackupEngine> {
	const environment = await detectServer(request.target, bus);
	const context = {destination: request.output, databases: request.databases};
	if (request.engine) {
		const engine = findEngine(request.engine, request.target.dbType);
		const availability = availabilityRows(environment, context, [engine])[0]!.availability;
		if (!availability.available) {
			throw new EngineUnavailableError({
				code: 'ENGINE_UNAVAILABLE',
				message: `engine ${engine.name} cannot run against ${environment.connection.target}: ${availability.reason}`,
				hint: 'Run `dbbackup engine list` to see what can run here and why.',
			});
		}
		for (const warning of availability.warnings) bus.warn(`${engine.name}: ${warning}`);
		if (request.physical && engine.capabilities.kind !== 'physical') {
			bus.warn(`${engine.name} is a logical engine: this physical-backup is a logical dump (SQL and rows), not a copy of the data files`, {
				code: 'PHYSICAL_BACKUP_IS_LOGICAL',
				hint: 'It restores with `dbbackup restore` into a running server, like any backup of this engine.',
			});
		}
		return engine;
	}
	if (request.physical) return choosePhysical(environment, context, request.target, bus);
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

/** physical-backup without --engine: the first physical engine that can run here, or exit 4 with every one's reason. */
function choosePhysical(environment: DetectedEnvironment, context: SelectionContext, target: ConnectionSettings, bus: EventBus): BackupEngine {
	const choice = selectPhysical(environment, context);
	if (choice.engine) {
		bus.log('info', `physical engine: ${choice.engine}`);
		return findEngine(choice.engine, target.dbType);
	}
	const reasons = choice.candidates.map((row) => `${row.name}: ${row.availability.reason}`);
	const logical = logicalEngineFor(target.dbType).name;
	throw new EngineUnavailableError({
		code: 'PHYSICAL_ENGINE_UNAVAILABLE',
		message: `no physical engine can back up ${environment.connection.target}: ${reasons.length > 0 ? reasons.join('; ') : 'none is registered for this database type'}`,
		hint: `physical-backup --engine ${logical} makes a logical dump of the server instead (with a warning that it is one); \`dbbackup engine list\` shows every engine.`,
	});
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
	await (await targetFor(request.output, request.storage)).target.removeDeadLeftovers(bus);
	const {target, engine: _requested, physical: _physical, ...options} = request;
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

/** The user databases of a server with their size, largest first (its logical engine lists them). */
export async function listDatabases(target: ConnectionSettings): Promise<DatabaseSummary[]> {
	return logicalEngineFor(target.dbType).listDatabases!(target);
}
