import {formatCount} from '../core/format.ts';

/** "1 table", "12 tables", "1,234,567 rows". */
export function plural(count: number, word: string): string {
	return `${formatCount(count)} ${word}${count === 1 ? '' : 's'}`;
}

/** "2026-11-15 14:03:27 UTC"; the input as it is when it does not parse. */
export function formatUtc(iso: string): string {
	const time = Date.parse(iso);
	if (Number.isNaN(time)) return iso;
	return `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Seconds between two ISO timestamps, or undefined when either is unreadable. */
export function secondsBetween(startedAt: string, finishedAt: string): number | undefined {
	const seconds = (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000;
	return Number.isFinite(seconds) ? Math.max(0, seconds) : undefined;
}
