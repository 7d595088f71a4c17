import type {DbType} from '../core/detect/types.ts';
import {UsageError} from '../core/errors.ts';
import type {FlagName} from './parse.ts';

/*
 * Which flags each command reads, and which belong to one kind of server: a flag given where it does
 * nothing is refused (exit 2) naming why, instead of being ignored (`backup … --clean`,
 * `restore --no-owner` into MySQL). `test/cli/flag-scope.test.ts` checks this against every command's help.
 */

/** Every command: connection, output mode, config. */
const EVERYWHERE: readonly FlagName[] = ['yes', 'json', 'config', 'dbType', 'host', 'port', 'user', 'socket', 'database', 'help', 'version'];

const WRITES_ARTIFACT: readonly FlagName[] = ['output', 'target', 'format', 'compress', 'level', 'workers', 'engine', 'partSize', 'encryption', 'sseKmsKeyId', 'storageClass', 'encrypt', 'encryptionKeyFile'];

/** What a logical dump takes (the physical engines take none of it). */
const DUMPS: readonly FlagName[] = ['chunkRows', 'noLock', 'ddlLock', 'includeUsers', 'owner', 'privileges'];

export const COMMAND_FLAGS: Readonly<Record<string, readonly FlagName[]>> = {
	detect: [],
	engine: ['output', 'target'],
	backup: [...WRITES_ARTIFACT, ...DUMPS],
	'physical-backup': [...WRITES_ARTIFACT, 'checkpoint', 'maxRate', 'cloneRemote', 'cloneDonorHost', 'cloneDonorPort', 'snapshotBackend'],
	'stream-backup': [...WRITES_ARTIFACT, ...DUMPS, 'resume'],
	restore: [
		'targetDb',
		'tables',
		'dropExisting',
		'continueOnError',
		'workers',
		'includeUsers',
		'encryptionKeyFile',
		'indexesAfterData',
		'binlog',
		'schemaOnly',
		'dataOnly',
		'create',
		'clean',
		'owner',
		'privileges',
		'binlogs',
		'until',
		'untilPosition',
		'untilGtid',
		'databases',
		'dryRun',
		'list',
		'startPosition',
		'startGtid',
		'datadir',
		'datadirOwner',
		'verifyStart',
		'wal',
		'walFetch',
		'untilLsn',
		'untilXid',
		'untilName',
	],
	'binlog-stream': [
		'output',
		'target',
		'gtid',
		'serverId',
		'sync',
		'checkpointInterval',
		'startPosition',
		'startGtid',
		'fromBackup',
		'compress',
		'encrypt',
		'encryptionKeyFile',
		'stopAtEnd',
		'retries',
		'databases',
		'tables',
	],
	'wal-stream': ['output', 'target', 'slot', 'sync', 'checkpointInterval', 'compress', 'stopAtEnd', 'retries'],
	'wal-fetch': ['wal'],
	demo: ['keep'],
	verify: ['encryptionKeyFile', 'restoreTest', 'workers'],
	status: ['encryptionKeyFile'],
	prune: ['keepLast', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly', 'keepWithin', 'confirm', 'encryptionKeyFile'],
	pin: ['reason'],
	unpin: [],
};

/** Flags that mean something to one kind of server only, and what they are about (for the refusal). */
export const SERVER_FLAGS: Partial<Record<FlagName, {dbType: DbType; about: string}>> = {
	noLock: {dbType: 'mysql', about: 'the MySQL global read lock'},
	ddlLock: {dbType: 'mysql', about: 'holding MySQL tables against DDL while they are dumped'},
	includeUsers: {dbType: 'mysql', about: 'MySQL accounts and grants'},
	indexesAfterData: {dbType: 'mysql', about: 'when a MySQL restore builds secondary indexes'},
	binlog: {dbType: 'mysql', about: 'the MySQL binary log'},
	create: {dbType: 'postgres', about: 'a PostgreSQL restore that must create its database (a MySQL restore creates a missing one anyway)'},
	owner: {dbType: 'postgres', about: 'PostgreSQL ownership (ALTER … OWNER TO)'},
	privileges: {dbType: 'postgres', about: 'PostgreSQL grants and default privileges'},
	checkpoint: {dbType: 'postgres', about: 'the PostgreSQL base backup\'s starting checkpoint'},
	maxRate: {dbType: 'postgres', about: 'the rate a PostgreSQL base backup is sent at'},
	cloneRemote: {dbType: 'mysql', about: 'a MySQL remote clone'},
	cloneDonorHost: {dbType: 'mysql', about: 'the donor of a MySQL remote clone'},
	cloneDonorPort: {dbType: 'mysql', about: 'the donor of a MySQL remote clone'},
};

function shown(name: FlagName, value: unknown): string {
	const kebab = name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
	// switches that default to on are given as their --no- form
	return value === false ? `--no-${kebab}` : `--${kebab}`;
}

/** Refuses a flag the command does not read, before anything else runs. */
export function refuseFlagsOutsideCommand(command: string, given: ReadonlyMap<FlagName, unknown>): void {
	const allowed = new Set<FlagName>([...EVERYWHERE, ...(COMMAND_FLAGS[command] ?? [])]);
	const stray = [...given.keys()].filter((name) => !allowed.has(name));
	if (stray.length === 0) return;
	const names = stray.map((name) => shown(name, given.get(name)));
	throw new UsageError({
		code: 'FLAG_NOT_FOR_COMMAND',
		message: `${names.join(', ')} ${names.length === 1 ? 'does' : 'do'} nothing for ${command}`,
		hint: `Leave ${names.length === 1 ? 'it' : 'them'} out; \`dbbackup help ${command}\` lists the flags ${command} takes.`,
	});
}

/** Refuses a flag of the other kind of server, once the server a command works on is known. */
export function refuseFlagsForServer(command: string, dbType: DbType, given: ReadonlyMap<FlagName, unknown>): void {
	const stray = [...given.keys()].filter((name) => SERVER_FLAGS[name] !== undefined && SERVER_FLAGS[name].dbType !== dbType);
	if (stray.length === 0) return;
	const first = stray[0]!;
	const spec = SERVER_FLAGS[first]!;
	const names = stray.map((name) => shown(name, given.get(name)));
	throw new UsageError({
		code: 'FLAG_NOT_FOR_SERVER',
		message: `${names.join(', ')}: ${command} on ${dbType === 'mysql' ? 'MySQL/MariaDB' : 'PostgreSQL'} has no such choice (${shown(first, given.get(first))} is about ${spec.about})`,
		hint: `Leave ${names.length === 1 ? 'it' : 'them'} out, or check --db-type / the server you point at.`,
	});
}
