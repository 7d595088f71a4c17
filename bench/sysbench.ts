import type {Connection, RowDataPacket} from 'mysql2/promise';
import type {RunningMariadb} from '../source/sandbox/index.ts';
import {runCommand} from '../source/sandbox/run-command.ts';
import type {RowCounts} from './run-step.ts';

export const SOURCE_DATABASE = 'sbtest';

export function sysbenchTables(count: number): string[] {
	return Array.from({length: count}, (_, index) => `sbtest${index + 1}`);
}

export interface DataSpec {
	tables: number;
	rowsPerTable: number;
	threads: number;
	/** the sysbench test whose tables are prepared; every oltp_* test prepares the same ones (default oltp_read_write) */
	workload?: string;
}

/**
 * sysbench reads no password from the environment, so the password is on its argv: acceptable only
 * because it belongs to the bench's own throwaway server and dies with it.
 */
export function sysbenchConnectionArgs(server: RunningMariadb): string[] {
	return [
		'--db-driver=mysql',
		`--mysql-host=${server.host}`,
		`--mysql-port=${server.port}`,
		`--mysql-user=${server.user}`,
		`--mysql-password=${server.password}`,
		`--mysql-db=${SOURCE_DATABASE}`,
	];
}

/** Recreates `sbtest` and fills it with `sysbench oltp_read_write prepare` (or the spec's workload). */
export async function prepareSysbenchData(server: RunningMariadb, admin: Connection, spec: DataSpec): Promise<number> {
	await admin.query(`DROP DATABASE IF EXISTS \`${SOURCE_DATABASE}\``);
	await admin.query(`CREATE DATABASE \`${SOURCE_DATABASE}\``);
	const began = performance.now();
	await runCommand('sysbench', [
		spec.workload ?? 'oltp_read_write',
		...sysbenchConnectionArgs(server),
		`--tables=${spec.tables}`,
		`--table-size=${spec.rowsPerTable}`,
		// prepare gives each thread whole tables: more threads than tables would only idle
		`--threads=${Math.min(spec.threads, spec.tables)}`,
		'prepare',
	]);
	return (performance.now() - began) / 1000;
}

export interface LoadSpec {
	/** e.g. oltp_write_only */
	workload: string;
	tables: number;
	rowsPerTable: number;
	threads: number;
	seconds: number;
}

/** What `sysbench … run` reported. */
export interface LoadResult {
	seconds: number;
	transactions: number;
	transactionsPerSecond: number;
	/** sysbench's 95th percentile transaction latency, milliseconds */
	latencyP95Ms?: number;
}

/** `sysbench WORKLOAD run` against the prepared tables for `spec.seconds`; rejects when sysbench fails. */
export async function runSysbenchLoad(server: RunningMariadb, spec: LoadSpec): Promise<LoadResult> {
	const began = performance.now();
	const {stdout} = await runCommand('sysbench', [
		spec.workload,
		...sysbenchConnectionArgs(server),
		`--tables=${spec.tables}`,
		`--table-size=${spec.rowsPerTable}`,
		`--threads=${spec.threads}`,
		`--time=${spec.seconds}`,
		// time only: without this sysbench also stops after 10000 events
		'--events=0',
		'run',
	]);
	const transactions = /transactions:\s+(\d+)\s+\(([\d.]+) per sec/.exec(stdout);
	if (!transactions) throw new Error(`could not read the transaction count from sysbench's output:\n${stdout.slice(-2000)}`);
	const p95 = /95th percentile:\s+([\d.]+)/.exec(stdout);
	return {
		seconds: (performance.now() - began) / 1000,
		transactions: Number(transactions[1]),
		transactionsPerSecond: Number(transactions[2]),
		latencyP95Ms: p95 ? Number(p95[1]) : undefined,
	};
}

export async function countRows(conn: Connection, database: string, tables: string[]): Promise<RowCounts> {
	const counts: RowCounts = {};
	for (const table of tables) {
		const [rows] = await conn.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${database}\`.\`${table}\``);
		counts[table] = Number(rows[0]?.n);
	}
	return counts;
}

/** Throws naming every table whose count differs from the source (or that is missing). */
export async function verifyRowCounts(conn: Connection, database: string, expected: RowCounts): Promise<void> {
	const wrong: string[] = [];
	for (const [table, count] of Object.entries(expected)) {
		let actual: string;
		try {
			const [rows] = await conn.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${database}\`.\`${table}\``);
			if (Number(rows[0]?.n) === count) continue;
			actual = String(rows[0]?.n);
		} catch (error) {
			actual = (error as Error).message;
		}
		wrong.push(`${database}.${table}: ${actual} rows, source has ${count}`);
	}
	if (wrong.length > 0) throw new Error(`row counts differ after restore:\n  ${wrong.join('\n  ')}`);
}
