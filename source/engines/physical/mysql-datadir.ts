/**
 * What a restore into a MySQL or MariaDB data directory needs to know (datadir-restore.ts does the
 * writing): the mysql OS user (mysqld may also run as root when told to), an archive of one data
 * directory without links, a running mysqld recognised by a live pid file, and how to start the server
 * of the backup's flavor on it. Serves the clone engine and the snapshot engine's MySQL-family archives.
 */
import {readdir} from 'node:fs/promises';
import path from 'node:path';
import {IntegrityError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import type {Manifest} from '../../storage/archive/manifest.ts';
import type {PhysicalLayout} from '../../storage/archive/physical-layout.ts';
import {describeCoordinates, type Coordinates} from '../mysql-logical/consistency.ts';
import type {RestoreOptions, RestoreResult} from '../types.ts';
import {INCOMPLETE_MARKER, livePidIn, restorePhysicalArchive, shellQuote, type DataDirectoryProfile} from './datadir-restore.ts';
import type {FileOwner, ServerAccount} from './owner.ts';

export const MYSQL_ACCOUNT: ServerAccount = {product: 'mysqld', defaultUser: 'mysql', rootAllowed: true};

/** MariaDB or MySQL, as the manifest recorded the source. */
export function isMariadbManifest(manifest: Manifest): boolean {
	return manifest.server.flavor === 'mariadb' || /mariadb/i.test(manifest.server.version);
}

/** One archive, the data directory, holding directories and files only. */
function checkEntries(layout: PhysicalLayout, where: string): void {
	for (const archive of layout.archives) {
		if (archive.name !== 'base' || archive.location !== undefined) {
			throw new IntegrityError({
				code: 'PHYSICAL_ARCHIVE_INVALID',
				message: `${where}: archive ${JSON.stringify(archive.name)} is refused: a MySQL-family physical backup holds one data directory`,
				hint: 'The archive was not written by dbbackup\'s clone or snapshot engine.',
			});
		}
		for (const entry of archive.entries) {
			if (entry.type === 'symlink' || entry.path === INCOMPLETE_MARKER) {
				throw new IntegrityError({
					code: 'PHYSICAL_ARCHIVE_INVALID',
					message: `${where}: the entry ${JSON.stringify(entry.path)} is refused (${entry.type === 'symlink' ? 'a symlink: a restored data directory must not point outside itself' : 'a reserved name'})`,
					hint: 'The archive was not written by dbbackup\'s clone or snapshot engine.',
				});
			}
		}
	}
}

/** A live mysqld's pid file in the directory (the default place: <hostname>.pid, or mysqld.pid). */
async function runningServer(dir: string): Promise<string | undefined> {
	const names = await readdir(dir).catch(() => [] as string[]);
	for (const name of names.filter((entry) => entry.endsWith('.pid'))) {
		const pid = await livePidIn(path.join(dir, name));
		if (pid !== undefined) return `${dir} is the data directory of a running server (${name} names process ${pid})`;
	}
	return undefined;
}

/** The binary log base name the coordinates name ("mysql-bin.000003" → "mysql-bin"). */
export function binlogBasename(coordinates: Coordinates): string | undefined {
	return coordinates.binlogFile?.replace(/\.\d+$/, '') || undefined;
}

function startAdvice(manifest: Manifest, layout: PhysicalLayout, dir: string, owner: FileOwner): {startCommand: string; notes: string[]} {
	const mariadb = isMariadbManifest(manifest);
	const coordinates = manifest.coordinates as Coordinates;
	const basename = binlogBasename(coordinates);
	const base = layout.archives.find((archive) => archive.name === 'base');
	const hasBinlogs = basename !== undefined && (base?.entries.some((entry) => entry.path === `${basename}.index`) ?? false);
	const args = [`--datadir=${shellQuote(dir)}`, `--user=${shellQuote(owner.name)}`, ...(hasBinlogs ? [`--log-bin=${shellQuote(basename)}`] : [])];
	const startCommand = `${mariadb ? 'mariadbd' : 'mysqld'} ${args.join(' ')} &`;
	const product = `${mariadb ? 'MariaDB' : 'MySQL'} ${manifest.server.version}`;
	const notes = [
		`Start the same release series as the source (${product}) with your usual configuration; InnoDB's crash recovery brings the files to the backup's point (${describeCoordinates(coordinates)}).`,
		'The backup holds no my.cnf: settings the files depend on (innodb_page_size, lower_case_table_names, the binary log base name, the data-at-rest keyring) must be the source\'s.',
	];
	if (hasBinlogs) notes.push(`The source's binary logs are in the directory: start with --log-bin=${basename} so that recovery decides prepared transactions from them.`);
	else if (basename) notes.push(`The source's binary logs (${basename}.*) are not in the backup; roll forward past ${coordinates.binlogFile}:${coordinates.binlogPosition} with dbbackup restore --until from a binlog-stream.`);
	if (manifest.engine === 'clone') notes.push('The clone plugin copies InnoDB only: MyISAM, CSV and other engines\' tables arrive empty.');
	return {startCommand, notes};
}

export const MYSQL_DATA_DIRECTORY: DataDirectoryProfile = {
	what: 'a MySQL-family server\'s data directory',
	account: MYSQL_ACCOUNT,
	checkEntries,
	runningServer,
	stopHint: 'Stop that server first (mysqladmin shutdown, or systemctl stop mysql / mariadb)',
	requiredDirectories: [],
	tablespaceLink: (archive) => archive.name,
	startAdvice,
};

/** Restores a MySQL-family physical archive (clone or snapshot) into `options.dataDirectory`. */
export function restoreMysqlDataDirectory(options: RestoreOptions, bus: EventBus): Promise<RestoreResult> {
	return restorePhysicalArchive(options, bus, MYSQL_DATA_DIRECTORY);
}
