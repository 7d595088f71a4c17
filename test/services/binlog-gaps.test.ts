import assert from 'node:assert/strict';
import {test} from 'node:test';
import {binlogGaps} from '../../source/services/catalog/streams.ts';

test('binlog gaps: files missing between present ones; what the index lists before the first present file (pruned) is none', () => {
	const present = new Set(['bin.000003', 'bin.000004', 'bin.000007', 'other.000001']);
	const known = ['bin.000001', 'bin.000002', 'bin.000003', 'bin.000005', 'gone.000001'];
	assert.deepEqual(binlogGaps(present, known), [{from: 'bin.000005', to: 'bin.000006', files: 2}]);
	assert.deepEqual(binlogGaps(new Set(['a.000009', 'a.000010']), ['a.000001', 'a.000008']), []);
});
