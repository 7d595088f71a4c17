import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {CatalogBackup, CatalogWalStream} from '../../source/services/catalog.ts';
import {recoveryWindows, walChainProblem} from '../../source/services/catalog/window.ts';

function baseBackup(name: string, startLsn: string, endLsn: string, at: string, systemId = '7000'): CatalogBackup {
	return {
		name,
		url: `/b/${name}`,
		format: 'archive',
		bytes: 1,
		modifiedAt: at,
		at,
		atSource: 'manifest',
		encrypted: false,
		readable: true,
		complete: true,
		facts: 'sidecar',
		engine: 'basebackup',
		kind: 'physical',
		dbType: 'postgres',
		databases: ['shop'],
		startedAt: at,
		finishedAt: at,
		wal: {startLsn, endLsn, timeline: 1, systemId},
	};
}

function store(first: string, last: string, flushLsn: string, gaps: CatalogWalStream['gaps'] = []): CatalogWalStream {
	return {
		url: '/b/wal/',
		relative: 'wal/',
		systemId: '7000',
		timeline: 1,
		segmentBytes: 16 * 1024 * 1024,
		firstSegment: first,
		lastSegment: last,
		segments: 5,
		completedBytes: 0,
		histories: [],
		checkpoint: {flushLsn, timeline: 1, updatedAt: '2026-12-07T12:00:00.000Z', ageSeconds: 5},
		gaps,
		running: {state: 'running', how: 'test'},
	};
}

describe('a base backup and a WAL store: the PostgreSQL recovery window', () => {
	const older = baseBackup('old.tar', '0/2000028', '0/2000100', '2026-12-07T08:00:00.000Z');
	const newer = baseBackup('new.tar', '0/5000028', '0/5000100', '2026-12-07T10:00:00.000Z');

	test('the store holds the WAL from the older backup on: any moment from it to the checkpoint', () => {
		const wal = store('000000010000000000000002', '000000010000000000000007', '0/7123456');
		assert.equal(walChainProblem(older, wal), undefined);
		const [window] = recoveryWindows([older, newer], [], [wal]);
		assert.equal(window!.pointInTime, true);
		assert.equal(window!.earliest.backup, 'old.tar');
		assert.equal(window!.latest.at, '2026-12-07T12:00:00.000Z');
		assert.match(window!.latest.coordinates!, /LSN 0\/7123456/);
	});

	test('a store that starts after the older backup: the window starts at the newer one', () => {
		const wal = store('000000010000000000000004', '000000010000000000000007', '0/7123456');
		assert.match(walChainProblem(older, wal)!, /starts at 000000010000000000000004, after old\.tar's start/);
		assert.equal(recoveryWindows([older, newer], [], [wal])[0]!.earliest.backup, 'new.tar');
	});

	test('a missing segment after the backup, another cluster, a checkpoint before its end: not rollable', () => {
		const gap = store('000000010000000000000002', '000000010000000000000007', '0/7123456', [{from: '000000010000000000000006', to: '000000010000000000000006', segments: 1}]);
		assert.match(walChainProblem(newer, gap)!, /000000010000000000000006 are missing/);
		const window = recoveryWindows([older, newer], [], [gap])[0]!;
		assert.equal(window.pointInTime, false);
		assert.match(window.earliest.how, /no WAL store here holds the WAL from any of its base backups onwards without a gap/);
		assert.match(walChainProblem(baseBackup('x.tar', '0/5000028', '0/5000100', '2026-12-07T10:00:00.000Z', '9999'), store('000000010000000000000002', '000000010000000000000007', '0/7123456'))!, /cluster 9999/);
		assert.match(walChainProblem(newer, store('000000010000000000000002', '000000010000000000000005', '0/5000050'))!, /checkpoint \(LSN 0\/5000050\) is before new\.tar's end/);
	});

	test('no WAL store: the backups\' own moments, said so', () => {
		const window = recoveryWindows([older, newer], [], [])[0]!;
		assert.equal(window.pointInTime, false);
		assert.match(window.earliest.how, /no WAL store here \(dbbackup wal-stream\)/);
	});
});
