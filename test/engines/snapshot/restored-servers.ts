/** Servers started on restored data directories, and the write loads the round trips run under. */
import {chown, mkdir, stat} from 'node:fs/promises';
import {setTimeout as sleep} from 'node:timers/promises';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import type pg from 'pg';
import {locateBinary, startMysqldOnDataDirectory} from '../../../source/sandbox/index.ts';

export interface RestoredMariadb {
	connection: Connection;
	stop(): Promise<void>;
}

/**
 * mariadbd on a restored data directory, as the directory's owner, with the binary log the source had:
 * the product's own starter (a private socket, grant tables skipped); root over the socket.
 */
export async function startMariadbOn(datadir: string, workDir: string): Promise<RestoredMariadb> {
	await mkdir(workDir, {recursive: true});
	const owner = await stat(datadir);
	if (process.getuid?.() === 0) await chown(workDir, owner.uid, owner.gid);
	const server = await startMysqldOnDataDirectory({
		flavor: 'mariadb',
		program: {command: locateBinary('mariadbd')!, args: []},
		datadir,
		workDir,
		osUser: owner.uid === 0 ? 'root' : 'mysql',
		binlogBasename: 'mariadb-bin',
		startTimeoutMs: 60_000,
		log: () => undefined,
	});
	const connection = await server.connect();
	return {
		connection,
		stop: async () => {
			await connection.end().catch(() => undefined);
			await server.stop();
		},
	};
}

/** CHECKSUM TABLE of each table, by name. */
export async function mariadbChecksums(connection: Connection, tables: string[]): Promise<Record<string, string>> {
	const [rows] = await connection.query<RowDataPacket[]>(`CHECKSUM TABLE ${tables.join(', ')} EXTENDED`);
	return Object.fromEntries(rows.map((row) => [String(row.Table), String(row.Checksum)]));
}

/**
 * A write load: transaction k inserts row k into events and adds k to one of ten counters. Whatever
 * prefix of it a copy holds, count = max(k) = K, sum(total) = K(K+1)/2 and sum(hits) = K.
 */
export interface WriteLoad {
	/** transactions committed so far */
	readonly committed: number;
	/** MariaDB: the GTID seq_no of each writer transaction → its k */
	readonly kBySeq: Map<number, number>;
	stop(): Promise<void>;
}

export const LOAD_SCHEMA_MARIADB = [
	'CREATE TABLE events (k INT PRIMARY KEY, payload VARCHAR(200) NOT NULL) ENGINE=InnoDB',
	'CREATE TABLE counters (id INT PRIMARY KEY, total BIGINT NOT NULL, hits INT NOT NULL) ENGINE=InnoDB',
	'INSERT INTO counters SELECT seq, 0, 0 FROM seq_0_to_9',
	'CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(100)) ENGINE=Aria',
	"INSERT INTO notes SELECT seq, CONCAT('note ', seq) FROM seq_1_to_100",
];

export function mariadbLoad(connection: Connection): WriteLoad {
	let committed = 0;
	let stopping = false;
	const kBySeq = new Map<number, number>();
	const loop = (async () => {
		while (!stopping) {
			const k = committed + 1;
			await connection.query('BEGIN');
			await connection.query('INSERT INTO events VALUES (?, ?)', [k, `event ${k} ${'x'.repeat(k % 150)}`]);
			await connection.query('UPDATE counters SET total = total + ?, hits = hits + 1 WHERE id = ?', [k, k % 10]);
			await connection.query('COMMIT');
			const [rows] = await connection.query<RowDataPacket[]>('SELECT @@last_gtid AS gtid');
			kBySeq.set(Number(String(rows[0]!.gtid).split('-')[2]), k);
			committed = k;
		}
	})();
	return {
		get committed() {
			return committed;
		},
		kBySeq,
		async stop() {
			stopping = true;
			await loop;
		},
	};
}

export function postgresLoad(client: pg.Client): WriteLoad {
	let committed = 0;
	let stopping = false;
	const loop = (async () => {
		while (!stopping) {
			const k = committed + 1;
			await client.query('BEGIN');
			await client.query('INSERT INTO events VALUES ($1, $2)', [k, `event ${k} ${'x'.repeat(k % 150)}`]);
			await client.query('UPDATE counters SET total = total + $1, hits = hits + 1 WHERE id = $2', [k, k % 10]);
			await client.query('COMMIT');
			committed = k;
		}
	})();
	return {
		get committed() {
			return committed;
		},
		kBySeq: new Map(),
		async stop() {
			stopping = true;
			await loop;
		},
	};
}

export async function waitFor(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error('timed out waiting');
		await sleep(20);
	}
}
