import {unexpectedArgument} from '../../core/errors.ts';
import {emitResult} from '../../services/results.ts';
import {WAL_FETCH_USAGE, walFetch} from '../../services/wal-fetch.ts';
import type {CommandContext} from '../context.ts';

/**
 * `wal-fetch --wal STORE NAME DEST`: a restore_command. Silent when it copies the file (PostgreSQL logs
 * that itself; --json reports it), one line on stderr and exit 1 when the store does not have it.
 */
export async function walFetchCommand(ctx: CommandContext): Promise<void> {
	const [, name, dest, ...rest] = ctx.words;
	if (rest.length > 0) throw unexpectedArgument(rest[0], WAL_FETCH_USAGE);
	const fetched = await walFetch(ctx.flags.wal, name, dest, ctx.loaded.config);
	if (ctx.flags.json) emitResult(ctx.bus, {kind: 'wal-fetch', fetched});
}
