import {cpus} from 'node:os';
import {badArguments, unexpectedArgument, UsageError} from '../../core/errors.ts';
import {runBackup} from '../../services/backup.ts';
import {isObjectStoreUrl} from '../../core/object-store-url.ts';
import {parseCompression} from '../../storage/compression.ts';
import {resolveBackupOutput} from '../../services/backup-output.ts';
import {emitResult} from '../../services/results.ts';
import {storageOptionsFor} from '../../services/storage-options.ts';
import type {CommandContext} from '../context.ts';
import {refuseFlagsForServer} from '../flag-scope.ts';
import {parseCheckpoint, parseMaxRate} from '../../engines/basebackup/options.ts';
import {cloneOptionsFrom} from '../../engines/clone/donor-credentials.ts';
import {snapshotSettingsFrom} from '../../engines/snapshot/settings.ts';

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
			hint:
				kind === 'stream'
					? 'For example --target s3://my-backups/db/ (a prefix: one object per backup); the S3 endpoint and region come from the s3.* config keys or AWS_ENDPOINT_URL_S3 / AWS_REGION.'
					: 'Or set output.path in the config file (a file, or a directory that gets one file per backup).',
		});
	}
	if (ctx.flags.resume) throw resumeImpossible(kind);
	refuseFlagsForServer(kind === 'single' ? 'backup' : kind === 'physical' ? 'physical-backup' : 'stream-backup', ctx.targets[0]!.dbType, ctx.given);
	const baseBackupOptions = {
		...(ctx.flags.checkpoint === undefined ? {} : {checkpoint: parseCheckpoint(ctx.flags.checkpoint)}),
		...(ctx.flags.maxRate === undefined ? {} : {maxRateKbps: parseMaxRate(ctx.flags.maxRate)}),
	};
	// the clone engine's directory and donor; its password from the donor's own sources, never a flag
	const cloneOptions = kind === 'physical' && ctx.targets[0]!.dbType === 'mysql' ? {clone: cloneOptionsFrom(config.backup.clone, {env: ctx.env, home: ctx.home, recipientUser: ctx.targets[0]!.user})} : {};
	const objectStore = isObjectStoreUrl(given);
	if (kind === 'stream' && !objectStore) {
		throw new UsageError({code: 'BAD_TARGET', message: `--target must be an s3:// URL, got "${given}"`, hint: 'For example --target s3://my-backups/db/ (a prefix: one object per backup) or s3://my-backups/db/shop.tar'});
	}
	const format = config.output.format;
	const storage = await storageOptionsFor(config, 'write', ctx.bus, ctx.env);
	// stream-backup --workers is the seed's parts in flight; the dump then takes its usual workers
	const uploadWorkers = kind === 'stream' && ctx.flags.workers !== undefined;
	if (uploadWorkers) storage.s3 = {...storage.s3, workers: ctx.flags.workers};
	const output = await resolveBackupOutput(given, {databases, format, encrypted: storage.encryption !== undefined});
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
			...baseBackupOptions,
			...cloneOptions,
			...(kind === 'physical' ? {snapshot: snapshotSettingsFrom(config.backup.snapshot)} : {}),
		},
		ctx.bus,
	);
	emitResult(ctx.bus, {kind: 'backup', engine: outcome.engine, result: outcome.result});
}

/**
 * A resumed upload may keep the parts S3 already has only if the dump sends the same bytes again. A
 * logical dump (the only kind that streams in this version) cannot: a new run reads a new snapshot, with
 * its own rows, times and coordinates. Said plainly rather than uploading a mix of two dumps.
 */
function resumeImpossible(kind: BackupKind): UsageError {
	return new UsageError({
		code: 'STREAM_RESUME_IMPOSSIBLE',
		message: `${kind === 'stream' ? 'stream-backup' : 'backup'} --resume: a logical dump cannot be resumed: a new run reads a new consistent snapshot, so the parts an interrupted upload left belong to another dump and cannot be reused`,
		hint: 'Run it again without --resume. A failed upload is aborted when it fails; one a killed run left is removed by the next backup under that prefix once it is a day old (or by the bucket\'s AbortIncompleteMultipartUpload rule).',
	});
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
