import {join} from 'node:path';
import {runCommand} from '../source/sandbox/run-command.ts';
import {countRows, type PgBenchServer} from './pg-server.ts';
import type {RowCounts} from './run-step.ts';
import {sysbenchTables} from './sysbench.ts';

/** sysbench's and pgbench's tables share one database: one dump and one restore cover both. */
export const PG_SOURCE_DATABASE = 'sbtest';

const PGBENCH_ACCOUNTS_PER_SCALE = 100_000;

export interface PgDataSpec {
	/** sysbench tables */
	tables: number;
	rowsPerTable: number;
	threads: number;
	/** pgbench -i -s */
	pgbenchScale: number;
}

export interface PreparedData {
	rowCounts: RowCounts;
	sysbenchSeconds: number;
	pgbenchSeconds: number;
	/** heap + indexes + TOAST of the source's tables */
	sourceBytes: number;
}

/** The smallest pgbench scale whose pgbench_accounts holds at least as many rows as one sysbench table. */
export function pgbenchScaleFor(rowsPerTable: number): number {
	return Math.max(1, Math.ceil(rowsPerTable / PGBENCH_ACCOUNTS_PER_SCALE));
}

/** What the generators must have left: any other count means the data is not what the figures claim. */
function expectedRowCounts(spec: PgDataSpec): RowCounts {
	return {
		...Object.fromEntries(sysbenchTables(spec.tables).map((table) => [table, spec.rowsPerTable])),
		pgbench_accounts: spec.pgbenchScale * PGBENCH_ACCOUNTS_PER_SCALE,
		pgbench_branches: spec.pgbenchScale,
		pgbench_tellers: spec.pgbenchScale * 10,
		pgbench_history: 0,
	};
}

/**
 * Recreates `sbtest` (owned by the tools' role), fills it with `sysbench oltp_read_write prepare` and
 * `pgbench -i --foreign-keys`, then VACUUM ANALYZE so autovacuum has nothing left to do on the source
 * while the steps run. The password reaches both generators as PGPASSWORD (libpq reads it).
 */
export async function preparePgData(bench: PgBenchServer, spec: PgDataSpec): Promise<PreparedData> {
	const {server} = bench;
	const admin = await bench.superuser('postgres');
	try {
		await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(PG_SOURCE_DATABASE)} WITH (FORCE)`);
		await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(PG_SOURCE_DATABASE)} OWNER ${admin.escapeIdentifier(server.user)}`);
	} finally {
		await admin.end();
	}
	const env = {...process.env, PGPASSWORD: server.password};

	let began = performance.now();
	await runCommand(
		'sysbench',
		[
			'oltp_read_write',
			'--db-driver=pgsql',
			`--pgsql-host=${server.host}`,
			`--pgsql-port=${server.port}`,
			`--pgsql-user=${server.user}`,
			`--pgsql-db=${PG_SOURCE_DATABASE}`,
			`--tables=${spec.tables}`,
			`--table-size=${spec.rowsPerTable}`,
			// prepare gives each thread whole tables: more threads than tables would only idle
			`--threads=${Math.min(spec.threads, spec.tables)}`,
			'prepare',
		],
		{env},
	);
	const sysbenchSeconds = (performance.now() - began) / 1000;

	began = performance.now();
	await runCommand(
		join(bench.binDir, 'pgbench'),
		['--initialize', `--scale=${spec.pgbenchScale}`, '--foreign-keys', '--quiet', '--host', server.host, '--port', String(server.port), '--username', server.user, PG_SOURCE_DATABASE],
		{env},
	);
	const pgbenchSeconds = (performance.now() - began) / 1000;

	const client = await bench.superuser(PG_SOURCE_DATABASE);
	let sourceBytes: number;
	try {
		await client.query('VACUUM ANALYZE');
		const {rows} = await client.query<{bytes: string}>(
			`SELECT sum(pg_total_relation_size(c.oid))::text AS bytes
			 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			 WHERE n.nspname = 'public' AND c.relkind = 'r'`,
		);
		sourceBytes = Number(rows[0]!.bytes);
	} finally {
		await client.end();
	}

	const expected = expectedRowCounts(spec);
	const rowCounts = await countRows(bench, PG_SOURCE_DATABASE, Object.keys(expected));
	const wrong = Object.entries(expected).filter(([table, count]) => rowCounts[table] !== count);
	if (wrong.length > 0) {
		throw new Error(`the generators left ${wrong.map(([table, count]) => `${table} with ${rowCounts[table]} rows (expected ${count})`).join(', ')}`);
	}
	return {rowCounts, sysbenchSeconds, pgbenchSeconds, sourceBytes};
}
