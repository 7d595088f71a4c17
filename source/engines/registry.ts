import type {DbType, DetectedEnvironment} from '../core/detect/types.ts';
import {UsageError} from '../core/errors.ts';
import {basebackupEngine} from './basebackup/index.ts';
import {cloneEngine} from './clone/index.ts';
import {mysqlLogicalEngine} from './mysql-logical/index.ts';
import {postgresLogicalEngine} from './postgres-logical/index.ts';
import type {EngineAvailabilityRow} from './selection-types.ts';
import {snapshotEngine} from './snapshot/index.ts';
import {isObjectStoreUrl} from '../core/object-store-url.ts';
import {availability, type Availability, type BackupEngine, type EngineCapabilities, type SelectionContext} from './types.ts';

export const ENGINES: readonly BackupEngine[] = [
	mysqlLogicalEngine,
	postgresLogicalEngine,
	basebackupEngine,
	cloneEngine,
	snapshotEngine,
];

/**
 * Registered for their real availability checks, but their backup and restore refuse until their driver
 * is built (not-built.ts): what they report they can do is what this version does with them, nothing.
 */
const NOT_BUILT: ReadonlySet<BackupEngine> = new Set<BackupEngine>([]);

function builtCapabilities(engine: BackupEngine): EngineCapabilities {
	if (!NOT_BUILT.has(engine)) return engine.capabilities;
	return {...engine.capabilities, backup: false, restore: false, incremental: false, streaming: false};
}

/**
 * The engine that lists a server's databases and restores plain SQL scripts into it: the logical
 * engine of its database type.
 */
export function logicalEngineFor(dbType: DbType): BackupEngine {
	const engine = ENGINES.find((candidate) => candidate.dbTypes.includes(dbType) && candidate.capabilities.kind === 'logical' && candidate.listDatabases !== undefined);
	if (!engine) throw new Error(`no logical engine is registered for ${dbType}`);
	return engine;
}

export function enginesFor(dbType: DbType): BackupEngine[] {
	return ENGINES.filter((engine) => engine.dbTypes.includes(dbType));
}

/** An engine by name or alias; aliases shared by two engines ("logical") resolve by database type. */
export function findEngine(name: string, dbType?: DbType): BackupEngine {
	const wanted = name.trim().toLowerCase();
	const matches = ENGINES.filter((engine) => engine.name === wanted || engine.aliases.includes(wanted));
	const match = matches.length > 1 && dbType ? matches.find((engine) => engine.dbTypes.includes(dbType)) : matches[0];
	if (!match) {
		throw new UsageError({
			code: 'UNKNOWN_ENGINE',
			message: `unknown engine "${name}"`,
			hint: `Engines: ${ENGINES.map((engine) => [engine.name, ...engine.aliases].join('/')).join(', ')}.`,
		});
	}
	return match;
}

export function availabilityRows(env: DetectedEnvironment, context: SelectionContext = {}, engines: readonly BackupEngine[] = enginesFor(env.dbType)): EngineAvailabilityRow[] {
	return engines.map((engine) => ({
		name: engine.name,
		aliases: engine.aliases,
		description: engine.description,
		kind: engine.capabilities.kind,
		dbTypes: engine.dbTypes,
		capabilities: builtCapabilities(engine),
		availability: withDestination(engine, engine.checkAvailability(env, context), context),
	}));
}

/** An engine that writes only to local disk cannot take an object-store destination, whatever else it can do. */
function withDestination(engine: BackupEngine, verdict: Availability, context: SelectionContext): Availability {
	if (engine.capabilities.streaming || !isObjectStoreUrl(context.destination)) return verdict;
	return availability([...verdict.reasons, `${engine.name} writes to local disk only; it cannot stream to ${context.destination}`], verdict.warnings, verdict.info);
}
