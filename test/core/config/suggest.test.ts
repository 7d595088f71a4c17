import {test} from 'node:test';
import assert from 'node:assert/strict';
import {closestName, editDistance} from '../../../source/core/config/suggest.ts';

test('edit distance counts a swap of neighbours as one edit', () => {
	assert.equal(editDistance('engine', 'engine'), 0);
	assert.equal(editDistance('engin', 'engine'), 1);
	assert.equal(editDistance('enigne', 'engine'), 1);
	assert.equal(editDistance('', 'abc'), 3);
	assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('the closest name only when it is close enough', () => {
	const names = ['host', 'port', 'user', 'socket', 'database'];
	assert.equal(closestName('hots', names), 'host');
	assert.equal(closestName('databse', names), 'database');
	assert.equal(closestName('DataBase', names), 'database');
	assert.equal(closestName('colour', names), undefined);
	assert.equal(closestName('x', []), undefined);
	assert.equal(closestName('checkpoint-interval', ['checkpoint_interval', 'enabled']), 'checkpoint_interval');
});
