/**
 * wal-stream against the harness's real PostgreSQL 15 (in this process): WAL written by pgbench and by
 * INSERTs, pg_switch_wal() a few times, then a stop once a known LSN is durable. Every completed segment
 * is byte-identical to the server's own pg_wal file, pg_waldump reads ours, the index and checkpoint say
 * what is there, and the slot's restart_lsn never passes what the store held durably when it was read.
 */
import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import {EventBus, type BusEvent} from '../../source/core/events.ts';
import {formatLsn, parseLsn, segmentFileName, segmentOf, type Lsn} from '../../source/core/pg-replication/lsn.ts';
import {readWalCheckpoint} from '../../source/wal/store/checkpoint.ts';
import {readWalIndex} from '../../source/wal/store/segment-index.ts';
import {streamWal, type WalStreamOptions} from '../../source/wal/stream/streamer.ts';
import {decompress as zstdDecompress} from 'zstd-napi';
import {startPostgres} from '../../source/sandbox/postgres.ts';
import {uniqueName} from '../harness/db.ts';
import {
	assertPrefixOfServer,
	assertSameAsServer,
	completeSegments,
	dropSlot,
	harnessPostgres,
	PG_BIN,
	pinWal,
	run,
	SEGMENT,
	settingsOf,
	slotRestartLsn,
	sqlClient,
	switchWal,
	waitFor,
	waitForCheckpoint,
	waldump,
	writeRows,
} from './helpers.ts';

const timeoutMs = 240_000;
const server = harnessPostgres();

function options(outputDir: string, slot: string, extra: Partial<WalStreamOptions> = {}): WalStreamOptions {
	return {settings: settingsOf(), outputDir, slot, sync: 'interval', checkpointIntervalSeconds: 0.3, statusIntervalSeconds: 0.5, compress: 'none', ...extra};
}

function recordingBus(): {bus: EventBus; events: BusEvent[]} {
	const bus = new EventBus();
	const events: BusEvent[] = [];
	bus.onAny((event) => events.push(event));
	return {bus, events};
}

describe('wal-stream: a byte-identical copy of the server\'s WAL', () => {
	let sql: pg.Client;
	let dir: string;
	const pin = uniqueName('walpin');
	let unpin: () => Promise<void>;
	const database = uniqueName('walbench');

	before(async () => {
		sql = await sqlClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-wal-'));
		// the server keeps every WAL file from here on, to be compared after the stream's slot has moved past it
		unpin = await pinWal(sql, pin);
		await sql.query(`CREATE DATABASE ${database}`);
	});

	after(async () => {
		await unpin();
		await sql.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
		await sql.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('pgbench and INSERTs with pg_switch_wal, stopped once a known LSN is durable: segments equal pg_wal, pg_waldump reads them, the slot never passes the durable point', {timeout: timeoutMs}, async (t) => {
		const slot = uniqueName('walslot');
		const out = join(dir, 'plain');
		const {bus, events} = recordingBus();
		let durable: Lsn = 0n;
		bus.on('wal-durable', (event) => {
			durable = parseLsn(event.lsn);
		});
		const controller = new AbortController();
		const streaming = streamWal(options(out, slot), bus, controller.signal);
		const slotChecks: Array<{restart: Lsn; durable: Lsn}> = [];
		let watching = true;
		// the slot's restart_lsn, read over and over while the stream runs, against what was durable when the answer came
		const watcher = (async () => {
			const watch = await sqlClient();
			try {
				while (watching) {
					const restart = await slotRestartLsn(watch, slot);
					if (restart !== undefined) slotChecks.push({restart, durable});
					await new Promise((resolve) => setTimeout(resolve, 20));
				}
			} finally {
				await watch.end();
			}
		})();
		try {
			const started = await waitForCheckpoint(out, 1n);
			const pgArgs = ['-h', server.socketDir, '-p', String(server.port), '-U', server.superuser];
			await run(`${PG_BIN}/pgbench`, ['-i', '-s', '2', '-q', ...pgArgs, database]);
			const bench = run(`${PG_BIN}/pgbench`, ['-T', '4', '-c', '2', '-n', ...pgArgs, database]);
			for (let index = 0; index < 3; index++) {
				await writeRows(sql, `wal_rows_${process.pid}`, 5000);
				await switchWal(sql);
				await new Promise((resolve) => setTimeout(resolve, 500));
			}
			await bench;
			await writeRows(sql, `wal_rows_${process.pid}`, 2000);
			const known = await switchWal(sql);
			assert.equal(known % BigInt(SEGMENT), 0n, 'after pg_switch_wal the flush position starts a segment');
			await waitForCheckpoint(out, known, 60_000);
			controller.abort();
			const summary = await streaming;
			watching = false;
			await watcher;

			// every segment from the first to the one before the known LSN: complete, indexed, and the server's bytes
			const first = segmentOf(started, SEGMENT);
			const last = segmentOf(known, SEGMENT) - 1n;
			const expected: string[] = [];
			for (let segment = first; segment <= last; segment++) expected.push(segmentFileName(1, segment, SEGMENT));
			const complete = await completeSegments(out);
			for (const name of expected) assert.ok(complete.includes(name), `${name} is complete in the store`);
			assert.ok(expected.length >= 5, `pgbench, the rows and 4 switches made ${expected.length} segments`);
			await assertSameAsServer(server, out, complete);
			const index = await readWalIndex(out);
			for (const name of complete) {
				const entry = index.files.find((file) => file.name === name);
				assert.ok(entry, `${name} is in wal-index.json`);
				assert.equal(entry.size, SEGMENT);
				assert.equal(entry.stored, name);
				assert.equal((await stat(join(out, name))).mode & 0o777, 0o600, `${name} is 0600`);
			}
			// pg_waldump walks every record of our copy, from the first segment to the known LSN
			const stats = await waldump(out, formatLsn(started), formatLsn(known));
			assert.match(stats, /Total\s+\d+/);

			// the checkpoint: at or past the known LSN, this cluster, this slot
			const checkpoint = (await readWalCheckpoint(out))!;
			const {rows} = await sql.query<{system_identifier: string}>('SELECT system_identifier::text FROM pg_control_system()');
			assert.equal(checkpoint.systemId, rows[0]!.system_identifier);
			assert.equal(checkpoint.slot, slot);
			assert.equal(checkpoint.timeline, 1);
			assert.ok(parseLsn(checkpoint.flushLsn) >= known, `checkpoint ${checkpoint.flushLsn} covers ${formatLsn(known)}`);
			assert.equal(summary.flushedLsn, checkpoint.flushLsn);

			// what came after the known LSN (autovacuum, checkpoints) is in the .partial: the start of the server's file
			const activeName = segmentFileName(1, segmentOf(parseLsn(checkpoint.flushLsn), SEGMENT), SEGMENT);
			const partial = await readFile(join(out, `${activeName}.partial`)).catch(() => undefined);
			if (partial) {
				assert.equal(BigInt(partial.length), parseLsn(checkpoint.flushLsn) % BigInt(SEGMENT), 'a clean stop leaves the .partial exactly as long as the checkpoint says');
				await assertPrefixOfServer(server, activeName, partial);
			}

			// the slot never passed what was durable, and it did advance with it
			assert.ok(slotChecks.length > 20, `the slot was read ${slotChecks.length} times`);
			// (until the stream reports its first flush, the slot holds WAL from where RESERVE_WAL put it)
			const reserved = slotChecks[0]!.restart;
			for (const check of slotChecks) {
				const floor = check.durable > reserved ? check.durable : reserved;
				assert.ok(check.restart <= floor, `restart_lsn ${formatLsn(check.restart)} is not past the durable ${formatLsn(check.durable)}`);
			}
			const finalRestart = (await slotRestartLsn(sql, slot))!;
			assert.ok(finalRestart <= parseLsn(checkpoint.flushLsn), 'after the stop the slot is at or behind the checkpoint');
			assert.ok(finalRestart >= known - BigInt(SEGMENT), `the slot advanced with the stream (${formatLsn(finalRestart)})`);

			// the bus: status with lag and throughput, a durable event per checkpoint
			const statuses = events.filter((event): event is Extract<BusEvent, {type: 'wal-status'}> => event.type === 'wal-status');
			assert.ok(statuses.some((event) => event.state === 'streaming' && event.bytes > 0));
			assert.equal(statuses.at(-1)!.state, 'stopped');
			const peak = Math.max(...statuses.map((event) => event.bytesPerSecond));
			const worstLag = Math.max(...statuses.map((event) => event.lag ?? 0));
			t.diagnostic(`${expected.length} segments, ${summary.bytes} bytes; peak ${(peak / 1024 / 1024).toFixed(1)} MiB/s; worst lag ${worstLag.toFixed(2)} s; slot read ${slotChecks.length} times`);
			assert.ok(peak > 0);
		} finally {
			watching = false;
			controller.abort();
			await streaming.catch(() => undefined);
			await watcher.catch(() => undefined);
			await dropSlot(sql, slot);
		}
	});

	test('--compress zstd: each completed segment beside itself as SEGMENT.zst, decompressing to the server\'s bytes; --stop-at-end stops by itself', {timeout: timeoutMs}, async () => {
		const slot = uniqueName('walslotz');
		const out = join(dir, 'zstd');
		try {
			// made first, so the WAL written next is what the slot holds
			await streamWal(options(out, slot, {stopAtEnd: true}), new EventBus(), new AbortController().signal);
			await writeRows(sql, `wal_z_${process.pid}`, 20_000);
			const known = await switchWal(sql);
			const summary = await streamWal(options(out, slot, {compress: 'zstd', stopAtEnd: true}), new EventBus(), new AbortController().signal);
			assert.ok(parseLsn(summary.flushedLsn!) >= known, `--stop-at-end stopped at ${summary.flushedLsn}, past ${formatLsn(known)}`);
			assert.ok(summary.segmentsCompleted.length >= 1);
			const index = await readWalIndex(out);
			for (const name of summary.segmentsCompleted) {
				const entry = index.files.find((file) => file.name === name)!;
				assert.equal(entry.stored, `${name}.zst`);
				assert.equal(entry.compression, 'zstd');
				await assert.rejects(stat(join(out, name)), 'the raw segment is gone once the compressed one is complete');
				await assert.rejects(stat(join(out, `${name}.partial`)));
				const bytes = zstdDecompress(await readFile(join(out, `${name}.zst`)));
				assert.ok(bytes.equals(await readFile(join(server.datadir, 'pg_wal', name))), `${name}.zst decompresses to the server's ${name}`);
				assert.ok(entry.storedSize < entry.size, 'it is smaller');
			}
		} finally {
			await dropSlot(sql, slot);
		}
	});

	test('--sync always: every batch received is synced and checkpointed at once (the interval alone would take a minute)', {timeout: timeoutMs}, async () => {
		const slot = uniqueName('walslota');
		const out = join(dir, 'always');
		const {bus, events} = recordingBus();
		const controller = new AbortController();
		const streaming = streamWal(options(out, slot, {sync: 'always', checkpointIntervalSeconds: 60}), bus, controller.signal);
		try {
			await waitForCheckpoint(out, 1n);
			for (let round = 0; round < 5; round++) {
				await writeRows(sql, `wal_a_${process.pid}`, 200);
				const flushed = parseLsn((await sql.query<{lsn: string}>('SELECT pg_current_wal_flush_lsn()::text AS lsn')).rows[0]!.lsn);
				await waitForCheckpoint(out, flushed, 5000);
			}
			const durable = events.filter((event) => event.type === 'wal-durable').length;
			assert.ok(durable >= 5, `${durable} checkpoints, one per batch or more`);
			controller.abort();
			await streaming;
		} finally {
			controller.abort();
			await streaming.catch(() => undefined);
			await dropSlot(sql, slot);
		}
	});

	test('the server ends our walsender mid-stream: a warning, a reconnect, and the copy goes on without a gap', {timeout: timeoutMs}, async () => {
		const slot = uniqueName('walslotr');
		const out = join(dir, 'reconnect');
		const {bus, events} = recordingBus();
		const controller = new AbortController();
		const streaming = streamWal(options(out, slot, {maxBackoffSeconds: 0.5}), bus, controller.signal);
		try {
			const started = await waitForCheckpoint(out, 1n);
			const table = `wal_r_${process.pid}`;
			await writeRows(sql, table, 20_000);
			for (let round = 0; round < 2; round++) {
				// the stream holds its slot (again, after the last reconnect)
				const pid = await waitFor('the stream to hold its slot', async () => (await sql.query<{pid: number}>('SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot])).rows[0]?.pid);
				await sql.query('SELECT pg_terminate_backend($1)', [pid]);
				await writeRows(sql, table, 20_000);
			}
			const known = await switchWal(sql);
			await waitForCheckpoint(out, known, 60_000);
			controller.abort();
			const summary = await streaming;
			assert.ok(summary.reconnects >= 2, `${summary.reconnects} reconnects`);
			assert.ok(events.some((event) => event.type === 'warning' && event.code === 'WAL_RECONNECTING'));
			const complete = await completeSegments(out);
			for (let segment = segmentOf(started, SEGMENT); segment < segmentOf(known, SEGMENT); segment++) assert.ok(complete.includes(segmentFileName(1, segment, SEGMENT)));
			await assertSameAsServer(server, out, complete);
			await waldump(out, formatLsn(started), formatLsn(known));
		} finally {
			controller.abort();
			await streaming.catch(() => undefined);
			await dropSlot(sql, slot);
		}
	});
});

describe('wal-stream when the server goes away', () => {
	test('stopped for good: reconnects with backoff, then gives up after --retries with the cause; the store stays valid', {timeout: timeoutMs}, async () => {
		const cluster = await startPostgres({log: () => {}, noFsync: true});
		const dir = await mkdtemp(join(tmpdir(), 'dbbackup-walgone-'));
		try {
			const {bus, events} = recordingBus();
			const out = join(dir, 'store');
			const streaming = streamWal({...options(out, 'gone_slot', {retries: 3, maxBackoffSeconds: 0.2}), settings: settingsOf(cluster)}, bus, new AbortController().signal);
			await waitForCheckpoint(out, 1n);
			await cluster.stop();
			await assert.rejects(streaming, (error: unknown) => {
				assert.equal((error as {code?: string}).code, 'WAL_RECONNECT_GAVE_UP');
				assert.match((error as Error).message, /gave up after 3 reconnect attempts: /);
				return true;
			});
			assert.equal(events.filter((event) => event.type === 'warning' && event.code === 'WAL_RECONNECTING').length, 3);
			assert.ok(events.some((event) => event.type === 'wal-status' && event.state === 'reconnecting' && event.attempt === 3));
			assert.ok(await readWalCheckpoint(out), 'the checkpoint is there to resume from');
		} finally {
			await cluster.stop();
			await rm(dir, {recursive: true, force: true});
		}
	});
});
