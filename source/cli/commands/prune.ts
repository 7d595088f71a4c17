import {parseRetentionPeriod} from '../../core/config/duration.ts';
import {badFlagValue, unexpectedArgument, WorkError} from '../../core/errors.ts';
import {outputDirectory} from '../../services/backup-output.ts';
import {emitResult} from '../../services/results.ts';
import {hasRule, noPolicyError, type RetentionPolicy} from '../../services/retention/policy.ts';
import {prune} from '../../services/retention/prune.ts';
import {storageOptionsFor} from '../../services/storage-options.ts';
import type {CommandContext} from '../context.ts';

const USAGE =
	'Usage: dbbackup prune [DIR|s3://bucket/prefix/] [--keep-last N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N] [--keep-yearly N] [--keep-within 7d] [--confirm] [--json]';

function defined(policy: RetentionPolicy): RetentionPolicy {
	return Object.fromEntries(Object.entries(policy).filter(([, value]) => value !== undefined)) as RetentionPolicy;
}

/**
 * The policy: the --keep-* flags when any is given (then they are the whole policy), else the
 * retention.* keys of the configuration. Neither, or only zeros: refused, prune never deletes by default.
 */
export function pruneRetention(ctx: Pick<CommandContext, 'flags' | 'loaded'>): {policy: RetentionPolicy; source: string} {
	const {flags} = ctx;
	const counts = {last: flags.keepLast, daily: flags.keepDaily, weekly: flags.keepWeekly, monthly: flags.keepMonthly, yearly: flags.keepYearly};
	let policy: RetentionPolicy;
	let source: string;
	if ([...Object.values(counts), flags.keepWithin].some((value) => value !== undefined)) {
		const within = flags.keepWithin === undefined ? undefined : parseRetentionPeriod(flags.keepWithin);
		if (flags.keepWithin !== undefined && within === undefined) {
			throw badFlagValue('--keep-within', flags.keepWithin, 'is not a period', 'Write it as a number and a unit, h (hours), d (days), w (weeks), m (months) or y (years): 36h, 7d, 2w, 6m, 1y6m.');
		}
		policy = defined({...counts, within});
		source = 'the command line (the retention.* keys are not used when a --keep-* flag is given)';
	} else {
		const keys = ctx.loaded.config.retention;
		policy = defined({
			last: keys.keep_last,
			daily: keys.keep_daily,
			weekly: keys.keep_weekly,
			monthly: keys.keep_monthly,
			yearly: keys.keep_yearly,
			within: keys.keep_within === undefined ? undefined : parseRetentionPeriod(keys.keep_within),
		});
		if (Object.keys(policy).length === 0) throw noPolicyError('no --keep-* flag is given and the configuration sets no retention.* key');
		source = `the retention.* keys of ${ctx.loaded.file ?? 'the configuration'}`;
	}
	if (!hasRule(policy)) throw noPolicyError(`every count given is 0 and no keep-within is given (the policy comes from ${source})`);
	return {policy, source};
}

/** `prune [LOCATION]`: the retention policy applied to a directory or S3 prefix; a dry run unless --confirm. */
export async function pruneCommand(ctx: CommandContext): Promise<void> {
	const [, given, ...rest] = ctx.words;
	if (rest.length > 0) throw unexpectedArgument(rest[0], USAGE);
	const {policy, source} = pruneRetention(ctx);
	const location = given ?? outputDirectory(ctx.loaded.config.output.path, process.cwd());
	const storage = await storageOptionsFor(ctx.loaded.config, 'read', ctx.bus, ctx.env);
	const report = await prune({location, storage, policy, policySource: source, confirm: ctx.flags.confirm, bus: ctx.bus});
	emitResult(ctx.bus, {kind: 'prune', report});
	if (report.failure) {
		throw new WorkError({
			code: 'PRUNE_DELETE_FAILED',
			message: `prune stopped: ${report.failure.message}`,
			hint: `${report.failure.hint ? `${report.failure.hint} ` : ''}What is not marked deleted above is still there; run prune again once that is fixed.`,
		});
	}
}
