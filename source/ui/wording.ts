import {formatCount} from '../core/format.ts';

/** "1 table", "12 tables", "1,234,567 rows"; `many` for a word that does not take an s ("switches"). */
export function plural(count: number, word: string, many = `${word}s`): string {
	return `${formatCount(count)} ${count === 1 ? word : many}`;
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
