/**
 * PostgreSQL around a snapshot. The scope check makes sure the whole data directory, pg_wal included,
 * is in the one unit the snapshot freezes at once; such a snapshot is exactly what a crash would leave
 * on disk, and starting a server on its copy runs crash recovery from the last checkpoint through the
 * WAL the copy holds. So no backup API is used (no backup_label): a CHECKPOINT first shortens that
 * recovery, then the snapshot; nothing is held, writes go on throughout (quiesceMs 0).
 *
 * The coordinates are the basebackup engine's: startLsn = the redo point of the checkpoint before the
 * snapshot (replay starts there, or at a later checkpoint), endLsn = the WAL write position read just before the
 * snapshot (every transaction committed by then is in the copy, so a restored server stands at or after
 * it), the timeline, the system identifier and the bootstrap superuser.
 */
import {lstat, readlink} from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type {EventBus} from '../../core/events.ts';
import type {BaseBackupCoordinates} from '../basebackup/coordinates.ts';
import type {ScopePlace} from './scope.ts';

export interface PostgresFacts {
	datadir: string;
	version: string;
	places: ScopePlace[];
	/** user tablespaces (not pg_default/pg_global): the archive cannot hold them */
	tablespaces: Array<{name: string; location: string}>;
}

function errnoOf(error: unknown): string | undefined {
	return (error as NodeJS.ErrnoException | undefined)?.code;
}

export async function postgresPlaces(client: pg.Client): Promise<PostgresFacts> {
	const settings = await client.query<{datadir: string; version: string}>("SELECT current_setting('data_directory') AS datadir, current_setting('server_version') AS version");
	const {datadir, version} = settings.rows[0]!;
	const places: ScopePlace[] = [];
	const wal = path.join(datadir, 'pg_wal');
	try {
		if ((await lstat(wal)).isSymbolicLink()) {
			places.push({what: `the WAL directory (pg_wal, a link to ${await readlink(wal)})`, path: wal, need: 'archive'});
		}
	} catch (error) {
		if (errnoOf(error) !== 'ENOENT') throw error;
	}
	const spaces = await client.query<{name: string; location: string}>(
		"SELECT spcname AS name, pg_tablespace_location(oid) AS location FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY spcname",
	);
	const tablespaces = spaces.rows.map((row) => ({name: row.name, location: row.location}));
	for (const tablespace of tablespaces) {
		places.push({what: `tablespace ${tablespace.name}`, path: tablespace.location, need: 'archive'});
	}
	return {datadir, version, places, tablespaces};
}

/**
 * What the archive leaves out of a PostgreSQL data directory (pg_basebackup's list): the running
 * server's pid and options, and the contents of directories rebuilt at start (replication slots would
 * hold WAL on the restored server). pg_wal's contents stay: crash recovery replays them.
 */
const EXCLUDED_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label.old', 'tablespace_map.old', 'current_logfiles']);
const EMPTIED_DIRECTORIES = ['pg_replslot', 'pg_stat_tmp', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans'];

export function postgresExclude(relativePath: string, type: 'file' | 'directory' | 'symlink'): boolean {
	if (type !== 'directory' && EXCLUDED_FILES.has(relativePath)) return true;
	if (path.posix.basename(relativePath) === 'pg_internal.init') return true;
	return EMPTIED_DIRECTORIES.some((dir) => relativePath.startsWith(`${dir}/`));
}

export interface PostgresQuiesced<T> {
	taken: T;
	coordinates: BaseBackupCoordinates;
	/** nothing is held: 0 */
	quiesceMs: number;
	snapshotMs: number;
	/** CHECKPOINT ran (it needs superuser or pg_checkpoint) */
	checkpoint: boolean;
}

/** CHECKPOINT, the coordinates, the snapshot; nothing is held. */
export async function aroundPostgresSnapshot<T>(client: pg.Client, label: string, snapshot: () => Promise<T>, bus: EventBus): Promise<PostgresQuiesced<T>> {
	let checkpoint = true;
	try {
		await client.query('CHECKPOINT');
	} catch (error) {
		checkpoint = false;
		bus.log('warn', `CHECKPOINT refused (${(error as Error).message}): the restored copy replays the WAL from the server's last checkpoint, which takes longer`);
	}
	const facts = await client.query<{redo: string; timeline: number; system: string; recovery: boolean; superuser: string | null}>(
		`SELECT c.redo_lsn::text AS redo, c.timeline_id AS timeline, s.system_identifier::text AS system, pg_is_in_recovery() AS recovery,
		        (SELECT rolname FROM pg_roles WHERE oid = 10) AS superuser
		 FROM pg_control_checkpoint() c, pg_control_system() s`,
	);
	const row = facts.rows[0]!;
	const position = await client.query<{lsn: string}>(row.recovery ? 'SELECT pg_last_wal_replay_lsn()::text AS lsn' : 'SELECT pg_current_wal_lsn()::text AS lsn');
	const endLsn = position.rows[0]!.lsn;
	const before = performance.now();
	const taken = await snapshot();
	const snapshotMs = performance.now() - before;
	const coordinates: BaseBackupCoordinates = {
		label,
		startLsn: row.redo,
		endLsn,
		timeline: Number(row.timeline),
		systemId: row.system,
		...(row.superuser ? {superuser: row.superuser} : {}),
	};
	return {taken, coordinates, quiesceMs: 0, snapshotMs, checkpoint};
}
