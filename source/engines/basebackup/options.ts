/** The base backup's own flags, read before anything connects: --checkpoint and --max-rate. */
import {UsageError} from '../../core/errors.ts';

/** MAX_RATE's range in kB/s (the server's own limits). */
export const MAX_RATE_RANGE = {min: 32, max: 1_048_576};

/** `--max-rate`: kB/s, or with a suffix k (kB/s) or M (MB/s), as pg_basebackup -r takes it. */
export function parseMaxRate(text: string): number {
	const match = /^(\d+)\s*([kKmM]?)$/.exec(text.trim());
	const value = match ? Number(match[1]) * (match[2]!.toLowerCase() === 'm' ? 1024 : 1) : Number.NaN;
	if (!Number.isSafeInteger(value) || value < MAX_RATE_RANGE.min || value > MAX_RATE_RANGE.max) {
		throw new UsageError({
			code: 'BAD_MAX_RATE',
			message: `--max-rate ${JSON.stringify(text)}: the rate is in kB/s (or with k or M), from 32 (32 kB/s) to 1048576 (1024M), as the server takes it`,
			hint: 'For example --max-rate 100M for 100 MB/s.',
		});
	}
	return value;
}

/** `--checkpoint fast|spread`: how the backup's starting checkpoint is taken. */
export function parseCheckpoint(text: string): 'fast' | 'spread' {
	const value = text.trim().toLowerCase();
	if (value === 'fast' || value === 'spread') return value;
	throw new UsageError({
		code: 'BAD_CHECKPOINT',
		message: `--checkpoint ${JSON.stringify(text)}: it is fast (the server checkpoints at once, the default) or spread (over checkpoint_completion_target, gentler on a busy server)`,
		hint: 'Give --checkpoint fast or --checkpoint spread.',
	});
}
