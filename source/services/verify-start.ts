/**
 * `restore … --datadir DIR --verify-start`: a throwaway server of the backup's major version started on
 * the restored directory, on a free loopback port, with its settings overridden on its command line
 * (port, a private socket directory, listen 127.0.0.1, our own pg_hba.conf, no WAL archiving, modest
 * memory) so that neither the source's configuration nor the directory's is changed. It waits for crash
 * recovery from backup_label to the end of the backup's WAL, connects to every database, counts every
 * user table, reads the recovered WAL position and timeline, and stops (a fast shutdown: the directory
 * keeps what recovery wrote and is ready to start for real).
 */
import {existsSync} from 'node:fs';
import {chmod, chown, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {DbBackupError, UsageError, WorkError} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {parseLsn} from '../core/pg-replication/lsn.ts';
import type {DataDirectoryRestore, VerifiedStart} from '../engines/types.ts';
import {freePort, startPostgresOnDataDirectory} from '../sandbox/index.ts';

/** Crash recovery of a large backup's WAL can take a while. */
const START_TIMEOUT_MS = 30 * 60_000;

/** Where Debian puts a major version's server binaries. */
export function serverBinDir(major: number): string {
	return `/usr/lib/postgresql/${major}/bin`;
}

/** Refuses --verify-start before the restore when no server of the backup's major version is installed here. */
export function checkVerifyStartPossible(major: number): void {
	const binDir = serverBinDir(major);
	if (major > 0 && existsSync(path.join(binDir, 'postgres')) && existsSync(path.join(binDir, 'pg_ctl'))) return;
	throw new UsageError({
		code: 'VERIFY_START_NO_SERVER',
		message: `--verify-start needs a PostgreSQL ${major || '(unknown version)'} server to start on the restored directory, and ${binDir} has no postgres and pg_ctl`,
		hint: `Install postgresql-${major || '<major>'} (apt-get install postgresql-${major || '<major>'}), or leave --verify-start out.`,
	});
}

function quoteIdentifier(name: string): string {
	return `"${name.replace(/"/g, '""')}"`;
}

async function connectAs(candidates: string[], socketDir: string, port: number, database: string): Promise<{client: pg.Client; role: string}> {
	let last: unknown;
	for (const role of [...new Set(candidates)]) {
		const client = new pg.Client({host: socketDir, port, user: role, database, application_name: 'dbbackup verify-start'});
		client.on('error', () => undefined);
		try {
			await client.connect();
			return {client, role};
		} catch (error) {
			last = error;
			await client.end().catch(() => undefined);
		}
	}
	throw last;
}

/** Every database in `names`, each with its user tables counted. */
async function countEverything(names: string[], role: string, socketDir: string, port: number, bus: EventBus): Promise<VerifiedStart['databases']> {
	const databases: VerifiedStart['databases'] = [];
	for (const name of names) {
		const client = new pg.Client({host: socketDir, port, user: role, database: name, application_name: 'dbbackup verify-start'});
		client.on('error', () => undefined);
		try {
			await client.connect();
			const {rows: tables} = await client.query<{schema: string; name: string}>(
				"SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
					"WHERE c.relkind IN ('r', 'm') AND (c.relkind <> 'm' OR c.relispopulated) AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2",
			);
			let rows = 0;
			for (const table of tables) {
				const {rows: [count]} = await client.query<{count: string}>(`SELECT count(*) AS count FROM ${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`);
				rows += Number(count?.count ?? 0);
			}
			databases.push({name, tables: tables.length, rows});
			bus.log('info', `verify-start: database ${name}: ${tables.length} table(s), ${rows} row(s) counted`);
		} catch (error) {
			throw new WorkError({
				code: 'VERIFY_START_FAILED',
				message: `the server started on the restored directory, but database ${name} could not be read: ${(error as Error).message}`,
				hint: 'The restored cluster is damaged or incomplete; restore from another backup.',
				cause: error,
			});
		} finally {
			await client.end().catch(() => undefined);
		}
	}
	return databases;
}

/** How long a point-in-time recovery may replay WAL (fetched one segment at a time) before we give up. */
const RECOVERY_TIMEOUT_MS = 6 * 60 * 60_000;

/** The last lines of the server's log, for a failure. */
async function serverLogTail(log: string, lines = 20): Promise<string> {
	const text = await readFile(log, 'utf8').catch(() => '');
	return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Waits until the server has left recovery (pg_is_in_recovery() false: it reached the target and promoted). */
async function awaitRecoveryEnd(client: pg.Client, log: string, where: string, bus: EventBus): Promise<void> {
	const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
	let said = false;
	for (;;) {
		let recovering: boolean;
		try {
			recovering = (await client.query<{r: boolean}>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r !== false;
		} catch (error) {
			throw new WorkError({
				code: 'VERIFY_START_FAILED',
				message: `the server on ${where} stopped during point-in-time recovery (${(error as Error).message}). Last lines of its log:\n${await serverLogTail(log)}`,
				hint: 'A target the WAL does not reach ends recovery with "recovery ended before configured recovery target was reached": give an earlier target, or none.',
				cause: error,
			});
		}
		if (!recovering) return;
		if (!said) bus.log('info', 'verify-start: replaying WAL from the store to the recovery target');
		said = true;
		if (Date.now() > deadline) {
			throw new WorkError({
				code: 'VERIFY_START_FAILED',
				message: `the server on ${where} was still in recovery after ${RECOVERY_TIMEOUT_MS / 60_000} minutes. Last lines of its log:\n${await serverLogTail(log)}`,
			});
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

/**
 * Starts a throwaway server on the restored directory, checks it, stops it. `endLsn`: where the backup
 * ends (recovery must reach it); `superuser`: the cluster's bootstrap superuser, when the backup recorded it.
 */
export async function verifyStart(restored: DataDirectoryRestore, facts: {endLsn?: string; superuser?: string; archiveRecovery?: boolean}, bus: EventBus): Promise<VerifiedStart> {
	checkVerifyStartPossible(restored.serverMajor);
	// the server runs as the directory's owner
	const {uid, gid} = await stat(restored.path);
	const owner = {name: restored.owner, uid, gid};
	const asRoot = process.getuid?.() === 0;
	const work = await mkdtemp(path.join(tmpdir(), 'dbbackup-verify-start-'));
	let server: Awaited<ReturnType<typeof startPostgresOnDataDirectory>> | undefined;
	try {
		await chmod(work, 0o700);
		if (asRoot) await chown(work, owner.uid, owner.gid);
		const datadirConf = path.join(restored.path, 'postgresql.conf');
		const config = path.join(work, 'postgresql.conf');
		const hba = path.join(work, 'pg_hba.conf');
		const ident = path.join(work, 'pg_ident.conf');
		// the cluster's own settings, where it has them; ours follow on the command line and win
		await writeFile(config, existsSync(datadirConf) ? `include '${datadirConf.replace(/'/g, "''")}'\n` : '# no postgresql.conf in the restored directory\n');
		await writeFile(hba, '# dbbackup --verify-start: the private socket only\nlocal all all trust\n');
		await writeFile(ident, '');
		if (asRoot) for (const file of [config, hba, ident]) await chown(file, owner.uid, owner.gid);
		const port = await freePort();
		const log = path.join(work, 'server.log');
		bus.stage('verify-start', `PostgreSQL ${restored.serverMajor} on ${restored.path}, port ${port}`);
		const began = performance.now();
		server = await startPostgresOnDataDirectory({
			binDir: serverBinDir(restored.serverMajor),
			datadir: restored.path,
			logFile: log,
			workDir: work,
			osUser: owner.name,
			startTimeoutMs: START_TIMEOUT_MS,
			log: (line) => bus.log('info', line),
			settings: {
				config_file: config,
				hba_file: hba,
				ident_file: ident,
				data_directory: restored.path,
				port: String(port),
				listen_addresses: '127.0.0.1',
				unix_socket_directories: work,
				external_pid_file: '',
				// never the source's archive_command: its WAL archive is not ours to write
				archive_mode: 'off',
				logging_collector: 'off',
				log_destination: 'stderr',
				ssl: 'off',
				shared_buffers: '128MB',
				huge_pages: 'off',
				cluster_name: 'dbbackup-verify-start',
			},
		});
		const startSeconds = (performance.now() - began) / 1000;
		// the cluster's bootstrap superuser, as recorded; else the usual names
		const roles = [facts.superuser ?? 'postgres', 'postgres', owner.name];
		const {client, role} = await connectAs(roles, work, port, 'postgres').catch(() => connectAs(roles, work, port, 'template1'));
		let lsn: string;
		let timeline: number;
		let names: string[];
		try {
			// point-in-time recovery: the server accepts connections once consistent, and replays on to the target, then promotes
			if (facts.archiveRecovery) await awaitRecoveryEnd(client, log, restored.path, bus);
			names = (await client.query<{datname: string}>('SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname')).rows.map((row) => row.datname);
			const {rows: [state]} = await client.query<{lsn: string; timeline: number; recovering: boolean}>(
				facts.archiveRecovery
					? "SELECT pg_current_wal_lsn()::text AS lsn, ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS timeline, pg_is_in_recovery() AS recovering"
					: 'SELECT pg_current_wal_lsn()::text AS lsn, (SELECT timeline_id FROM pg_control_checkpoint()) AS timeline, pg_is_in_recovery() AS recovering',
			);
			if (!state || state.recovering) throw new WorkError({code: 'VERIFY_START_FAILED', message: `the server on ${restored.path} is still in recovery after it said it was ready`});
			lsn = state.lsn;
			timeline = Number(state.timeline);
		} finally {
			await client.end().catch(() => undefined);
		}
		if (facts.endLsn !== undefined && parseLsn(lsn) < parseLsn(facts.endLsn)) {
			throw new WorkError({code: 'VERIFY_START_FAILED', message: `the server on ${restored.path} stands at WAL position ${lsn}, before the backup's end ${facts.endLsn}: recovery did not replay the whole backup`});
		}
		const databases = await countEverything(names, role, work, port, bus);
		bus.log('info', `verify-start: recovered to ${lsn} on timeline ${timeline}; stopping the server`);
		await server.stop('fast');
		server = undefined;
		return {server: `PostgreSQL ${restored.serverMajor}`, port, position: `WAL ${lsn} on timeline ${timeline}`, lsn, timeline, startSeconds, databases};
	} catch (error) {
		if (error instanceof DbBackupError && error.code === 'VERIFY_START_FAILED') throw error;
		throw new WorkError({
			code: 'VERIFY_START_FAILED',
			message: `--verify-start: ${(error as Error).message}`,
			hint: `The restored directory ${restored.path} stays as it is. Start it by hand to look closer: ${restored.startCommand}`,
			cause: error,
		});
	} finally {
		await server?.stop('fast').catch(() => undefined);
		await rm(work, {recursive: true, force: true});
	}
}
