import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import type {ConnectionSettings} from '../../../source/core/connection-settings.ts';
import {EventBus} from '../../../source/core/events.ts';
import {dumpPostgres} from '../../../source/engines/postgres-logical/dump.ts';
import {postgresLogicalEngine} from '../../../source/engines/postgres-logical/index.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {postgresClient, uniqueName} from '../../harness/db.ts';
import {getTestServers} from '../../harness/servers.ts';

function postgresSettings(): ConnectionSettings {
	const {postgres} = getTestServers();
	return {dbType: 'postgres', host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password};
}

/** Inserts n = 1, 2, 3… into two tables and a log of its transaction id, one transaction per n, until stopped. */
class PairWriter {
	written = 0;
	private running = false;
	private loop?: Promise<void>;

	constructor(private readonly client: pg.Client) {}

	start(from: number): void {
		this.running = true;
		this.written = from;
		this.loop = (async () => {
			while (this.running) {
				const n = this.written + 1;
				await this.client.query(`BEGIN; INSERT INTO a VALUES (${n}, repeat('a', 200)); INSERT INTO b VALUES (${n}, repeat('b', 200)); INSERT INTO log VALUES (${n}, pg_current_xact_id()); COMMIT`);
				this.written = n;
			}
		})();
	}

	async stop(): Promise<void> {
		this.running = false;
		await this.loop;
	}
}

describe('postgres-logical: one snapshot for every worker', () => {
	let admin: pg.Client;
	let dir: string;
	const source = uniqueName('pg_consistency');
	const copy = uniqueName('pg_consistency_copy');

	before(async () => {
		admin = await postgresClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-pg-consistency-'));
		await admin.query(`CREATE DATABASE ${source}`);
		const client = await postgresClient(source);
		await client.query(`CREATE TABLE a (n int PRIMARY KEY, pad text); CREATE TABLE b (n int PRIMARY KEY, pad text); CREATE TABLE log (n int PRIMARY KEY, xid xid8 NOT NULL)`);
		await client.query(`BEGIN; INSERT INTO a SELECT n, repeat('a', 200) FROM generate_series(1, 20000) n; INSERT INTO b SELECT n, repeat('b', 200) FROM generate_series(1, 20000) n; INSERT INTO log SELECT n, pg_current_xact_id() FROM generate_series(1, 20000) n; COMMIT`);
		await client.query('ANALYZE');
		await client.end();
	});

	after(async () => {
		await admin.query(`DROP DATABASE IF EXISTS ${source}`);
		await admin.query(`DROP DATABASE IF EXISTS ${copy}`);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('a dump taken during writes, chunked over 3 workers, holds exactly the transactions its recorded snapshot sees, in both tables', async () => {
		const writerClient = await postgresClient(source);
		const writer = new PairWriter(writerClient);
		writer.start(20000);
		const output = join(dir, 'during-writes.tar');
		try {
			while (writer.written < 20050) await new Promise((resolve) => setTimeout(resolve, 5));
			const result = await dumpPostgres({settings: postgresSettings(), databases: [source], workers: 3, chunkRows: 1500, format: 'archive', compression: 'none', output}, new EventBus());
			const writtenAfter = writer.written;
			await writer.stop();
			const archive = await openArchive(output);
			assert.ok((archive.manifest.databases[0].tables.find((table) => table.name === 'a')?.members.length ?? 0) > 3, 'table a was split into chunks');
			assert.equal(archive.manifest.coordinates.txidSnapshot, result.coordinates.txidSnapshot);

			const check = await postgresClient(source);
			const {rows: [{expected}]} = await check.query<{expected: number}>('SELECT count(*)::int AS expected FROM log WHERE pg_visible_in_snapshot(xid, $1::pg_snapshot)', [result.coordinates.txidSnapshot]);
			await check.end();
			assert.ok(expected > 20050 && expected < writer.written, `the snapshot sees ${expected} of ${writtenAfter} written`);

			await postgresLogicalEngine.restore({settings: postgresSettings(), artifact: output, targetDb: copy, workers: 3}, new EventBus());
			const restored = await postgresClient(copy);
			try {
				for (const table of ['a', 'b', 'log']) {
					const {rows: [row]} = await restored.query<{count: number; top: number}>(`SELECT count(*)::int AS count, max(n) AS top FROM ${table}`);
					assert.deepEqual([row.count, row.top], [expected, expected], `table ${table}`);
				}
			} finally {
				await restored.end();
			}
		} finally {
			await writer.stop();
			await writerClient.end();
		}
	});
});
