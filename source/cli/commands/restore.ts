import {cpus} from 'node:os';
import {badArguments, badFlagUse, unexpectedArgument, UsageError} from '../../core/errors.ts';
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
	'       [--binlogs DIR [--until TIME | --until-position FILE:POS | --until-gtid GTID] [--databases a,b] [--dry-run] [--start-position FILE:POS | --start-gtid GTID]]\n' +
	'       dbbackup restore PHYSICAL-ARTIFACT --datadir DIR [--drop-existing] [--verify-start] [--datadir-owner USER]\n' +
	'       dbbackup restore BASEBACKUP --datadir DIR --wal DIR|s3://… [--until TIME | --until-lsn LSN | --until-xid XID | --until-name RESTOREPOINT] [--verify-start]';

/** What a restore into a data directory may come with: no server is connected to, so the connection flags do nothing and are let be. */
const DATADIR_ALONGSIDE = new Set<FlagName>(['datadir', 'datadirOwner', 'verifyStart', 'wal', 'walFetch', 'until', 'untilLsn', 'untilXid', 'untilName', 'dropExisting', 'encryptionKeyFile', 'workers', 'yes', 'json', 'config', 'dbType', 'host', 'port', 'user', 'socket', 'help', 'version']);

function flagText(name: FlagName, value: unknown): string {
	const kebab = name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
	return value === false ? `--no-${kebab}` : `--${kebab}`;
}

/** --datadir takes a physical backup into a directory: the flags about databases and servers do nothing there, and the data directory flags nothing without it. */
function refuseDatadirMisfits(ctx: CommandContext): void {
	if (ctx.flags.datadir === undefined) {
		const stray = (['verifyStart', 'datadirOwner', 'wal', 'walFetch', 'untilLsn', 'untilXid', 'untilName'] as const).filter((name) => ctx.given.has(name));
		if (stray.length > 0) {
			throw new UsageError({
				code: 'DATADIR_FLAG_UNUSED',
				message: `${stray.map((name) => flagText(name, ctx.given.get(name))).join(', ')} belong${stray.length === 1 ? 's' : ''} to a restore of a physical backup into a data directory: give --datadir DIR as well`,
				hint: USAGE,
			});
		}
		return;
	}
	const others = [...ctx.given.keys()].filter((name) => !DATADIR_ALONGSIDE.has(name));
	if (others.length > 0) {
		throw new UsageError({
			code: 'DATADIR_FLAG_UNUSED',
			message: `${others.map((name) => flagText(name, ctx.given.get(name))).join(', ')}: a restore into a data directory (--datadir) copies the whole cluster's files and connects to no server; ${others.length === 1 ? 'it does' : 'they do'} nothing there`,
			hint: 'Leave them out. A logical backup restores into a running server, without --datadir.',
		});
	}
	if (ctx.given.has('walFetch') && ctx.flags.wal === undefined) {
		throw new UsageError({code: 'DATADIR_FLAG_UNUSED', message: '--wal-fetch says how the WAL of --wal is read during recovery: give --wal DIR|s3://… as well', hint: USAGE});
	}
}

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
	refuseDatadirMisfits(ctx);
	if (flags.datadir === undefined) refuseFlagsForServer('restore', ctx.targets[0]!.dbType, ctx.given);
	if (flags.datadir !== undefined && flags.wal === undefined) {
		const stray = (['until', 'untilLsn', 'untilXid', 'untilName'] as const).find((name) => flags[name] !== undefined);
		if (stray) throw badArguments(`--${stray.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)} is a recovery target: give the WAL store to recover from as well (--wal DIR|s3://…)`, USAGE);
	}
	if (flags.binlogs === undefined && flags.wal === undefined) {
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
		...(flags.datadir === undefined ? {} : {dataDirectory: flags.datadir, verifyStart: flags.verifyStart}),
		...(flags.datadirOwner === undefined ? {} : {dataDirectoryOwner: flags.datadirOwner}),
		...(flags.datadir === undefined || flags.wal === undefined
			? {}
			: {walRecovery: {wal: flags.wal, until: flags.until, untilLsn: flags.untilLsn, untilXid: flags.untilXid, untilName: flags.untilName, ...(flags.walFetch ? {fetch: true} : {})}}),
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
