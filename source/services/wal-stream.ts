import {badFlagUse, badFlagValue, UsageError} from '../core/errors.ts';
import type {Config} from '../core/config/types.ts';
import {parseDuration} from '../core/config/duration.ts';
import type {ConnectionSettings} from '../core/connection-settings.ts';
import {parseCompression} from '../storage/compression.ts';
import type {WalStreamOptions} from '../wal/stream/streamer.ts';
import {checkSlotName} from '../wal/stream/slot.ts';
import {s3SettingsOf} from './storage-options.ts';

/** What the user asked for on the command line, before the defaults fill the gaps. */
export interface WalStreamRequest {
	/** a directory, or an s3:// prefix */
	output?: string;
	/** the same as --output s3://… */
	target?: string;
	slot?: string;
	sync?: string;
	checkpointInterval?: string;
	compress?: string;
	stopAtEnd?: boolean;
	retries?: number;
}

export const WAL_STREAM_USAGE =
	'Usage: dbbackup wal-stream --db-type postgres --output DIR/|s3://BUCKET/PREFIX/ [--slot NAME] [--sync always|interval] [--checkpoint-interval 10s] [--compress zstd|gzip|lz4|none] [--stop-at-end] [--retries N]';

/** Without --checkpoint-interval: WAL is synced, checkpointed and reported flushed every 10 s (and at every segment's end). */
export const DEFAULT_WAL_CHECKPOINT_SECONDS = 10;

/** Flags over defaults: the streamer's options, every value checked with a message naming the flag. */
export function resolveWalStreamOptions(request: WalStreamRequest, config: Config, settings: ConnectionSettings): WalStreamOptions {
	if (settings.dbType !== 'postgres') {
		throw new UsageError({
			code: 'WAL_DB_TYPE',
			message: 'wal-stream copies a PostgreSQL server\'s WAL, but the connection is to MySQL/MariaDB (--db-type mysql, or no --db-type and nothing that says postgres)',
			hint: 'Give --db-type postgres and the PostgreSQL server; for MySQL/MariaDB, binlog-stream copies the binary logs.',
		});
	}
	if (request.target !== undefined && request.output !== undefined) throw badFlagUse('--output and --target both name where the WAL goes: give one', WAL_STREAM_USAGE);
	const output = request.output ?? request.target;
	if (output === undefined) {
		throw new UsageError({code: 'WAL_OUTPUT_MISSING', message: 'wal-stream needs a directory or an s3:// prefix to write the WAL to', hint: `Pass --output DIR/ (or --target s3://BUCKET/PREFIX/). ${WAL_STREAM_USAGE}`});
	}
	const sync = request.sync ?? 'interval';
	if (sync !== 'always' && sync !== 'interval') {
		throw badFlagValue('--sync', sync, 'use always (sync and checkpoint every batch of WAL received) or interval (every checkpoint interval)', WAL_STREAM_USAGE);
	}
	let checkpointIntervalSeconds = DEFAULT_WAL_CHECKPOINT_SECONDS;
	if (request.checkpointInterval !== undefined) {
		const parsed = parseDuration(request.checkpointInterval);
		if (parsed === undefined || parsed < 0.1 || parsed > 86_400) {
			throw badFlagValue('--checkpoint-interval', request.checkpointInterval, 'not a duration from 0.1 s to 1 day (500ms, 10s, 2m)', WAL_STREAM_USAGE);
		}
		checkpointIntervalSeconds = parsed;
	}
	const retries = request.retries ?? 0;
	if (!Number.isSafeInteger(retries) || retries < 0) throw badFlagValue('--retries', retries, 'use a whole number (0 retries forever)', WAL_STREAM_USAGE);
	return {
		settings,
		outputDir: output,
		storage: {s3: s3SettingsOf(config)},
		slot: request.slot === undefined ? undefined : checkSlotName(request.slot),
		sync,
		checkpointIntervalSeconds,
		compress: request.compress === undefined ? 'none' : parseCompression(request.compress),
		stopAtEnd: request.stopAtEnd ?? false,
		retries,
	};
}
