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

for (const argv of [['--password', 'pw-flag-1'], ['--password=pw-flag-1'], ['-p', 'pw-flag-1'], ['-ppw-flag-1'], ['-yp', 'pw-flag-1']]) {
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

/** Every flag that takes a value, as typed on the command line. */
const VALUE_FLAGS = [
	'--config', '--db-type', '--host', '--port', '--user', '--socket', '--database', '--output', '--format', '--compress', '--level',
	'--workers', '--engine', '--target', '--part-size', '--encryption', '--sse-kms-key-id', '--storage-class', '--encryption-key-file',
	'--target-db', '--tables', '--chunk-rows', '--server-id', '--sync', '--checkpoint-interval', '--start-position', '--start-gtid',
	'--from-backup', '--retries', '--databases', '--binlogs', '--until', '--until-position', '--until-gtid',
];

const usageError = (pattern: RegExp) => (error: unknown) => error instanceof UsageError && error.exitCode === 2 && pattern.test(error.message);

for (const flag of VALUE_FLAGS) {
	test(`${flag} without a value (at the end, before a flag, empty after =) is a usage error naming it`, () => {
		const named = new RegExp(`^${flag} needs a value`);
		assert.throws(() => parseArgv(['detect', flag]), usageError(named));
		assert.throws(() => parseArgv(['detect', flag, '--yes']), usageError(named));
		assert.throws(() => parseArgv(['detect', `${flag}=`]), usageError(named));
	});

	test(`${flag} given twice is a usage error naming it`, () => {
		const value = ['--port', '--level', '--workers', '--part-size', '--chunk-rows', '--server-id', '--retries'].includes(flag) ? '3' : 'x';
		assert.throws(() => parseArgv(['detect', flag, value, `${flag}=${value}`]), usageError(new RegExp(`^${flag} was given more than once`)));
	});
}

test('short flags: -u and -o take values like their long names, twice is refused, without a value too', () => {
	assert.equal(parseArgv(['detect', '-u', 'root']).flags.user, 'root');
	assert.equal(parseArgv(['backup', 'all', '-o', '/b/']).flags.output, '/b/');
	assert.throws(() => parseArgv(['detect', '-u', 'a', '--user', 'b']), usageError(/^--user was given more than once/));
	assert.throws(() => parseArgv(['detect', '-u']), usageError(/^--user needs a value/));
});

test('a switch repeated is harmless; a switch and its --no- form together are refused', () => {
	assert.equal(parseArgv(['detect', '--yes', '-y']).flags.yes, true);
	assert.throws(() => parseArgv(['binlog-stream', '--gtid', '--no-gtid']), usageError(/--gtid and --no-gtid/));
});

test('a negative number is a value, and the range checks still apply', () => {
	assert.equal(parseArgv(['binlog-stream', '--retries', '-1']).flags.retries, -1);
	assert.throws(() => parseArgv(['detect', '--level', '-1']), usageError(/--level must be a whole number, got "-1"/));
});

test('words after -- are words even when they look like flags', () => {
	const parsed = parseArgv(['backup', 'single', '--output', '/b/', '--', '-x', '--host']);
	assert.deepEqual(parsed.words, ['backup', 'single', '-x', '--host']);
	assert.equal(parsed.flags.host, undefined);
});

test('unknown flags get a did-you-mean from the known ones', () => {
	assert.throws(() => parseArgv(['detect', '--hots', 'x']), usageError(/^unknown flag: --hots \(did you mean --host\?\)$/));
	assert.throws(() => parseArgv(['restore', 'a.tar', '--target_db', 'x']), usageError(/did you mean --target-db\?/));
	assert.throws(() => parseArgv(['detect', '--frobnicate']), usageError(/^unknown flag: --frobnicate$/));
	assert.throws(() => parseArgv(['restore', 'a.tar', '--no-onwer']), usageError(/did you mean --no-owner\?/));
});
