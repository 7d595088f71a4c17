/**
 * `physical-backup --engine snapshot`: the data directory's unit is resolved (unit.ts), snapshots a
 * killed run left are removed by name, the scope is checked (scope.ts), the server is held still for the
 * milliseconds the snapshot takes (mysql.ts; postgres.ts holds nothing), the snapshot's copy of the data
 * directory is written into our archive (physical/directory-backup.ts), and the snapshot is removed —
 * always: after success, after a failure, and on SIGINT/SIGTERM (guard.ts).
 */
import type {RowDataPacket} from 'mysql2/promise';
import type pg from 'pg';
import {connectMysql, connectPostgres, connectionSummary, type MysqlConnection} from '../../core/connect.ts';
import {EngineUnavailableError, WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {targetFor} from '../../storage/target/index.ts';
import {describeCoordinates} from '../mysql-logical/consistency.ts';
import {readServerVersion} from '../mysql-logical/server.ts';
import {describeBaseBackupCoordinates} from '../basebackup/coordinates.ts';
import {writeDirectoryBackup, type DirectoryBackupDescription, type DirectoryEntryType} from '../physical/directory-backup.ts';
import type {BackupOptions, BackupResult} from '../types.ts';
import type {Runners, SnapshotBackend, TakenSnapshot} from './backends.ts';
import {guardSnapshot} from './guard.ts';
import {mysqlPlaces, nonInnodbTablesWithRows, quiesceMysql} from './mysql.ts';
import {SNAPSHOT_PREFIX, snapshotName} from './names.ts';
import {aroundPostgresSnapshot, postgresExclude, postgresPlaces} from './postgres.ts';
import {checkScope} from './scope.ts';
import {resolveUnit, type SnapshotUnit} from './unit.ts';

/** For tests: the command runners the backends use, and where LVM snapshots are mounted. */
export interface SnapshotBackupHooks extends Runners {
	mountBase?: string;
}

/** Removes the snapshots killed runs left in this unit, each with a warning naming it. */
export async function removeStaleSnapshots(backend: SnapshotBackend, own: string, bus: EventBus): Promise<string[]> {
	const stale = await backend.listStale(SNAPSHOT_PREFIX, own);
	const removed: string[] = [];
	for (const snapshot of stale) {
		await backend.remove(snapshot.name);
		removed.push(snapshot.name);
		bus.warn(`removed the snapshot ${snapshot.name} of ${backend.unit}, left by a run (process ${snapshot.pid}, started ${snapshot.startedAt}) that ended without removing it`, {
			code: 'SNAPSHOT_STALE_REMOVED',
			hint: 'A snapshot backup was killed (or the machine stopped) while it ran; its snapshot kept space pinned until now.',
		});
	}
	return removed;
}

/** Files of a MySQL data directory a restored server must not find: the running server's pid file. */
function mysqlExclude(relativePath: string, type: DirectoryEntryType): boolean {
	return type === 'file' && !relativePath.includes('/') && relativePath.endsWith('.pid');
}

async function mysqlDatabases(connection: MysqlConnection): Promise<string[]> {
	const [rows] = await connection.query<RowDataPacket[]>('SHOW DATABASES');
	const system = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);
	return rows.map((row) => String(Object.values(row)[0])).filter((name) => !system.has(name));
}

async function postgresDatabases(client: pg.Client): Promise<string[]> {
	const result = await client.query<{datname: string}>('SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY datname');
	return result.rows.map((row) => row.datname);
}

interface Prepared {
	datadir: string;
	unit: SnapshotUnit;
	backend: SnapshotBackend;
}

/** The unit, its backend (recursive for ZFS when a child dataset holds a place), the stale snapshots gone, the scope checked. */
async function prepare(datadir: string, places: Parameters<typeof checkScope>[1], options: BackupOptions, name: string, bus: EventBus, hooks: SnapshotBackupHooks): Promise<Prepared> {
	bus.stage('snapshot-scope', `what holds ${datadir}`);
	const unit = await resolveUnit(datadir, options.snapshot, hooks);
	bus.log('info', `snapshot unit: ${unit.capability.reason}`);
	const scope = await checkScope(datadir, places, unit.probe);
	const backend = unit.backend({recursive: scope.children.length > 0});
	bus.log('info', `every file the server writes is in ${backend.unit}: ${scope.checked.map((place) => `${place.what} (${place.path})`).join('; ')}`);
	await removeStaleSnapshots(backend, name, bus);
	return {datadir: unit.filesystem.path, unit, backend};
}

/**
 * Takes the snapshot through `quiesce`, archives its copy, and removes it whatever happens. `quiesce`
 * runs the snapshot function it is given while the server is held.
 */
async function snapshotAndArchive<Q extends {taken: TakenSnapshot; quiesceMs: number; snapshotMs: number}>(
	prepared: Prepared,
	name: string,
	quiesce: (take: () => Promise<TakenSnapshot>) => Promise<Q>,
	archive: (quiesced: Q) => Promise<BackupResult>,
	bus: EventBus,
): Promise<BackupResult> {
	const {backend} = prepared;
	const guard = guardSnapshot(backend, name, bus);
	let failure: unknown;
	try {
		bus.stage('snapshot', `${name} of ${backend.unit}`);
		const quiesced = await quiesce(() => backend.take(name));
		bus.log('info', `snapshot ${name} taken in ${quiesced.snapshotMs.toFixed(1)} ms; commits held ${quiesced.quiesceMs.toFixed(1)} ms`, {
			quiesceMs: Math.round(quiesced.quiesceMs * 1000) / 1000,
			snapshotMs: Math.round(quiesced.snapshotMs * 1000) / 1000,
		});
		const result = await archive(quiesced);
		try {
			await backend.check(name);
		} catch (error) {
			await discardArtifact(result.artifact, bus);
			throw error;
		}
		return result;
	} catch (error) {
		failure = error;
		throw error;
	} finally {
		bus.stage('snapshot-remove', `${name} of ${backend.unit}`);
		try {
			await guard.release();
		} catch (error) {
			const message = `the snapshot ${name} of ${backend.unit} could not be removed: ${(error as Error).message}`;
			if (failure === undefined) {
				// the archive is whole, but a snapshot left behind pins space: the run fails so that someone looks
				throw new WorkError({code: 'SNAPSHOT_REMOVE_FAILED', message, hint: 'The backup itself is complete. The next snapshot backup removes the snapshot by name; or remove it by hand.', cause: error});
			}
			bus.warn(message, {code: 'SNAPSHOT_REMOVE_FAILED', hint: 'The next snapshot backup removes it by name; or remove it by hand.'});
		}
	}
}

/** An artifact written from a snapshot that turned out unusable: removed with its sidecar, so nothing looks complete. */
async function discardArtifact(artifact: string, bus: EventBus): Promise<void> {
	const {target, name} = await targetFor(artifact);
	for (const member of [name, `${name}.meta.json`]) {
		await target.delete(member).catch((error: unknown) => bus.warn(`could not remove ${member}: ${(error as Error).message}`));
	}
}

function warnWholeServer(options: BackupOptions, bus: EventBus, what: string): void {
	if (options.databases.length > 0) {
		bus.warn(`databases were named (${options.databases.join(', ')}), but a snapshot copies the whole ${what}`, {
			code: 'PHYSICAL_WHOLE_CLUSTER',
			hint: 'A physical copy holds every database; restore it into a data directory and start a server on it.',
		});
	}
}

export async function runSnapshotBackup(options: BackupOptions, bus: EventBus, hooks: SnapshotBackupHooks = {}): Promise<BackupResult> {
	const startedAt = new Date().toISOString();
	const name = snapshotName(new Date(startedAt));
	return options.settings.dbType === 'postgres' ? postgresBackup(options, bus, hooks, name, startedAt) : mysqlBackup(options, bus, hooks, name, startedAt);
}

async function mysqlBackup(options: BackupOptions, bus: EventBus, hooks: SnapshotBackupHooks, name: string, startedAt: string): Promise<BackupResult> {
	const connection = await connectMysql(options.settings);
	try {
		const server = await readServerVersion(connection);
		warnWholeServer(options, bus, 'server');
		const facts = await mysqlPlaces(connection, server);
		const prepared = await prepare(facts.datadir, facts.places, options, name, bus, hooks);
		const nonInnodb = server.mariadb ? [] : await nonInnodbTablesWithRows(connection, server);
		const databases = await mysqlDatabases(connection);
		bus.stage('quiesce', server.mariadb ? 'BACKUP STAGE BLOCK_COMMIT' : 'LOCK INSTANCE FOR BACKUP');
		return await snapshotAndArchive(
			prepared,
			name,
			(take) => quiesceMysql(connection, server, {nonInnodb, binlog: facts.binlog}, take, bus),
			async (quiesced) => {
				const root = quiesced.taken.root;
				const description: DirectoryBackupDescription = {
					engine: 'snapshot',
					dbType: 'mysql',
					server: {version: server.text, flavor: server.mariadb ? 'mariadb' : 'mysql', host: connectionSummary(options.settings).target},
					databases,
					coordinates: {...quiesced.coordinates},
					options: {...snapshotOptions(prepared, name, quiesced.quiesceMs, quiesced.snapshotMs, quiesced.method), lockMs: Math.round(quiesced.lockMs * 1000) / 1000, quiesceStepsMs: quiesced.stepsMs},
					startedAt,
				};
				bus.log('info', `coordinates: ${describeCoordinates(quiesced.coordinates)}`);
				const written = await writeDirectoryBackup(options, {root, exclude: mysqlExclude}, description, bus);
				return {
					artifact: written.artifact,
					bytes: written.bytes,
					format: 'archive',
					lockMs: quiesced.quiesceMs,
					coordinates: describeCoordinates(quiesced.coordinates),
					databases,
					tables: 0,
					rows: 0,
					files: written.files,
					startedAt,
					finishedAt: written.finishedAt,
				};
			},
			bus,
		);
	} finally {
		await connection.end().catch(() => connection.destroy());
	}
}

function snapshotOptions(prepared: Prepared, name: string, quiesceMs: number, snapshotMs: number, method: string): Record<string, unknown> {
	return {
		snapshotBackend: prepared.backend.backend,
		snapshotUnit: prepared.backend.unit,
		snapshotName: name,
		datadir: prepared.datadir,
		quiesce: method,
		quiesceMs: Math.round(quiesceMs * 1000) / 1000,
		snapshotMs: Math.round(snapshotMs * 1000) / 1000,
	};
}

async function postgresBackup(options: BackupOptions, bus: EventBus, hooks: SnapshotBackupHooks, name: string, startedAt: string): Promise<BackupResult> {
	const client = await connectPostgres(options.settings);
	try {
		warnWholeServer(options, bus, 'cluster');
		const facts = await postgresPlaces(client);
		const prepared = await prepare(facts.datadir, facts.places, options, name, bus, hooks);
		// in the unit and inside the data directory, but still a link the restore does not follow
		if (facts.tablespaces.length > 0) {
			throw new EngineUnavailableError({
				code: 'SNAPSHOT_OUT_OF_SCOPE',
				message: `the cluster has tablespaces (${facts.tablespaces.map((space) => `${space.name} at ${space.location}`).join(', ')}): the snapshot engine archives the data directory alone`,
				hint: 'Use the basebackup engine (physical-backup --engine basebackup), which copies tablespaces.',
			});
		}
		const databases = await postgresDatabases(client);
		bus.stage('quiesce', 'CHECKPOINT (nothing is held: the snapshot holds the whole data directory with pg_wal)');
		return await snapshotAndArchive(
			prepared,
			name,
			(take) => aroundPostgresSnapshot(client, name, take, bus),
			async (quiesced) => {
				const description: DirectoryBackupDescription = {
					engine: 'snapshot',
					dbType: 'postgres',
					server: {version: facts.version, flavor: 'postgresql', host: connectionSummary(options.settings).target},
					databases,
					coordinates: {...quiesced.coordinates},
					options: {...snapshotOptions(prepared, name, quiesced.quiesceMs, quiesced.snapshotMs, 'none: crash-consistent snapshot of the data directory with pg_wal'), checkpoint: quiesced.checkpoint},
					startedAt,
				};
				bus.log('info', `coordinates: ${describeBaseBackupCoordinates(quiesced.coordinates)}`);
				const written = await writeDirectoryBackup(options, {root: quiesced.taken.root, exclude: postgresExclude}, description, bus);
				return {
					artifact: written.artifact,
					bytes: written.bytes,
					format: 'archive',
					lockMs: 0,
					coordinates: describeBaseBackupCoordinates(quiesced.coordinates),
					databases,
					tables: 0,
					rows: 0,
					files: written.files,
					startedAt,
					finishedAt: written.finishedAt,
				};
			},
			bus,
		);
	} finally {
		await client.end().catch(() => undefined);
	}
}
