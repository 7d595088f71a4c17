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
