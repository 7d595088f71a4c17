import {mkdtemp, rm} from 'node:fs/promises';
import {cpus, tmpdir} from 'node:os';
import path from 'node:path';
import {connectMysql, connectPostgres} from '../core/connect.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import {WorkError} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {fingerprintDatabase, fingerprintDifferences} from '../engines/mysql-logical/index.ts';
import {postgresDifferences} from '../engines/postgres-logical/index.ts';
import {runBackup} from './backup.ts';
import {runRestore} from './restore.ts';

export interface DemoRoundTrip {
	dbType: ConnectionSettings['dbType'];
	database: string;
	restoredAs: string;
	artifact: string;
	bytes: number;
	tables: number;
	rows: number;
	lockMs?: number;
	backupSeconds: number;
	restoreSeconds: number;
	/** empty: every object definition and every row of the copy match the original */
	differences: string[];
}

function seconds(startedAt: string, finishedAt: string): number {
	return (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000;
}

/**
 * The demo's proof: back up the sample database, restore it under another name, and compare the two
 * (MySQL: SHOW CREATE of every object; PostgreSQL: columns, constraints, indexes, views, functions from
 * the catalogs; both: a hash of every row). The archive lives in a temp dir removed afterwards.
 */
export async function demoRoundTrip(target: ConnectionSettings, database: string, bus: EventBus): Promise<DemoRoundTrip> {
	const dir = await mkdtemp(path.join(tmpdir(), 'dbbackup-demo-'));
	const restoredAs = `${database}_restored`;
	try {
		const workers = Math.max(2, cpus().length);
		const backup = await runBackup(
			{target, databases: [database], output: path.join(dir, `${database}.tar`), engine: target.dbType === 'mysql' ? 'mysqldump' : 'postgres-logical', format: 'archive', compress: 'zstd', workers, chunkRows: 500},
			bus,
		);
		const restore = await runRestore({target, artifact: backup.result.artifact, targetDb: restoredAs, workers, dropExisting: true}, bus);
		bus.stage('compare', `${database} against ${restoredAs}: every object definition and a hash of every row`);
		const differences = target.dbType === 'mysql' ? await mysqlCopyDifferences(target, database, restoredAs) : await postgresCopyDifferences(target, database, restoredAs);
		for (const difference of differences) bus.warn(`restored copy differs: ${difference}`, {code: 'DEMO_COPY_DIFFERS'});
		if (differences.length === 0) bus.log('info', `${restoredAs} matches ${database}: same definitions, same rows`);
		return {
			dbType: target.dbType,
			database,
			restoredAs,
			artifact: backup.result.artifact,
			bytes: backup.result.bytes,
			tables: backup.result.tables,
			rows: backup.result.rows,
			lockMs: backup.result.lockMs,
			backupSeconds: seconds(backup.result.startedAt, backup.result.finishedAt),
			restoreSeconds: seconds(restore.startedAt, restore.finishedAt),
			differences,
		};
	} finally {
		await rm(dir, {recursive: true, force: true});
	}
}

async function mysqlCopyDifferences(target: ConnectionSettings, database: string, restoredAs: string): Promise<string[]> {
	const connection = await connectMysql(target);
	try {
		return fingerprintDifferences(await fingerprintDatabase(connection, database), await fingerprintDatabase(connection, restoredAs));
	} finally {
		await connection.end().catch(() => undefined);
	}
}

async function postgresCopyDifferences(target: ConnectionSettings, database: string, restoredAs: string): Promise<string[]> {
	const original = await connectPostgres({...target, database});
	try {
		const copy = await connectPostgres({...target, database: restoredAs});
		try {
			return await postgresDifferences(original, copy);
		} finally {
			await copy.end().catch(() => undefined);
		}
	} finally {
		await original.end().catch(() => undefined);
	}
}

/** A round trip whose copy differs is a failed demo (exit 1), after the differences were reported. */
export function assertRoundTripMatches(roundTrip: DemoRoundTrip): void {
	if (roundTrip.differences.length === 0) return;
	throw new WorkError({
		code: 'DEMO_COPY_DIFFERS',
		message: `the restored copy ${roundTrip.restoredAs} differs from ${roundTrip.database}: ${roundTrip.differences.slice(0, 3).join('; ')}`,
		hint: 'This is a bug in dbbackup; please report it with the warnings above.',
	});
}
