import {DbBackupError, WorkError} from '../core/errors.ts';
import {ensureDebianPackages, MARIADB_NEEDS, POSTGRES_NEEDS, type PackageNeed} from './debian-packages.ts';
import {startMariadb} from './mariadb.ts';
import {startMysql} from './mysql.ts';
import {startPostgres} from './postgres.ts';
import {startS3} from './s3.ts';
import type {RunningMariadb, RunningMysql, RunningPostgres, RunningS3, StartServerOptions} from './types.ts';

export {ensureDebianPackages, MARIADB_NEEDS, POSTGRES_NEEDS, locateBinary} from './debian-packages.ts';
export type {PackageNeed} from './debian-packages.ts';
export {freePort} from './free-port.ts';
export {startMariadb, MARIADB_USER, MARIADB_LIMITED_USER} from './mariadb.ts';
export {startMysql, MYSQL_USER, MYSQL_LIMITED_USER} from './mysql.ts';
export {ensureMysqlBinaries, mysqlProgram, mysqlCacheDir, mysqlTreeOptions} from './mysql-binaries.ts';
export {startMysqldOnDataDirectory, waitForMysqldSocket} from './mysqld-on-datadir.ts';
export type {MysqldOnDataDirectory, MysqldOnDataDirectoryOptions} from './mysqld-on-datadir.ts';
export {startPostgres, startPostgresOnDataDirectory, POSTGRES_USER, POSTGRES_SUPERUSER} from './postgres.ts';
export type {DataDirectoryStartOptions, PostgresOnDataDirectory} from './postgres.ts';
export {startS3, S3_BUCKET} from './s3.ts';
export {
	SAMPLE_DATABASE,
	SAMPLE_ROW_COUNTS,
	SAMPLE_VIEW,
	loadMysqlSample,
	loadPostgresSample,
	createMariadbSampleDatabase,
	createPostgresSampleDatabase,
} from './sample-data.ts';
export type {RunningMariadb, RunningMysql, RunningPostgres, RunningS3, StartServerOptions} from './types.ts';

export interface SandboxRequest {
	mariadb: boolean;
	/** a MySQL from Debian sid's packages (see mysql-binaries.ts); default false */
	mysql?: boolean;
	postgres: boolean;
	s3: boolean;
	log: (line: string) => void;
	baseDir?: string;
	/** see StartServerOptions.noFsync: the demo and the tests set it */
	noFsync?: boolean;
	/** install missing Debian packages first (as root) or fail with the command to run; default true */
	ensurePackages?: boolean;
}

export interface Sandbox {
	mariadb?: RunningMariadb;
	mysql?: RunningMysql;
	postgres?: RunningPostgres;
	s3?: RunningS3;
	/** milliseconds each server took to start */
	startupMs: {mariadb?: number; mysql?: number; postgres?: number; s3?: number};
	/** stops every server; safe to call more than once */
	stop(): Promise<void>;
}

export interface SandboxStarters {
	mariadb: (options: StartServerOptions) => Promise<RunningMariadb>;
	/** default startMysql */
	mysql?: (options: StartServerOptions) => Promise<RunningMysql>;
	postgres: (options: StartServerOptions) => Promise<RunningPostgres>;
	s3: (options: StartServerOptions) => Promise<RunningS3>;
}

const defaultStarters: SandboxStarters = {mariadb: startMariadb, postgres: startPostgres, s3: startS3};

/** One or more servers failed to start (the others were stopped); `errors` holds each failure. */
export class SandboxStartError extends WorkError {
	readonly errors: unknown[];

	constructor(errors: unknown[]) {
		const messages = errors.map((error) => (error instanceof Error ? error.message : String(error)));
		const hints = errors.flatMap((error) => (error instanceof DbBackupError && error.hint ? [error.hint] : []));
		super({
			code: 'SANDBOX_START_FAILED',
			message: `Could not start the sandbox servers:\n${messages.join('\n')}`,
			hint: hints.length > 0 ? hints.join('\n') : undefined,
			cause: errors[0],
		});
		this.errors = errors;
	}
}

/**
 * Starts the requested throwaway servers in parallel. When any fails, the ones that started are stopped
 * and a SandboxStartError carrying every failure is thrown.
 */
export async function startSandbox(request: SandboxRequest, starters: SandboxStarters = defaultStarters): Promise<Sandbox> {
	const {log} = request;
	if (request.ensurePackages ?? true) {
		const needs: PackageNeed[] = [...(request.mariadb ? MARIADB_NEEDS : []), ...(request.postgres ? POSTGRES_NEEDS : [])];
		await ensureDebianPackages(needs, log);
	}
	const options: StartServerOptions = {log, baseDir: request.baseDir, noFsync: request.noFsync};
	const startupMs: Sandbox['startupMs'] = {};
	const timed = async <T>(name: keyof Sandbox['startupMs'], start: () => Promise<T>): Promise<T> => {
		const began = performance.now();
		const server = await start();
		startupMs[name] = Math.round(performance.now() - began);
		return server;
	};
	const startMysqlServer = starters.mysql ?? startMysql;
	const [mariadb, mysql, postgres, s3] = await Promise.allSettled([
		request.mariadb ? timed('mariadb', () => starters.mariadb(options)) : undefined,
		request.mysql ? timed('mysql', () => startMysqlServer(options)) : undefined,
		request.postgres ? timed('postgres', () => starters.postgres(options)) : undefined,
		request.s3 ? timed('s3', () => starters.s3(options)) : undefined,
	]);
	const started = [mariadb, mysql, postgres, s3].flatMap((result) =>
		result.status === 'fulfilled' && result.value !== undefined ? [result.value] : [],
	);
	let stopping: Promise<void> | undefined;
	const stop = () => {
		stopping ??= stopAll(started);
		return stopping;
	};
	const failures = [mariadb, mysql, postgres, s3].flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
	if (failures.length > 0) {
		await stop();
		throw new SandboxStartError(failures);
	}
	return {
		mariadb: valueOf(mariadb),
		mysql: valueOf(mysql),
		postgres: valueOf(postgres),
		s3: valueOf(s3),
		startupMs,
		stop,
	};
}

function valueOf<T>(result: PromiseSettledResult<T | undefined>): T | undefined {
	return result.status === 'fulfilled' ? result.value : undefined;
}

async function stopAll(servers: {stop(): Promise<void>}[]): Promise<void> {
	const results = await Promise.allSettled(servers.map((server) => server.stop()));
	const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
	if (failures.length > 0) throw new AggregateError(failures, 'Could not stop every sandbox server');
}
