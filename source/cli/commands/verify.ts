import {badArguments, unexpectedArgument} from '../../core/errors.ts';
import {emitResult} from '../../services/results.ts';
import {storageOptionsFor} from '../../services/storage-options.ts';
import {verifyLocation} from '../../services/verify.ts';
import type {CommandContext} from '../context.ts';

const USAGE = 'Usage: dbbackup verify ARTIFACT|DIR|s3://bucket/prefix/ [--restore-test] [--encryption-key-file F] [--json]';

/** `verify`: re-reads backups (or a binlog store) and checks them without a server; exit 5 names the first bad one. */
export async function verifyCommand(ctx: CommandContext): Promise<void> {
	const [, location, ...rest] = ctx.words;
	if (!location) throw badArguments('verify needs a backup, a directory or an s3:// prefix', USAGE);
	if (rest.length > 0) throw unexpectedArgument(rest[0], USAGE);
	const storage = await storageOptionsFor(ctx.loaded.config, 'read', ctx.bus, ctx.env);
	emitResult(ctx.bus, {kind: 'verify', report: await verifyLocation(location, storage, ctx.bus, {restoreTest: ctx.flags.restoreTest, workers: ctx.flags.workers})});
}
