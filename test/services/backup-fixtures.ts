/**
 * Real backups and binlog streams of a private MariaDB for the catalog's and prune's tests: the server's
 * connection settings, its binlog position, rows written, backups taken and a stream copied.
 */
import type {Connection, RowDataPacket} from 'mysql2/promise';
import type {BinlogStreamOptions} from '../../source/binlog/stream/streamer.ts';
import type {ConnectionSettings} from '../../source/core/connection-settings.ts';
import {EventBus} from '../../source/core/events.ts';
import type {RunningMariadb} from '../../source/sandbox/types.ts';
import {runBackup, type BackupOutcome} from '../../source/services/backup.ts';
import type {StorageOptions} from '../../source/storage/target/index.ts';
import {s3} from '../storage/s3/helpers.ts';

export function mariadbSettingsOf(server: RunningMariadb): ConnectionSettings {
	return {dbType: 'mysql', host: server.host, port: server.port, user: server.user, password: server.password};
}

/** One backup of `databases` to `output` (a path or s3:// URL), zstd, two workers. */
export async function backupTo(target: ConnectionSettings, databases: string[], output: string, extra: {format?: 'archive' | 'sql'; storage?: StorageOptions} = {}): Promise<BackupOutcome> {
	return runBackup({target, databases, output, storage: extra.storage, workers: 2, format: extra.format ?? 'archive', compress: 'zstd'}, new EventBus());
}

export async function masterStatusOf(admin: Connection): Promise<{file: string; position: number}> {
	const [rows] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
	return {file: String(rows[0]!.File), position: Number(rows[0]!.Position)};
}

/** `rows` single-row inserts into `database`.t (id auto, v text). */
export async function insertRows(admin: Connection, database: string, rows: number): Promise<void> {
	for (let index = 0; index < rows; index++) await admin.query(`INSERT INTO \`${database}\`.t (v) VALUES (?)`, [`row ${index}`]);
}

/** A stream of the server into `outputDir` (a directory or s3:// prefix) that stops once caught up. */
export function streamOptionsFor(settings: ConnectionSettings, outputDir: string, start?: {file: string; position: number}): BinlogStreamOptions {
	return {
		settings,
		outputDir,
		storage: {s3: {endpoint: s3.endpoint, region: s3.region}},
		serverId: 4545,
		useGtid: false,
		sync: 'interval',
		checkpointIntervalSeconds: 0.5,
		compress: 'none',
		stopAtEnd: true,
		...(start ? {start} : {}),
	};
}
