import {badArguments, unexpectedArgument} from '../../core/errors.ts';
import {emitResult} from '../../services/results.ts';
import {pinBackup, unpinBackup} from '../../services/retention/pin.ts';
import {s3SettingsOf} from '../../services/storage-options.ts';
import type {CommandContext} from '../context.ts';

const USAGE = {
	pin: 'Usage: dbbackup pin BACKUP|s3://bucket/prefix/BACKUP [--reason TEXT] [--json]',
	unpin: 'Usage: dbbackup unpin BACKUP|s3://bucket/prefix/BACKUP [--json]',
};

/** `pin BACKUP [--reason TEXT]` / `unpin BACKUP`: the marker prune and deletes respect. No key is needed. */
export async function pinCommand(ctx: CommandContext, action: 'pin' | 'unpin'): Promise<void> {
	const [, backup, ...rest] = ctx.words;
	if (!backup) throw badArguments(`${action} needs a backup: its path or s3:// URL`, USAGE[action]);
	if (rest.length > 0) throw unexpectedArgument(rest[0], USAGE[action]);
	const storage = {s3: s3SettingsOf(ctx.loaded.config)};
	const result = action === 'pin' ? await pinBackup(backup, storage, {reason: ctx.flags.reason}) : await unpinBackup(backup, storage);
	emitResult(ctx.bus, {kind: 'pin', pin: result});
}
