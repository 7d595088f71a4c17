/**
 * prune of a WAL store beside base backups, on real WAL streamed from the harness's PostgreSQL by
 * wal-stream and two real base backups of it: with one backup kept, the segments before the one holding
 * its start go and everything from there stays (the store still verifies with no gap, and status still
 * gives the point-in-time window from the kept backup); a store with no base backup of its cluster
 * keeps everything; a dry run deletes nothing.
 */
import assert from 'node:assert/strict';
import {cp, mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import {renderPrune} from '../../../source/cli/report/prune.ts';
import {EventBus} from '../../../source/core/events.ts';
import {parseLsn, segmentOf} from '../../../source/core/pg-replication/lsn.ts';
import {basebackupEngine} from '../../../source/engines/basebackup/index.ts';
import {buildCatalog} from '../../../source/services/catalog.ts';
import {prune} from '../../../source/services/retention/prune.ts';
import {verifyWalStore} from '../../../source/services/verify-wal.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {streamWal, type WalStreamOptions} from '../../../source/wal/stream/streamer.ts';
import {uniqueName} from '../../harness/db.ts';
import {dropSlot, SEGMENT, settingsOf, sqlClient, switchWal, writeRows} from '../../wal/helpers.ts';

const timeoutMs = 300_000;

function streamOptions(outputDir: string, slot: string): WalStreamOptions {
	return {settings: settingsOf(), outputDir, slot, sync: 'interval', checkpointIntervalSeconds: 0.3, compress: 'none', stopAtEnd: true};
}

async function segmentsIn(dir: string): Promise<string[]> {
	return (await readdir(dir)).filter((name) => /^[0-9A-F]{24}(\.zst)?$/.test(name)).sort();
}

describe('prune a WAL store by the base backups that stay', {timeout: timeoutMs}, () => {
	let sql: pg.Client;
	let dir: string;
	const slot = uniqueName('prunewal');
	const table = `prune_wal_${process.pid}`;
	/** the start LSN of each base backup, oldest first */
	const starts: string[] = [];

	before(async () => {
		sql = await sqlClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-prunewal-'));
		const store = join(dir, 'wal');
		await streamWal(streamOptions(store, slot), new EventBus(), new AbortController().signal);
		for (const [index, name] of ['b1-older.tar', 'b2-newer.tar'].entries()) {
			await writeRows(sql, table, 2000);
			await switchWal(sql);
			await writeRows(sql, table, 2000);
			await switchWal(sql);
			const result = await basebackupEngine.backup({settings: settingsOf(), databases: [], output: join(dir, name), workers: 2, format: 'archive', compress: 'zstd'}, new EventBus());
			const manifest = (await openArchive(result.artifact)).manifest;
			starts.push(String((manifest.coordinates as {startLsn: string}).startLsn));
			await streamWal(streamOptions(store, slot), new EventBus(), new AbortController().signal);
			assert.equal(index, starts.length - 1);
		}
		await writeRows(sql, table, 500);
		await switchWal(sql);
		await streamWal(streamOptions(store, slot), new EventBus(), new AbortController().signal);
		await sql.query(`DROP TABLE IF EXISTS ${table}`);
	});

	after(async () => {
		await dropSlot(sql, slot);
		await sql.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('a dry run names the segments before the kept backup\'s start and deletes nothing', async () => {
		const before = await segmentsIn(join(dir, 'wal'));
		const report = await prune({location: dir, policy: {last: 1}, policySource: 'the test', confirm: false});
		assert.equal(report.walStores.length, 1);
		const [store] = report.walStores;
		const startSegment = segmentOf(parseLsn(starts[1]!), SEGMENT);
		assert.ok(store!.remove.length >= 2, `segments to go: ${store!.remove.map((file) => file.name).join(', ')}`);
		for (const file of store!.remove) assert.ok(BigInt(`0x${file.name.slice(8, 16)}`) * 0x100n + BigInt(`0x${file.name.slice(16)}`) < startSegment, `${file.name} is before the kept backup's start`);
		assert.equal(store!.keptFrom?.backup, 'b2-newer.tar');
		assert.match(renderPrune(report), /WAL stores \(1\)[\s\S]*WAL segments? would go/);
		assert.match(renderPrune(report), /Would delete 1 backup .* WAL segment/);
		assert.deepEqual(await segmentsIn(join(dir, 'wal')), before, 'nothing deleted');
	});

	test('a store with no base backup of its cluster keeps everything', async () => {
		const alone = await mkdtemp(join(tmpdir(), 'dbbackup-prunewal-alone-'));
		try {
			await cp(join(dir, 'wal'), join(alone, 'wal'), {recursive: true});
			const report = await prune({location: alone, policy: {last: 1}, policySource: 'the test', confirm: true});
			assert.equal(report.walStores[0]?.remove.length, 0);
			assert.match(report.walStores[0]!.why, /no base backup that stays is of this store's cluster/);
		} finally {
			await rm(alone, {recursive: true, force: true});
		}
	});

	test('--confirm deletes them; the store verifies with no gap and the window starts at the kept backup', async () => {
		const report = await prune({location: dir, policy: {last: 1}, policySource: 'the test', confirm: true});
		const removed = report.walStores[0]!.remove;
		assert.ok(removed.every((file) => file.deleted), 'every planned segment deleted');
		const left = await segmentsIn(join(dir, 'wal'));
		for (const file of removed) assert.ok(!left.includes(file.name), `${file.name} is gone`);
		assert.ok(!(await readdir(dir)).includes('b1-older.tar'), 'the older backup is gone');
		const verified = await verifyWalStore(join(dir, 'wal'), {}, new EventBus());
		assert.equal(verified.segments, left.length);
		const catalog = await buildCatalog(dir, {});
		const window = catalog.windows.find((entry) => entry.dbType === 'postgres' && entry.pointInTime);
		assert.ok(window, `a point-in-time window: ${JSON.stringify(catalog.windows)}`);
		assert.match(window!.earliest.how, /b2-newer\.tar/);
	});
});
