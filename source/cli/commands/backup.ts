import {mkdir, stat} from 'node:fs/promises';
import {cpus} from 'node:os';
import path from 'node:path';
import {badArguments, unexpectedArgument, UsageError} from '../../core/errors.ts';
import {runBackup} from '../../services/backup.ts';
import {backupFileName, defaultBackupPath} from '../../core/backup-name.ts';
import {isObjectStoreUrl} from '../../core/object-store-url.ts';
import {parseCompression} from '../../storage/compression.ts';
import {outputWriteError} from '../../storage/disk-errors.ts';
import {emitResult} from '../../services/results.ts';
import {storageOptionsFor} from '../../services/storage-options.ts';
import type {CommandContext} from '../context.ts';

type BackupKind = 'single' | 'physical' | 'stream';

const USAGE = 'Usage: dbbackup backup single DB | backup multiple DB1 DB2 … | backup all  --db-type mysql|postgres --output PATH';

/** `backup single|multiple|all`, `physical-backup` and `stream-backup`: pick the engine, check it can run, run it. */
export async function backupCommand(ctx: CommandContext, kind: BackupKind): Promise<void> {
	const databases = backupDatabases(ctx, kind);
	const config = ctx.loaded.config;
	const given = kind === 'stream' ? (ctx.flags.target ?? ctx.flags.output) : (ctx.flags.output ?? ctx.flags.target ?? config.output.path);
	if (!given) {
		throw new UsageError({
			code: 'MISSING_OUTPUT',
			message: kind === 'stream' ? 'stream-backup needs --target s3://bucket/path' : 'where should the backup go? give --output PATH',
			hint: 'Or set output.path in the config file (a file, or a directory that gets one file per backup).',
		});
	}
	const objectStore = isObjectStoreUrl(given);
	if (kind === 'stream' && !objectStore) {
		throw new UsageError({code: 'BAD_TARGET', message: `--target must be an s3:// URL, got "${given}"`, hint: 'For example --target s3://my-backups/db/ (a prefix: one object per backup) or s3://my-backups/db/shop.tar'});
	}
	const format = config.output.format;
	const storage = await storageOptionsFor(config, 'write', ctx.bus, ctx.env);
	// stream-backup --workers is the seed's parts in flight; the dump then takes its usual workers
	const uploadWorkers = kind === 'stream' && ctx.flags.workers !== undefined;
	if (uploadWorkers) storage.s3 = {...storage.s3, workers: ctx.flags.workers};
	const naming = {databases, format, encrypted: storage.encryption !== undefined};
	const output = objectStore ? objectName(given, naming) : await outputFile(given, naming);
	const requested = ctx.flags.engine ?? (config.backup.engine === 'auto' ? undefined : config.backup.engine);
	const outcome = await runBackup(
		{
			target: ctx.targets[0]!,
			databases,
			output,
			engine: requested,
			physical: kind === 'physical',
			format,
			compress: parseCompression(config.output.compress),
			level: config.output.level,
			storage,
			workers: (uploadWorkers ? undefined : config.output.workers) ?? cpus().length,
			chunkRows: ctx.flags.chunkRows,
			noLock: ctx.flags.noLock,
			ddlLock: ctx.flags.ddlLock,
			includeUsers: ctx.flags.includeUsers,
			noOwner: !ctx.flags.owner,
			noPrivileges: !ctx.flags.privileges,
		},
		ctx.bus,
	);
	emitResult(ctx.bus, {kind: 'backup', engine: outcome.engine, result: outcome.result});
}

interface Naming {
	databases: string[];
	format: 'archive' | 'sql';
	/** an encrypted backup's name does not give its databases away */
	encrypted: boolean;
}

/** An `s3://bucket/prefix/` URL ending in `/` gets an object named by backupFileName under it; any other URL names the object. */
function objectName(given: string, {databases, format, encrypted}: Naming): string {
	return given.endsWith('/') ? `${given}${backupFileName(databases, new Date(), format, undefined, encrypted)}` : given;
}

/**
 * A directory (existing, or written with a trailing /) gets a file named by defaultBackupPath inside
 * it; a missing one is created (mode 0700: backups hold all the data), as mydumper does.
 */
async function outputFile(given: string, {databases, format, encrypted}: Naming): Promise<string> {
	let directory = given.endsWith('/');
	if (!directory) {
		try {
			directory = (await stat(given)).isDirectory();
		} catch {
			directory = false;
		}
	}
	if (!directory) return given;
	try {
		await makeDirectory(given);
	} catch (error) {
		throw outputWriteError(error, given, 'create') ?? new UsageError({code: 'OUTPUT_DIR_UNWRITABLE', message: `cannot create the output directory ${given}: ${(error as Error).message}`, hint: 'Check --output (or output.path) and the permissions of its parent.', cause: error});
	}
	return defaultBackupPath(given, databases, new Date(), format, undefined, encrypted);
}

/** mkdir -p, mode 0700; a refusal comes with its own errno. */
async function makeDirectory(dir: string): Promise<void> {
	try {
		await mkdir(dir, {recursive: true, mode: 0o700});
	} catch (error) {
		// node's recursive mkdir reports some refusals as ENOENT (EROFS on a read-only mount, node 20):
		// one level at a time, the first missing level fails with the real errno
		const missing: string[] = [];
		for (let level = path.resolve(dir); missing.length < 64; level = path.dirname(level)) {
			if (await stat(level).then(() => true, () => false)) break;
			missing.unshift(level);
			if (path.dirname(level) === level) break;
		}
		for (const level of missing) await mkdir(level, {mode: 0o700});
		throw error;
	}
}

function backupDatabases(ctx: CommandContext, kind: BackupKind): string[] {
	if (kind !== 'single') return ctx.flags.database ? [ctx.flags.database] : [];
	const [, mode, ...names] = ctx.words;
	switch (mode) {
		case 'single':
			if (names.length === 1) return names;
			throw names.length === 0 ? badArguments('backup single needs a database name', USAGE) : unexpectedArgument(names[1], USAGE);
		case 'multiple':
			if (names.length > 0) return [...new Set(names)];
			throw badArguments('backup multiple needs one or more database names', USAGE);
		case 'all':
			if (names.length === 0) return [];
			throw unexpectedArgument(names[0], USAGE, ': backup all takes every user database');
		default:
			throw badArguments(mode ? `unknown backup mode "${mode}"` : 'backup needs a mode: single, multiple or all', USAGE);
	}
}
