/**
 * A timeline switch followed live: wal-stream streams from a standby (made with pg_basebackup -R, a test
 * tool) through a slot on it; the standby is promoted. The stream of timeline 1 ends at the switch
 * point, the store gets 00000002.history as the server has it, and the stream goes on on timeline 2
 * from the start of the segment holding the switch point, so timeline 2's segments are byte-identical
 * to the promoted server's. Timeline 1's last segment stays .partial, as the server leaves it.
 */
import assert from 'node:assert/strict';
import {readdir, readFile, rm, mkdtemp} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {EventBus, type BusEvent} from '../../source/core/events.ts';
import {formatLsn, parseLsn, segmentFileName, segmentOf} from '../../source/core/pg-replication/lsn.ts';
import {startPostgres} from '../../source/sandbox/postgres.ts';
import type {RunningPostgres} from '../../source/sandbox/types.ts';
import {readWalCheckpoint} from '../../source/wal/store/checkpoint.ts';
import {readWalIndex} from '../../source/wal/store/segment-index.ts';
import {streamWal} from '../../source/wal/stream/streamer.ts';
import {assertSameAsServer, SEGMENT, settingsOf, sqlClient, switchWal, waitFor, waldump} from './helpers.ts';
import {asPostgres, baseBackup, startCluster, type Cluster} from './private-cluster.ts';

const timeoutMs = 300_000;

describe('wal-stream follows a timeline switch', () => {
	let primary: RunningPostgres;
	let standby: Cluster;
	let dir: string;

	before(async () => {
		primary = await startPostgres({log: () => {}, noFsync: true});
		const backup = await baseBackup(primary, 'walstandby', ['-R', '-X', 'stream']);
		standby = await startCluster(backup.dir, backup.datadir, ['hot_standby = on'], 'standby.signal');
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-waltl-'));
	});

	after(async () => {
		await standby?.stop();
		await primary?.stop();
		await rm(dir, {recursive: true, force: true});
	});

	test('the standby is promoted while streaming: timeline 1 ends at the switch point, 00000002.history is stored, timeline 2 goes on byte-identical', {timeout: timeoutMs}, async () => {
		const out = join(dir, 'store');
		const onPrimary = await sqlClient(primary);
		const onStandby = await sqlClient(standby);
		const bus = new EventBus();
		const events: BusEvent[] = [];
		bus.onAny((event) => events.push(event));
		const controller = new AbortController();
		const streaming = streamWal({settings: settingsOf(standby), outputDir: out, sync: 'interval', checkpointIntervalSeconds: 0.2, statusIntervalSeconds: 0.5, compress: 'none'}, bus, controller.signal);
		try {
			await onPrimary.query('CREATE TABLE tl (id int, v text)');
			await onPrimary.query("INSERT INTO tl SELECT g, repeat('p', 200) FROM generate_series(1, 60000) g");
			await switchWal(onPrimary);
			await onPrimary.query("INSERT INTO tl SELECT g, repeat('q', 200) FROM generate_series(1, 2000) g");
			const onOne = parseLsn((await onPrimary.query<{lsn: string}>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn);
			// the standby has replayed it, and the store has it
			await waitFor('the standby to replay', async () => parseLsn((await onStandby.query<{lsn: string}>('SELECT pg_last_wal_replay_lsn()::text AS lsn')).rows[0]!.lsn) >= onOne, 60_000);
			await waitFor('the store to hold timeline 1 that far', async () => {
				const checkpoint = await readWalCheckpoint(out).catch(() => undefined);
				return checkpoint !== undefined && parseLsn(checkpoint.flushLsn) >= onOne;
			});

			await asPostgres('pg_ctl', ['promote', '-D', standby.datadir, '-w', '-t', '60', '-s']);
			await waitFor('the promotion', async () => (await onStandby.query<{r: boolean}>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r === false, 60_000);
			await waitFor('the store to follow timeline 2', async () => (await readWalCheckpoint(out).catch(() => undefined))?.timeline === 2, 60_000);

			await onStandby.query("INSERT INTO tl SELECT g, repeat('s', 200) FROM generate_series(1, 60000) g");
			const end = await switchWal(onStandby);
			await waitFor('the store to reach the end on timeline 2', async () => {
				const checkpoint = await readWalCheckpoint(out).catch(() => undefined);
				return checkpoint?.timeline === 2 && parseLsn(checkpoint.flushLsn) >= end;
			}, 60_000);
			controller.abort();
			const summary = await streaming;
			assert.equal(summary.timelineSwitches, 1);
			assert.equal(summary.timeline, 2);

			// the history file, as the promoted server has it
			const history = await readFile(join(out, '00000002.history'));
			assert.ok(history.equals(await readFile(join(standby.datadir, 'pg_wal', '00000002.history'))), '00000002.history is the server\'s');
			assert.ok((await readWalIndex(out)).files.some((file) => file.name === '00000002.history'));
			const switchLsn = parseLsn(/^1\t([0-9A-F]+\/[0-9A-F]+)/m.exec(history.toString())![1]!);

			// timeline 2 starts with the whole segment holding the switch point; all of its completed segments are the server's
			const files = await readdir(out);
			const two = files.filter((name) => /^00000002[0-9A-F]{16}$/.test(name)).sort();
			assert.equal(two[0], segmentFileName(2, segmentOf(switchLsn, SEGMENT), SEGMENT), `timeline 2 starts at the segment of ${formatLsn(switchLsn)}`);
			await assertSameAsServer(standby, out, two);
			// timeline 1: complete up to the switch, its last segment left .partial, the start of the server's own
			const last = segmentFileName(1, segmentOf(switchLsn, SEGMENT), SEGMENT);
			const partial = await readFile(join(out, `${last}.partial`));
			assert.equal(BigInt(partial.length), switchLsn % BigInt(SEGMENT), 'timeline 1 ends at the switch point');
			const serverCopy = await readFile(join(standby.datadir, 'pg_wal', last)).catch(() => readFile(join(standby.datadir, 'pg_wal', `${last}.partial`)));
			assert.ok(partial.equals(serverCopy.subarray(0, partial.length)), `${last}.partial is the start of the server's file`);
			// pg_waldump reads timeline 2 from its first segment to the end
			await waldump(out, formatLsn(segmentOf(switchLsn, SEGMENT) * BigInt(SEGMENT)), formatLsn(end), 2);
			assert.ok(events.some((event) => event.type === 'log' && /timeline 1 ended at .*; following timeline 2/.test(event.message)));
		} finally {
			controller.abort();
			await streaming.catch(() => undefined);
			await onPrimary.end();
			await onStandby.end();
		}
	});
});
