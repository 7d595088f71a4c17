import {streamBinlogs} from '../../binlog/stream/streamer.ts';
import {unexpectedArgument} from '../../core/errors.ts';
import {emitResult} from '../../services/results.ts';
import {BINLOG_STREAM_USAGE, resolveBinlogStream, type BinlogStreamRequest} from '../../services/binlog-stream.ts';
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
		stopAtEnd: flags.stopAtEnd,
		retries: flags.retries,
		databases: flags.databases,
		tables: flags.tables,
	};
}

/** `binlog-stream`: runs until Ctrl+C / SIGTERM (or, with --stop-at-end, until caught up), then stops cleanly. */
export async function binlogStreamCommand(ctx: CommandContext): Promise<void> {
	const [, ...rest] = ctx.words;
	if (rest.length > 0) throw unexpectedArgument(rest[0], BINLOG_STREAM_USAGE);
	const options = await resolveBinlogStream(
		binlogStreamRequest(ctx.flags),
		ctx.loaded.config,
		ctx.targets[0]!,
	);
	const controller = new AbortController();
	void ctx.interrupted.then(() => controller.abort());
	const summary = await streamBinlogs(options, ctx.bus, controller.signal);
	emitResult(ctx.bus, {kind: 'binlog-stream', summary});
}
