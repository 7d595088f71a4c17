import {chown, mkdir, readFile, rm, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import pg from 'pg';
import {redact} from '../source/core/redact.ts';
import {isRoot} from '../source/sandbox/debian-packages.ts';
import {freePort, startPostgresOnDataDirectory, type PostgresOnDataDirectory} from '../source/sandbox/index.ts';
import {runCommand} from '../source/sandbox/run-command.ts';
import {measure, shellQuote, type Measurement} from './measure.ts';
import {OUR_CLI, REPO_ROOT} from './ours.ts';
import {PG_SOURCE_DATABASE} from './pg-data.ts';

/** The OS user the restored clusters run as (as root), the one the sandbox runs the bench server as. */
const SERVER_OS_USER = 'postgres';

/** Codecs the pg_basebackup tar of the PITR pair may use, with tar's flag for each. */
export const PITR_CODECS = {none: {suffix: '', tar: []}, gzip: {suffix: '.gz', tar: ['-z']}, zstd: {suffix: '.zst', tar: ['--zstd']}} as const;
export type PitrCodec = keyof typeof PITR_CODECS;

export interface PitrInputs {
	binDir: string;
	workDir: string;
	/** recovery_target_lsn, recorded while pgbench ran */
	targetLsn: string;
	/** our base backup archive and our wal-stream store */
	ourBackup: string;
	ourStore: string;
	/** pg_basebackup -Ft's directory (base.tar, pg_wal.tar) and pg_receivewal's directory */
	peerBackupDir: string;
	peerCodec: PitrCodec;
	peerWalDir: string;
	log: (line: string) => void;
}

/** What the recovered server holds: the same numbers from both tools mean both stopped at the same record. */
export interface RecoveredState {
	lsn: string;
	historyRows: number;
	historyDeltaSum: string;
}

export interface PitrResult {
	id: string;
	label: string;
	command: string;
	status: 'ok' | 'failed';
	/** laying the files out: our restore, or tar + the recovery settings */
	layoutSeconds?: number;
	layoutPeakRssMb?: number;
	/** pg_ctl start -w until it returned (the server accepts connections once consistent) */
	startSeconds?: number;
	/** from pg_ctl start until pg_is_in_recovery() is false: the target reached and promoted */
	recoverySeconds?: number;
	totalSeconds?: number;
	state?: RecoveredState;
	error?: string;
}

/** The settings both restores recover with (ours writes the same ones through restore --wal). */
function recoverySettings(restoreCommand: string, targetLsn: string): string[] {
	const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
	return [
		`restore_command = ${literal(restoreCommand)}`,
		`recovery_target_lsn = '${targetLsn}'`,
		'recovery_target_inclusive = true',
		"recovery_target_timeline = 'latest'",
		"recovery_target_action = 'promote'",
	];
}

/** Both restored servers start alike: a private socket, no TCP, no archiving, verify-start's 128 MB of shared buffers. */
async function startRestored(binDir: string, datadir: string, runDir: string, log: (line: string) => void): Promise<{server: PostgresOnDataDirectory; socketDir: string; port: number}> {
	const socketDir = join(runDir, 'socket');
	await mkdir(socketDir, {recursive: true});
	if (isRoot()) {
		const {stdout: uid} = await runCommand('id', ['-u', SERVER_OS_USER]);
		const {stdout: gid} = await runCommand('id', ['-g', SERVER_OS_USER]);
		await chown(runDir, Number(uid.trim()), Number(gid.trim()));
		await chown(socketDir, Number(uid.trim()), Number(gid.trim()));
	}
	const port = await freePort();
	const server = await startPostgresOnDataDirectory({
		binDir,
		datadir,
		logFile: join(runDir, 'server.log'),
		workDir: runDir,
		...(isRoot() ? {osUser: SERVER_OS_USER} : {}),
		startTimeoutMs: 6 * 3600_000,
		log,
		settings: {
			port: String(port),
			listen_addresses: '',
			unix_socket_directories: socketDir,
			archive_mode: 'off',
			shared_buffers: '128MB',
			logging_collector: 'off',
			cluster_name: 'bench-pitr',
		},
	});
	return {server, socketDir, port};
}

async function awaitRecoveryEnd(client: pg.Client, serverLog: string): Promise<void> {
	for (;;) {
		const {rows} = await client.query<{r: boolean}>('SELECT pg_is_in_recovery() AS r').catch(async (error: unknown) => {
			const tail = (await readFile(serverLog, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-12).join('\n');
			throw new Error(`the server stopped during recovery (${(error as Error).message}); its log ends:\n${tail}`);
		});
		if (rows[0]?.r === false) return;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

async function readState(socketDir: string, port: number): Promise<RecoveredState> {
	const client = new pg.Client({host: socketDir, port, user: 'postgres', database: PG_SOURCE_DATABASE});
	client.on('error', () => {});
	await client.connect();
	try {
		const {rows} = await client.query<{n: string; s: string; lsn: string}>('SELECT count(*)::text AS n, coalesce(sum(delta), 0)::text AS s, pg_current_wal_lsn()::text AS lsn FROM pgbench_history');
		return {lsn: rows[0]!.lsn, historyRows: Number(rows[0]!.n), historyDeltaSum: rows[0]!.s};
	} finally {
		await client.end();
	}
}

/**
 * Times `layout` (a command under GNU time), then starts a server on `datadir` and waits until it has
 * replayed to the target and promoted; reads what it holds, stops it and removes the directory.
 */
async function timeRecovery(id: string, label: string, layout: {command: string; args: string[]}, datadir: string, inputs: PitrInputs): Promise<PitrResult> {
	const command = [layout.command, ...layout.args].map(shellQuote).join(' ');
	const runDir = join(inputs.workDir, `pitr-${id}-run`);
	let started: Awaited<ReturnType<typeof startRestored>> | undefined;
	inputs.log(`→ ${label}: ${command}`);
	try {
		await mkdir(runDir, {recursive: true});
		// what earlier steps left dirty goes to disk before the clock starts
		await runCommand('sync', []);
		const layoutRun: Measurement = await measure({...layout, cwd: REPO_ROOT}, join(inputs.workDir, `pitr-${id}.time`));
		const startBegan = performance.now();
		started = await startRestored(inputs.binDir, datadir, runDir, inputs.log);
		const startSeconds = (performance.now() - startBegan) / 1000;
		const client = new pg.Client({host: started.socketDir, port: started.port, user: 'postgres', database: 'postgres'});
		// a server that stops during recovery fails the next query; the idle connection's error is that one's
		client.on('error', () => {});
		await client.connect();
		try {
			await awaitRecoveryEnd(client, join(runDir, 'server.log'));
		} finally {
			await client.end();
		}
		const recoverySeconds = (performance.now() - startBegan) / 1000;
		const state = await readState(started.socketDir, started.port);
		const totalSeconds = layoutRun.seconds + recoverySeconds;
		inputs.log(`  layout ${layoutRun.seconds.toFixed(1)} s + start and recovery ${recoverySeconds.toFixed(1)} s = ${totalSeconds.toFixed(1)} s; recovered to ${state.lsn}, pgbench_history ${state.historyRows} rows`);
		return {id, label, command, status: 'ok', layoutSeconds: layoutRun.seconds, layoutPeakRssMb: layoutRun.peakRssMb, startSeconds, recoverySeconds, totalSeconds, state};
	} catch (error) {
		const message = redact(error instanceof Error ? error.message : String(error));
		inputs.log(`  FAILED ${label}: ${message}`);
		return {id, label, command, status: 'failed', error: message};
	} finally {
		await started?.server.stop('fast').catch(() => {});
		await rm(datadir, {recursive: true, force: true});
		await rm(runDir, {recursive: true, force: true});
	}
}

/** Ours: `restore BASE --datadir D --wal STORE --until-lsn X` (it copies the WAL in; its restore_command is cp), then the bench starts the server. */
export function ourPitr(inputs: PitrInputs): Promise<PitrResult> {
	const datadir = join(inputs.workDir, 'pitr-ours');
	return timeRecovery(
		'ours',
		'dbbackup restore --wal --until-lsn, then pg_ctl start',
		{command: OUR_CLI, args: ['restore', inputs.ourBackup, '--datadir', datadir, '--wal', inputs.ourStore, '--until-lsn', inputs.targetLsn, '--yes']},
		datadir,
		inputs,
	);
}

/**
 * pg_basebackup's tars by hand, as its documentation has it: base.tar into the directory, pg_wal.tar
 * into pg_wal, recovery.signal and the same recovery settings as ours with restore_command = cp from
 * pg_receivewal's directory; owned by the server's user. tar does not fsync: the server syncs the
 * whole directory at its first start from a backup_label anyway (recovery_init_sync_method), as for ours.
 */
export async function peerPitr(inputs: PitrInputs): Promise<PitrResult> {
	const datadir = join(inputs.workDir, 'pitr-pg_basebackup');
	const codec = PITR_CODECS[inputs.peerCodec];
	const settingsFile = join(inputs.workDir, 'pitr-peer-settings.conf');
	const restoreCommand = `cp ${shellQuote(inputs.peerWalDir)}/%f %p`;
	await writeFile(settingsFile, `\n# bench: point-in-time recovery from pg_receivewal's directory\n${recoverySettings(restoreCommand, inputs.targetLsn).join('\n')}\n`);
	const q = shellQuote;
	const tar = (file: string, into: string) => ['tar', ...codec.tar, '-xf', q(join(inputs.peerBackupDir, `${file}${codec.suffix}`)), '-C', q(into)].join(' ');
	const script = [
		'set -e',
		`mkdir -m 700 ${q(datadir)}`,
		tar('base.tar', datadir),
		tar('pg_wal.tar', join(datadir, 'pg_wal')),
		`cat ${q(settingsFile)} >> ${q(join(datadir, 'postgresql.auto.conf'))}`,
		`touch ${q(join(datadir, 'recovery.signal'))}`,
		...(isRoot() ? [`chown -R ${SERVER_OS_USER}:${SERVER_OS_USER} ${q(datadir)}`] : []),
	].join('\n');
	return timeRecovery('pg_basebackup', `tar -xf (pg_basebackup -Ft${inputs.peerCodec === 'none' ? '' : ` ${inputs.peerCodec}`}) + cp restore_command, then pg_ctl start`, {command: 'bash', args: ['-c', script]}, datadir, inputs);
}

/** Ours end to end with --verify-start: the restore, its own throwaway server to the target, every table counted, stopped. */
export async function ourPitrVerifyStart(inputs: PitrInputs): Promise<PitrResult> {
	const datadir = join(inputs.workDir, 'pitr-ours-verify');
	const args = ['restore', inputs.ourBackup, '--datadir', datadir, '--wal', inputs.ourStore, '--until-lsn', inputs.targetLsn, '--verify-start', '--yes'];
	const command = [OUR_CLI, ...args].map(shellQuote).join(' ');
	const label = 'dbbackup restore --wal --until-lsn --verify-start';
	inputs.log(`→ ${label}: ${command}`);
	try {
		await runCommand('sync', []);
		const run = await measure({command: OUR_CLI, args, cwd: REPO_ROOT}, join(inputs.workDir, 'pitr-ours-verify.time'));
		inputs.log(`  ${run.seconds.toFixed(1)} s, peak RSS ${run.peakRssMb.toFixed(0)} MiB`);
		return {id: 'ours-verify-start', label, command, status: 'ok', layoutSeconds: run.seconds, layoutPeakRssMb: run.peakRssMb, totalSeconds: run.seconds};
	} catch (error) {
		const message = redact(error instanceof Error ? error.message : String(error));
		inputs.log(`  FAILED ${label}: ${message}`);
		return {id: 'ours-verify-start', label, command, status: 'failed', error: message};
	} finally {
		await rm(datadir, {recursive: true, force: true});
	}
}
