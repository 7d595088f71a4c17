const UNIT_SECONDS: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600};

/**
 * A duration as seconds: a number of seconds (30, 0.5, "30") or one or more number+unit parts
 * ("500ms", "30s", "2m", "1h", "1m30s"). Undefined when the text is not a duration.
 */
export function parseDuration(value: unknown): number | undefined {
	if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
	if (typeof value !== 'string') return undefined;
	const text = value.trim();
	if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
	if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
	let seconds = 0;
	for (const part of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) seconds += Number(part[1]) * UNIT_SECONDS[part[2]];
	// 0.1 + 0.2 style noise from millisecond parts would show up in messages and comparisons
	return Math.round(seconds * 1e6) / 1e6;
}

/**
 * A retention period (`prune --keep-within`, `retention.keep_within`): one or more number+unit parts,
 * h (hours), d (days), w (weeks), m (calendar months, not minutes), y (calendar years): `36h`, `7d`,
 * `2w`, `6m`, `1y6m`. At least one part must be more than zero.
 */
export interface RetentionPeriod {
	/** as written, e.g. `1y6m` */
	text: string;
	years: number;
	months: number;
	days: number;
	hours: number;
}

export const RETENTION_PERIOD_PATTERN = /^(?=.*[1-9])(?:\d+[hdwmy])+$/;

export function parseRetentionPeriod(value: unknown): RetentionPeriod | undefined {
	if (typeof value !== 'string') return undefined;
	const text = value.trim();
	if (!RETENTION_PERIOD_PATTERN.test(text)) return undefined;
	const period: RetentionPeriod = {text, years: 0, months: 0, days: 0, hours: 0};
	for (const part of text.matchAll(/(\d+)([hdwmy])/g)) {
		const count = Number(part[1]);
		if (part[2] === 'y') period.years += count;
		else if (part[2] === 'm') period.months += count;
		else if (part[2] === 'w') period.days += count * 7;
		else if (part[2] === 'd') period.days += count;
		else period.hours += count;
	}
	return Number.isSafeInteger(period.years * 12 + period.months + period.days + period.hours) ? period : undefined;
}

/**
 * The moment `period` before `now` on the UTC calendar: years and months first (from 31 March, one
 * month back is the last day of February), then days of 24 hours, then hours.
 */
export function periodBefore(now: Date, period: RetentionPeriod): Date {
	const months = now.getUTCFullYear() * 12 + now.getUTCMonth() - (period.years * 12 + period.months);
	const year = Math.floor(months / 12);
	const month = months - year * 12;
	const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
	const moved = Date.UTC(year, month, Math.min(now.getUTCDate(), lastDay), now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds(), now.getUTCMilliseconds());
	return new Date(moved - period.days * 86_400_000 - period.hours * 3_600_000);
}
