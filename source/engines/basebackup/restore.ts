/**
 * What a restore into a PostgreSQL data directory needs to know (physical/datadir-restore.ts does the
 * writing): the postgres OS user, the entries a cluster's archive may hold (symlinks only as tablespace
 * links), postmaster.pid of a running server, the directories PostgreSQL 15 needs, and how to start it.
 * Serves the basebackup engine and the snapshot engine's PostgreSQL archives.
 */
import path from 'node:path';
import {IntegrityError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import type {Manifest} from '../../storage/archive/manifest.ts';
import type {PhysicalLayout} from '../../storage/archive/physical-layout.ts';
import type {RestoreOptions, RestoreResult} from '../types.ts';
import {INCOMPLETE_MARKER, livePidIn, restorePhysicalArchive, serverMajorOf, shellQuote, type DataDirectoryProfile} from '../physical/datadir-restore.ts';
import {POSTGRES_ACCOUNT, type FileOwner} from '../physical/owner.ts';
import {describeBaseBackupCoordinates, type BaseBackupCoordinates} from './coordinates.ts';

/** Directories a PostgreSQL 15 data directory must have (the server sends them empty; re-created if missing). */
export const REQUIRED_DIRECTORIES = [
	'base',
	'global',
	'pg_commit_ts',
	'pg_dynshmem',
	'pg_logical',
	'pg_logical/mappings',
	'pg_logical/snapshots',
	'pg_multixact',
	'pg_multixact/members',
	'pg_multixact/offsets',
	'pg_notify',
	'pg_replslot',
	'pg_serial',
	'pg_snapshots',
	'pg_stat',
	'pg_stat_tmp',
	'pg_subtrans',
	'pg_tblspc',
	'pg_twophase',
	'pg_wal',
	'pg_wal/archive_status',
	'pg_xact',
];


/** Checks every symlink entry: only the tablespace links of the data directory, which the restore makes itself. */
function checkEntries(layout: PhysicalLayout, where: string): void {
	const links = new Set(layout.archives.filter((archive) => archive.name !== 'base').map((archive) => `pg_tblspc/${archive.name}`));
	for (const archive of layout.archives) {
		for (const entry of archive.entries) {
			const inLink = [...links].some((link) => entry.path.startsWith(`${link}/`));
			const allowedLink = archive.name === 'base' && entry.type === 'symlink' && /^pg_tblspc\/[1-9][0-9]*$/.test(entry.path);
			if (inLink || (entry.type === 'symlink' && !allowedLink) || entry.path === INCOMPLETE_MARKER) {
				throw new IntegrityError({
					code: 'PHYSICAL_ARCHIVE_INVALID',
					message: `${where}: the entry ${JSON.stringify(entry.path)} of archive ${archive.name} is refused (${entry.type === 'symlink' ? 'a symlink other than a tablespace link' : inLink ? 'it lies under a tablespace link' : 'a reserved name'})`,
					hint: 'A PostgreSQL data directory from dbbackup holds no such entry; the archive was not written by dbbackup.',
				});
			}
		}
	}
}


/** How to start a server on the directory, and what to know first. */
function startAdvice(manifest: Manifest, layout: PhysicalLayout, dir: string, owner: FileOwner): {startCommand: string; notes: string[]} {
	const major = serverMajorOf(manifest);
	const pgCtl = major > 0 ? `/usr/lib/postgresql/${major}/bin/pg_ctl` : 'pg_ctl';
	const command = `${pgCtl} -D ${shellQuote(dir)} -l ${shellQuote(path.join(dir, 'server.log'))} start`;
	const startCommand = owner.chown ? `runuser -u ${shellQuote(owner.name)} -- ${command}` : command;
	const base = layout.archives.find((archive) => archive.name === 'base');
	const has = (file: string) => base?.entries.some((entry) => entry.path === file) ?? false;
	const coordinates = manifest.coordinates as Partial<BaseBackupCoordinates>;
	const notes = [
		`Starting it replays the backup's WAL (${describeBaseBackupCoordinates(manifest.coordinates)}) from backup_label: the cluster is consistent once replay passes ${coordinates.endLsn ?? 'the backup\'s end'}.`,
	];
	if (!has('postgresql.conf')) {
		notes.push(
			`The backup holds no postgresql.conf${has('pg_hba.conf') ? '' : ' or pg_hba.conf'}: the source keeps its configuration outside its data directory (Debian's clusters keep it in /etc/postgresql/${major || '<major>'}/<cluster>/). Copy those files into ${dir}, or start with -o "-c config_file=/path/to/postgresql.conf".`,
		);
	} else {
		notes.push('postgresql.conf is the source\'s: check port, listen_addresses and archive_command before starting it beside the source.');
	}
	const tablespaces = layout.archives.filter((archive) => archive.location !== undefined);
	if (tablespaces.length > 0) notes.push(`Tablespaces are back at their recorded locations: ${tablespaces.map((archive) => `${archive.name} → ${archive.location}`).join(', ')}.`);
	return {startCommand, notes};
}

export const POSTGRES_DATA_DIRECTORY: DataDirectoryProfile = {
	what: 'a whole PostgreSQL cluster',
	account: POSTGRES_ACCOUNT,
	checkEntries,
	async runningServer(dir) {
		const pid = await livePidIn(path.join(dir, 'postmaster.pid'));
		return pid === undefined ? undefined : `${dir} is the data directory of a running server (postmaster.pid names process ${pid})`;
	},
	stopHint: 'Stop that server first (pg_ctl stop -D DIR)',
	requiredDirectories: REQUIRED_DIRECTORIES,
	tablespaceLink: (archive) => `pg_tblspc/${archive.name}`,
	startAdvice,
};

/** Restores a PostgreSQL physical archive (base backup or snapshot) into `options.dataDirectory`. */
export function restoreDataDirectory(options: RestoreOptions, bus: EventBus): Promise<RestoreResult> {
	return restorePhysicalArchive(options, bus, POSTGRES_DATA_DIRECTORY);
}
