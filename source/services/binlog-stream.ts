import {parseFilePosition} from '../binlog/file-position.ts';
import {badFlagUse, badFlagValue, UsageError, wrongDbType} from '../core/errors.ts';
import type {BinlogTarget, Config} from '../core/config/types.ts';
import {parseDuration} from '../core/config/duration.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import {parseCompression, type Compression} from '../storage/compression.ts';
import type {BinlogStreamOptions} from '../binlog/stream/streamer.ts';
import type {EventFilter} from '../binlog/stream/feed.ts';
import {SCRIPT_HEAD_BYTES, startFromManifest, startFromScriptHead} from '../binlog/replay/start-point.ts';
import type {ReplayStart} from '../binlog/replay/types.ts';
import {openArchiveIn} from '../storage/archive/reader.ts';
import {identifyArtifact, readScriptHead} from '../storage/artifact.ts';
import type {StorageOptions} from '../storage/target/index.ts';
import {s3SettingsOf, storageOptionsFor} from './storage-options.ts';

/** What the user asked for on the command line (or a screen's form), before the config fills the gaps. */
export interface BinlogStreamRequest {
	/** a directory, or an s3:// prefix */
	output?: string;
	/** the seed's name for an s3:// destination; the same as --output */
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
	/** encrypt the copy (output.encrypt); the key as for backups */
	encrypt?: boolean;
	stopAtEnd?: boolean;
	retries?: number;
	databases?: string;
	tables?: string;
	rotateSize?: number;
}

export const BINLOG_STREAM_USAGE =
	'Usage: dbbackup binlog-stream --output DIR/|s3://BUCKET/PREFIX/ [--gtid|--no-gtid] [--server-id N] [--sync always|interval] [--checkpoint-interval 30s] [--start-position FILE:POS | --start-gtid GTID | --from-backup ARTIFACT] [--compress zstd|gzip|lz4|none] [--databases a,b] [--tables db.t] [--stop-at-end] [--retries N]';

/** Flags over config over defaults: the streamer's options, every value checked with a message naming the flag or key. */
export function resolveBinlogStreamOptions(request: BinlogStreamRequest, config: Config, settings: ConnectionSettings): BinlogStreamOptions {
	return resolveBinlogStreamsOptions(request, config, settings)[0]!;
}

/**
 * The streamer's options for each destination: the one --output/--target names, else every target of
 * backup.binlog.targets. Each destination is a copy of its own, on its own replication connection: the
 * first registers as server_id, the next as server_id + 1, and so on.
 */
export function resolveBinlogStreamsOptions(request: BinlogStreamRequest, config: Config, settings: ConnectionSettings): BinlogStreamOptions[] {
	const binlog = config.backup.binlog;
	if (settings.dbType !== 'mysql') {
		throw new UsageError({code: 'BINLOG_DB_TYPE', message: 'binlog-stream reads MySQL/MariaDB binary logs; the target is PostgreSQL', hint: 'Use --db-type mysql and a MySQL/MariaDB server.'});
	}
	if (request.target !== undefined && request.output !== undefined) {
		throw badFlagUse('--output and --target both name where the copy goes: give one (list several targets in backup.binlog.targets to stream to each)', BINLOG_STREAM_USAGE);
	}
	const destinations = destinationsOf(request, binlog.targets);
	if (destinations.length === 0) {
		throw new UsageError({code: 'BINLOG_OUTPUT_MISSING', message: 'binlog-stream needs a directory or an s3:// prefix to write to', hint: `Pass --output DIR/ (or --target s3://BUCKET/PREFIX/), or set backup.binlog.targets. ${BINLOG_STREAM_USAGE}`});
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
	const compressFlag: Compression | undefined = request.compress === undefined ? undefined : parseCompression(request.compress);
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
	if (destinations.length > 1 && serverId + destinations.length - 1 > 4_294_967_295) {
		throw badFlagValue('--server-id', serverId, `leaves no room for the ${destinations.length} targets' server ids (server_id to server_id + ${destinations.length - 1})`, BINLOG_STREAM_USAGE);
	}
	const storage = s3SettingsOf(config);
	return destinations.map((destination, index) => ({
		settings,
		outputDir: destination.location,
		storage: {s3: {...storage, ...destination.s3}},
		serverId: serverId + index,
		useGtid: request.gtid ?? binlog.use_gtid,
		sync,
		checkpointIntervalSeconds,
		start,
		compress: compressFlag ?? (destination.configured?.compress ? 'zstd' : 'none'),
		rotateSize: request.rotateSize ?? destination.configured?.rotate_size,
		stopAtEnd: request.stopAtEnd ?? false,
		retries,
		filter: parseEventFilter(request.databases, request.tables),
	}));
}

interface Destination {
	/** a local directory or an s3:// prefix */
	location: string;
	/** the config's target it comes from */
	configured?: BinlogTarget;
	/** the target's own region and endpoint */
	s3?: {region?: string; endpoint?: string};
}

function destinationsOf(request: BinlogStreamRequest, targets: BinlogTarget[]): Destination[] {
	const given = request.output ?? request.target;
	if (given !== undefined) {
		const configured = targets.find((target) => locationOf(target) === given);
		return [{location: given, configured}];
	}
	return targets.map((target) => ({
		location: locationOf(target),
		configured: target,
		s3: target.type === 's3' ? {region: target.region, endpoint: target.endpoint} : undefined,
	}));
}

function locationOf(target: BinlogTarget): string {
	if (target.type === 'file') return target.path;
	const prefix = (target.prefix ?? '').replace(/^\/+/, '');
	return `s3://${target.bucket}/${prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`}`;
}

/**
 * resolveBinlogStreamOptions, plus --from-backup: the start point a backup recorded (an archive's
 * manifest, or a SQL script's header), by GTID when the stream resumes by GTID and the backup has one.
 */
export async function resolveBinlogStream(request: BinlogStreamRequest, config: Config, settings: ConnectionSettings, env: NodeJS.ProcessEnv = process.env): Promise<BinlogStreamOptions> {
	return (await withBackupStart(request, config, await withEncryption(request, config, [resolveBinlogStreamOptions(request, config, settings)], env), env))[0]!;
}

/** resolveBinlogStreamsOptions, plus --from-backup: every destination starts at the backup's point. */
export async function resolveBinlogStreams(request: BinlogStreamRequest, config: Config, settings: ConnectionSettings, env: NodeJS.ProcessEnv = process.env): Promise<BinlogStreamOptions[]> {
	return withBackupStart(request, config, await withEncryption(request, config, resolveBinlogStreamsOptions(request, config, settings), env), env);
}

/**
 * --encrypt (output.encrypt): every copy is written encrypted (format DBBKENC, the file being copied as
 * encrypted segments until it closes), with the key a backup would use.
 */
async function withEncryption(request: BinlogStreamRequest, config: Config, list: BinlogStreamOptions[], env: NodeJS.ProcessEnv): Promise<BinlogStreamOptions[]> {
	const encrypt = request.encrypt ?? config.output.encrypt === true;
	if (!encrypt) return list;
	const {encryption} = await storageOptionsFor({...config, output: {...config.output, encrypt: true}}, 'write', undefined, env);
	return list.map((options) => ({...options, storage: {...options.storage, encryption}}));
}

async function withBackupStart(request: BinlogStreamRequest, config: Config, list: BinlogStreamOptions[], env: NodeJS.ProcessEnv): Promise<BinlogStreamOptions[]> {
	if (request.fromBackup === undefined) return list;
	const recorded = await backupStartPoint(request.fromBackup, await storageOptionsFor(config, 'read', undefined, env));
	return list.map((options) => {
		const start = options.useGtid && recorded.gtid !== undefined ? {gtid: recorded.gtid} : recorded.file !== undefined ? {file: recorded.file, position: recorded.position ?? 4} : {gtid: recorded.gtid!};
		return {...options, start};
	});
}

async function backupStartPoint(artifactPath: string, storage: StorageOptions): Promise<ReplayStart> {
	const artifact = await identifyArtifact(artifactPath, storage);
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
