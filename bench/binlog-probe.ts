import {setTimeout as sleep} from 'node:timers/promises';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {domainSequence, wallNow, type Probe} from './binlog-lag.ts';

export const PROBE_DATABASE = 'bench_probe';
const PROBE_TABLE = `\`${PROBE_DATABASE}\`.\`probe\``;

export async function createProbeTable(admin: Connection): Promise<void> {
	await admin.query(`CREATE DATABASE IF NOT EXISTS \`${PROBE_DATABASE}\``);
	await admin.query(`CREATE TABLE IF NOT EXISTS ${PROBE_TABLE} (id BIGINT AUTO_INCREMENT PRIMARY KEY, committed_at DATETIME(6) NOT NULL) ENGINE=InnoDB`);
}

export interface ProbeRun {
	probes: Probe[];
	errors: number;
	firstError?: string;
}

/**
 * Every `intervalMs` on its own autocommit connection: INSERT one row, note the wall clock (wallNow) as soon
 * as the commit returned, then ask `@@last_gtid` (MariaDB: the GTID of that commit). Runs until
 * `stop()`, which waits for the probe in flight.
 */
export function startProbe(connection: Connection, intervalMs: number): {stop(): Promise<ProbeRun>} {
	const run: ProbeRun = {probes: [], errors: 0};
	let stopping = false;
	const loop = (async () => {
		while (!stopping) {
			const began = performance.now();
			try {
				await connection.query(`INSERT INTO ${PROBE_TABLE} (committed_at) VALUES (NOW(6))`);
				const committedAt = wallNow();
				const [rows] = await connection.query<RowDataPacket[]>('SELECT @@last_gtid AS gtid');
				const sequence = domainSequence(String(rows[0]?.gtid ?? ''));
				if (sequence === undefined) throw new Error(`@@last_gtid gave ${JSON.stringify(rows[0]?.gtid)}, not a domain-0 GTID`);
				run.probes.push({sequence, committedAt});
			} catch (error) {
				run.errors += 1;
				run.firstError ??= (error as Error).message;
			}
			const wait = intervalMs - (performance.now() - began);
			if (wait > 0 && !stopping) await sleep(wait);
		}
	})();
	return {
		async stop() {
			stopping = true;
			await loop;
			return run;
		},
	};
}
