/**
 * wal-stream straight to the harness's S3 server (s3rver): completed segments end as objects
 * byte-identical to the server's pg_wal files, the segment being filled is in S3 (as segment objects) at
 * every checkpoint and reads as the start of the server's file, the lease claims the prefix while the
 * stream runs, a restart resumes from what S3 holds, and wal-fetch serves all of it from the prefix.
 */
import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import {decompress as zstdDecompress} from 'zstd-napi';
import {EventBus} from '../../source/core/events.ts';
import {formatLsn, parseLsn, segmentFileName, segmentOf, type Lsn} from '../../source/core/pg-replication/lsn.ts';
import {s3DirectoryTarget, type S3Target} from '../../source/storage/s3/target.ts';
import {readBytes} from '../../source/storage/target/read-bytes.ts';
import {readWalCheckpoint} from '../../source/wal/store/checkpoint.ts';
import {readWalIndex} from '../../source/wal/store/segment-index.ts';
import {streamWal, type WalStreamOptions} from '../../source/wal/stream/streamer.ts';
import {runCli} from '../cli/run-cli.ts';
import {uniqueName} from '../harness/db.ts';
import {FAST_RETRY, inspector, keysUnderPrefix, MIB, objectBytes, s3, testSettings, useTestCredentials} from '../storage/s3/helpers.ts';
import {assertPrefixOfServer, currentFlush, dropSlot, harnessPostgres, pinWal, SEGMENT, settingsOf, sqlClient, switchWal, waitFor, writeRows} from './helpers.ts';

useTestCredentials();
const timeoutMs = 240_000;
const server = harnessPostgres();
const look = inspector();
const env = {DBBACKUP_FROM_SOURCE: '1', AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: s3.region};

function options(outputDir: string, slot: string, extra: Partial<WalStreamOptions> = {}): WalStreamOptions {
	return {
		settings: settingsOf(),
		outputDir,
		slot,
		// 1 MiB segment objects: a WAL segment being filled is several of them
		storage: {s3: {endpoint: s3.endpoint, region: s3.region}, s3Target: {appendSegmentBytes: MIB, retry: FAST_RETRY}},
		sync: 'interval',
		checkpointIntervalSeconds: 0.3,
		statusIntervalSeconds: 0.5,
		compress: 'none',
		...extra,
	};
}

function keysUnder(prefix: string): Promise<string[]> {
	return keysUnderPrefix(look, prefix);
}

describe('wal-stream to S3', () => {
	let sql: pg.Client;
	let dir: string;
	const prefix = `${uniqueName('walstore')}/`;
	const url = `s3://${s3.bucket}/${prefix}`;
	const slot = uniqueName('wals3');
	const pin = uniqueName('wals3pin');
	let unpin: () => Promise<void>;
	let reader: S3Target;
	let completed: string[] = [];

	before(async () => {
		sql = await sqlClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-wals3-'));
		unpin = await pinWal(sql, pin);
		reader = s3DirectoryTarget(url, testSettings(), {retry: FAST_RETRY});
	});

	after(async () => {
		await dropSlot(sql, slot);
		await unpin();
		await sql.end();
		await rm(dir, {recursive: true, force: true});
	});

	async function checkpointAt(): Promise<Lsn> {
		const checkpoint = await readWalCheckpoint(reader).catch(() => undefined);
		return checkpoint ? parseLsn(checkpoint.flushLsn) : 0n;
	}

	test('completed segments are objects byte-identical to pg_wal; the one being filled is readable in S3 at each checkpoint; the lease holds the prefix', {timeout: timeoutMs}, async () => {
		const controller = new AbortController();
		const streaming = streamWal(options(url, slot), new EventBus(), controller.signal);
		try {
			await waitFor('the first checkpoint in S3', async () => (await checkpointAt()) || undefined);
			assert.ok((await keysUnder(prefix)).includes('wal-stream.lease.json'), 'the lease claims the prefix');
			const table = `wal_s3_${process.pid}`;
			// more than a segment, then a switch: one segment completed by its size, one by pg_switch_wal
			await writeRows(sql, table, 60_000);
			await switchWal(sql);
			await writeRows(sql, table, 3000);
			// the harness's server commits without waiting for the flush: wait for the WAL writer to pass the switch point
			const middle = await waitFor('the flushed WAL past the start of the new segment', async () => {
				const flushed = await currentFlush(sql);
				return flushed % BigInt(SEGMENT) !== 0n ? flushed : undefined;
			});
			await waitFor('the checkpoint to reach the middle of a segment', async () => (await checkpointAt()) >= middle);
			// while the stream runs: the segment being filled, from S3, is the start of the server's file and covers the checkpoint
			const active = segmentFileName(1, segmentOf(middle, SEGMENT), SEGMENT);
			const inS3 = await readBytes(reader, `${active}.partial`);
			assert.ok(BigInt(inS3.length) >= middle % BigInt(SEGMENT), `${inS3.length} bytes of ${active} in S3, at least up to the checkpoint`);
			await assertPrefixOfServer(server, active, inS3);
			assert.ok((await keysUnder(prefix)).filter((key) => key.startsWith(`${active}.partial.segments/`)).length >= 1, 'as segment objects');
			controller.abort();
			const summary = await streaming;
			completed = summary.segmentsCompleted;
			assert.ok(completed.length >= 2, `${completed.length} segments completed`);

			const keys = await keysUnder(prefix);
			const index = await readWalIndex(reader);
			for (const name of completed) {
				const ours = await objectBytes(look, `${prefix}${name}`);
				assert.ok(ours.equals(await readFile(join(server.datadir, 'pg_wal', name))), `${name}: the object is byte-identical to the server's file`);
				assert.ok(!keys.some((key) => key.startsWith(`${name}.partial`)), `${name}: no segment objects left`);
				assert.equal(index.files.find((file) => file.name === name)?.size, SEGMENT);
			}
			assert.ok(!keys.includes('wal-stream.lease.json'), 'the lease is gone after the stop');
			const checkpoint = (await readWalCheckpoint(reader))!;
			assert.equal(checkpoint.slot, slot);
			assert.ok(parseLsn(checkpoint.flushLsn) >= middle);
		} finally {
			controller.abort();
			await streaming.catch(() => undefined);
		}
	});

	test('a restart resumes from what S3 holds (the segment being filled continued in place), compressing what it completes', {timeout: timeoutMs}, async () => {
		const before = (await readWalCheckpoint(reader))!;
		const table = `wal_s3_${process.pid}`;
		await writeRows(sql, table, 20_000);
		const known = await switchWal(sql);
		await writeRows(sql, table, 1000);
		const summary = await streamWal(options(url, slot, {compress: 'zstd', stopAtEnd: true}), new EventBus(), new AbortController().signal);
		assert.ok(parseLsn(summary.flushedLsn!) >= known, `stopped at ${summary.flushedLsn}`);
		const resumed = segmentFileName(1, segmentOf(parseLsn(before.flushLsn), SEGMENT), SEGMENT);
		assert.equal(summary.segmentsCompleted[0], resumed, 'the segment that was being filled is the first one completed');
		for (const name of summary.segmentsCompleted) {
			const bytes = zstdDecompress(await objectBytes(look, `${prefix}${name}.zst`));
			assert.ok(bytes.equals(await readFile(join(server.datadir, 'pg_wal', name))), `${name}.zst decompresses to the server's ${name}`);
		}
		completed.push(...summary.segmentsCompleted);
	});

	test('wal-fetch from the prefix: plain and zstd objects, the .partial zero-padded, a missing file exit 1', {timeout: timeoutMs}, async () => {
		const plain = completed[0]!;
		const compressed = completed.at(-1)!;
		for (const name of [plain, compressed]) {
			const dest = join(dir, name);
			const result = await runCli(['wal-fetch', '--wal', url, name, dest], {env});
			assert.equal(result.code, 0, result.stderr);
			assert.equal(result.stderr, '');
			assert.ok((await readFile(dest)).equals(await readFile(join(server.datadir, 'pg_wal', name))), `${name} from S3: the server's bytes`);
		}
		const checkpoint = (await readWalCheckpoint(reader))!;
		const active = segmentFileName(1, segmentOf(parseLsn(checkpoint.flushLsn), SEGMENT), SEGMENT);
		const partial = await readBytes(reader, `${active}.partial`);
		const dest = join(dir, active);
		const result = await runCli(['wal-fetch', '--wal', url, active, dest], {env});
		assert.equal(result.code, 0, result.stderr);
		const fetched = await readFile(dest);
		assert.equal(fetched.length, SEGMENT);
		assert.ok(fetched.subarray(0, partial.length).equals(partial));
		assert.ok(fetched.subarray(partial.length).every((byte) => byte === 0), `zeros after ${formatLsn(parseLsn(checkpoint.flushLsn))}`);
		const missing = await runCli(['wal-fetch', '--wal', url, '00000002.history', join(dir, 'h')], {env});
		assert.equal(missing.code, 1, missing.stderr);
		assert.equal(missing.stderr, `error: 00000002.history is not in the WAL store ${url}\n`);
	});
});
