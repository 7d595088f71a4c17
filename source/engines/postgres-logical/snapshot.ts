import type pg from 'pg';

/** Where a PostgreSQL dump is consistent: the exported snapshot and the WAL position and transaction horizon it was taken at. */
export interface PostgresCoordinates {
	/** pg_export_snapshot()'s id, valid only while the leader's transaction lives */
	snapshot: string;
	/** the WAL insert (or, on a standby, replay) position read in the snapshot's first statement */
	lsn: string;
	/** pg_current_snapshot(): xmin:xmax:xip-list; exactly the transactions the dump sees */
	txidSnapshot: string;
	inRecovery: boolean;
	/** the server's clock at the snapshot */
	at: string;
}

/**
 * Session settings the COPY text depends on; dump and restore sessions both use them, so dates, intervals,
 * floats and bytea read back as written whatever the server's defaults are. The client encoding is always
 * UTF8: the driver speaks UTF-8, and the server converts from and to the database's encoding.
 */
export const COPY_SESSION_STATEMENTS: readonly string[] = [
	"SET client_encoding = 'UTF8'",
	"SET DateStyle = 'ISO, MDY'",
	"SET IntervalStyle = 'postgres'",
	'SET extra_float_digits = 3',
	"SET bytea_output = 'hex'",
	'SET statement_timeout = 0',
	'SET lock_timeout = 0',
	'SET idle_in_transaction_session_timeout = 0',
	// a policy that would hide rows makes the dump fail instead of silently leaving them out
	'SET row_security = off',
];

/** Opens the leader's transaction and exports its snapshot; the transaction must stay open until every worker has joined. */
export async function exportSnapshot(leader: pg.Client): Promise<PostgresCoordinates> {
	await leader.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
	const {rows} = await leader.query<{snapshot: string; lsn: string; txid_snapshot: string; in_recovery: boolean; at: Date}>(
		`SELECT pg_catalog.pg_export_snapshot() AS snapshot,
			CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_lsn() END::text AS lsn,
			pg_catalog.pg_current_snapshot()::text AS txid_snapshot,
			pg_catalog.pg_is_in_recovery() AS in_recovery,
			pg_catalog.now() AS at`,
	);
	const [row] = rows;
	return {snapshot: row.snapshot, lsn: row.lsn, txidSnapshot: row.txid_snapshot, inRecovery: row.in_recovery, at: row.at.toISOString()};
}

/** Makes a worker's transaction see exactly the leader's snapshot. */
export async function joinSnapshot(worker: pg.Client, snapshot: string): Promise<void> {
	await worker.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
	await worker.query(`SET TRANSACTION SNAPSHOT '${snapshot.replaceAll("'", "''")}'`);
}

export function describePostgresCoordinates(coordinates: Record<string, unknown>): string {
	const parts: string[] = [];
	if (typeof coordinates.lsn === 'string') parts.push(`LSN ${coordinates.lsn}`);
	if (typeof coordinates.txidSnapshot === 'string') parts.push(`snapshot ${coordinates.txidSnapshot}`);
	return parts.join(', ');
}
