import {UsageError} from '../core/errors.ts';
import type {Config} from '../core/config/types.ts';
import {parseDuration} from '../core/config/duration.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import {parseCompression, type Compression} from '../storage/compression.ts';
import type {BinlogStreamOptions} from '../binlog/stream/streamer.ts';
import type {EventFilter} from '../binlog/stream/feed.ts';

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
	compress?: string;
	stopAtEnd?: boolean;
	retries?: number;
	databases?: string;
	tables?: string;
	rotateSize?: number;
}

export const BINLOG_STREAM_USAGE =
	'Usage: dbbackup binlog-stream --output DIR/ [--gtid|--no-gtid] [--server-id N] [--sync always|interval] [--checkpoint-interval 30s] [--start-position FILE:POS | --start-gtid GTID] [--compress zstd|gzip|none] [--databases a,b] [--tables db.t] [--stop-at-end] [--retries N]';

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
		throw new UsageError({code: 'BAD_FLAG_VALUE', message: `--server-id ${serverId} is not a server id (1 to 4294967295)`, hint: BINLOG_STREAM_USAGE});
	}
	const sync = request.sync ?? 'interval';
	if (sync !== 'always' && sync !== 'interval') {
		throw new UsageError({code: 'BAD_FLAG_VALUE', message: `--sync ${sync}: use always (fsync every commit) or interval (every checkpoint interval)`, hint: BINLOG_STREAM_USAGE});
	}
	let checkpointIntervalSeconds = binlog.checkpoint_interval;
	if (request.checkpointInterval !== undefined) {
		const parsed = parseDuration(request.checkpointInterval);
		if (parsed === undefined || parsed < 0.1 || parsed > 86_400) {
			throw new UsageError({code: 'BAD_FLAG_VALUE', message: `--checkpoint-interval ${request.checkpointInterval} is not a duration from 0.1 s to 1 day (500ms, 30s, 2m)`, hint: BINLOG_STREAM_USAGE});
		}
		checkpointIntervalSeconds = parsed;
	}
	let compress: Compression = fileTarget?.type === 'file' && fileTarget.compress ? 'zstd' : 'none';
	if (request.compress !== undefined) compress = parseCompression(request.compress);
	let start: BinlogStreamOptions['start'];
	if (request.startPosition !== undefined && request.startGtid !== undefined) {
		throw new UsageError({code: 'BAD_FLAG_VALUE', message: '--start-position and --start-gtid cannot be given together', hint: BINLOG_STREAM_USAGE});
	}
	if (request.startPosition !== undefined) start = parseFilePosition(request.startPosition, '--start-position');
	if (request.startGtid !== undefined) start = {gtid: request.startGtid};
	const retries = request.retries ?? 0;
	if (!Number.isSafeInteger(retries) || retries < 0) {
		throw new UsageError({code: 'BAD_FLAG_VALUE', message: `--retries ${retries}: use a whole number (0 retries forever)`, hint: BINLOG_STREAM_USAGE});
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

/** `mariadb-bin.000042:1234` */
export function parseFilePosition(text: string, flag: string): {file: string; position: number} {
	const match = /^(.+):(\d+)$/.exec(text);
	const position = match ? Number(match[2]) : Number.NaN;
	if (!match || !Number.isSafeInteger(position) || position < 4) {
		throw new UsageError({code: 'BAD_FLAG_VALUE', message: `${flag} ${text}: use FILE:POSITION, e.g. mariadb-bin.000042:1234 (position 4 or more)`});
	}
	return {file: match[1]!, position};
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
