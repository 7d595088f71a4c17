/**
 * A restore that is killed halfway leaves a database that looks like any other. While a restore runs,
 * its target holds a table `_dbbackup_restore_incomplete` (when it started, from which artifact); the
 * restore drops it as its last step. A database that still has it is one whose restore did not finish:
 * the next restore says so instead of "not empty", and anyone listing its tables sees it.
 */
import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {qualifiedName} from './identifiers.ts';

export const RESTORE_MARKER_TABLE = '_dbbackup_restore_incomplete';

export interface UnfinishedRestore {
	startedAt: string;
	artifact: string;
}

export async function markRestoreStarted(connection: MysqlConnection, database: string, artifact: string): Promise<void> {
	const table = qualifiedName(database, RESTORE_MARKER_TABLE);
	await connection.query(`CREATE TABLE IF NOT EXISTS ${table} (started_at varchar(40) NOT NULL, artifact text NOT NULL) COMMENT 'dbbackup: a restore into this database began and has not finished'`);
	await connection.query(`DELETE FROM ${table}`);
	await connection.query(`INSERT INTO ${table} VALUES (?, ?)`, [new Date().toISOString(), artifact]);
}

export async function markRestoreFinished(connection: MysqlConnection, database: string): Promise<void> {
	await connection.query(`DROP TABLE IF EXISTS ${qualifiedName(database, RESTORE_MARKER_TABLE)}`);
}

/** The marker a restore left in `database`, if one did not finish. */
export async function unfinishedRestore(connection: MysqlConnection, database: string): Promise<UnfinishedRestore | undefined> {
	const [present] = await connection.query<RowDataPacket[]>('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, RESTORE_MARKER_TABLE]);
	if (present.length === 0) return undefined;
	const [rows] = await connection.query<RowDataPacket[]>(`SELECT started_at AS startedAt, artifact FROM ${qualifiedName(database, RESTORE_MARKER_TABLE)} LIMIT 1`).catch(() => [[]] as unknown as [RowDataPacket[]]);
	return {startedAt: String(rows[0]?.startedAt ?? 'an unknown time'), artifact: String(rows[0]?.artifact ?? 'an unknown artifact')};
}

export function describeUnfinished(database: string, unfinished: UnfinishedRestore): string {
	return `${database} holds a restore that did not finish (started ${unfinished.startedAt} from ${unfinished.artifact})`;
}
