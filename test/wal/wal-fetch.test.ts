/**
 * `dbbackup wal-fetch --wal DIR SEGMENT DEST`, as a restore_command runs it: a completed segment (stored
 * plain, and compressed), a history file, the segment being filled served zero-padded from its .partial,
 * a file the store does not have (exit 1, one quiet line, fast), a damaged one (exit 5, nothing written),
 * a relative DEST (PostgreSQL passes pg_wal/RECOVERYXLOG from the data directory).
 */
import assert from 'node:assert/strict';
import {copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import {EventBus} from '../../source/core/events.ts';
import {parseLsn, segmentFileName, segmentOf} from '../../source/core/pg-replication/lsn.ts';
import {readWalCheckpoint} from '../../source/wal/store/checkpoint.ts';
import {readWalIndex} from '../../source/wal/store/segment-index.ts';
import {streamWal, type WalStreamOptions} from '../../source/wal/stream/streamer.ts';
import {runCli} from '../cli/run-cli.ts';
import {uniqueName} from '../harness/db.ts';
import {dropSlot, harnessPostgres, pinWal, SEGMENT, settingsOf, sqlClient, switchWal, writeRows} from './helpers.ts';

const timeoutMs = 240_000;
const server = harnessPostgres();
const env = {DBBACKUP_FROM_SOURCE: '1'};

function options(outputDir: string, slot: string, extra: Partial<WalStreamOptions> = {}): WalStreamOptions {
	return {settings: settingsOf(), outputDir, slot, sync: 'interval', checkpointIntervalSeconds: 0.3, compress: 'none', stopAtEnd: true, ...extra};
}

describe('wal-fetch from a directory', () => {
	let sql: pg.Client;
	let dir: string;
	let store: string;
	const slot = uniqueName('walfetch');
	const pin = uniqueName('walfetchpin');
	let unpin: () => Promise<void>;
	/** a segment stored plain, one stored .zst, and the one being filled */
	let plain: string;
	let compressed: string;
	let active: string;

	before(async () => {
		sql = await sqlClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-walfetch-'));
		store = join(dir, 'store');
		unpin = await pinWal(sql, pin);
		const table = `wal_fetch_${process.pid}`;
		await streamWal(options(store, slot), new EventBus(), new AbortController().signal);
		await writeRows(sql, table, 5000);
		await switchWal(sql);
		const first = await streamWal(options(store, slot), new EventBus(), new AbortController().signal);
		plain = first.segmentsCompleted.at(-1)!;
		await writeRows(sql, table, 5000);
		await switchWal(sql);
		const second = await streamWal(options(store, slot, {compress: 'zstd'}), new EventBus(), new AbortController().signal);
		compressed = second.segmentsCompleted.at(-1)!;
		// and some WAL into the next segment, which stays .partial
		await writeRows(sql, table, 2000);
		const third = await streamWal(options(store, slot), new EventBus(), new AbortController().signal);
		active = third.segment!;
	});

	after(async () => {
		await dropSlot(sql, slot);
		await unpin();
		await sql.end();
		await rm(dir, {recursive: true, force: true});
	});

	async function fetch(name: string, dest: string, extra: {cwd?: string; store?: string} = {}) {
		const started = performance.now();
		const result = await runCli(['wal-fetch', '--wal', extra.store ?? store, name, dest], {env, cwd: extra.cwd, home: extra.cwd});
		return {...result, ms: performance.now() - started};
	}

	test('a completed segment, stored plain and stored zstd: exit 0, silent, the server\'s bytes', {timeout: timeoutMs}, async () => {
		assert.ok((await readdir(store)).includes(plain));
		assert.ok((await readdir(store)).includes(`${compressed}.zst`));
		for (const name of [plain, compressed]) {
			const dest = join(dir, `${name}.fetched`);
			const result = await fetch(name, dest);
			assert.equal(result.code, 0, result.stderr);
			assert.equal(result.stdout, '');
			assert.equal(result.stderr, '');
			assert.ok((await readFile(dest)).equals(await readFile(join(server.datadir, 'pg_wal', name))), `${name}: the server's bytes`);
			assert.deepEqual((await readdir(dir)).filter((file) => file.includes('.tmp')), [], 'no temp file left');
		}
	});

	test('the segment being filled: its .partial, zero-padded to 16 MiB', {timeout: timeoutMs}, async () => {
		const partial = await readFile(join(store, `${active}.partial`));
		assert.ok(partial.length > 0 && partial.length < SEGMENT);
		const dest = join(dir, 'active.fetched');
		const result = await fetch(active, dest);
		assert.equal(result.code, 0, result.stderr);
		const fetched = await readFile(dest);
		assert.equal(fetched.length, SEGMENT);
		assert.ok(fetched.subarray(0, partial.length).equals(partial), 'the WAL the stream got');
		assert.ok(fetched.subarray(partial.length).every((byte) => byte === 0), 'then zeros');
		const checkpoint = (await readWalCheckpoint(store))!;
		assert.equal(segmentFileName(1, segmentOf(parseLsn(checkpoint.flushLsn), SEGMENT), SEGMENT), active);
	});

	test('a file the store does not have: exit 1, one line on stderr, no hint or stack, fast; the destination untouched', {timeout: timeoutMs}, async () => {
		const next = segmentFileName(1, segmentOf(parseLsn((await readWalCheckpoint(store))!.flushLsn), SEGMENT) + 5n, SEGMENT);
		for (const name of [next, '00000002.history', 'foo']) {
			const dest = join(dir, 'missing.fetched');
			const result = await fetch(name, dest);
			assert.equal(result.code, 1, result.stderr);
			assert.equal(result.stdout, '');
			assert.match(result.stderr, new RegExp(`^error: ${name.replace('.', '\\.')} is not in the WAL store ${store}/?\n$`));
			assert.ok(result.ms < 15_000, `${Math.round(result.ms)} ms`);
			await assert.rejects(stat(dest));
		}
		const slash = await fetch('../etc/passwd', join(dir, 'x'));
		assert.equal(slash.code, 2);
		assert.match(slash.stderr, /is not a WAL file name/);
	});

	test('a relative DEST from the data directory (pg_wal/RECOVERYXLOG), replaced if it is there', {timeout: timeoutMs}, async () => {
		const datadir = join(dir, 'datadir');
		await mkdir(join(datadir, 'pg_wal'), {recursive: true});
		await writeFile(join(datadir, 'pg_wal', 'RECOVERYXLOG'), 'an earlier file');
		const result = await fetch(plain, 'pg_wal/RECOVERYXLOG', {cwd: datadir});
		assert.equal(result.code, 0, result.stderr);
		assert.ok((await readFile(join(datadir, 'pg_wal', 'RECOVERYXLOG'))).equals(await readFile(join(store, plain))));
	});

	test('a stored segment that no longer matches the index: exit 5, nothing written', {timeout: timeoutMs}, async () => {
		const damaged = join(dir, 'damaged');
		await mkdir(damaged);
		for (const name of await readdir(store)) if (!name.endsWith('.lock')) await copyFile(join(store, name), join(damaged, name));
		const bytes = await readFile(join(damaged, plain));
		bytes[SEGMENT - 100] ^= 0xff;
		await writeFile(join(damaged, plain), bytes);
		const entry = (await readWalIndex(damaged)).files.find((file) => file.name === plain)!;
		assert.equal(entry.size, SEGMENT);
		const dest = join(dir, 'damaged.fetched');
		const result = await fetch(plain, dest, {store: damaged});
		assert.equal(result.code, 5, result.stderr);
		assert.match(result.stderr, new RegExp(`${plain} does not match the store's index`));
		await assert.rejects(stat(dest));
	});
});
