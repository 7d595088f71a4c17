import path from 'node:path';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import type {DbType} from '../core/detect/types.ts';
import {badFlagUse, badFlagValue, DbBackupError, UsageError, wrongDbType} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {dbTypeLabel} from '../core/detect/describe.ts';
import {isObjectStoreUrl} from '../core/object-store-url.ts';
import {describeCoordinates, selectForRestore} from '../engines/mysql-logical/index.ts';
import {findEngine, logicalEngineFor} from '../engines/registry.ts';
import type {BackupEngine, EngineName, RestoreOptions, RestorePlan, RestoreResult} from '../engines/types.ts';
import {openArchiveIn} from '../storage/archive/reader.ts';
import type {Manifest} from '../storage/archive/manifest.ts';
import {identifyArtifact, readScriptHead, type ArtifactFile} from '../storage/artifact.ts';
import {directoryTarget, type StorageOptions} from '../storage/target/index.ts';
import {applyReplay, checkReplayTarget, planReplay, planResult} from '../binlog/replay/replay.ts';
import {noStartPoint, SCRIPT_HEAD_BYTES, startFromFlags, startFromManifest, startFromScriptHead} from '../binlog/replay/start-point.ts';
import {parseReplayTarget} from '../binlog/replay/target.ts';
import type {ReplayRequest, ReplayResult} from '../binlog/replay/types.ts';
import {parseEventFilter} from './binlog-stream.ts';
import {runDataDirectoryRestore} from './datadir-restore.ts';
import type {WalRecoveryRequest} from './pg-pitr.ts';

export interface ArtifactSummary {
	path: string;
	kind: 'archive' | 'sql';
	bytes: number;
	modifiedAt: string;
	engine?: string;
	dbType?: DbType;
	serverVersion?: string;
	startedAt?: string;
	finishedAt?: string;
	lockMs?: number;
	/** one line, e.g. "GTID 0-1-42, binlog mariadb-bin.000003:1234" */
	coordinates?: string;
	compression?: string;
	databases: Array<{name: string; tables: number; rows: number}>;
	/** the manifest has a `physical` section: a copy of a server's files, restored into a data directory */
	physical?: boolean;
}

/** The engine's options, with the server to restore into. */
export type RestoreRequest = Omit<RestoreOptions, 'settings'> & {
	target: ConnectionSettings;
	/** --database: the archive's databases to restore (absent: every one) */
	databases?: string[];
	/** with dataDirectory: start a throwaway server on the restored directory, check it, stop it */
	verifyStart?: boolean;
	/** with dataDirectory (PostgreSQL): set up point-in-time recovery from a wal-stream store */
	walRecovery?: WalRecoveryRequest;
};

export type {RestorePlan} from '../engines/types.ts';

export type RestoreOutcome = RestoreResult & {engine: EngineName};

const ARTIFACT_NAME = /\.(tar|sql|sql\.gz|sql\.zst|sql\.lz4)$/i;

/** What is in a backup file: its manifest for an archive, the file facts for a SQL script. */
export async function describeArtifact(file: string, storage?: StorageOptions): Promise<ArtifactSummary> {
	return (await readArtifact(file, storage)).summary;
}

/** The artifact identified and, for an archive, its manifest read, once, with the summary of both. */
async function readArtifact(file: string, storage?: StorageOptions): Promise<{summary: ArtifactSummary; manifest?: Manifest}> {
	const artifact = await identifyArtifact(file, storage);
	const base = {path: artifact.path, kind: artifact.kind, bytes: artifact.bytes, modifiedAt: artifact.modifiedAt.toISOString()};
	if (artifact.kind === 'sql') return {summary: {...base, compression: artifact.compression, databases: []}};
	const {manifest} = await openArchiveIn(artifact.target, artifact.name);
	const compressions = [...new Set(manifest.members.map((member) => member.compression))];
	const summary: ArtifactSummary = {
		...base,
		engine: manifest.engine,
		dbType: manifest.dbType,
		serverVersion: manifest.server.version,
		startedAt: manifest.startedAt,
		finishedAt: manifest.finishedAt,
		lockMs: manifest.lockMs,
		coordinates: findEngine(manifest.engine, manifest.dbType).describeCoordinates(manifest.coordinates),
		compression: compressions.join(', '),
		databases: manifest.databases.map((database) => ({
			name: database.name,
			tables: database.tables.length,
			rows: database.tables.reduce((sum, table) => sum + table.rows, 0),
		})),
		...(manifest.physical === undefined ? {} : {physical: true}),
	};
	return {summary, manifest};
}

/** One member of an archive, as `restore --list` shows it. */
export interface ArtifactMemberLine {
	path: string;
	/** stored (compressed) bytes, and before compression */
	bytes: number;
	rawBytes: number;
	compression: string;
}

/** What `restore ARTIFACT --list` shows (like `pg_restore -l`): the summary and, for an archive, every member in order. */
export interface ArtifactContents {
	summary: ArtifactSummary;
	/** per database: its tables with their rows */
	tables: Array<{database: string; table: string; rows: number}>;
	members: ArtifactMemberLine[];
	/** a physical backup: the server's file trees it holds (the data directory, tablespaces), with their files counted */
	physical?: Array<{name: string; location?: string; files: number; directories: number; bytes: number}>;
}

/** The contents of a backup without restoring it or connecting to any server; archives are not checked member by member. */
export async function listArtifactContents(file: string, storage?: StorageOptions): Promise<ArtifactContents> {
	const {summary, manifest} = await readArtifact(file, storage);
	if (!manifest) return {summary, tables: [], members: []};
	return {
		summary,
		tables: manifest.databases.flatMap((database) => database.tables.map((table) => ({database: database.name, table: table.name, rows: table.rows}))),
		members: manifest.members.map((member) => ({path: member.path, bytes: member.bytes, rawBytes: member.rawBytes, compression: member.compression})),
		...(manifest.physical
			? {
					physical: manifest.physical.archives.map((archive) => ({
						name: archive.name,
						...(archive.location === undefined ? {} : {location: archive.location}),
						files: archive.entries.filter((entry) => entry.type === 'file').length,
						directories: archive.entries.filter((entry) => entry.type === 'directory').length,
						bytes: archive.entries.reduce((sum, entry) => sum + (entry.size ?? 0), 0),
					})),
				}
			: {}),
	};
}

/** The backups in `dir` (archives and SQL scripts), newest first; files that cannot be read are left out. */
export async function listArtifacts(dir: string, storage?: StorageOptions): Promise<ArtifactSummary[]> {
	const target = await directoryTarget(dir, storage);
	let names: string[];
	try {
		names = (await target.list()).map((artifact) => artifact.name);
	} catch (error) {
		// a target's own errors already name the location and say what to do (S3_UNREACHABLE, S3_BUCKET_NOT_FOUND)
		if (error instanceof DbBackupError) throw error;
		throw new UsageError({code: 'ARTIFACT_DIR_UNREADABLE', message: `cannot list ${dir}: ${(error as Error).message}`, cause: error});
	}
	const summaries: ArtifactSummary[] = [];
	for (const name of names.filter((candidate) => ARTIFACT_NAME.test(candidate))) {
		try {
			summaries.push(await describeArtifact(target.describe(name), storage));
		} catch {
			// a damaged or foreign file is not offered; `dbbackup restore FILE` says why
		}
	}
	return summaries.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
}

/**
 * --database picks databases of an archive, and then names no database to connect to (the target need
 * not have it). With a SQL script it keeps its meaning of the connection's database.
 */
function requestFor(request: RestoreRequest, artifact: ArtifactFile): RestoreRequest {
	if (request.databases === undefined) return request;
	if (artifact.kind !== 'archive') return {...request, databases: undefined};
	return {...request, target: {...request.target, database: undefined}};
}

/** Where a restore would go and whether it would replace data; changes nothing (the engine that would restore it plans). */
export async function planRestore(given: RestoreRequest): Promise<RestorePlan> {
	const artifact = await identifyArtifact(given.artifact, given.storage);
	const request = requestFor(given, artifact);
	const engine = await engineForRestore(artifact, request.target);
	const {target, ...options} = request;
	if (!engine.planRestore) return {databases: [], destructive: false};
	return engine.planRestore({...options, settings: target});
}

/** A script whose header names the other kind of server is refused before anything is created. */
function refuseForeignScript(artifact: ArtifactFile, dbType: DbType): void {
	const header = artifact.script;
	if (artifact.kind !== 'sql' || !header || header.dbType === dbType) return;
	throw new UsageError({
		code: 'ARTIFACT_WRONG_KIND',
		message: `${artifact.path} is ${header.writer}; the target is ${dbTypeLabel(dbType)}: use --db-type ${header.dbType}`,
		hint: `Restore it into a ${dbTypeLabel(header.dbType)} server: --db-type ${header.dbType} with that server's --host and --port (or --socket).`,
	});
}

/** The engine that restores the artifact: the one that wrote an archive, the target's logical engine for a SQL script. */
async function engineForRestore(artifact: ArtifactFile, target: ConnectionSettings): Promise<BackupEngine> {
	refuseForeignScript(artifact, target.dbType);
	if (artifact.kind !== 'archive') return logicalEngineFor(target.dbType);
	const {manifest} = await openArchiveIn(artifact.target, artifact.name);
	const writer = findEngine(manifest.engine, manifest.dbType);
	if (writer.restoreTarget === 'data-directory') {
		throw new UsageError({
			code: 'PHYSICAL_NEEDS_DATADIR',
			message: `${artifact.path} is a physical backup (${writer.name}) of a whole ${dbTypeLabel(manifest.dbType)} server: it restores into a data directory, not into a running server`,
			hint: 'Give --datadir DIR (a new or empty directory); the restore prints how to start a server on it.',
		});
	}
	if (manifest.dbType !== target.dbType) {
		throw wrongDbType(artifact.path, manifest.dbType, `, but the target server is ${target.dbType}`, `Restore it into a ${dbTypeLabel(manifest.dbType)} server (--db-type ${manifest.dbType}).`);
	}
	return findEngine(manifest.engine, target.dbType);
}

/** Restores an archive with the engine that wrote it, or a SQL script with the target's logical engine. */
export async function runRestore(given: RestoreRequest, bus: EventBus): Promise<RestoreOutcome> {
	if (!Number.isSafeInteger(given.workers) || given.workers < 1) {
		throw new UsageError({code: 'BAD_WORKERS', message: `--workers must be a whole number of 1 or more, got ${given.workers}`});
	}
	if (given.dataDirectory !== undefined) return runDataDirectoryRestore({...given, dataDirectory: given.dataDirectory}, bus);
	const artifact = await identifyArtifact(given.artifact, given.storage);
	const request = requestFor(given, artifact);
	const engine = await engineForRestore(artifact, request.target);
	bus.stage('restore', `${engine.name}: ${artifact.path} → ${request.targetDb ?? 'the databases it names'}`);
	const {target, ...options} = request;
	const result = await engine.restore({...options, settings: target, artifact: artifact.path}, bus);
	return {...result, engine: engine.name};
}

/** --binlogs and the flags that steer the replay after the restore. */
export interface ReplayFlags {
	binlogs: string;
	until?: string;
	untilPosition?: string;
	untilGtid?: string;
	/** comma-separated: replay only these databases (of the ones the backup restores) */
	databases?: string;
	dryRun: boolean;
	/** where a SQL script backup was taken, when its header does not say */
	startPosition?: string;
	startGtid?: string;
}

export type PointInTimeOutcome = {engine?: EngineName; restore?: RestoreResult; replay: ReplayResult};

/**
 * Point-in-time recovery: checks the binlogs from the backup's coordinates to the target first (so a gap,
 * a damaged file or an unreachable target refuses before anything is written), then restores the backup
 * and replays the binlog up to the target. --dry-run stops after the check and lists the transactions.
 */
export async function runPointInTimeRestore(given: RestoreRequest, flags: ReplayFlags, bus: EventBus): Promise<PointInTimeOutcome> {
	const startedAt = new Date().toISOString();
	if (given.target.dbType !== 'mysql') {
		throw new UsageError({code: 'REPLAY_NEEDS_MYSQL', message: '--binlogs replays a MySQL/MariaDB binary log; the target server is PostgreSQL', hint: 'Point-in-time recovery for PostgreSQL is not built yet.'});
	}
	const artifact = await identifyArtifact(given.artifact, given.storage);
	refuseForeignScript(artifact, given.target.dbType);
	const request = requestFor(given, artifact);
	const replayRequest = await replayRequestFor(request, flags, artifact);
	const planned = await planReplay(replayRequest, bus);
	if (flags.dryRun) return {replay: planResult(replayRequest, planned, startedAt)};
	await checkReplayTarget(request.target, planned);
	const restored = await runRestore(request, bus);
	const replay = await applyReplay(replayRequest, planned, request.target, bus);
	return {engine: restored.engine, restore: restored, replay};
}

async function replayRequestFor(request: RestoreRequest, flags: ReplayFlags, artifact: Awaited<ReturnType<typeof identifyArtifact>>): Promise<ReplayRequest> {
	const fromFlags = startFromFlags(flags.startPosition, flags.startGtid);
	const wanted = flags.databases === undefined ? undefined : parseEventFilter(flags.databases, undefined)?.databases ?? [];
	const target = parseReplayTarget(flags);
	const base = {binlogDir: isObjectStoreUrl(flags.binlogs) ? flags.binlogs : path.resolve(flags.binlogs), storage: request.storage, target, binlog: request.binlog};
	if (artifact.kind === 'archive') {
		const {manifest} = await openArchiveIn(artifact.target, artifact.name);
		if (manifest.dbType !== 'mysql') {
			throw wrongDbType(artifact.path, manifest.dbType, '; --binlogs replays MySQL/MariaDB binary logs');
		}
		if (fromFlags) {
			throw badFlagUse(
				`${fromFlags.source} is for SQL script backups: ${artifact.path} records its own coordinates (${describeCoordinates(manifest.coordinates)})`,
				'Leave it out; the replay starts where the backup was taken.',
			);
		}
		const selection = selectForRestore(manifest, request);
		const restored = selection.databases.map((database) => database.source.name);
		const unknown = (wanted ?? []).filter((name) => !restored.includes(name));
		if (unknown.length > 0) {
			throw badFlagValue(
				'--databases',
				unknown.join(', '),
				`not restored from this backup (it restores ${restored.join(', ') || 'nothing'})`,
				'The replay applies changes only to databases the restore creates.',
			);
		}
		const tables = selection.databases.filter((database) => !database.whole).flatMap((database) => database.tables.map((table) => `${database.source.name}.${table.name}`));
		const renames = new Map(selection.databases.filter((database) => database.target !== database.source.name).map((database) => [database.source.name, database.target]));
		return {
			...base,
			start: startFromManifest(manifest.coordinates, manifest.startedAt, artifact.path),
			filter: {databases: wanted ?? restored, tables: tables.length > 0 ? tables : undefined},
			renames,
		};
	}
	const start = fromFlags ?? startFromScriptHead(await readScriptHead(artifact, SCRIPT_HEAD_BYTES)) ?? (() => {
		throw noStartPoint(artifact.path);
	})();
	let renames: Map<string, string> | undefined;
	if (request.targetDb !== undefined) {
		if (wanted?.length !== 1) {
			throw badFlagUse(`--target-db ${request.targetDb} with a SQL script: name the script's database with --databases, so that the replay knows which database to redirect`);
		}
		renames = new Map([[wanted[0]!, request.targetDb]]);
	}
	return {...base, start, filter: wanted ? {databases: wanted} : undefined, renames};
}
