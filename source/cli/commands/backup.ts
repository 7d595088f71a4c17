import {cpus} from 'node:os';
import {EngineUnavailableError, UsageError} from '../../core/errors.ts';
import {findEngine} from '../../engines/registry.ts';
import {selectEngine} from '../../engines/selector.ts';
import type {BackupEngine, BackupOptions} from '../../engines/types.ts';
import {detectServer} from '../../services/environment.ts';
import {emitResult} from '../../services/results.ts';
import type {CommandContext} from '../context.ts';
import {selectionContext} from './engine.ts';

type BackupKind = 'single' | 'physical' | 'stream';

/** `backup single DB`, `physical-backup` and `stream-backup`: pick the engine, check it can run, run it. */
export async function backupCommand(ctx: CommandContext, kind: BackupKind): Promise<void> {
	const databases = backupDatabases(ctx, kind);
	const config = ctx.loaded.config;
	const output = kind === 'stream' ? ctx.flags.target : (ctx.flags.output ?? config.output.path);
	if (!output) {
		throw new UsageError({
			code: 'MISSING_OUTPUT',
			message: kind === 'stream' ? 'stream-backup needs --target s3://bucket/path' : 'where should the backup go? give --output PATH',
			hint: 'Or set output.path in the config file.',
		});
	}
	if (kind === 'stream' && !/^s3:\/\//i.test(output)) {
		throw new UsageError({code: 'BAD_TARGET', message: `--target must be an s3:// URL, got "${output}"`, hint: 'For example --target s3://my-backups/db/backup.tar.zst'});
	}
	const target = ctx.targets[0]!;
	const environment = await detectServer(target, ctx.bus);
	const requested = kind === 'stream' ? 'streaming' : (ctx.flags.engine ?? (config.backup.engine === 'auto' ? undefined : config.backup.engine));

	let engine: BackupEngine;
	if (requested) {
		engine = findEngine(requested, target.dbType);
		const availability = engine.checkAvailability(environment, {destination: output});
		if (!availability.available) {
			throw new EngineUnavailableError({
				code: 'ENGINE_UNAVAILABLE',
				message: `engine ${engine.name} cannot run against ${environment.connection.target}: ${availability.reason}`,
				hint: 'Run `dbbackup engine list` to see what can run here and why.',
			});
		}
	} else {
		const selection = selectEngine(environment, {...selectionContext(ctx), destination: output});
		ctx.bus.log('info', `engine selection: ${selection.reasons.join(' ')}`);
		if (!selection.engine) {
			const preferred = selection.candidates.find((row) => row.name === selection.preferred);
			throw new EngineUnavailableError({
				code: 'NO_ENGINE_AVAILABLE',
				message: `no engine can back up ${environment.connection.target}: ${selection.preferred} would be chosen but ${preferred?.availability.reason ?? 'it is unavailable'}`,
				hint: 'Run `dbbackup engine select` for every criterion and `dbbackup engine list` for every engine.',
			});
		}
		engine = findEngine(selection.engine, target.dbType);
	}

	const options: BackupOptions = {
		databases,
		output,
		workers: ctx.flags.workers ?? config.output.workers ?? cpus().length,
		format: config.output.format,
		compress: config.output.compress,
		level: config.output.level,
	};
	ctx.bus.stage('backup', `${engine.name} → ${output}`);
	const result = await engine.backup(options, ctx.bus);
	emitResult(ctx.bus, {kind: 'backup', engine: engine.name, result});
}

function backupDatabases(ctx: CommandContext, kind: BackupKind): string[] {
	if (kind !== 'single') return ctx.flags.database ? [ctx.flags.database] : [];
	const [, mode, database, ...rest] = ctx.words;
	if (mode !== 'single' || !database || rest.length > 0) {
		throw new UsageError({
			code: 'BAD_ARGUMENTS',
			message: mode !== 'single' ? `unknown backup mode "${mode ?? ''}"` : database ? `unexpected argument "${rest[0]}"` : 'backup single needs a database name',
			hint: 'Usage: dbbackup backup single DB --db-type mysql|postgres --output PATH',
		});
	}
	return [database];
}
