import {afterEach, beforeEach, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdirSync} from 'node:fs';
import {loadConfig, type LoadConfigOptions} from '../../../source/core/config/load.ts';
import {defaultConfig} from '../../../source/core/config/defaults.ts';
import {ConfigError} from '../../../source/core/errors.ts';
import {tempTree, type TempTree} from './temp-tree.ts';

let tree: TempTree;
let home: string;
let cwd: string;

/** cwd is home/proj/sub, so the search walks sub → proj → home → home/.config/dbbackup. */
beforeEach(() => {
	tree = tempTree();
	home = tree.at('home');
	cwd = tree.at('home/proj/sub');
	mkdirSync(cwd, {recursive: true});
});
afterEach(() => tree.remove());

function load(options: Partial<LoadConfigOptions> = {}) {
	return loadConfig({cwd, env: {}, flags: {}, home, ...options});
}

describe('finding the config file', () => {
	test('no file anywhere gives the defaults, no sources and no file', async () => {
		const loaded = await load();
		assert.deepEqual(loaded.config, defaultConfig());
		assert.deepEqual(loaded.sources, {});
		assert.equal(loaded.file, undefined);
	});

	test('a .dbbackuprc in the working directory (YAML)', async () => {
		const file = tree.write('home/proj/sub/.dbbackuprc', 'connection:\n  host: db1\n');
		const loaded = await load();
		assert.equal(loaded.file, file);
		assert.equal(loaded.config.connection.host, 'db1');
		assert.deepEqual(loaded.sources, {'connection.host': 'file'});
	});

	test('a .dbbackuprc written as JSON', async () => {
		tree.write('home/proj/sub/.dbbackuprc', '{"connection": {"port": 3307}}');
		assert.equal((await load()).config.connection.port, 3307);
	});

	test('a parent directory up to home, the nearer file winning', async () => {
		tree.write('home/.dbbackuprc.yaml', 'connection:\n  host: from-home\n');
		assert.equal((await load()).config.connection.host, 'from-home');
		tree.write('home/proj/.dbbackuprc.json', '{"connection": {"host": "from-proj"}}');
		assert.equal((await load()).config.connection.host, 'from-proj');
	});

	test('the search stops at home: a file above it is not read', async () => {
		tree.write('.dbbackuprc', 'connection:\n  host: above-home\n');
		assert.equal((await load()).config.connection.host, undefined);
	});

	test('the global config: $XDG_CONFIG_HOME/dbbackup/config, else ~/.config/dbbackup/config*', async () => {
		tree.write('home/.config/dbbackup/config.yaml', 'connection:\n  host: dot-config\n');
		assert.equal((await load()).config.connection.host, 'dot-config');
		tree.write('xdg/dbbackup/config', 'connection:\n  host: xdg\n');
		assert.equal((await load({env: {XDG_CONFIG_HOME: tree.at('xdg')}})).config.connection.host, 'xdg');
	});

	test('.config/dbbackuprc.yml in the working directory', async () => {
		tree.write('home/proj/sub/.config/dbbackuprc.yml', 'output:\n  compress: gzip\n');
		assert.equal((await load()).config.output.compress, 'gzip');
	});

	test('dbbackup.config.mjs (a JS config)', async () => {
		tree.write('home/proj/sub/dbbackup.config.mjs', "export default {output: {workers: 6}, backup: {binlog: {checkpoint_interval: '2m'}}};\n");
		const loaded = await load();
		assert.equal(loaded.config.output.workers, 6);
		assert.equal(loaded.config.backup.binlog.checkpoint_interval, 120);
	});

	test('package.json#dbbackup, and a package.json without that key is passed over', async () => {
		tree.write('home/proj/sub/package.json', JSON.stringify({name: 'app', version: '1.0.0'}));
		tree.write('home/proj/package.json', JSON.stringify({name: 'parent', dbbackup: {backup: {engine: 'clone'}}}, null, '\t'));
		const loaded = await load();
		assert.equal(loaded.file, tree.at('home/proj/package.json'));
		assert.equal(loaded.config.backup.engine, 'clone');
	});

	test('an empty file is no settings', async () => {
		const file = tree.write('home/proj/sub/.dbbackuprc.yml', '');
		tree.write('home/.dbbackuprc', 'connection:\n  host: from-home\n');
		const loaded = await load({configFile: file});
		assert.deepEqual(loaded.config, defaultConfig());
		assert.equal(loaded.file, file);
	});
});

describe('--config', () => {
	test('a file given relative to the working directory is used instead of the search', async () => {
		tree.write('home/proj/sub/.dbbackuprc', 'connection:\n  host: searched\n');
		tree.write('home/proj/sub/conf/backup.yml', 'connection:\n  host: given\n');
		const loaded = await load({configFile: 'conf/backup.yml'});
		assert.equal(loaded.config.connection.host, 'given');
		assert.equal(loaded.file, tree.at('home/proj/sub/conf/backup.yml'));
	});

	test('a file with an unknown extension is read as YAML', async () => {
		tree.write('home/proj/sub/backup.conf', 'connection:\n  user: backup\n');
		assert.equal((await load({configFile: 'backup.conf'})).config.connection.user, 'backup');
	});

	test('a missing file is a ConfigError naming it', async () => {
		await assert.rejects(load({configFile: 'nope.yaml'}), (error: unknown) => {
			assert.ok(error instanceof ConfigError);
			assert.equal(error.code, 'CONFIG_NOT_FOUND');
			assert.equal(error.exitCode, 2);
			assert.match(error.message, /--config nope\.yaml: no such file/);
			return true;
		});
	});

	test('a directory is a ConfigError naming it', async () => {
		mkdirSync(tree.at('home/proj/sub/confdir'));
		await assert.rejects(load({configFile: 'confdir'}), /--config confdir: not a file/);
	});

	test('a JS config that throws is a ConfigError naming the file', async () => {
		tree.write('home/proj/sub/dbbackup.config.mjs', "throw new Error('boom');\n");
		await assert.rejects(load(), (error: unknown) => {
			assert.ok(error instanceof ConfigError);
			assert.match(error.message, /^dbbackup\.config\.mjs: could not be loaded: boom/);
			return true;
		});
	});
});

describe('precedence: flags > environment > file > defaults, key by key', () => {
	test('each layer beats the next, and sources say which one set each key', async () => {
		tree.write(
			'home/proj/sub/.dbbackuprc',
			['connection:', '  host: file-host', '  port: 1111', '  user: file-user', 'output:', '  workers: 2', '  format: sql', ''].join('\n'),
		);
		const loaded = await load({
			env: {DBBACKUP_PORT: '2222', DBBACKUP_USER: 'env-user', DBBACKUP_WORKERS: '3', DBBACKUP_ENGINE: 'clone'},
			flags: {'connection.user': 'flag-user', 'output.workers': 4, 'connection.socket': undefined},
		});
		const {connection, output, backup} = loaded.config;
		assert.equal(connection.host, 'file-host');
		assert.equal(connection.port, 2222);
		assert.equal(connection.user, 'flag-user');
		assert.equal(connection.socket, undefined);
		assert.equal(output.workers, 4);
		assert.equal(output.format, 'sql');
		assert.equal(output.compress, 'zstd');
		assert.equal(backup.engine, 'clone');
		assert.deepEqual(loaded.sources, {
			'connection.host': 'file',
			'connection.port': 'environment',
			'connection.user': 'flag',
			'output.workers': 'flag',
			'output.format': 'file',
			'backup.engine': 'environment',
		});
	});

	test('environment values are typed from their text; an empty variable is unset', async () => {
		const loaded = await load({env: {DBBACKUP_DB_TYPE: 'Postgres', DBBACKUP_LEVEL: ' 7 ', DBBACKUP_HOST: '', DBBACKUP_OUTPUT: '/backups'}});
		assert.equal(loaded.config.connection.db_type, 'postgres');
		assert.equal(loaded.config.output.level, 7);
		assert.equal(loaded.config.output.path, '/backups');
		assert.equal(loaded.sources['connection.host'], undefined);
	});

	test('a bad environment value is a ConfigError naming the variable', async () => {
		for (const [name, text, key, expected] of [
			['DBBACKUP_PORT', 'abc', 'connection.port', /DBBACKUP_PORT="abc": connection\.port must be an integer from 1 to 65535/],
			['DBBACKUP_WORKERS', '0', 'output.workers', /DBBACKUP_WORKERS="0": output\.workers must be an integer from 1 to 256/],
			['DBBACKUP_COMPRESS', 'brotli', 'output.compress', /DBBACKUP_COMPRESS="brotli": output\.compress must be one of zstd, gzip, lz4, none/],
			['DBBACKUP_DB_TYPE', 'oracle', 'connection.db_type', /DBBACKUP_DB_TYPE="oracle": connection\.db_type must be one of mysql, postgres/],
		] as const) {
			await assert.rejects(load({env: {[name]: text}}), (error: unknown) => {
				assert.ok(error instanceof ConfigError, name);
				assert.equal(error.code, 'CONFIG_BAD_ENV');
				assert.match(error.message, expected);
				assert.equal(error.key, key);
				return true;
			});
		}
	});

	test('a flag value is checked like a file value', async () => {
		await assert.rejects(load({flags: {'output.workers': 0}}), /command line: output\.workers must be an integer from 1 to 256, got 0/);
		await assert.rejects(load({flags: {'output.wokers': 2}}), /command line: output\.wokers is not a known key \(did you mean output\.workers\?\)/);
		await assert.rejects(load({flags: {'backup.engine': 'xtrabackup'}}), /backup\.engine must be one of auto, mysqldump/);
	});

	test('file errors come before environment errors', async () => {
		tree.write('home/proj/sub/.dbbackuprc', 'connection:\n  port: 0\n');
		await assert.rejects(load({env: {DBBACKUP_PORT: 'abc'}}), /\.dbbackuprc:2: connection\.port must be an integer from 1 to 65535, got 0/);
	});
});
