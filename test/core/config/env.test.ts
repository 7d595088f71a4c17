import {test} from 'node:test';
import assert from 'node:assert/strict';
import {ENVIRONMENT_VARIABLES, environmentVariableFor, readEnvironmentConfig} from '../../../source/core/config/env.ts';
import {keySpec} from '../../../source/core/config/schema.ts';
import {ConfigError} from '../../../source/core/errors.ts';
import {redact, REDACTED} from '../../../source/core/redact.ts';

test('the table maps unique DBBACKUP_* names to unique schema keys', () => {
	const names = ENVIRONMENT_VARIABLES.map((variable) => variable.name);
	const keys = ENVIRONMENT_VARIABLES.map((variable) => variable.key);
	assert.equal(new Set(names).size, names.length);
	assert.equal(new Set(keys).size, keys.length);
	for (const {name, key} of ENVIRONMENT_VARIABLES) {
		assert.match(name, /^DBBACKUP_[A-Z_]+$/);
		assert.ok(keySpec(key), `${name} → ${key} is not in the schema`);
		assert.equal(environmentVariableFor(key), name);
	}
	assert.equal(environmentVariableFor('connection.port'), 'DBBACKUP_PORT');
	assert.equal(environmentVariableFor('backup.binlog.enabled'), undefined);
});

test('every variable of the table is read into its key', () => {
	const env = {
		DBBACKUP_DB_TYPE: 'mysql',
		DBBACKUP_HOST: 'h',
		DBBACKUP_PORT: '1',
		DBBACKUP_USER: 'u',
		DBBACKUP_SOCKET: '/s',
		DBBACKUP_DATABASE: 'd',
		DBBACKUP_ENGINE: 'snapshot',
		DBBACKUP_OUTPUT: '/o',
		DBBACKUP_FORMAT: 'sql',
		DBBACKUP_COMPRESS: 'none',
		DBBACKUP_LEVEL: '3',
		DBBACKUP_WORKERS: '8',
		UNRELATED: 'x',
	};
	assert.deepEqual(readEnvironmentConfig(env), {
		'connection.db_type': 'mysql',
		'connection.host': 'h',
		'connection.port': 1,
		'connection.user': 'u',
		'connection.socket': '/s',
		'connection.database': 'd',
		'backup.engine': 'snapshot',
		'output.path': '/o',
		'output.format': 'sql',
		'output.compress': 'none',
		'output.level': 3,
		'output.workers': 8,
	});
});

test('DBBACKUP_PASSWORD is refused without echoing it', () => {
	const secret = 'env-secret-value';
	assert.throws(
		() => readEnvironmentConfig({DBBACKUP_PASSWORD: secret}),
		(error: unknown) => {
			assert.ok(error instanceof ConfigError);
			assert.equal(error.code, 'CONFIG_PASSWORD');
			assert.match(error.message, /DBBACKUP_PASSWORD is refused: .*MYSQL_PWD.*PGPASSWORD/);
			assert.ok(!JSON.stringify(error).includes(secret));
			return true;
		},
	);
	assert.equal(redact(secret), REDACTED);
});
