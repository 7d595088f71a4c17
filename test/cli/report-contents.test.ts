/** `restore --list`: a physical archive lists its file trees, not tables it does not record. */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {renderArtifactContents} from '../../source/cli/report/contents.ts';

const summary = {
	path: '/b/pg.tar',
	kind: 'archive' as const,
	bytes: 5_000_000,
	modifiedAt: '2026-12-07T10:00:00.000Z',
	engine: 'basebackup',
	dbType: 'postgres' as const,
	serverVersion: '15.18',
	compression: 'zstd',
	databases: [{name: 'postgres', tables: 0, rows: 0}, {name: 'shop', tables: 0, rows: 0}],
	physical: true,
};

test('a physical archive lists its data directory and tablespaces with their files, and no "0 table(s)"', () => {
	const text = renderArtifactContents({
		summary,
		tables: [],
		members: [{path: 'files/base/000000.zst', bytes: 1000, rawBytes: 4000, compression: 'zstd'}],
		physical: [
			{name: 'base', files: 1200, directories: 40, bytes: 30 * 1024 * 1024},
			{name: '16390', location: '/srv/ts1', files: 3, directories: 2, bytes: 8192},
		],
	});
	assert.match(text, /a physical copy of the whole server's files; databases in it: postgres, shop/);
	assert.match(text, /data directory: 1,?200 file\(s\) in 40 directories, 30(\.0)? MiB/);
	assert.match(text, /tablespace 16390 \(\/srv\/ts1\): 3 file\(s\)/);
	assert.doesNotMatch(text, /table\(s\)/);
});

test('a logical archive still lists its databases with tables and rows', () => {
	const text = renderArtifactContents({summary: {...summary, engine: 'postgres-logical', physical: false, databases: [{name: 'shop', tables: 2, rows: 10}]}, tables: [{database: 'shop', table: 'orders', rows: 7}], members: []});
	assert.match(text, /shop: 2 table\(s\), 10 row\(s\)/);
	assert.match(text, /orders {2}7 row\(s\)/);
});
