import {after, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdirSync} from 'node:fs';
import {parse} from 'yaml';
import {loadConfig} from '../../../source/core/config/load.ts';
import {validateConfig} from '../../../source/core/config/validate.ts';
import {ConfigError} from '../../../source/core/errors.ts';
import {redact, REDACTED} from '../../../source/core/redact.ts';
import {tempTree} from './temp-tree.ts';

/** Validates YAML text as the file `.dbbackuprc`, with line numbers. */
function check(text: string) {
	return validateConfig(parse(text), {file: '.dbbackuprc', text});
}

/** The ConfigError that validating `text` throws. */
function failure(text: string): ConfigError {
	try {
		check(text);
	} catch (error) {
		assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
		return error;
	}
	assert.fail('validation passed');
}

describe('valid files', () => {
	test('every engine name and alias the help lists is a valid backup.engine', () => {
		for (const engine of ['auto', 'mysqldump', 'logical', 'postgres-logical', 'pgdump', 'basebackup', 'clone', 'snapshot']) {
			assert.equal(check(`backup:\n  engine: ${engine}\n`)['backup.engine'], engine);
		}
	});

	test('values come back by dotted key, durations in seconds, empty keys unset', () => {
		const values = check(
			[
				'connection:',
				'  host: db1',
				'  port: 3307',
				'  user:',
				'  database: 2024',
				'output: {compress: gzip, level: 6}',
				'backup:',
				'  binlog:',
				'    checkpoint_interval: 500ms',
				'  snapshot:',
				'    lvm: {snapshot_size: 10G}',
			].join('\n'),
		);
		assert.deepEqual(values, {
			'connection.host': 'db1',
			'connection.port': 3307,
			'connection.database': '2024',
			'output.compress': 'gzip',
			'output.level': 6,
			'backup.binlog.checkpoint_interval': 0.5,
			'backup.snapshot.lvm.snapshot_size': '10G',
		});
	});

	test('binlog targets of both kinds, each getting compress: false when left out', () => {
		const values = check(
			[
				'backup:',
				'  binlog:',
				'    targets:',
				'      - {type: file, path: /backups/binlog/, rotate_size: 1073741824}',
				'      - type: s3',
				'        bucket: my-backups',
				'        prefix: binlog/',
				'        region:',
			].join('\n'),
		);
		assert.deepEqual(values['backup.binlog.targets'], [
			{type: 'file', path: '/backups/binlog/', compress: false, rotate_size: 1_073_741_824},
			{type: 's3', bucket: 'my-backups', prefix: 'binlog/', compress: false},
		]);
	});

	test('an empty document is no values', () => {
		assert.deepEqual(validateConfig(null, {file: 'x'}), {});
	});
});

describe('errors name the file, the key and the line', () => {
	test('an unknown key, with the closest known key when it looks like a typo', () => {
		const error = failure(['# comment', 'connection:', '  host: db1', '', 'output:', '  format: sql', 'backup:', '  engin: clone'].join('\n'));
		assert.equal(error.message, '.dbbackuprc:8: backup.engin is not a known key (did you mean backup.engine?)');
		assert.equal(error.code, 'CONFIG_UNKNOWN_KEY');
		assert.equal(error.file, '.dbbackuprc');
		assert.equal(error.key, 'backup.engin');
		assert.equal(error.line, 8);
		assert.equal(error.exitCode, 2);
		assert.match(error.hint ?? '', /\.dbbackuprc\.example/);
	});

	test('typo suggestions: spelling, dashes, camelCase, a misspelt section, a key in the wrong section, nothing close', () => {
		assert.match(failure('backup:\n  streaming:\n    part-size: 6000000\n').message, /:3: backup\.streaming\.part-size .*\(did you mean backup\.streaming\.part_size\?\)/);
		assert.match(failure('backup:\n  binlog:\n    serverId: 5\n').message, /did you mean backup\.binlog\.server_id\?/);
		assert.match(failure('conection:\n  host: x\n').message, /^\.dbbackuprc:1: conection is not a known key \(did you mean connection\?\)$/);
		assert.match(failure('backup:\n  host: x\n').message, /backup\.host is not a known key \(did you mean connection\.host\?\)/);
		assert.equal(failure('output:\n  colour: blue\n').message, '.dbbackuprc:2: output.colour is not a known key');
	});

	test('a wrong type', () => {
		const port = failure('connection:\n  port: "abc"\n');
		assert.equal(port.message, '.dbbackuprc:2: connection.port must be an integer from 1 to 65535, got "abc"');
		assert.equal(port.key, 'connection.port');
		assert.equal(failure('backup:\n  streaming:\n    checksum: "yes"\n').message, '.dbbackuprc:3: backup.streaming.checksum must be true or false, got "yes"');
		assert.equal(failure('output:\n  workers: 2.5\n').message, '.dbbackuprc:2: output.workers must be an integer from 1 to 256, got 2.5');
		assert.equal(failure('connection:\n  host: [a, b]\n').message, '.dbbackuprc:2: connection.host must be a non-empty string, got a list');
		assert.equal(failure('backup: 5\n').message, '.dbbackuprc:1: backup must be a mapping of keys, got 5');
		assert.match(failure('- a\n- b\n').message, /^\.dbbackuprc:1: the configuration must be a mapping of keys, not a list$/);
	});

	test('a value out of its range', () => {
		assert.equal(failure('connection:\n  port: 70000\n').message, '.dbbackuprc:2: connection.port must be an integer from 1 to 65535, got 70000');
		assert.match(failure('backup:\n  streaming:\n    part_size: 1024\n').message, /:3: backup\.streaming\.part_size must be an integer from 5242880 to 5368709120, got 1024/);
		assert.match(failure('backup:\n  binlog:\n    checkpoint_interval: 0s\n').message, /:3: backup\.binlog\.checkpoint_interval must be a duration from 0\.1s to 86400s/);
		assert.match(failure('backup:\n  binlog:\n    checkpoint_interval: 30x\n').message, /checkpoint_interval must be a duration .*got "30x"/);
		assert.match(failure('backup:\n  snapshot:\n    lvm:\n      snapshot_size: lots\n').message, /:4: .*snapshot_size must be an LVM size such as 10G or 512M/);
	});

	test('a value outside its set', () => {
		const error = failure('output:\n  compress: brotli\n');
		assert.equal(error.message, '.dbbackuprc:2: output.compress must be one of zstd, gzip, lz4, none, got "brotli"');
		assert.match(failure('backup:\n  snapshot:\n    backend: ntfs\n').message, /:3: backup\.snapshot\.backend must be one of auto, lvm, zfs, btrfs/);
	});

	test('binlog targets: missing kind, unknown kind, missing required key, key of the other kind, typo, not a list', () => {
		const targets = (items: string) => `backup:\n  binlog:\n    targets:\n${items}`;
		assert.equal(failure(targets('      - path: /x\n')).message, '.dbbackuprc:4: backup.binlog.targets[0] needs a type (file or s3)');
		assert.match(failure(targets('      - type: ftp\n')).message, /:4: backup\.binlog\.targets\[0\]\.type must be one of file, s3, got "ftp"/);
		assert.match(failure(targets('      - type: file\n        path: /x\n      - type: s3\n        prefix: p/\n')).message, /^\.dbbackuprc:6: backup\.binlog\.targets\[1\] \(a s3 target\) needs bucket/);
		assert.equal(failure(targets('      - type: file\n        path: /x\n        bucket: b\n')).message, '.dbbackuprc:6: backup.binlog.targets[0].bucket does not apply to a file target');
		assert.match(failure(targets('      - type: s3\n        buckt: b\n')).message, /:5: backup\.binlog\.targets\[0\]\.buckt is not a known key \(did you mean backup\.binlog\.targets\[0\]\.bucket\?\)/);
		assert.match(failure('backup:\n  binlog:\n    targets: /backups\n').message, /:3: backup\.binlog\.targets must be a list, got "\/backups"/);
	});

	test('a password key is refused wherever it is, saying where passwords come from, never echoing it', () => {
		const secret = 'Tr0ub4dor&3-in-config';
		for (const [text, key, line] of [
			[`connection:\n  host: db1\n  password: ${secret}\n`, 'connection.password', 3],
			[`backup:\n  clone:\n    remote:\n      donor_password: ${secret}\n`, 'backup.clone.remote.donor_password', 4],
			[`mysql:\n  password: ${secret}\n`, 'mysql.password', 2],
			[`backup:\n  binlog:\n    targets:\n      - type: s3\n        bucket: b\n        passwd: ${secret}\n`, 'backup.binlog.targets[0].passwd', 6],
		] as const) {
			const error = failure(text);
			assert.equal(error.code, 'CONFIG_PASSWORD');
			assert.equal(error.key, key);
			assert.equal(error.line, line);
			assert.ok(error.message.startsWith(`.dbbackuprc:${line}: ${key} is refused`), error.message);
			for (const source of ['MYSQL_PWD', 'PGPASSWORD', '~/.my.cnf [client]', '~/.pgpass', 'socket / peer']) assert.ok(error.message.includes(source), source);
			assert.ok(!error.message.includes(secret) && !(error.hint ?? '').includes(secret));
			assert.ok(!JSON.stringify(error).includes(secret));
		}
		// the value was registered, so it is redacted should it ever reach output
		assert.equal(redact(`x ${secret} y`), `x ${REDACTED} y`);
	});

	test('a JS config has no lines: the message names the file only', () => {
		const error = (() => {
			try {
				validateConfig({output: {wokers: 2}}, {file: 'dbbackup.config.mjs'});
			} catch (caught) {
				return caught as ConfigError;
			}
			assert.fail('validation passed');
		})();
		assert.equal(error.message, 'dbbackup.config.mjs: output.wokers is not a known key (did you mean output.workers?)');
		assert.equal(error.line, undefined);
	});
});

describe('errors from files on disk', () => {
	const tree = tempTree();
	after(() => tree.remove());
	let count = 0;
	/** a fresh home/cwd pair for each case */
	function place(files: Record<string, string>) {
		const base = `case${count++}`;
		mkdirSync(tree.at(base), {recursive: true});
		for (const [name, text] of Object.entries(files)) tree.write(`${base}/${name}`, text);
		return {cwd: tree.at(base), home: tree.at(base), env: {}, flags: {}};
	}

	test('a YAML syntax error names the file and the line', async () => {
		await assert.rejects(loadConfig(place({'.dbbackuprc.yaml': 'connection:\n  host: db1\n  port: [3306\noutput:\n  format: sql\n'})), (error: unknown) => {
			assert.ok(error instanceof ConfigError);
			assert.equal(error.code, 'CONFIG_SYNTAX');
			assert.match(error.message, /^\.dbbackuprc\.yaml:\d+: not valid YAML\/JSON: /);
			assert.ok(error.line !== undefined && error.line >= 3 && error.line <= 4, `line ${error.line}`);
			return true;
		});
		await assert.rejects(loadConfig(place({'.dbbackuprc': 'connection:\n  host: a\n  host: b\n'})), /\.dbbackuprc:3: not valid YAML\/JSON: Map keys must be unique/);
	});

	test('a syntax error never echoes a password on that line', async () => {
		const secret = 'unterminated-s3cret';
		await assert.rejects(loadConfig(place({'.dbbackuprc': `connection:\n  password: "${secret}\n`})), (error: unknown) => {
			assert.ok(error instanceof ConfigError);
			assert.ok(!error.message.includes(secret) && !(error.hint ?? '').includes(secret), error.message);
			return true;
		});
	});

	test('a JSON file gives the line of the bad key', async () => {
		const json = '{\n\t"connection": {\n\t\t"host": "db1"\n\t},\n\t"output": {\n\t\t"workers": 0\n\t}\n}\n';
		await assert.rejects(loadConfig(place({'.dbbackuprc.json': json})), (error: unknown) => {
			assert.ok(error instanceof ConfigError);
			assert.equal(error.message, '.dbbackuprc.json:6: output.workers must be an integer from 1 to 256, got 0');
			return true;
		});
	});

	test('package.json#dbbackup: key paths start inside dbbackup, lines are those of package.json', async () => {
		const pkg = JSON.stringify({name: 'app', scripts: {test: 'x'}, dbbackup: {connection: {host: 'db1'}, backup: {engin: 'clone'}}}, null, 2);
		await assert.rejects(loadConfig(place({'package.json': pkg})), (error: unknown) => {
			assert.ok(error instanceof ConfigError);
			const line = pkg.split('\n').findIndex((text) => text.includes('"engin"')) + 1;
			assert.equal(error.message, `package.json:${line}: backup.engin is not a known key (did you mean backup.engine?)`);
			assert.equal(error.line, line);
			return true;
		});
	});

	test('a JS config error has no line', async () => {
		await assert.rejects(loadConfig(place({'dbbackup.config.cjs': 'module.exports = {connection: {port: 0}};\n'})), (error: unknown) => {
			assert.ok(error instanceof ConfigError);
			assert.equal(error.message, 'dbbackup.config.cjs: connection.port must be an integer from 1 to 65535, got 0');
			assert.equal(error.line, undefined);
			return true;
		});
	});
});
