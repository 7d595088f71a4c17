/**
 * The retention policy of `prune`, as a pure function of the backups' recorded start times, their
 * completeness and pins, and the moment it runs: which backups are kept (and by which rules, like
 * restic's "reasons" column), which go, and which are left alone. No storage here.
 *
 * The rules (the readme's "prune, pin, unpin" says the same):
 * - only complete backups take part; the others are left alone (neither kept by a rule nor deleted);
 * - keep-last N: the N newest;
 * - keep-daily / -weekly / -monthly / -yearly N: buckets by the UTC calendar day, ISO 8601 week, month,
 *   year of the start time; walking newest first, the newest backup of each of the N most recent
 *   buckets that hold a backup (restic's rule);
 * - keep-within D: every backup that started at or after NOW − D (borg's rule, from now, not from the
 *   newest backup);
 * - the newest complete backup, and every pinned one, are always kept.
 * Newest first means by start time, and for the same start time by name (the name that sorts last is
 * the newer): the order is total, so the same history always gives the same answer.
 */
import {UsageError} from '../../core/errors.ts';
import {periodBefore, type RetentionPeriod} from '../../core/config/duration.ts';

export interface RetentionPolicy {
	last?: number;
	daily?: number;
	weekly?: number;
	monthly?: number;
	yearly?: number;
	within?: RetentionPeriod;
}

/** One backup as the policy sees it. */
export interface PolicyBackup {
	name: string;
	/** the recorded start time (ISO), else the file's time */
	at: string;
	complete: boolean;
	pinned: boolean;
	/** set: the backup takes no part (it could not be read, say), and this says why */
	leftAlone?: string;
}

export type KeepRule = 'last' | 'daily' | 'weekly' | 'monthly' | 'yearly' | 'within' | 'newest' | 'pinned';

export interface KeepReason {
	rule: KeepRule;
	/** the bucket (`2026-05-03`, `2026-W18`, `2026-05`, `2026`), `2 of 3` for last, the period for within */
	detail?: string;
}

export interface RetentionDecision {
	name: string;
	at: string;
	/** keep: a rule keeps it; delete: none does; leave: it takes no part (not complete, unreadable) */
	verdict: 'keep' | 'delete' | 'leave';
	/** every rule that keeps it, in the order of KEEP_RULES */
	reasons: KeepReason[];
	/** with leave: why */
	leftAlone?: string;
}

export const KEEP_RULES: readonly KeepRule[] = ['last', 'daily', 'weekly', 'monthly', 'yearly', 'within', 'newest', 'pinned'];

const BUCKET_RULES = ['daily', 'weekly', 'monthly', 'yearly'] as const;
type BucketRule = (typeof BUCKET_RULES)[number];

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** The ISO 8601 week of a UTC day: `2026-W18` (its year is the year of the week's Thursday). */
function isoWeek(time: Date): string {
	const day = Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate());
	const weekday = (time.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
	const thursday = new Date(day + (3 - weekday) * 86_400_000);
	const firstOfYear = Date.UTC(thursday.getUTCFullYear(), 0, 1);
	const week = Math.floor((thursday.getTime() - firstOfYear) / (7 * 86_400_000)) + 1;
	return `${thursday.getUTCFullYear()}-W${pad(week)}`;
}

/** The bucket of a start time for one rule, on the UTC calendar. */
export function bucketOf(rule: BucketRule, at: Date): string {
	const year = pad(at.getUTCFullYear(), 4);
	switch (rule) {
		case 'daily':
			return `${year}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
		case 'weekly':
			return isoWeek(at);
		case 'monthly':
			return `${year}-${pad(at.getUTCMonth() + 1)}`;
		case 'yearly':
			return year;
	}
}

/** Whether the policy keeps anything by a rule of its own (all counts 0 and no period: it does not). */
export function hasRule(policy: RetentionPolicy): boolean {
	return [policy.last, policy.daily, policy.weekly, policy.monthly, policy.yearly].some((count) => count !== undefined && count > 0) || policy.within !== undefined;
}

/** The policy in the flags' words: `keep-last 3, keep-daily 7, keep-within 7d`. */
export function describePolicy(policy: RetentionPolicy): string {
	const parts: string[] = [];
	for (const rule of ['last', ...BUCKET_RULES] as const) {
		const count = policy[rule];
		if (count !== undefined && count > 0) parts.push(`keep-${rule} ${count}`);
	}
	if (policy.within) parts.push(`keep-within ${policy.within.text}`);
	return parts.join(', ');
}

export const NO_POLICY_HINT =
	'Give a policy: --keep-last N, --keep-daily N, --keep-weekly N, --keep-monthly N, --keep-yearly N, --keep-within 7d ' +
	'(or the keys retention.keep_last, keep_daily, keep_weekly, keep_monthly, keep_yearly, keep_within in .dbbackuprc). ' +
	'prune never deletes by default.';

export function noPolicyError(detail = 'no retention policy is given'): UsageError {
	return new UsageError({code: 'RETENTION_POLICY_MISSING', message: `prune needs a policy: ${detail}`, hint: NO_POLICY_HINT});
}

/** Newest first: by start time, then by name (the name that sorts last is the newer); an unreadable time last. */
function newestFirst(a: {name: string; time: number}, b: {name: string; time: number}): number {
	const [timeA, timeB] = [a.time, b.time].map((time) => (Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time)) as [number, number];
	if (timeA !== timeB) return timeA < timeB ? 1 : -1;
	return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
}

/**
 * What the policy does with each backup, newest first. Refuses (RETENTION_POLICY_MISSING) a policy with
 * no rule: it would keep only the newest backup and the pinned ones.
 */
export function applyPolicy(backups: readonly PolicyBackup[], now: Date, policy: RetentionPolicy): RetentionDecision[] {
	if (!hasRule(policy)) throw noPolicyError('every count is 0 and no keep-within is given');
	const entries = backups.map((backup) => ({backup, name: backup.name, time: Date.parse(backup.at), reasons: [] as KeepReason[]}));
	entries.sort(newestFirst);
	const leftAlone = (entry: (typeof entries)[number]): string | undefined => {
		if (entry.backup.leftAlone !== undefined) return entry.backup.leftAlone;
		if (!entry.backup.complete) return 'not complete';
		if (Number.isNaN(entry.time)) return `its start time "${entry.backup.at}" cannot be read`;
		return undefined;
	};
	const candidates = entries.filter((entry) => leftAlone(entry) === undefined);

	const last = policy.last ?? 0;
	candidates.slice(0, last).forEach((entry, index) => entry.reasons.push({rule: 'last', detail: `${index + 1} of ${last}`}));
	for (const rule of BUCKET_RULES) {
		let left = policy[rule] ?? 0;
		let previous: string | undefined;
		for (const entry of candidates) {
			if (left <= 0) break;
			const bucket = bucketOf(rule, new Date(entry.time));
			if (bucket === previous) continue;
			previous = bucket;
			left -= 1;
			entry.reasons.push({rule, detail: bucket});
		}
	}
	if (policy.within) {
		const from = periodBefore(now, policy.within).getTime();
		for (const entry of candidates) if (entry.time >= from) entry.reasons.push({rule: 'within', detail: policy.within.text});
	}
	candidates[0]?.reasons.push({rule: 'newest'});
	for (const entry of candidates) if (entry.backup.pinned) entry.reasons.push({rule: 'pinned'});

	return entries.map((entry) => {
		const why = leftAlone(entry);
		if (why !== undefined) return {name: entry.name, at: entry.backup.at, verdict: 'leave', reasons: entry.backup.pinned ? [{rule: 'pinned'}] : [], leftAlone: why};
		return {name: entry.name, at: entry.backup.at, verdict: entry.reasons.length > 0 ? 'keep' : 'delete', reasons: entry.reasons};
	});
}
