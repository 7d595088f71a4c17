import {ConfigError} from '../errors.ts';
import {registerSecret} from '../redact.ts';
import {PASSWORD_SOURCES} from '../credentials/password-sources.ts';
import {checkText} from './check-value.ts';
import {keySpec, type KeySpec} from './schema.ts';
import type {FlatConfig} from './validate.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

/** The environment variables dbbackup reads, and the config key each one sets (the readme is generated from this). */
export const ENVIRONMENT_VARIABLES = [
	{name: 'DBBACKUP_DB_TYPE', key: 'connection.db_type'},
	{name: 'DBBACKUP_HOST', key: 'connection.host'},
	{name: 'DBBACKUP_PORT', key: 'connection.port'},
	{name: 'DBBACKUP_USER', key: 'connection.user'},
	{name: 'DBBACKUP_SOCKET', key: 'connection.socket'},
	{name: 'DBBACKUP_DATABASE', key: 'connection.database'},
	{name: 'DBBACKUP_ENGINE', key: 'backup.engine'},
	{name: 'DBBACKUP_OUTPUT', key: 'output.path'},
	{name: 'DBBACKUP_FORMAT', key: 'output.format'},
	{name: 'DBBACKUP_COMPRESS', key: 'output.compress'},
	{name: 'DBBACKUP_LEVEL', key: 'output.level'},
	{name: 'DBBACKUP_WORKERS', key: 'output.workers'},
	{name: 'DBBACKUP_ENCRYPT', key: 'output.encrypt'},
	{name: 'DBBACKUP_ENCRYPTION_KEY_FILE', key: 'output.encryption_key_file'},
] as const;

export type EnvironmentVariableName = (typeof ENVIRONMENT_VARIABLES)[number]['name'];

function specOf(key: string): KeySpec {
	const spec = keySpec(key);
	if (!spec) throw new Error(`environment table names ${key}, which is not in the config schema`);
	return spec;
}

/** The variable that sets a config key, e.g. `connection.port` → `DBBACKUP_PORT`. */
export function environmentVariableFor(key: string): EnvironmentVariableName | undefined {
	return ENVIRONMENT_VARIABLES.find((variable) => variable.key === key)?.name;
}

/** Config values from DBBACKUP_* variables; an empty variable counts as unset. */
export function readEnvironmentConfig(env: Environment): FlatConfig {
	if (env.DBBACKUP_PASSWORD) {
		registerSecret(env.DBBACKUP_PASSWORD);
		throw new ConfigError({
			code: 'CONFIG_PASSWORD',
			message: `DBBACKUP_PASSWORD is refused: ${PASSWORD_SOURCES}`,
			hint: 'Unset DBBACKUP_PASSWORD and use one of those instead.',
			key: 'DBBACKUP_PASSWORD',
		});
	}
	const out: FlatConfig = {};
	for (const {name, key} of ENVIRONMENT_VARIABLES) {
		const text = env[name];
		if (text === undefined || text.trim() === '') continue;
		const spec = specOf(key);
		const result = checkText(spec, text);
		if (!result.ok) {
			throw new ConfigError({
				code: 'CONFIG_BAD_ENV',
				message: `${name}=${JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text)}: ${key} must be ${result.expected}`,
				hint: `Fix or unset ${name} (${spec.description}).`,
				key,
			});
		}
		out[key] = result.value;
	}
	return out;
}
