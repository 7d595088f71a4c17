/**
 * A clone backup: the server (local clone) or the connected recipient (remote clone) writes a complete
 * copy of the InnoDB data into a fresh directory on its host; that directory goes into our archive like a
 * snapshot's files (physical/directory-backup.ts), and is removed, whatever happens.
 */
import path from 'node:path';
import type {RowDataPacket} from 'mysql2/promise';
import {connectMysql, type MysqlConnection} from '../../core/connect.ts';
import {describeTarget, manifestHost} from '../../core/connection-settings.ts';
import {EngineUnavailableError, WorkError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {writeDirectoryBackup} from '../physical/directory-backup.ts';
import type {BackupOptions, BackupResult} from '../types.ts';
import {checkParent, checkServerIsLocal, cloneDirectoryName, cloneParent, readServerHostFacts, removeCloneDirectory, removeLeftovers} from './clone-dir.ts';
import {cloneCoordinates, describeCloneCoordinates, readLogStatus, type CloneCoordinates, type LogStatus} from './coordinates.ts';
import {allowDonor, checkSameSeries, connectDonor} from './donor.ts';
import {guardCloneDirectory, type CloneGuard} from './interrupt.ts';
import {CloneProgressPoller} from './progress.ts';
import {checkSpace, estimateCloneBytes} from './space.ts';
import {cloneFailure, readCloneStatus, type CloneContext} from './status.ts';
import {cloneLocalStatement, cloneRemoteStatement, donorAddress} from './statement.ts';
import {nonInnodbTables, userDatabases} from './tables.ts';

interface ServerFacts {
	version: string;
	noBackslashEscapes: boolean;
	plugin?: string;
}

async function readServerFacts(connection: MysqlConnection): Promise<ServerFacts> {
	const [rows] = await connection.query<RowDataPacket[]>(
		"SELECT VERSION() AS version, @@SESSION.sql_mode AS mode, (SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'clone') AS plugin",
	);
	const row = rows[0] ?? {};
	return {version: String(row.version ?? ''), noBackslashEscapes: /NO_BACKSLASH_ESCAPES/.test(String(row.mode ?? '')), plugin: row.plugin === null || row.plugin === undefined ? undefined : String(row.plugin)};
}

function requireActivePlugin(facts: ServerFacts, target: string, role: string): void {
	if (facts.plugin === 'ACTIVE') return;
	throw new EngineUnavailableError({
		code: 'CLONE_PLUGIN_NOT_ACTIVE',
		message: `the clone plugin is ${facts.plugin === undefined ? 'not installed' : facts.plugin} on ${role} ${target}`,
		hint: `On ${target}: INSTALL PLUGIN clone SONAME 'mysql_clone.so'; (or plugin-load-add=mysql_clone.so in its configuration), then run again.`,
	});
}

export async function runCloneBackup(options: BackupOptions, bus: EventBus): Promise<BackupResult> {
	const startedAt = new Date().toISOString();
	const {settings} = options;
	const donor = options.clone?.remote;
	const target = describeTarget(settings);
	const donorName = donor ? donorAddress(donor) : undefined;
	let connection: MysqlConnection | undefined;
	let monitor: MysqlConnection | undefined;
	let donorConnection: MysqlConnection | undefined;
	let directory: string | undefined;
	let guard: CloneGuard | undefined;
	let putBackDonorList: (() => Promise<void>) | undefined;
	try {
		bus.stage('prepare', donor ? `remote clone from ${donorName} into ${target}` : `local clone of ${target}`);
		connection = await connectMysql(settings);
		const facts = await readServerFacts(connection);
		requireActivePlugin(facts, target, donor ? 'the recipient' : 'the server');
		const host = await readServerHostFacts(connection);
		await checkServerIsLocal(host, target);
		const parent = cloneParent(host.datadir, options.clone?.parentDir);
		await checkParent(parent);
		await removeLeftovers(parent, connection, bus);

		// what holds the data: the server itself, or the donor when it can be reached from here
		let source: MysqlConnection | undefined = connection;
		let sourceVersion = facts.version;
		if (donor) {
			if (donor.password === undefined) bus.log('info', `no password for the donor user ${donor.user} (DBBACKUP_DONOR_PWD or ~/.my.cnf [dbbackup-donor]): the recipient connects to ${donorName} without one`);
			donorConnection = await connectDonor(donor, bus);
			source = donorConnection;
			if (donorConnection) {
				const donorFacts = await readServerFacts(donorConnection);
				checkSameSeries(facts.version, donorFacts.version, donorName!, target);
				requireActivePlugin(donorFacts, donorName!, 'the donor');
				sourceVersion = donorFacts.version;
			}
			putBackDonorList = await allowDonor(connection, donor, target, facts.noBackslashEscapes, bus);
		}
		let databases: string[] = [];
		if (source) {
			// information_schema.FILES needs PROCESS; without it the clone still runs, unchecked
			const estimate = await estimateCloneBytes(source).catch((error: unknown) => {
				bus.log('warn', `the free space for the clone is not checked: the InnoDB files could not be sized (${error instanceof Error ? error.message : String(error)})`);
				return undefined;
			});
			if (estimate !== undefined) {
				await checkSpace(parent, estimate, donor ? `the donor's InnoDB data` : `the server's InnoDB data`);
				bus.log('info', `about ${Math.round(estimate / (1024 * 1024))} MiB of InnoDB files to clone into ${parent}`);
			}
			const notCloned = await nonInnodbTables(source);
			if (notCloned.withRows.length > 0) {
				bus.warn(`the clone copies InnoDB data only: ${notCloned.withRows.length} table(s) of other engines hold rows and arrive empty: ${notCloned.withRows.join(', ')}`, {
					code: 'CLONE_NON_INNODB_ROWS',
					hint: 'ALTER TABLE … ENGINE=InnoDB, or back them up with the logical engine (--engine mysqldump).',
				});
			}
			if (notCloned.unstartable.length > 0) {
				bus.warn(`non-InnoDB tables in a database whose name holds a backtick: ${notCloned.unstartable.join(', ')}; MySQL 9.7.4 was seen to refuse to start on such a clone ("Data Dictionary initialization failed")`, {
					code: 'CLONE_NON_INNODB_ROWS',
					hint: 'Convert them to InnoDB (ALTER TABLE … ENGINE=InnoDB) before cloning, and check the restore with --verify-start.',
				});
			}
			databases = await userDatabases(source);
		}

		directory = path.join(parent, cloneDirectoryName());
		monitor = await connectMysql(settings);
		const cloneSession = connection.threadId;
		const stopper = monitor;
		guard = guardCloneDirectory(directory, () => stopper.query(`KILL QUERY ${Number(cloneSession)}`));
		const context: CloneContext = {mode: donor ? 'remote' : 'local', target, donor: donorName, user: settings.user, directory};
		// log_status needs BACKUP_ADMIN, as the clone does
		const before: LogStatus | undefined = source ? await readLogStatus(source).catch((error: unknown) => Promise.reject(cloneFailure(error, undefined, context))) : undefined;
		bus.stage('clone', donor ? `from ${donorName} into ${directory}` : `into ${directory}`);
		const poller = new CloneProgressPoller(monitor, directory, bus);
		poller.start();
		const began = performance.now();
		try {
			await connection.query(donor ? cloneRemoteStatement(donor, directory, facts.noBackslashEscapes) : cloneLocalStatement(directory, facts.noBackslashEscapes));
		} catch (error) {
			await poller.stop();
			const status = await readCloneStatus(monitor).catch(() => undefined);
			if (guard.interrupted) throw new WorkError({code: 'CLONE_INTERRUPTED', message: `the clone into ${directory} was stopped by an interrupt`, hint: 'The clone directory was removed; run again.'});
			throw cloneFailure(error, status, context);
		}
		await poller.stop();
		const cloneSeconds = (performance.now() - began) / 1000;
		const after = source ? await readLogStatus(source) : undefined;
		const status = await readCloneStatus(connection);
		const coordinates: CloneCoordinates | Record<string, never> = before && after ? cloneCoordinates(before, after, status) : {};
		if (coordinates.exact === false) {
			bus.warn(`commits ran during the clone: its consistent point lies between ${describeCloneCoordinates(coordinates).replace(/^between /, '')}; the manifest records that range`, {
				code: 'CLONE_COORDINATES_RANGE',
				hint: 'restore --datadir --verify-start reports the exact GTID set the copy holds.',
			});
		}
		bus.log('info', `clone finished in ${cloneSeconds.toFixed(1)} s${coordinates.exact ? `, at ${describeCloneCoordinates(coordinates)}` : ''}`);

		const written = await writeDirectoryBackup(
			options,
			{root: directory},
			{
				engine: 'clone',
				dbType: 'mysql',
				server: {version: sourceVersion, flavor: 'mysql', host: donor ? donor.host : manifestHost(settings)},
				databases,
				coordinates,
				options: {mode: donor ? 'remote' : 'local', ...(donor ? {donor: donorName, recipient: manifestHost(settings)} : {}), cloneSeconds: Math.round(cloneSeconds * 1000) / 1000},
				startedAt,
			},
			bus,
		);
		return {
			artifact: written.artifact,
			bytes: written.bytes,
			format: 'archive',
			coordinates: Object.keys(coordinates).length > 0 ? describeCloneCoordinates(coordinates) : undefined,
			databases,
			tables: 0,
			rows: 0,
			files: written.files,
			startedAt,
			finishedAt: written.finishedAt,
		};
	} finally {
		if (directory !== undefined) {
			bus.stage('cleanup', `remove ${directory}`);
			await removeCloneDirectory(directory).catch((error: unknown) => bus.warn(`the clone directory ${directory} could not be removed (${error instanceof Error ? error.message : String(error)}); remove it by hand`));
		}
		guard?.release();
		await putBackDonorList?.();
		for (const open of [monitor, donorConnection, connection]) await open?.end().catch(() => undefined);
	}
}
