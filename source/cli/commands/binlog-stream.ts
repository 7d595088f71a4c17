import {streamBinlogs} from '../../binlog/stream/streamer.ts';
import {unexpectedArgument} from '../../core/errors.ts';
import {emitResult} from '../../services/results.ts';
import {BINLOG_STREAM_USAGE, resolveBinlogStreams, type BinlogStreamRequest} from '../../services/binlog-stream.ts';
import type {CommandContext} from '../context.ts';
import type {ParsedFlags} from '../parse.ts';

/** The user's binlog-stream choices from the command line; the TUI screen starts from the same ones. */
export function binlogStreamRequest(flags: ParsedFlags): BinlogStreamRequest {
	return {
		output: flags.output,
		target: flags.target,
		gtid: flags.gtid,
		serverId: flags.serverId,
		sync: flags.sync,
		checkpointInterval: flags.checkpointInterval,
		startPosition: flags.startPosition,
		startGtid: flags.startGtid,
		fromBackup: flags.fromBackup,
		compress: flags.compress,
		encrypt: flags.encrypt,
		stopAtEnd: flags.stopAtEnd,
		retries: flags.retries,
		databases: flags.databases,
		tables: flags.tables,
	};
}

/**
 * `binlog-stream`: runs until Ctrl+C / SIGTERM (or, with --stop-at-end, until caught up), then stops
 * cleanly. Several configured targets are streamed side by side; one that fails for good stops them all.
 */
export async function binlogStreamCommand(ctx: CommandContext): Promise<void> {
	const [, ...rest] = ctx.words;
	if (rest.length > 0) throw unexpectedArgument(rest[0], BINLOG_STREAM_USAGE);
	const streams = await resolveBinlogStreams(binlogStreamRequest(ctx.flags), ctx.loaded.config, ctx.targets[0]!, ctx.env);
	const controller = new AbortController();
	void ctx.interrupted.then(() => controller.abort());
	if (streams.length > 1) ctx.bus.log('info', `streaming to ${streams.map((options) => `${options.outputDir} (server id ${options.serverId})`).join(' and ')}`);
	// every stream stops (and writes its checkpoint) before a failure is reported
	const outcomes = await Promise.allSettled(
		streams.map((options) =>
			streamBinlogs(options, ctx.bus, controller.signal).catch((error: unknown) => {
				controller.abort();
				throw error;
			}),
		),
	);
	const failure = outcomes.find((outcome) => outcome.status === 'rejected');
	if (failure) throw failure.reason;
	for (const outcome of outcomes) if (outcome.status === 'fulfilled') emitResult(ctx.bus, {kind: 'binlog-stream', summary: outcome.value});
}
