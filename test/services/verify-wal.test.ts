/**
 * A WAL store beside backups, as verify and status read it: real segments streamed from the harness's
 * PostgreSQL by wal-stream (one stored zstd, one being filled); every segment checked against
 * wal-index.json and its own header; a damaged segment and a missing one are exit 5 naming the segment.
 */
import assert from 'node:assert/strict';
import {cp, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import {EventBus} from '../../source/core/events.ts';
import {buildCatalog} from '../../source/services/catalog.ts';
import {streamWal, type WalStreamOptions} from '../../source/wal/stream/streamer.ts';
import {runCli} from '../cli/run-cli.ts';
import {uniqueName} from '../harness/db.ts';
import {dropSlot, pinWal, settingsOf, sqlClient, switchWal, writeRows} from '../wal/helpers.ts';

const timeoutMs = 240_000;
const env = {DBBACKUP_FROM_SOURCE: '1'};

function options(outputDir: string, slot: string, extra: Partial<WalStreamOptions> = {}): WalStreamOptions {
	return {settings: settingsOf(), outputDir, slot, sync: 'interval', checkpointIntervalSeconds: 0.3, compress: 'none', stopAtEnd: true, ...extra};
}

describe('verify and status of a WAL store', () => {
	let sql: pg.Client;
	let dir: string;
	let completed: string[] = [];
	const slot = uniqueName('verifywal');
	const pin = uniqueName('verifywalpin');
	let unpin: () => Promise<void>;

	before(async () => {
		sql = await sqlClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-verifywal-'));
		unpin = await pinWal(sql, pin);
		const table = `verify_wal_${process.pid}`;
		const store = join(dir, 'wal');
		await streamWal(options(store, slot), new EventBus(), new AbortController().signal);
		for (const compress of ['none', 'zstd', 'none'] as const) {
			await writeRows(sql, table, 3000);
			await switchWal(sql);
			const run = await streamWal(options(store, slot, {compress}), new EventBus(), new AbortController().signal);
			completed = [...completed, ...run.segmentsCompleted];
		}
		await writeRows(sql, table, 500);
		await streamWal(options(store, slot), new EventBus(), new AbortController().signal);
		await sql.query(`DROP TABLE IF EXISTS ${table}`);
	});

	after(async () => {
		await dropSlot(sql, slot);
		await unpin();
		await sql.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('a good store under the location: verified, and status shows it with its range and checkpoint', {timeout: timeoutMs}, async () => {
		assert.ok(completed.length >= 3, `segments completed: ${completed.join(', ')}`);
		const result = await runCli(['verify', dir, '--yes'], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /ok {2}.*wal.* \(wal; .* file\(s\)\)/);
		const catalog = await buildCatalog(dir);
		assert.equal(catalog.walStreams.length, 1);
		const store = catalog.walStreams[0]!;
		assert.equal(store.relative, 'wal/');
		assert.deepEqual(store.gaps, []);
		assert.ok(store.systemId && store.checkpoint, JSON.stringify(store));
		assert.ok(store.lastSegment! >= completed.at(-1)!);
		const status = await runCli(['status', dir, '--yes'], {env, timeoutMs});
		assert.equal(status.code, 0, status.stderr);
		assert.match(status.stdout, /WAL streams \(1\)/);
		assert.match(status.stdout, new RegExp(`PostgreSQL cluster ${store.systemId}`));
	});

	test('a flipped byte in a completed segment: exit 5 naming it', {timeout: timeoutMs}, async () => {
		const copy = join(dir, 'damaged');
		await cp(join(dir, 'wal'), copy, {recursive: true});
		const held = await readdir(copy);
		const file = join(copy, completed.find((name) => held.includes(name))!);
		const bytes = await readFile(file);
		bytes[bytes.length - 100] ^= 0xff;
		await writeFile(file, bytes);
		const result = await runCli(['verify', copy, '--yes'], {env, timeoutMs});
		assert.equal(result.code, 5, result.stderr);
		assert.match(result.stderr, /WAL_SEGMENT_DAMAGED|differs from wal-index\.json/);
		await rm(copy, {recursive: true});
	});

	test('a segment missing between two the store holds: exit 5 naming it (WAL_SEGMENT_MISSING)', {timeout: timeoutMs}, async () => {
		const copy = join(dir, 'missing');
		await cp(join(dir, 'wal'), copy, {recursive: true});
		const names = (await readdir(copy)).filter((name) => /^[0-9A-F]{24}(\.zst)?$/.test(name)).sort();
		assert.ok(names.length >= 3, names.join(', '));
		const gone = names[1]!;
		await rm(join(copy, gone));
		const result = await runCli(['verify', copy, '--yes'], {env, timeoutMs});
		assert.equal(result.code, 5, result.stderr);
		assert.match(result.stderr, new RegExp(`${gone.slice(0, 24)} is missing: the store holds segments before and after it`));
		await rm(copy, {recursive: true});
	});
});
