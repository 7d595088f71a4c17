import {unexpectedArgument} from '../../core/errors.ts';
import {emitResult} from '../../services/results.ts';
import {resolveWalStreamOptions, WAL_STREAM_USAGE, type WalStreamRequest} from '../../services/wal-stream.ts';
import {streamWal} from '../../wal/stream/streamer.ts';
import type {CommandContext} from '../context.ts';
import type {ParsedFlags} from '../parse.ts';

export function walStreamRequest(flags: ParsedFlags): WalStreamRequest {
	return {
		output: flags.output,
		target: flags.target,
		slot: flags.slot,
		sync: flags.sync,
		checkpointInterval: flags.checkpointInterval,
		compress: flags.compress,
		stopAtEnd: flags.stopAtEnd,
		retries: flags.retries,
	};
}

/** `wal-stream`: runs until Ctrl+C / SIGTERM (or, with --stop-at-end, until caught up), then stops with everything durable. */
export async function walStreamCommand(ctx: CommandContext): Promise<void> {
	const [, ...rest] = ctx.words;
	if (rest.length > 0) throw unexpectedArgument(rest[0], WAL_STREAM_USAGE);
	const options = resolveWalStreamOptions(walStreamRequest(ctx.flags), ctx.loaded.config, ctx.targets[0]!);
	if (ctx.loaded.config.output.encrypt === true) ctx.bus.warn('output.encrypt is set, but wal-stream writes the WAL unencrypted (this version does not encrypt a WAL store)');
	const controller = new AbortController();
	void ctx.interrupted.then(() => controller.abort());
	const summary = await streamWal(options, ctx.bus, controller.signal);
	emitResult(ctx.bus, {kind: 'wal-stream', summary});
}
