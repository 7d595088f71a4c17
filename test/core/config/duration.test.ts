import {test} from 'node:test';
import assert from 'node:assert/strict';
import {parseDuration} from '../../../source/core/config/duration.ts';

test('durations become seconds', () => {
	assert.equal(parseDuration('30s'), 30);
	assert.equal(parseDuration('2m'), 120);
	assert.equal(parseDuration('500ms'), 0.5);
	assert.equal(parseDuration('1h'), 3600);
	assert.equal(parseDuration('1m30s'), 90);
	assert.equal(parseDuration('1.5s'), 1.5);
	assert.equal(parseDuration(' 45 '), 45);
	assert.equal(parseDuration(45), 45);
	assert.equal(parseDuration(0.25), 0.25);
	assert.equal(parseDuration('100ms'), 0.1);
});

test('anything else is not a duration', () => {
	for (const value of ['30x', 's', '', '-5s', '5 s', '1d', 'ten', true, null, undefined, {}, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
		assert.equal(parseDuration(value), undefined, String(value));
	}
});
