/**
 * `verify --restore-test`: the drill. A backup is restored into a throwaway server of its kind (the
 * sandbox the demo uses: a temp dir, a free loopback port, no fsync), every table's rows are counted and
 * checksummed the way the dump read them, and compared with what the manifest recorded at backup time.
 * The server and its files are removed afterwards, whatever happened.
 */
import {cpus} from 'node:os';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import {DbBackupError, IntegrityError, UsageError} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {registerSecret} from '../core/redact.ts';
import {findEngine} from '../engines/registry.ts';
import type {TableChecksum} from '../engines/types.ts';
import type {Manifest, ManifestTable} from '../storage/archive/manifest.ts';
import {openArchiveIn} from '../storage/archive/reader.ts';
import type {ArtifactFile} from '../storage/artifact.ts';
import type {StorageOptions} from '../storage/target/index.ts';
import type {Sandbox, SandboxRequest} from '../sandbox/index.ts';
import {runRestore} from './restore.ts';

export interface RestoreTestReport {
	/** the throwaway server restored into */
	server: {flavor: 'mariadb' | 'postgresql'; version: string};
	databases: number;
	tables: number;
	rows: number;
	/** tables whose rows were compared by checksum (the others, of archives written before checksums were recorded, by count) */
	checksummed: number;
	restoreSeconds: number;
	compareSeconds: number;
}

export interface RestoreTestOptions {
	workers?: number;
	/** tests replace how the sandbox starts */
	startSandbox?: (request: SandboxRequest) => Promise<Sandbox>;
}

function tableLabel(database: string, table: {namespace?: string; name: string}): string {
	return [database, table.namespace, table.name].filter((part) => part !== undefined).join('.');
}

function mismatch(artifact: string, message: string): IntegrityError {
	return new IntegrityError({
		code: 'RESTORE_TEST_MISMATCH',
		message: `${artifact}: ${message}`,
		hint: 'The backup does not restore to the data it was taken from. Do not rely on it: take a new backup, and run `dbbackup verify` on this one to find a damaged member.',
	});
}

/** The first way the restored tables differ from the manifest's, or undefined when every table holds. */
export function firstDifference(database: string, recorded: ManifestTable[], restored: TableChecksum[]): string | undefined {
	const key = (table: {namespace?: string; name: string}) => `${table.namespace ?? ''}\u0000${table.name}`;
	const found = new Map(restored.map((table) => [key(table), table]));
	for (const table of recorded) {
		const label = tableLabel(database, table);
		const copy = found.get(key(table));
		if (!copy) return `table ${label} is missing after the restore`;
		if (copy.rows !== table.rows) return `table ${label} has ${copy.rows} rows after the restore; the backup recorded ${table.rows}`;
		if (table.checksum !== undefined && copy.checksum !== table.checksum) {
			return `table ${label} has ${copy.rows} rows as recorded, but not the same rows: checksum ${copy.checksum} after the restore, ${table.checksum} recorded at backup time`;
		}
	}
	return undefined;
}

function settingsOf(sandbox: Sandbox, dbType: Manifest['dbType']): ConnectionSettings {
	if (dbType === 'mysql') {
		const server = sandbox.mariadb!;
		registerSecret(server.password);
		return {dbType, host: server.host, port: server.port, user: server.user, password: server.password, passwordSource: 'the throwaway server (generated, kept in memory)'};
	}
	const server = sandbox.postgres!;
	// the superuser over the socket: the backup's objects may be owned by roles the throwaway server lacks (restored --no-owner)
	return {dbType, socket: server.socketDir, port: server.port, user: server.superuser};
}

/** Restores `artifact` (an archive) into a throwaway server and compares every table with its manifest; throws RESTORE_TEST_MISMATCH (exit 5) at the first difference. */
export async function restoreTest(artifact: ArtifactFile, storage: StorageOptions, bus: EventBus, options: RestoreTestOptions = {}): Promise<RestoreTestReport> {
	if (artifact.kind !== 'archive') {
		throw new UsageError({
			code: 'RESTORE_TEST_NEEDS_ARCHIVE',
			message: `${artifact.path} is a plain SQL script: --restore-test drills dbbackup archives, whose manifest records every table's rows and checksum`,
			hint: 'Back up in the archive format (the default) to drill restores, or restore the script by hand into a scratch server.',
		});
	}
	const {manifest} = await openArchiveIn(artifact.target, artifact.name);
	const engine = findEngine(manifest.engine, manifest.dbType);
	if (engine.capabilities.kind !== 'logical' || !engine.tableChecksums) {
		throw new UsageError({
			code: 'RESTORE_TEST_NEEDS_ARCHIVE',
			message: `${artifact.path} is a ${engine.name} backup: --restore-test drills logical archives`,
			hint: 'A physical backup is checked by starting a server on it: `dbbackup restore ARCHIVE --datadir DIR --verify-start`.',
		});
	}
	const flavor = manifest.dbType === 'mysql' ? 'mariadb' : 'postgresql';
	if (manifest.server.flavor === 'mysql') {
		bus.warn(`${artifact.path} was taken from MySQL ${manifest.server.version}; the throwaway server is MariaDB, the only MySQL-family server the sandbox starts, so MySQL-only definitions may fail to restore`, {code: 'RESTORE_TEST_OTHER_FLAVOR'});
	}
	bus.stage('restore-test', `starting a throwaway ${flavor === 'mariadb' ? 'MariaDB' : 'PostgreSQL'} server`);
	const start = options.startSandbox ?? (await import('../sandbox/index.ts')).startSandbox;
	const sandbox = await start({mariadb: flavor === 'mariadb', postgres: flavor === 'postgresql', s3: false, noFsync: true, log: (line) => bus.log('debug', line)});
	try {
		const version = (flavor === 'mariadb' ? sandbox.mariadb?.version : sandbox.postgres?.version) ?? 'unknown';
		const settings = settingsOf(sandbox, manifest.dbType);
		bus.log('info', `throwaway ${flavor} ${version} on port ${settings.port}`);
		const restoreStarted = performance.now();
		try {
			await runRestore(
				{
					target: settings,
					artifact: artifact.path,
					storage,
					workers: options.workers ?? Math.max(2, cpus().length),
					...(manifest.dbType === 'postgres' ? {noOwner: true, noPrivileges: true} : {}),
				},
				bus,
			);
		} catch (error) {
			if (error instanceof IntegrityError) throw error;
			const cause = error instanceof DbBackupError ? error.message : String(error);
			throw new IntegrityError({
				code: 'RESTORE_TEST_FAILED',
				message: `${artifact.path} does not restore into a throwaway ${flavor} ${version}: ${cause}`,
				hint: error instanceof DbBackupError && error.hint ? error.hint : 'Run the restore by hand into a scratch server to see the statement it stops at.',
				cause: error,
			});
		}
		const restoreSeconds = (performance.now() - restoreStarted) / 1000;
		bus.stage('restore-test', `comparing every table's rows with the manifest of ${artifact.path}`);
		const compareStarted = performance.now();
		let tables = 0;
		let rows = 0;
		let checksummed = 0;
		for (const database of manifest.databases) {
			const restored = await engine.tableChecksums(settings, database.name);
			const difference = firstDifference(database.name, database.tables, restored);
			if (difference) throw mismatch(artifact.path, difference);
			tables += database.tables.length;
			rows += database.tables.reduce((sum, table) => sum + table.rows, 0);
			checksummed += database.tables.filter((table) => table.checksum !== undefined).length;
		}
		if (checksummed < tables) {
			bus.warn(`${tables - checksummed} of ${tables} table(s) were compared by row count only: the archive predates per-table checksums`, {code: 'RESTORE_TEST_COUNTS_ONLY'});
		}
		return {server: {flavor, version}, databases: manifest.databases.length, tables, rows, checksummed, restoreSeconds, compareSeconds: (performance.now() - compareStarted) / 1000};
	} finally {
		bus.stage('restore-test', 'removing the throwaway server');
		await sandbox.stop();
	}
}
