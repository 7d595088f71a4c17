/**
 * The store is what recovery needs: a base backup taken without WAL (pg_basebackup -X none, a test
 * tool), then PostgreSQL itself recovering it with restore_command = 'dbbackup wal-fetch --wal STORE %f %p'
 * gets every row committed before the stream stopped, those only in the segment still being filled
 * (served from its .partial, zero-padded) included; the files it asks for that are not there (the next
 * segment, the next timeline's history) are answered with exit 1, and recovery ends and promotes.
 */
import assert from 'node:assert/strict';
import {readFile, rm} from 'node:fs/promises';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {after, before, describe, test} from 'node:test';
import pg from 'pg';
import {EventBus} from '../../source/core/events.ts';
import {parseLsn} from '../../source/core/pg-replication/lsn.ts';
import {startPostgres} from '../../source/sandbox/postgres.ts';
import type {RunningPostgres} from '../../source/sandbox/types.ts';
import {streamWal} from '../../source/wal/stream/streamer.ts';
import {SEGMENT, settingsOf, sqlClient, switchWal, waitFor, waitForCheckpoint} from './helpers.ts';
import {baseBackup, giveToPostgres, postgresDir, startCluster, type Cluster} from './private-cluster.ts';

const BIN = fileURLToPath(new URL('../../bin/dbbackup.js', import.meta.url));
const timeoutMs = 300_000;

describe('PostgreSQL recovers a base backup with wal-fetch as its restore_command', () => {
	let primary: RunningPostgres;
	let recovered: Cluster | undefined;

	before(async () => {
		primary = await startPostgres({log: () => {}, noFsync: true});
	});

	after(async () => {
		await recovered?.stop();
		await primary.stop();
	});

	test('every committed row, those in the .partial too; missing files answered with exit 1', {timeout: timeoutMs}, async () => {
		const storeDir = await postgresDir('walrecovery-store');
		const store = join(storeDir, 'wal');
		const sql = await sqlClient(primary);
		const controller = new AbortController();
		const streaming = streamWal({settings: settingsOf(primary), outputDir: store, sync: 'interval', checkpointIntervalSeconds: 0.2, statusIntervalSeconds: 0.5, compress: 'zstd'}, new EventBus(), controller.signal);
		try {
			await waitForCheckpoint(store, 1n);
			await sql.query('CREATE TABLE recovered (id int PRIMARY KEY, batch text, v text)');
			await sql.query("INSERT INTO recovered SELECT g, 'a', repeat('x', 200) FROM generate_series(1, 20000) g");
			const backup = await baseBackup(primary, 'walrecovery', ['-X', 'none']);
			await sql.query("INSERT INTO recovered SELECT g, 'b', repeat('y', 200) FROM generate_series(20001, 60000) g");
			await switchWal(sql);
			// these rows are only in the segment being filled when the stream stops
			await sql.query("INSERT INTO recovered SELECT g, 'c', repeat('z', 200) FROM generate_series(60001, 61000) g");
			const end = parseLsn((await sql.query<{lsn: string}>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn);
			assert.notEqual(end % BigInt(SEGMENT), 0n);
			await waitForCheckpoint(store, end);
			controller.abort();
			const summary = await streaming;
			assert.ok(summary.segmentsCompleted.length >= 1);
			// the store was written by this root process; the restore_command runs as the server's OS user
			await giveToPostgres(store);

			const command = `HOME=/tmp DBBACKUP_FROM_SOURCE=1 ${process.execPath} ${BIN} wal-fetch --wal ${store} %f %p`;
			recovered = await startCluster(backup.dir, backup.datadir, [`restore_command = '${command}'`, "recovery_target_timeline = 'latest'"], 'recovery.signal');
			const client = new pg.Client({host: recovered.socketDir, port: recovered.port, user: recovered.superuser, database: 'postgres'});
			await client.connect();
			try {
				await waitFor('recovery to end', async () => (await client.query<{r: boolean}>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r === false, 120_000);
				const {rows} = await client.query<{batch: string; n: string}>('SELECT batch, count(*) AS n FROM recovered GROUP BY batch ORDER BY batch');
				assert.deepEqual(rows.map((row) => [row.batch, Number(row.n)]), [['a', 20000], ['b', 40000], ['c', 1000]]);
			} finally {
				await client.end();
			}
			const log = await readFile(recovered.log, 'utf8');
			assert.match(log, /restored log file "[0-9A-F]{24}" from archive/);
			assert.match(log, /archive recovery complete/);
			assert.doesNotMatch(log, /FATAL|PANIC/);
			// a missing file is one plain line (PostgreSQL logs the command's stderr): no stack, no hint
			assert.doesNotMatch(log, /\n\s+at |hint:/);
		} finally {
			controller.abort();
			await streaming.catch(() => undefined);
			await sql.end();
			await recovered?.stop();
			recovered = undefined;
			await rm(storeDir, {recursive: true, force: true});
		}
	});
});
