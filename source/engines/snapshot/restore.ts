/**
 * A snapshot archive back into a data directory: the restore of the database it came from. A
 * PostgreSQL archive is the data directory with pg_wal, restored as a base backup is (crash recovery
 * replays the WAL when a server starts on it); a MySQL-family one as a clone is (InnoDB crash recovery).
 */
import type {EventBus} from '../../core/events.ts';
import {openArchiveIn} from '../../storage/archive/reader.ts';
import {identifyArtifact} from '../../storage/artifact.ts';
import type {RestoreOptions, RestoreResult} from '../types.ts';

export async function restoreSnapshot(options: RestoreOptions, bus: EventBus): Promise<RestoreResult> {
	const artifact = await identifyArtifact(options.artifact, options.storage);
	const dbType = artifact.kind === 'archive' ? (await openArchiveIn(artifact.target, artifact.name)).manifest.dbType : options.settings.dbType;
	if (dbType === 'postgres') {
		const {restoreDataDirectory} = await import('../basebackup/restore.ts');
		return restoreDataDirectory(options, bus);
	}
	const {restoreMysqlDataDirectory} = await import('../physical/mysql-datadir.ts');
	return restoreMysqlDataDirectory(options, bus);
}
