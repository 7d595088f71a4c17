import {registerSecret} from '../core/redact.ts';
import {badFlagUse, UsageError} from '../core/errors.ts';
import {closestName} from '../core/config/suggest.ts';
import {PASSWORD_SOURCES} from '../core/credentials/password-sources.ts';

/** Every flag: its type, short form and default. No flag may be given twice (none is repeatable). */
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
	// stream-backup: refused with the reason (a logical dump cannot be replayed)
	resume: {type: 'boolean', default: false},
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
	// unset: by table size; --no-indexes-after-data is false
	indexesAfterData: {type: 'boolean'},
	includeUsers: {type: 'boolean', default: false},
	chunkRows: {type: 'number'},
	noLock: {type: 'boolean', default: false},
	// --no-X sets a switch X to false: --no-ddl-lock is ddlLock=false
	ddlLock: {type: 'boolean', default: true},
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
	// restore --datadir --wal: PostgreSQL recovery targets
	untilLsn: {type: 'string'},
	untilXid: {type: 'string'},
	untilName: {type: 'string'},
	dryRun: {type: 'boolean', default: false},
	// restore ARTIFACT --list: the contents, nothing restored
	list: {type: 'boolean', default: false},
	// verify --restore-test: the drill
	restoreTest: {type: 'boolean', default: false},
	// prune: the retention policy (replaces the retention.* keys when any is given), and --confirm to delete
	keepLast: {type: 'number'},
	keepDaily: {type: 'number'},
	keepWeekly: {type: 'number'},
	keepMonthly: {type: 'number'},
	keepYearly: {type: 'number'},
	keepWithin: {type: 'string'},
	confirm: {type: 'boolean', default: false},
	// pin: why the backup is kept
	reason: {type: 'string'},
	// physical-backup (PostgreSQL base backup): the starting checkpoint and the server's send rate
	checkpoint: {type: 'string'},
	maxRate: {type: 'string'},
	// physical-backup --engine clone: a remote clone and its donor (absent: backup.clone.remote.*)
	cloneRemote: {type: 'boolean'},
	cloneDonorHost: {type: 'string'},
	cloneDonorPort: {type: 'number'},
	// physical-backup --engine snapshot: btrfs, lvm or zfs (absent: backup.snapshot.backend)
	snapshotBackend: {type: 'string'},
	// restore of a physical backup into a data directory, its owner (as root), and a throwaway start on it
	datadir: {type: 'string'},
	datadirOwner: {type: 'string'},
	verifyStart: {type: 'boolean', default: false},
	walFetch: {type: 'boolean', default: false},
	// wal-stream: the physical replication slot; wal-fetch (and PostgreSQL PITR): the WAL store
	slot: {type: 'string'},
	wal: {type: 'string'},
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
	/** stream-backup: refused, with the reason */
	resume: boolean;
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
	/** restore --datadir --wal: a PostgreSQL recovery target (LSN, transaction ID, restore point) */
	untilLsn?: string;
	untilXid?: string;
	untilName?: string;
	dryRun: boolean;
	/** verify: restore into a throwaway server and compare every table with the manifest */
	restoreTest: boolean;
	list: boolean;
	/** prune: the policy's counts (undefined: not given) */
	keepLast?: number;
	keepDaily?: number;
	keepWeekly?: number;
	keepMonthly?: number;
	keepYearly?: number;
	/** prune: a period, 36h, 7d, 2w, 6m (months), 1y */
	keepWithin?: string;
	/** prune: delete (without it, a dry run) */
	confirm: boolean;
	/** pin: why it is kept */
	reason?: string;
	/** physical-backup: fast | spread */
	checkpoint?: string;
	/** physical-backup: kB/s, or with k / M */
	maxRate?: string;
	/** physical-backup --engine clone: clone from a donor into the connected server (undefined: backup.clone.remote.enabled) */
	cloneRemote?: boolean;
	cloneDonorHost?: string;
	cloneDonorPort?: number;
	/** physical-backup --engine snapshot: btrfs | lvm | zfs (undefined: backup.snapshot.backend) */
	snapshotBackend?: string;
	/** restore: the data directory a physical backup goes into */
	datadir?: string;
	/** restore --datadir as root: the OS user the files belong to */
	datadirOwner?: string;
	/** restore --datadir: start a throwaway server on it, check it, stop it */
	verifyStart: boolean;
	/** restore --wal: leave the WAL in the store; the restore_command runs wal-fetch */
	walFetch: boolean;
	/** wal-stream: the physical replication slot to stream through */
	slot?: string;
	/** wal-fetch: the WAL store (a directory or an s3:// prefix) */
	wal?: string;
	help: boolean;
	version: boolean;
}

export interface ParsedCommand {
	/** positional words: ['engine', 'info', 'clone'] */
	words: string[];
	flags: ParsedFlags;
	/** the flags written on the command line, with their values (defaults left out) */
	given: ReadonlyMap<FlagName, unknown>;
}

const PASSWORD_REFUSAL = new UsageError({
	code: 'PASSWORD_FLAG_REFUSED',
	message: 'passwords are never given on the command line (other users can read a process\'s arguments)',
	hint: `${PASSWORD_SOURCES[0]!.toUpperCase()}${PASSWORD_SOURCES.slice(1)} (keep those files chmod 600).`,
});

/** Whole numbers that must not be negative; the others (--retries, --server-id) are checked where they are used. */
const COUNTS = ['port', 'level', 'workers', 'chunkRows', 'partSize', 'keepLast', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;

function kebab(name: string): string {
	return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

function shown(name: FlagName): string {
	return `--${kebab(name)}`;
}

const NAMES = Object.keys(FLAGS) as FlagName[];
/** `--db-type` and, as before, `--dbType` */
const BY_LONG = new Map<string, FlagName>(NAMES.flatMap((name) => [[kebab(name), name], [name, name]] as const));
const BY_SHORT = new Map<string, FlagName>(NAMES.flatMap((name) => ('shortFlag' in FLAGS[name] ? [[(FLAGS[name] as {shortFlag: string}).shortFlag, name] as const] : [])));

function takesValue(name: FlagName): boolean {
	return FLAGS[name].type !== 'boolean';
}

/** A negative number after a flag is its value (`--retries -1`), anything else starting with - is a flag. */
function looksLikeFlag(arg: string | undefined): boolean {
	return arg !== undefined && arg.startsWith('-') && arg !== '-' && !/^-\.?\d/.test(arg);
}

/** Refuses --password / -p before anything else, so that its value is registered as a secret and never echoed. */
function refusePassword(argv: readonly string[]): void {
	for (let index = 0; index < argv.length; index++) {
		const arg = argv[index]!;
		if (arg === '--') break;
		if (/^(--password|-p)(=|$)/.test(arg) || /^-p.+/.test(arg)) {
			const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : arg.startsWith('-p') && arg.length > 2 && !arg.startsWith('--') ? arg.slice(2) : argv[index + 1];
			registerSecret(value);
			throw PASSWORD_REFUSAL;
		}
	}
}

interface Scan {
	words: string[];
	/** the raw text of each value flag given */
	values: Map<FlagName, string>;
	/** each switch given, true or false (--no-X) */
	switches: Map<FlagName, boolean>;
	unknown: string[];
}

/** Reads argv left to right: words, `--flag value`, `--flag=value`, `--no-switch`, `-y`, `-u root`, `-uroot`, and everything after `--` as words. */
function scan(argv: readonly string[]): Scan {
	const result: Scan = {words: [], values: new Map(), switches: new Map(), unknown: []};
	for (let index = 0; index < argv.length; index++) {
		const arg = argv[index]!;
		if (arg === '--') {
			result.words.push(...argv.slice(index + 1));
			break;
		}
		if (!looksLikeFlag(arg)) {
			result.words.push(arg);
			continue;
		}
		const next = () => (looksLikeFlag(argv[index + 1]) ? undefined : argv[++index]);
		if (arg.startsWith('--')) {
			const equals = arg.indexOf('=');
			const given = arg.slice(2, equals === -1 ? undefined : equals);
			const inline = equals === -1 ? undefined : arg.slice(equals + 1);
			const name = BY_LONG.get(given);
			const negated = name === undefined && given.startsWith('no-') ? BY_LONG.get(given.slice(3)) : undefined;
			if (name !== undefined && takesValue(name)) setValue(result, name, inline ?? next());
			else if (name !== undefined) setSwitch(result, name, switchValue(name, inline, true));
			else if (negated !== undefined && !takesValue(negated)) setSwitch(result, negated, switchValue(negated, inline, false));
			else result.unknown.push(`--${given}`);
			continue;
		}
		// -yu root, -uroot: switches, then at most one flag that takes the rest (or the next word) as its value
		for (let letter = 1; letter < arg.length; letter++) {
			const name = BY_SHORT.get(arg[letter]!);
			if (name === undefined) {
				result.unknown.push(`-${arg[letter]}`);
			} else if (takesValue(name)) {
				const rest = arg.slice(letter + 1).replace(/^=/, '');
				setValue(result, name, rest === '' ? next() : rest);
				break;
			} else {
				setSwitch(result, name, true);
			}
		}
	}
	return result;
}

function setValue(result: Scan, name: FlagName, value: string | undefined): void {
	// -yp SECRET gets here past refusePassword
	if (name === 'password') {
		registerSecret(value);
		throw PASSWORD_REFUSAL;
	}
	if (result.values.has(name)) throw badFlagUse(`${shown(name)} was given more than once`, 'Give each flag once.');
	if (value === undefined || value === '') {
		throw badFlagUse(`${shown(name)} needs a value`, `Write it as ${shown(name)} VALUE (or ${shown(name)}=VALUE for a value that starts with -); see \`dbbackup help COMMAND\`.`);
	}
	result.values.set(name, value);
}

function setSwitch(result: Scan, name: FlagName, value: boolean): void {
	if (result.switches.has(name) && result.switches.get(name) !== value) {
		throw badFlagUse(`${shown(name)} and --no-${kebab(name)} were both given`, 'Give one of them.');
	}
	result.switches.set(name, value);
}

/** `--yes`, `--yes=true`, `--yes=false`; a switch takes no other value. */
function switchValue(name: FlagName, inline: string | undefined, plain: boolean): boolean {
	if (inline === undefined) return plain;
	if (inline === 'true' || inline === 'false') return (inline === 'true') === plain;
	throw badFlagUse(`${shown(name)} is a switch and takes no value, got "${inline}"`);
}

function unknownFlags(flags: readonly string[]): UsageError {
	// the --no- forms of the switches that are on, or unset, unless turned off
	const candidates = NAMES.filter((name) => name !== 'password').flatMap((name) => {
		const spec = FLAGS[name];
		return takesValue(name) || ('default' in spec && spec.default === false) ? [shown(name)] : [shown(name), `--no-${kebab(name)}`];
	});
	const described = flags.map((flag) => {
		const suggestion = flag.startsWith('--') ? closestName(flag, candidates) : undefined;
		return suggestion === undefined ? flag : `${flag} (did you mean ${suggestion}?)`;
	});
	return new UsageError({
		code: 'UNKNOWN_FLAG',
		message: `unknown flag${flags.length > 1 ? 's' : ''}: ${described.join(', ')}`,
		hint: 'Run `dbbackup help COMMAND` for the flags a command takes.',
	});
}

function numberValue(name: FlagName, text: string): number {
	const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
	if (Number.isSafeInteger(value) && (value >= 0 || !(COUNTS as readonly string[]).includes(name))) return value;
	throw badFlagUse(`${shown(name)} must be a whole number, got "${text}"`, `For example ${shown(name)} ${name === 'port' ? 3306 : name === 'chunkRows' ? 100000 : 4}.`);
}

/** Parses argv into words and typed flags. Unknown flags, flags given twice or without their value, and --password are usage errors (exit 2). */
export function parseArgv(argv: string[]): ParsedCommand {
	refusePassword(argv);
	const {words, values, switches, unknown} = scan(argv);
	if (unknown.length > 0) throw unknownFlags(unknown);
	const flags: Record<string, unknown> = {};
	for (const name of NAMES) {
		const spec = FLAGS[name];
		if ('default' in spec) flags[name] = spec.default;
	}
	const given = new Map<FlagName, unknown>();
	for (const [name, value] of switches) given.set(name, (flags[name] = value));
	for (const [name, text] of values) given.set(name, (flags[name] = FLAGS[name].type === 'number' ? numberValue(name, text) : text));
	return {words, flags: flags as unknown as ParsedFlags, given};
}
