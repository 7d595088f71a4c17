import assert from 'node:assert/strict';
import {test} from 'node:test';
import {isConnectionLost} from '../../source/core/connection-lost.ts';

test('a lost session is told from a refused statement, through wrapping causes', () => {
	for (const lost of [
		Object.assign(new Error('read ECONNRESET'), {code: 'ECONNRESET'}),
		Object.assign(new Error('Connection lost: The server closed the connection.'), {code: 'PROTOCOL_CONNECTION_LOST'}),
		new Error("Can't add new command when connection is in closed state"),
		new Error('Connection terminated unexpectedly'),
		Object.assign(new Error('terminating connection due to administrator command'), {code: '57P01'}),
		new Error('the dump failed', {cause: Object.assign(new Error('x'), {code: '08006'})}),
	]) {
		assert.equal(isConnectionLost(lost), true, lost.message);
	}
	for (const refused of [Object.assign(new Error("Table 'x' doesn't exist"), {code: 'ER_NO_SUCH_TABLE'}), Object.assign(new Error('syntax error'), {code: '42601'}), new Error('something else')]) {
		assert.equal(isConnectionLost(refused), false, refused.message);
	}
});
