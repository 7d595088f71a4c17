import assert from 'node:assert/strict';
import {test} from 'node:test';
import {databasesOfScriptHead, scriptHeader} from '../../../source/engines/mysql-logical/script-text.ts';

test('attack: the header\'s databases line keeps hostile names exact and on one line (newline, CR, */, backslash, quotes, U+2028)', () => {
	const databases = ['a\nDROP DATABASE x;', 'b\r\n-- c', 'd*/e/*', 'f\\g', `h'i"j\`k`, 'l\u2028m', 'n, o'];
	const header = scriptHeader({serverVersion: '10.11', databases, coordinates: {binlogFile: 'b.000001', binlogPosition: 4}, method: 'ftwrl', lockMs: 1, startedAt: '2026-12-07T00:00:00.000Z'});
	assert.deepEqual(databasesOfScriptHead(header), databases);
	assert.ok(!header.includes('\r'), 'no carriage return: a client reading line by line sees the comment whole');
	for (const statementLine of header.split('\n')) assert.ok(statementLine === '' || statementLine.startsWith('--') || statementLine.startsWith('SET ') || statementLine.startsWith('/*'), `no name escapes its comment: ${JSON.stringify(statementLine)}`);
	assert.equal(databasesOfScriptHead('-- dbbackup databases: not json\n'), undefined);
});
