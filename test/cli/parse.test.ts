import assert from 'node:assert/strict';
import {test} from 'node:test';
import {UsageError} from '../../source/core/errors.ts';
import {redact} from '../../source/core/redact.ts';
import {chooseSink} from '../../source/cli/run.ts';
import {parseArgv} from '../../source/cli/parse.ts';

test('words and typed flags', () => {
	const parsed = parseArgv(['engine', 'info', 'clone', '--db-type', 'mysql', '--port', '3307', '--yes', '--workers=4']);
	assert.deepEqual(parsed.words, ['engine', 'info', 'clone']);
	assert.equal(parsed.flags.dbType, 'mysql');
	assert.equal(parsed.flags.port, 3307);
	assert.equal(parsed.flags.workers, 4);
	assert.equal(parsed.flags.yes, true);
	assert.equal(parsed.flags.json, false);
});

test('negated switches: --no-ddl-lock, --no-binlog, --no-gtid; binlog-stream --from-backup', () => {
	assert.equal(parseArgv(['backup', 'single', 'db']).flags.ddlLock, true);
	assert.equal(parseArgv(['backup', 'single', 'db', '--no-ddl-lock']).flags.ddlLock, false);
	assert.equal(parseArgv(['restore', 'a.tar', '--no-binlog']).flags.binlog, false);
	const stream = parseArgv(['binlog-stream', '--no-gtid', '--from-backup', '/backups/shop.tar']).flags;
	assert.equal(stream.gtid, false);
	assert.equal(stream.fromBackup, '/backups/shop.tar');
});

for (const argv of [['--password', 'pw-flag-1'], ['--password=pw-flag-1'], ['-p', 'pw-flag-1'], ['-ppw-flag-1']]) {
	test(`${argv.join(' ')} is refused and its value is redacted from then on`, () => {
		assert.throws(
			() => parseArgv(['detect', ...argv]),
			(error: unknown) =>
				error instanceof UsageError &&
				error.code === 'PASSWORD_FLAG_REFUSED' &&
				/MYSQL_PWD/.test(error.hint!) &&
				/~\/\.pgpass/.test(error.hint!) &&
				!error.message.includes('pw-flag-1'),
		);
		assert.equal(redact('x pw-flag-1 y'), 'x [redacted] y');
	});
}

test('unknown flags are named', () => {
	assert.throws(() => parseArgv(['detect', '--hots', 'x']), (error: unknown) => error instanceof UsageError && /unknown flag: --hots/.test(error.message));
});

test('a port that is not a number is a usage error naming the flag and value', () => {
	assert.throws(() => parseArgv(['detect', '--port', 'abc']), (error: unknown) => error instanceof UsageError && /--port must be a whole number, got "abc"/.test(error.message));
});

test('Ink only on a TTY without --yes or --json', () => {
	assert.equal(chooseSink({yes: false, json: false}, true), 'ink');
	assert.equal(chooseSink({yes: true, json: false}, true), 'plain');
	assert.equal(chooseSink({yes: false, json: false}, false), 'plain');
	assert.equal(chooseSink({yes: false, json: true}, true), 'json');
});
