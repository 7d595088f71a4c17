import {test} from 'node:test';
import assert from 'node:assert/strict';
import {defaultConfig} from '../../../source/core/config/defaults.ts';
import {keySpec} from '../../../source/core/config/schema.ts';
import {validateConfig} from '../../../source/core/config/validate.ts';

test('the defaults pass the schema, and every default is a schema key', () => {
	const values = validateConfig(defaultConfig(), {file: 'defaults'});
	assert.ok(Object.keys(values).length > 0);
	for (const key of Object.keys(values)) assert.ok(keySpec(key), key);
	assert.equal(values['backup.binlog.checkpoint_interval'], 30);
});

test('each call returns a fresh copy', () => {
	const first = defaultConfig();
	first.backup.binlog.targets.push({type: 's3', bucket: 'b', compress: false});
	first.output.compress = 'none';
	assert.deepEqual(defaultConfig().backup.binlog.targets, []);
	assert.equal(defaultConfig().output.compress, 'zstd');
});
