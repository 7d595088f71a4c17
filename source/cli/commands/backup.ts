import {mkdir, stat} from 'node:fs/promises';
import {cpus} from 'node:os';
import path from 'node:path';
import {badArguments, unexpectedArgument, UsageError} from '../../core/errors.ts';
import {runBackup} from '../../services/backup.ts';
import {defaultBackupPath} from '../../core/backup-name.ts';
import {parseCompression} from '../../storage/compression.ts';
import {outputWriteError} from '../../storage/disk-errors.ts';
import {emitResult} from '../../services/results.ts';
import type {CommandContext} from '../context.ts';

type BackupKind = 'single' | 'physical' | 'stream';

const USAGE = 'Usage: dbbackup backup single DB | backup multiple DB1 DB2 … | backup all  --db-type mysql|postgres --output PATH';

/** `backup single|multiple|all`, `physical-backup` and `stream-backup`: pick the engine, check it can run, run it. */
export async function backupCommand(ctx: CommandContext, kind: BackupKind): Promise<void> {
	const databases = backupDatabases(ctx, kind);
	const config = ctx.loaded.config;
	const given = kind === 'stream' ? ctx.flags.target : (ctx.flags.output ?? config.output.path);
	if (!given) {
		throw new UsageError({
			code: 'MISSING_OUTPUT',
			message: kind === 'stream' ? 'stream-backup needs --target s3://bucket/path' : 'where should the backup go? give --output PATH',
			hint: 'Or set output.path in the config file (a file, or a directory that gets one file per backup).',
		});
	}
	if (kind === 'stream' && !/^s3:\/\//i.test(given)) {
		throw new UsageError({code: 'BAD_TARGET', message: `--target must be an s3:// URL, got "${given}"`, hint: 'For example --target s3://my-backups/db/backup.tar.zst'});
	}
	const format = config.output.format;
	const output = kind === 'stream' ? given : await outputFile(given, databases, format);
	const requested = kind === 'stream' ? 'streaming' : (ctx.flags.engine ?? (config.backup.engine === 'auto' ? undefined : config.backup.engine));
	const outcome = await runBackup(
		{
			target: ctx.targets[0]!,
			databases,
			output,
			engine: requested,
			format,
			compress: parseCompression(config.output.compress),
			level: config.output.level,
			workers: config.output.workers ?? cpus().length,
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

/**
 * A directory (existing, or written with a trailing /) gets a file named by defaultBackupPath inside
 * it; a missing one is created (mode 0700: backups hold all the data), as mydumper does.
 */
async function outputFile(given: string, databases: string[], format: 'archive' | 'sql'): Promise<string> {
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
	return defaultBackupPath(given, databases, new Date(), format);
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
