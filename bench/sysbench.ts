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
}

/**
 * Recreates `sbtest` and fills it with `sysbench oltp_read_write prepare`. sysbench reads no password
 * from the environment, so the password is on its argv: acceptable only because it belongs to the
 * bench's own throwaway server and dies with it.
 */
export async function prepareSysbenchData(server: RunningMariadb, admin: Connection, spec: DataSpec): Promise<number> {
	await admin.query(`DROP DATABASE IF EXISTS \`${SOURCE_DATABASE}\``);
	await admin.query(`CREATE DATABASE \`${SOURCE_DATABASE}\``);
	const began = performance.now();
	await runCommand('sysbench', [
		'oltp_read_write',
		'--db-driver=mysql',
		`--mysql-host=${server.host}`,
		`--mysql-port=${server.port}`,
		`--mysql-user=${server.user}`,
		`--mysql-password=${server.password}`,
		`--mysql-db=${SOURCE_DATABASE}`,
		`--tables=${spec.tables}`,
		`--table-size=${spec.rowsPerTable}`,
		// prepare gives each thread whole tables: more threads than tables would only idle
		`--threads=${Math.min(spec.threads, spec.tables)}`,
		'prepare',
	]);
	return (performance.now() - began) / 1000;
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
