import {unexpectedArgument} from '../../core/errors.ts';
import {buildCatalog} from '../../services/catalog.ts';
import {emitResult} from '../../services/results.ts';
import {storageOptionsFor} from '../../services/storage-options.ts';
import {outputDirectory} from '../../services/backup-output.ts';
import type {CommandContext} from '../context.ts';

const USAGE = 'Usage: dbbackup status [DIR|s3://bucket/prefix/] [--json] [--encryption-key-file FILE]';

/**
 * `status [LOCATION]`: the catalog of a directory or S3 prefix (default: the directory of output.path,
 * else the current one). A key given any of the usual ways reads encrypted backups; none is needed.
 */
export async function statusCommand(ctx: CommandContext): Promise<void> {
	const [, given, ...rest] = ctx.words;
	if (rest.length > 0) throw unexpectedArgument(rest[0], USAGE);
	const location = given ?? outputDirectory(ctx.loaded.config.output.path, process.cwd());
	const storage = await storageOptionsFor(ctx.loaded.config, 'read', ctx.bus, ctx.env);
	ctx.bus.stage('status', location);
	emitResult(ctx.bus, {kind: 'status', catalog: await buildCatalog(location, storage)});
}
