import {after, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdirSync} from 'node:fs';
import {lookupPgpass, pgpassHost, type PgpassQuery} from '../../../source/core/credentials/pgpass.ts';
import {tempTree} from '../config/temp-tree.ts';

const tree = tempTree();
after(() => tree.remove());
let count = 0;

function lookup(text: string, query: Partial<PgpassQuery> = {}, mode = 0o600) {
	const file = tree.write(`pgpass${count++}`, text, mode);
	return lookupPgpass(file, {host: 'db1', port: 5432, database: 'app', user: 'backup', ...query}, '~/.pgpass');
}

describe('matching', () => {
	test('the first matching line wins; comments and short lines are skipped', () => {
		const text = ['# host:port:db:user:password', 'db1:5432:app', 'db1:5432:app:backup:first', 'db1:5432:app:backup:second', ''].join('\n');
		assert.deepEqual(lookup(text), {password: 'first', line: 3});
	});

	test('every field must match', () => {
		const text = 'db2:5432:app:backup:p1\ndb1:5433:app:backup:p2\ndb1:5432:other:backup:p3\ndb1:5432:app:admin:p4\n';
		assert.deepEqual(lookup(text), {});
		assert.deepEqual(lookup(text, {port: 5433}), {password: 'p2', line: 2});
	});

	test('* matches anything, as a whole field only', () => {
		assert.deepEqual(lookup('*:*:*:backup:any-db\n'), {password: 'any-db', line: 1});
		assert.deepEqual(lookup('db*:5432:app:backup:prefix\n*:*:*:*:fallback\n'), {password: 'fallback', line: 2});
		assert.deepEqual(lookup('db1:5432:\\*:backup:literal-star\n'), {});
		assert.deepEqual(lookup('db1:5432:\\*:backup:literal-star\n', {database: '*'}), {password: 'literal-star', line: 1});
	});

	test('\\: and \\\\ escape in every field, the password included', () => {
		assert.deepEqual(lookup('db1:5432:we\\:ird\\\\db:backup:pa\\:ss\\\\word\n', {database: 'we:ird\\db'}), {password: 'pa:ss\\word', line: 1});
		// an unescaped colon ends the password
		assert.deepEqual(lookup('db1:5432:app:backup:pass:tail\n'), {password: 'pass', line: 1});
	});

	test('a socket connection (a directory, or no host) matches localhost entries, like libpq', () => {
		const text = 'db1:5432:app:backup:tcp\nlocalhost:5432:app:backup:local\n';
		assert.deepEqual(lookup(text, {host: '/var/run/postgresql'}), {password: 'local', line: 2});
		assert.deepEqual(lookup(text, {host: ''}), {password: 'local', line: 2});
		assert.equal(pgpassHost('/tmp'), 'localhost');
		assert.equal(pgpassHost('db1'), 'db1');
	});

	test('CRLF line endings', () => {
		assert.deepEqual(lookup('# x\r\ndb1:5432:app:backup:crlf\r\n'), {password: 'crlf', line: 2});
	});
});

describe('the file itself', () => {
	test('a file that group or others can access is ignored with a warning, like libpq', () => {
		for (const mode of [0o644, 0o640, 0o604, 0o660]) {
			const result = lookup('*:*:*:*:exposed\n', {}, mode);
			assert.equal(result.password, undefined, mode.toString(8));
			assert.match(result.warning ?? '', /^~\/\.pgpass is ignored: group or others can access it; run chmod 600 /);
			assert.ok(!result.warning!.includes('exposed'));
		}
		assert.deepEqual(lookup('*:*:*:*:private\n', {}, 0o400), {password: 'private', line: 1});
	});

	test('a missing file is no match and no warning; a directory is a warning', () => {
		assert.deepEqual(lookupPgpass(tree.at('none'), {host: 'h', port: 1, database: 'd', user: 'u'}), {});
		mkdirSync(tree.at('adir'));
		assert.match(lookupPgpass(tree.at('adir'), {host: 'h', port: 1, database: 'd', user: 'u'}).warning ?? '', /is ignored: it is not a plain file/);
	});
});
