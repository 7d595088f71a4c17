import {parseFilePosition} from '../binlog/file-position.ts';
import {badFlagUse, badFlagValue, UsageError, wrongDbType} from '../core/errors.ts';
import type {Config} from '../core/config/types.ts';
import {parseDuration} from '../core/config/duration.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import {parseCompression, type Compression} from '../storage/compression.ts';
import type {BinlogStreamOptions} from '../binlog/stream/streamer.ts';
import type {EventFilter} from '../binlog/stream/feed.ts';
import {SCRIPT_HEAD_BYTES, startFromManifest, startFromScriptHead} from '../binlog/replay/start-point.ts';
import type {ReplayStart} from '../binlog/replay/types.ts';
import {openArchiveIn} from '../storage/archive/reader.ts';
import {identifyArtifact, readScriptHead} from '../storage/artifact.ts';

/** What the user asked for on the command line (or a screen's form), before the config fills the gaps. */
export interface BinlogStreamRequest {
	output?: string;
	/** s3://… targets are not streamed to yet */
	target?: string;
	gtid?: boolean;
	serverId?: number;
	sync?: string;
	checkpointInterval?: string;
	/** FILE:POS */
	startPosition?: string;
	startGtid?: string;
	/** a backup (archive or SQL script) whose recorded coordinates a new directory starts from */
	fromBackup?: string;
	compress?: string;
	stopAtEnd?: boolean;
	retries?: number;
	databases?: string;
	tables?: string;
	rotateSize?: number;
}

export const BINLOG_STREAM_USAGE =
	'Usage: dbbackup binlog-stream --output DIR/ [--gtid|--no-gtid] [--server-id N] [--sync always|interval] [--checkpoint-interval 30s] [--start-position FILE:POS | --start-gtid GTID | --from-backup ARTIFACT] [--compress zstd|gzip|none] [--databases a,b] [--tables db.t] [--stop-at-end] [--retries N]';

/** Flags over config over defaults: the streamer's options, every value checked with a message naming the flag or key. */
export function resolveBinlogStreamOptions(request: BinlogStreamRequest, config: Config, settings: ConnectionSettings): BinlogStreamOptions {
	const binlog = config.backup.binlog;
	if (settings.dbType !== 'mysql') {
		throw new UsageError({code: 'BINLOG_DB_TYPE', message: 'binlog-stream reads MySQL/MariaDB binary logs; the target is PostgreSQL', hint: 'Use --db-type mysql and a MySQL/MariaDB server.'});
	}
	if (request.target !== undefined) {
		throw new UsageError({
			code: 'BINLOG_S3_NOT_BUILT',
			message: `binlog-stream --target ${request.target}: streaming binlogs to S3 is not built in this version`,
			hint: 'Stream to a directory with --output DIR/ (and ship closed files from there).',
		});
	}
	const fileTarget = binlog.targets.find((target) => target.type === 'file');
	const outputDir = request.output ?? (fileTarget?.type === 'file' ? fileTarget.path : undefined);
	if (!outputDir) {
		throw new UsageError({code: 'BINLOG_OUTPUT_MISSING', message: 'binlog-stream needs a directory to write to', hint: `Pass --output DIR/ or set backup.binlog.targets: [{type: file, path: DIR}]. ${BINLOG_STREAM_USAGE}`});
	}
	const serverId = request.serverId ?? binlog.server_id;
	if (!Number.isSafeInteger(serverId) || serverId < 1 || serverId > 4_294_967_295) {
		throw badFlagValue('--server-id', serverId, 'not a server id (1 to 4294967295)', BINLOG_STREAM_USAGE);
	}
	const sync = request.sync ?? 'interval';
	if (sync !== 'always' && sync !== 'interval') {
		throw badFlagValue('--sync', sync, 'use always (fsync every commit) or interval (every checkpoint interval)', BINLOG_STREAM_USAGE);
	}
	let checkpointIntervalSeconds = binlog.checkpoint_interval;
	if (request.checkpointInterval !== undefined) {
		const parsed = parseDuration(request.checkpointInterval);
		if (parsed === undefined || parsed < 0.1 || parsed > 86_400) {
			throw badFlagValue('--checkpoint-interval', request.checkpointInterval, 'not a duration from 0.1 s to 1 day (500ms, 30s, 2m)', BINLOG_STREAM_USAGE);
		}
		checkpointIntervalSeconds = parsed;
	}
	let compress: Compression = fileTarget?.type === 'file' && fileTarget.compress ? 'zstd' : 'none';
	if (request.compress !== undefined) compress = parseCompression(request.compress);
	let start: BinlogStreamOptions['start'];
	const startFlags = [
		request.startPosition !== undefined && '--start-position',
		request.startGtid !== undefined && '--start-gtid',
		request.fromBackup !== undefined && '--from-backup',
	].filter((flag) => flag !== false);
	if (startFlags.length > 1) {
		throw badFlagUse(`${startFlags.join(' and ')} cannot be given together: each says where a new directory starts`, BINLOG_STREAM_USAGE);
	}
	if (request.startPosition !== undefined) start = parseFilePosition(request.startPosition, '--start-position');
	if (request.startGtid !== undefined) start = {gtid: request.startGtid};
	const retries = request.retries ?? 0;
	if (!Number.isSafeInteger(retries) || retries < 0) {
		throw badFlagValue('--retries', retries, 'use a whole number (0 retries forever)', BINLOG_STREAM_USAGE);
	}
	return {
		settings,
		outputDir,
		serverId,
		useGtid: request.gtid ?? binlog.use_gtid,
		sync,
		checkpointIntervalSeconds,
		start,
		compress,
		rotateSize: request.rotateSize ?? (fileTarget?.type === 'file' ? fileTarget.rotate_size : undefined),
		stopAtEnd: request.stopAtEnd ?? false,
		retries,
		filter: parseEventFilter(request.databases, request.tables),
	};
}

/**
 * resolveBinlogStreamOptions, plus --from-backup: the start point a backup recorded (an archive's
 * manifest, or a SQL script's header), by GTID when the stream resumes by GTID and the backup has one.
 */
export async function resolveBinlogStream(request: BinlogStreamRequest, config: Config, settings: ConnectionSettings): Promise<BinlogStreamOptions> {
	const options = resolveBinlogStreamOptions(request, config, settings);
	if (request.fromBackup === undefined) return options;
	const recorded = await backupStartPoint(request.fromBackup);
	const start = options.useGtid && recorded.gtid !== undefined ? {gtid: recorded.gtid} : recorded.file !== undefined ? {file: recorded.file, position: recorded.position ?? 4} : {gtid: recorded.gtid!};
	return {...options, start};
}

async function backupStartPoint(artifactPath: string): Promise<ReplayStart> {
	const artifact = await identifyArtifact(artifactPath);
	if (artifact.kind === 'archive') {
		const {manifest} = await openArchiveIn(artifact.target, artifact.name);
		if (manifest.dbType !== 'mysql') {
			throw wrongDbType(`--from-backup ${artifact.path}`, manifest.dbType, '; binlog-stream copies MySQL/MariaDB binary logs');
		}
		return startFromManifest(manifest.coordinates, manifest.startedAt, artifact.path);
	}
	const start = startFromScriptHead(await readScriptHead(artifact, SCRIPT_HEAD_BYTES));
	if (!start) {
		throw new UsageError({
			code: 'BACKUP_HAS_NO_COORDINATES',
			message: `--from-backup ${artifact.path}: the script records no binlog coordinates`,
			hint: 'Give the point with --start-position FILE:POS or --start-gtid GTID instead.',
		});
	}
	return start;
}

export function parseEventFilter(databases: string | undefined, tables: string | undefined): EventFilter | undefined {
	const list = (text: string | undefined) =>
		text
			?.split(',')
			.map((item) => item.trim())
			.filter((item) => item.length > 0);
	const filter = {databases: list(databases), tables: list(tables)};
	return filter.databases?.length || filter.tables?.length ? filter : undefined;
}
