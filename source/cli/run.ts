import os from 'node:os';
import type {Readable, Writable} from 'node:stream';
import {loadConfig} from '../core/config/load.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import {EventBus} from '../core/events.ts';
import {closestName} from '../core/config/suggest.ts';
import {DbBackupError, ExitCode, UsageError, toDbBackupError} from '../core/errors.ts';
import {redact} from '../core/redact.ts';
import {parseDbType, resolveTargets} from '../services/targets.ts';
import type {CommandContext} from './context.ts';
import {helpFor} from './help.ts';
import {refuseFlagsOutsideCommand} from './flag-scope.ts';
import {parseArgv, type ParsedFlags} from './parse.ts';
import {attachJsonSink} from './sinks/json.ts';
import {attachPlainSink} from './sinks/plain.ts';
import {VERSION} from '../core/tool-version.ts';

export interface RunIo {
	argv: string[];
	env: NodeJS.ProcessEnv;
	cwd: string;
	home: string;
	stdin: Readable;
	stdout: Writable & {isTTY?: boolean};
	stderr: Writable;
	/** signals that interrupt the run (SIGINT/SIGTERM); injectable for tests */
	onInterrupt(handler: () => void): () => void;
}

export type SinkKind = 'ink' | 'plain' | 'json';

/** Ink only on a TTY without --yes/--json: it writes escape codes even to pipes. */
export function chooseSink(flags: Pick<ParsedFlags, 'json' | 'yes'>, isTTY: boolean): SinkKind {
	if (flags.json) return 'json';
	if (flags.yes || !isTTY) return 'plain';
	return 'ink';
}

/** Config keys the flags set (flags beat every other source). */
function flagsToConfig(flags: ParsedFlags): Record<string, unknown> {
	const map: Record<string, unknown> = {
		'connection.db_type': flags.dbType === undefined ? undefined : parseDbType(flags.dbType, '--db-type'),
		'connection.host': flags.host,
		'connection.port': flags.port,
		'connection.user': flags.user,
		'connection.socket': flags.socket,
		'connection.database': flags.database,
		'output.path': flags.output,
		'output.format': flags.format,
		'output.compress': flags.compress,
		'output.level': flags.level,
		'output.workers': flags.workers,
		'backup.engine': flags.engine,
		'backup.clone.remote.enabled': flags.cloneRemote,
		'backup.clone.remote.donor_host': flags.cloneDonorHost,
		'backup.clone.remote.donor_port': flags.cloneDonorPort,
		'backup.snapshot.backend': flags.snapshotBackend,
		'output.encrypt': flags.encrypt,
		'output.encryption_key_file': flags.encryptionKeyFile,
		'backup.streaming.part_size': flags.partSize,
		's3.server_side_encryption': flags.encryption,
		's3.sse_kms_key_id': flags.sseKmsKeyId,
		's3.storage_class': flags.storageClass,
	};
	return Object.fromEntries(Object.entries(map).filter(([, value]) => value !== undefined));
}

/** The Ink screen a command opens on a TTY. */
const SCREEN_FOR_COMMAND: Record<string, string> = {detect: 'detect', engine: 'engine', demo: 'demo', 'binlog-stream': 'binlog-tail', 'wal-stream': 'wal-tail'};

/**
 * Each command's module loads when that command runs: a long-running streamer should not carry the
 * engines, the S3 client and both database drivers in memory.
 */
const COMMANDS: Record<string, (ctx: CommandContext) => Promise<void>> = {
	detect: async (ctx) => (await import('./commands/detect.ts')).detectCommand(ctx),
	engine: async (ctx) => (await import('./commands/engine.ts')).engineCommand(ctx),
	backup: async (ctx) => (await import('./commands/backup.ts')).backupCommand(ctx, 'single'),
	'physical-backup': async (ctx) => (await import('./commands/backup.ts')).backupCommand(ctx, 'physical'),
	'stream-backup': async (ctx) => (await import('./commands/backup.ts')).backupCommand(ctx, 'stream'),
	restore: async (ctx) => (await import('./commands/restore.ts')).restoreCommand(ctx),
	demo: async (ctx) => (await import('./commands/demo.ts')).demoCommand(ctx),
	'binlog-stream': async (ctx) => (await import('./commands/binlog-stream.ts')).binlogStreamCommand(ctx),
	'wal-stream': async (ctx) => (await import('./commands/wal-stream.ts')).walStreamCommand(ctx),
	'wal-fetch': async (ctx) => (await import('./commands/wal-fetch.ts')).walFetchCommand(ctx),
	verify: async (ctx) => (await import('./commands/verify.ts')).verifyCommand(ctx),
	status: async (ctx) => (await import('./commands/status.ts')).statusCommand(ctx),
	prune: async (ctx) => (await import('./commands/prune.ts')).pruneCommand(ctx),
	pin: async (ctx) => (await import('./commands/pin.ts')).pinCommand(ctx, 'pin'),
	unpin: async (ctx) => (await import('./commands/pin.ts')).pinCommand(ctx, 'unpin'),
};

/** Commands users know from the seed's documentation (../shared/CLI.md) that this version does not have. */
const NOT_IN_THIS_VERSION = new Set<string>([]);

function unknownCommand(command: string): UsageError {
	const suggestion = closestName(command, [...Object.keys(COMMANDS), 'help']);
	const missing = NOT_IN_THIS_VERSION.has(command) ? `${command} is not in this version of dbbackup. ` : '';
	return new UsageError({
		code: 'UNKNOWN_COMMAND',
		message: `unknown command "${command}"${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`,
		hint: `${missing}Commands: ${Object.keys(COMMANDS).join(', ')}. Run \`dbbackup --help\`.`,
	});
}

/** Commands whose normal end is Ctrl+C / SIGTERM: they stop cleanly themselves, so the run waits for them. */
const STOPS_ON_INTERRUPT = new Set(['binlog-stream', 'wal-stream']);

/** Runs one invocation and returns its exit code; never throws, never exits the process itself. */
export async function run(io: RunIo): Promise<number> {
	const bus = new EventBus();
	const wantsJson = io.argv.includes('--json');
	let detach: () => void = wantsJson ? attachJsonSink(bus, io.stdout) : attachPlainSink(bus, io);
	const cleanups: Array<() => Promise<void>> = [];
	let interrupt!: () => void;
	const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
	const stopListening = io.onInterrupt(() => interrupt());
	let inkMounted = false;

	try {
		const {words, flags, given} = parseArgv(io.argv);
		const [command] = words;
		const topic = command === 'help' ? words[1] : command;
		if (topic !== undefined && topic !== 'help' && !(topic in COMMANDS)) throw unknownCommand(topic);
		if (command !== undefined && command !== 'help' && !flags.help) refuseFlagsOutsideCommand(command, given);
		if (flags.help || command === 'help') {
			io.stdout.write(helpFor(topic === 'help' ? undefined : topic)!);
			return ExitCode.ok;
		}
		if (flags.version) {
			io.stdout.write(`${VERSION}\n`);
			return ExitCode.ok;
		}
		// Commands without a screen of their own report in plain lines even on a TTY.
		let sink = chooseSink(flags, Boolean(io.stdout.isTTY));
		if (sink === 'ink' && command !== undefined && (!(command in SCREEN_FOR_COMMAND) || flags.list)) sink = 'plain';
		// Until the app is mounted, a failure (a bad config, a bad flag value) still goes out as plain lines.
		if (sink !== 'ink') {
			detach();
			detach = sink === 'json' ? attachJsonSink(bus, io.stdout) : attachPlainSink(bus, io);
		}

		const loaded = await loadConfig({configFile: flags.config, cwd: io.cwd, env: io.env, flags: flagsToConfig(flags), home: io.home});
		// Resolved on first use only: `--help`-like paths and the demo never read option files.
		let resolved: ConnectionSettings[] | undefined;
		const targetsFor = () => {
			if (!resolved) {
				const {targets, warnings} = resolveTargets({loaded, env: io.env, home: io.home}, loaded.config.connection.db_type);
				for (const warning of warnings) bus.warn(warning);
				resolved = targets;
			}
			return resolved;
		};
		const ctx: CommandContext = {
			bus,
			words,
			flags,
			given,
			loaded,
			env: io.env,
			home: io.home,
			get targets() {
				return targetsFor();
			},
			onCleanup: (fn) => cleanups.push(fn),
			interrupted,
		};

		if (sink === 'ink') {
			if (command === 'engine') (await import('./commands/engine.ts')).engineWords(words);
			const {runInteractive} = await import('./interactive.ts');
			detach();
			detach = () => {};
			inkMounted = true;
			return await runInteractive(ctx, command === undefined ? undefined : SCREEN_FOR_COMMAND[command], io);
		}
		if (command === undefined) {
			io.stdout.write(`${helpFor(undefined)}\nNo command given and no terminal to open the app in; try \`dbbackup demo --yes\`.\n`);
			return ExitCode.ok;
		}
		const work = COMMANDS[command]!(ctx);
		if (STOPS_ON_INTERRUPT.has(command)) {
			await work;
			return ExitCode.ok;
		}
		const outcome = await Promise.race([work.then(() => 'done' as const), interrupted.then(() => 'interrupted' as const)]);
		if (outcome === 'interrupted' && !flags.keep) {
			bus.warn('interrupted: stopping');
			return 130;
		}
		return ExitCode.ok;
	} catch (error) {
		const failure = toDbBackupError(error);
		if (inkMounted) {
			// The app has exited; the error still has to reach the user.
			detach();
			detach = attachPlainSink(bus, io);
		}
		bus.emit('error', {code: failure.code, message: failure.message, hint: failure.hint, exitCode: failure.exitCode});
		if (!(error instanceof DbBackupError) && io.env.DBBACKUP_DEBUG && error instanceof Error) {
			io.stderr.write(`${redact(error.stack ?? '')}\n`);
		}
		return failure.exitCode;
	} finally {
		for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => bus.warn(`cleanup failed: ${String(error)}`));
		stopListening();
		detach();
	}
}

export function processIo(): RunIo {
	return {
		argv: process.argv.slice(2),
		env: process.env,
		cwd: process.cwd(),
		home: os.homedir(),
		stdin: process.stdin,
		stdout: process.stdout,
		stderr: process.stderr,
		onInterrupt(handler) {
			process.on('SIGINT', handler);
			process.on('SIGTERM', handler);
			return () => {
				process.off('SIGINT', handler);
				process.off('SIGTERM', handler);
			};
		},
	};
}
