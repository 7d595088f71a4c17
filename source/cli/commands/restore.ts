import {cpus} from 'node:os';
import {badArguments, badFlagUse, unexpectedArgument} from '../../core/errors.ts';
import {listArtifactContents, runPointInTimeRestore, runRestore} from '../../services/restore.ts';
import {emitResult} from '../../services/results.ts';
import {storageOptionsFor} from '../../services/storage-options.ts';
import type {CommandContext} from '../context.ts';
import type {FlagName} from '../parse.ts';
import {refuseFlagsForServer} from '../flag-scope.ts';

/** What --list may come with: output mode, config, the key of an encrypted archive. */
const LIST_ALONGSIDE = new Set<FlagName>(['list', 'yes', 'json', 'config', 'encryptionKeyFile', 'dbType', 'host', 'port', 'user', 'socket', 'database']);

const USAGE =
	'Usage: dbbackup restore ARTIFACT [--db-type mysql|postgres] [--database DB] [--target-db NAME] [--tables db.t1,t2] [--workers N] [--drop-existing|--clean] [--continue-on-error]\n' +
	'       [--binlogs DIR [--until TIME | --until-position FILE:POS | --until-gtid GTID] [--databases a,b] [--dry-run] [--start-position FILE:POS | --start-gtid GTID]]';

/** Flags that only mean something for a point-in-time replay. */
const REPLAY_FLAGS = ['until', 'untilPosition', 'untilGtid', 'startPosition', 'startGtid', 'databases'] as const;

/** `restore ARTIFACT`: our archive, or a plain SQL script (ours, mysqldump's, mariadb-dump's, pg_dump's), natively. */
export async function restoreCommand(ctx: CommandContext): Promise<void> {
	const [, artifact, ...rest] = ctx.words;
	if (!artifact || rest.length > 0) {
		throw artifact ? unexpectedArgument(rest[0], USAGE) : badArguments('restore needs the backup file to restore', USAGE);
	}
	if (ctx.flags.list) {
		const others = [...ctx.given.keys()].filter((name) => !LIST_ALONGSIDE.has(name));
		if (others.length > 0) throw badFlagUse(`--list shows the backup and restores nothing: ${others.map((name) => `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`).join(', ')} would do nothing`, USAGE);
		emitResult(ctx.bus, {kind: 'artifact-contents', contents: await listArtifactContents(artifact, await storageOptionsFor(ctx.loaded.config, 'read', ctx.bus, ctx.env))});
		return;
	}
	const tables = ctx.flags.tables
		?.split(',')
		.map((name) => name.trim())
		.filter((name) => name.length > 0);
	if (ctx.flags.tables !== undefined && (!tables || tables.length === 0)) {
		throw badFlagUse('--tables needs one or more table names', USAGE);
	}
	const {flags} = ctx;
	refuseFlagsForServer('restore', ctx.targets[0]!.dbType, ctx.given);
	if (flags.binlogs === undefined) {
		const stray = REPLAY_FLAGS.find((name) => flags[name] !== undefined) ?? (flags.dryRun ? 'dryRun' : undefined);
		if (stray) {
			throw badArguments(`--${stray.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)} belongs to a point-in-time restore: give --binlogs DIR as well`, USAGE);
		}
	}
	const request = {
		target: ctx.targets[0]!,
		artifact,
		storage: await storageOptionsFor(ctx.loaded.config, 'read', ctx.bus, ctx.env),
		targetDb: ctx.flags.targetDb,
		// an archive's database to restore; with a SQL script, still the database to connect to
		databases: ctx.flags.database === undefined ? undefined : [ctx.flags.database],
		tables,
		workers: ctx.loaded.config.output.workers ?? cpus().length,
		dropExisting: ctx.flags.dropExisting || ctx.flags.clean,
		continueOnError: ctx.flags.continueOnError,
		indexesAfterData: ctx.flags.indexesAfterData,
		includeUsers: ctx.flags.includeUsers,
		binlog: ctx.flags.binlog,
		schemaOnly: ctx.flags.schemaOnly,
		dataOnly: ctx.flags.dataOnly,
		create: ctx.flags.create,
		noOwner: !ctx.flags.owner,
		noPrivileges: !ctx.flags.privileges,
	};
	if (flags.binlogs !== undefined) {
		const outcome = await runPointInTimeRestore(
			request,
			{
				binlogs: flags.binlogs,
				until: flags.until,
				untilPosition: flags.untilPosition,
				untilGtid: flags.untilGtid,
				databases: flags.databases,
				dryRun: flags.dryRun,
				startPosition: flags.startPosition,
				startGtid: flags.startGtid,
			},
			ctx.bus,
		);
		emitResult(ctx.bus, {kind: 'point-in-time', ...outcome});
		return;
	}
	const outcome = await runRestore(
		request,
		ctx.bus,
	);
	emitResult(ctx.bus, {kind: 'restore', engine: outcome.engine, result: outcome});
}
