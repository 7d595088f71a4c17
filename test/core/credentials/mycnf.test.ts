import {after, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdirSync} from 'node:fs';
import {normalizeOptionName, readMysqlOptions} from '../../../source/core/credentials/mycnf.ts';
import {ConfigError} from '../../../source/core/errors.ts';
import {tempTree} from '../config/temp-tree.ts';

const tree = tempTree();
after(() => tree.remove());
let count = 0;

/** Writes `text` as a fresh option file (and `extra` files beside it) and reads it. */
function read(text: string, extra: Record<string, string> = {}) {
	const dir = `case${count++}`;
	for (const [name, content] of Object.entries(extra)) tree.write(`${dir}/${name}`, content);
	const file = tree.write(`${dir}/my.cnf`, text);
	const result = readMysqlOptions(file, {show: (name) => name.slice(tree.root.length + 1)});
	const values = Object.fromEntries([...result.options].map(([name, option]) => [name, option.value]));
	return {file, dir, result, values};
}

function readError(text: string, extra: Record<string, string> = {}): ConfigError {
	try {
		read(text, extra);
	} catch (error) {
		assert.ok(error instanceof ConfigError, String(error));
		return error;
	}
	assert.fail('no error');
}

describe('reading options', () => {
	test('[client] and [dbbackup] are read, other groups are not, and a later line wins', () => {
		const {values, result} = read(
			['[mysqld]', 'port = 3399', 'user = mysql', '', '[dbbackup]', 'user = early', '[client]', 'user = backup', 'host=db1', 'port = 3307', '[DBBackup]', 'host = db2'].join('\n'),
		);
		assert.deepEqual(values, {user: 'backup', host: 'db2', port: '3307'});
		assert.deepEqual({...result.options.get('host')!, file: undefined}, {value: 'db2', line: 12, group: 'dbbackup', file: undefined});
		assert.equal(result.options.get('user')!.line, 8);
		assert.deepEqual(result.warnings, []);
	});

	test('comments, quotes and escapes', () => {
		const {values} = read(
			[
				'# a comment',
				'; another comment',
				'[client]',
				'password = "pa ss#wo\\"rd\\\\x"   # quoted: # and spaces kept',
				"user = 'it\\'s'",
				"database='db name' ; trailing",
				'host = db1 # the comment goes',
				'socket = /run/my\\ssock\\tx',
				'ssl-ca = C:\\certs\\ca.pem',
				'init-command =',
			].join('\n'),
		);
		assert.equal(values.password, 'pa ss#wo"rd\\x');
		assert.equal(values.user, "it's");
		assert.equal(values.database, 'db name');
		assert.equal(values.host, 'db1');
		assert.equal(values.socket, '/run/my sock\tx');
		assert.equal(values.ssl_ca, 'C:\\certs\\ca.pem');
		assert.equal(values.init_command, '');
	});

	test('an unquoted # starts a comment, as in MySQL', () => {
		assert.equal(read('[client]\npassword=abc#def\n').values.password, 'abc');
	});

	test('an option alone is a boolean; dashes, underscores, case and loose- do not matter', () => {
		const {values} = read('[client]\nskip-ssl\nCOMPRESS # on\nloose-default-character-set = utf8mb4\nmax_allowed_packet=1G\n');
		assert.deepEqual(values, {skip_ssl: true, compress: true, default_character_set: 'utf8mb4', max_allowed_packet: '1G'});
		assert.equal(normalizeOptionName('Loose-Max-Allowed_Packet'), 'max_allowed_packet');
	});

	test('!include (relative to the including file) and !includedir (only *.cnf, in name order)', () => {
		const {values, result, dir} = read('[client]\nuser = main\n!include extra/more.cnf\n!includedir conf.d\nport = 3310\n', {
			'extra/more.cnf': '[client]\nuser = included\nhost = inc-host\n',
			'conf.d/10-a.cnf': '[client]\nsocket = /a.sock\n',
			'conf.d/20-b.cnf': '[dbbackup]\nsocket = /b.sock\n',
			'conf.d/notes.txt': '[client]\nsocket = /ignored.sock\n',
		});
		assert.deepEqual(values, {user: 'included', host: 'inc-host', socket: '/b.sock', port: '3310'});
		assert.equal(result.options.get('socket')!.file, tree.at(`${dir}/conf.d/20-b.cnf`));
		assert.equal(result.options.get('socket')!.line, 2);
	});

	test('an included file starts without a group; the including file keeps its group after it', () => {
		const {values} = read('[client]\n!include other.cnf\nuser = after\n', {'other.cnf': '[mysqld]\nuser = mysql\n'});
		assert.deepEqual(values, {user: 'after'});
	});

	test('a missing file is no options', () => {
		assert.deepEqual(readMysqlOptions(tree.at('nowhere/.my.cnf')), {options: new Map(), warnings: []});
	});

	test('a world-writable file is ignored with a warning, as MySQL does', () => {
		const file = tree.write('ww/.my.cnf', '[client]\nuser = x\n', 0o666);
		const result = readMysqlOptions(file);
		assert.equal(result.options.size, 0);
		assert.match(result.warnings[0], /is ignored: it is world-writable/);
	});
});

describe('errors name the file and the line, never the value', () => {
	test('an option before any group', () => {
		const error = readError('# top\nuser = x\n');
		assert.match(error.message, /^case\d+\/my\.cnf:2: option before any \[group\] header$/);
		assert.equal(error.line, 2);
		assert.equal(error.code, 'MYCNF_SYNTAX');
	});

	test('a broken group header, a bad option name, an unknown directive', () => {
		assert.match(readError('[client\nuser = x\n').message, /my\.cnf:1: a group header must look like \[client\]/);
		assert.match(readError('[client]\nuser name = x\n').message, /my\.cnf:2: an option must be/);
		assert.match(readError('[client]\n!source x\n').message, /my\.cnf:2: unknown directive/);
	});

	test('an unterminated quote or text after the quote, without echoing the value', () => {
		const secret = 'half-quoted-secret';
		const unterminated = readError(`[client]\nuser = a\npassword = "${secret}\n`);
		assert.match(unterminated.message, /my\.cnf:3: the value has no closing "/);
		const trailing = readError(`[client]\npassword = '${secret}' extra\n`);
		assert.match(trailing.message, /my\.cnf:2: unexpected text after the closing '/);
		for (const error of [unterminated, trailing]) assert.ok(!JSON.stringify(error).includes(secret));
	});

	test('a missing include names the including file and line; a cycle is refused', () => {
		assert.match(readError('[client]\n\n!include missing.cnf\n').message, /my\.cnf:3: cannot read included .*missing\.cnf \(ENOENT\)/);
		assert.match(readError('[client]\n!includedir nodir\n').message, /my\.cnf:2: cannot read the directory/);
		mkdirSync(tree.at('loop'), {recursive: true});
		tree.write('loop/a.cnf', '[client]\n!include b.cnf\n');
		tree.write('loop/b.cnf', '[client]\n!include a.cnf\n');
		assert.throws(() => readMysqlOptions(tree.at('loop/a.cnf')), /b\.cnf:2: .*a\.cnf includes itself/);
	});
});
