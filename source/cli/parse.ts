import meow from 'meow';
import {registerSecret} from '../core/redact.ts';
import {badFlagUse, UsageError} from '../core/errors.ts';
import {HELP} from './help.ts';
import {PASSWORD_SOURCES} from '../core/credentials/password-sources.ts';

const FLAGS = {
	yes: {type: 'boolean', shortFlag: 'y', default: false},
	json: {type: 'boolean', default: false},
	config: {type: 'string'},
	dbType: {type: 'string'},
	host: {type: 'string'},
	port: {type: 'number'},
	user: {type: 'string', shortFlag: 'u'},
	socket: {type: 'string'},
	database: {type: 'string'},
	output: {type: 'string', shortFlag: 'o'},
	format: {type: 'string'},
	compress: {type: 'string'},
	level: {type: 'number'},
	workers: {type: 'number'},
	engine: {type: 'string'},
	target: {type: 'string'},
	// object stores: part size, upload parallelism, S3 server-side encryption, storage class
	partSize: {type: 'number'},
	encryption: {type: 'string'},
	sseKmsKeyId: {type: 'string'},
	storageClass: {type: 'string'},
	// client-side encryption; the key itself is never a flag
	encrypt: {type: 'boolean'},
	encryptionKeyFile: {type: 'string'},
	targetDb: {type: 'string'},
	tables: {type: 'string'},
	dropExisting: {type: 'boolean', default: false},
	continueOnError: {type: 'boolean', default: false},
	// unset: by table size; meow reads --no-indexes-after-data as false
	indexesAfterData: {type: 'boolean'},
	includeUsers: {type: 'boolean', default: false},
	chunkRows: {type: 'number'},
	noLock: {type: 'boolean', default: false},
	// meow reads --no-ddl-lock as ddlLock=false
	ddlLock: {type: 'boolean', default: true},
	// meow reads --no-binlog as binlog=false
	binlog: {type: 'boolean', default: true},
	// PostgreSQL: --no-owner / --no-privileges
	owner: {type: 'boolean', default: true},
	privileges: {type: 'boolean', default: true},
	schemaOnly: {type: 'boolean', default: false},
	dataOnly: {type: 'boolean', default: false},
	clean: {type: 'boolean', default: false},
	create: {type: 'boolean', default: false},
	keep: {type: 'boolean', default: false},
	// binlog-stream; --gtid / --no-gtid, absent = backup.binlog.use_gtid
	gtid: {type: 'boolean'},
	serverId: {type: 'number'},
	sync: {type: 'string'},
	checkpointInterval: {type: 'string'},
	startPosition: {type: 'string'},
	startGtid: {type: 'string'},
	fromBackup: {type: 'string'},
	stopAtEnd: {type: 'boolean', default: false},
	retries: {type: 'number'},
	databases: {type: 'string'},
	// restore: point-in-time recovery
	binlogs: {type: 'string'},
	until: {type: 'string'},
	untilPosition: {type: 'string'},
	untilGtid: {type: 'string'},
	dryRun: {type: 'boolean', default: false},
	help: {type: 'boolean', shortFlag: 'h', default: false},
	version: {type: 'boolean', default: false},
	// Declared only so that it can be refused with a clear message (and its value kept out of output).
	password: {type: 'string', shortFlag: 'p'},
} as const;

export type FlagName = keyof typeof FLAGS;

export interface ParsedFlags {
	yes: boolean;
	json: boolean;
	config?: string;
	dbType?: string;
	host?: string;
	port?: number;
	user?: string;
	socket?: string;
	database?: string;
	output?: string;
	format?: string;
	compress?: string;
	level?: number;
	workers?: number;
	engine?: string;
	target?: string;
	partSize?: number;
	encryption?: string;
	sseKmsKeyId?: string;
	storageClass?: string;
	encrypt?: boolean;
	encryptionKeyFile?: string;
	targetDb?: string;
	/** comma-separated db.table or table names */
	tables?: string;
	dropExisting: boolean;
	continueOnError: boolean;
	/** restore (MySQL): true with --indexes-after-data, false with --no-indexes-after-data, unset: by table size */
	indexesAfterData?: boolean;
	includeUsers: boolean;
	chunkRows?: number;
	noLock: boolean;
	/** backup (MySQL): false with --no-ddl-lock */
	ddlLock: boolean;
	/** restore: false with --no-binlog */
	binlog: boolean;
	/** PostgreSQL: false with --no-owner */
	owner: boolean;
	/** PostgreSQL: false with --no-privileges */
	privileges: boolean;
	schemaOnly: boolean;
	dataOnly: boolean;
	/** PostgreSQL restore: drop and re-create a target that exists (like --drop-existing) */
	clean: boolean;
	create: boolean;
	keep: boolean;
	/** binlog-stream: resume by GTID (undefined: the config's use_gtid) */
	gtid?: boolean;
	serverId?: number;
	/** binlog-stream: always | interval */
	sync?: string;
	checkpointInterval?: string;
	/** binlog-stream: FILE:POS */
	startPosition?: string;
	startGtid?: string;
	/** binlog-stream: start a new directory where this backup was taken */
	fromBackup?: string;
	stopAtEnd: boolean;
	retries?: number;
	/** comma-separated database names (binlog feed and replay filter) */
	databases?: string;
	/** restore: the binlog directory for point-in-time recovery */
	binlogs?: string;
	until?: string;
	untilPosition?: string;
	untilGtid?: string;
	dryRun: boolean;
	help: boolean;
	version: boolean;
}

export interface ParsedCommand {
	/** positional words: ['engine', 'info', 'clone'] */
	words: string[];
	flags: ParsedFlags;
}

const PASSWORD_REFUSAL = new UsageError({
	code: 'PASSWORD_FLAG_REFUSED',
	message: 'passwords are never given on the command line (other users can read a process\'s arguments)',
	hint: `${PASSWORD_SOURCES[0]!.toUpperCase()}${PASSWORD_SOURCES.slice(1)} (keep those files chmod 600).`,
});

function kebab(name: string): string {
	return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** Parses argv into words and typed flags; unknown flags and --password are usage errors (exit 2). */
export function parseArgv(argv: string[]): ParsedCommand {
	// Refuse before parsing so that the value is registered as a secret and never echoed anywhere.
	for (let index = 0; index < argv.length; index++) {
		const arg = argv[index]!;
		if (arg === '--') break;
		if (/^(--password|-p)(=|$)/.test(arg) || /^-p.+/.test(arg)) {
			const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : arg.startsWith('-p') && arg.length > 2 && !arg.startsWith('--') ? arg.slice(2) : argv[index + 1];
			registerSecret(value);
			throw PASSWORD_REFUSAL;
		}
	}

	const cli = meow(HELP, {
		importMeta: import.meta,
		argv,
		flags: FLAGS,
		allowUnknownFlags: true,
		autoHelp: false,
		autoVersion: false,
		booleanDefault: undefined,
	});

	const known = new Set<string>();
	for (const [name, spec] of Object.entries(FLAGS)) {
		known.add(name);
		known.add(kebab(name));
		if ('shortFlag' in spec) known.add(spec.shortFlag);
	}
	const unknown = Object.keys(cli.flags).filter((key) => !known.has(key));
	if (unknown.length > 0) {
		const shown = unknown.map((key) => (key.length === 1 ? `-${key}` : `--${kebab(key)}`));
		throw new UsageError({
			code: 'UNKNOWN_FLAG',
			message: `unknown flag${shown.length > 1 ? 's' : ''}: ${shown.join(', ')}`,
			hint: 'Run `dbbackup --help` for the flags of every command.',
		});
	}

	const flags = cli.flags as unknown as ParsedFlags;
	for (const name of ['port', 'level', 'workers', 'chunkRows', 'partSize'] as const) {
		const value = flags[name];
		if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
			throw badFlagUse(
				`--${kebab(name)} must be a whole number, got "${argvValue(argv, kebab(name))}"`,
				`For example --${kebab(name)} ${name === 'port' ? 3306 : name === 'chunkRows' ? 100000 : 4}.`,
			);
		}
	}
	for (const name of ['config', 'dbType', 'host', 'user', 'socket', 'database', 'output', 'format', 'compress', 'engine', 'target', 'targetDb', 'tables', 'encryption', 'sseKmsKeyId', 'storageClass', 'encryptionKeyFile'] as const) {
		if (Array.isArray(flags[name])) {
			throw badFlagUse(`--${kebab(name)} was given more than once`, 'Give it once.');
		}
		if (flags[name] === '') {
			throw badFlagUse(`--${kebab(name)} needs a value`, 'Run `dbbackup --help`.');
		}
	}
	return {words: cli.input.map(String), flags};
}

function argvValue(argv: string[], name: string): string {
	const flag = `--${name}`;
	const index = argv.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`));
	if (index === -1) return '';
	return argv[index]!.includes('=') ? argv[index]!.split('=')[1]! : (argv[index + 1] ?? '');
}
