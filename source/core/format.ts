/** Human-readable figures shared by every sink (Ink screens, plain lines). */

const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

const countFormat = new Intl.NumberFormat('en-US', {maximumFractionDigits: 0});

/** 1288490189 → "1.2 GiB"; binary units, one decimal below 100, whole numbers above. */
export function formatBytes(bytes: number): string {
	if (!Number.isFinite(bytes)) return '—';
	const sign = bytes < 0 ? '-' : '';
	let value = Math.abs(bytes);
	if (value < 1024) return `${sign}${Math.round(value)} B`;
	let unit = 0;
	while (value >= 1024 && unit < byteUnits.length - 1) {
		value /= 1024;
		unit++;
	}
	let text = value < 100 ? value.toFixed(1) : String(Math.round(value));
	// 1023.96 KiB must read "1.0 MiB", not "1024 KiB"
	if (Number(text) >= 1024 && unit < byteUnits.length - 1) {
		unit++;
		text = (value / 1024).toFixed(1);
	}
	return `${sign}${text} ${byteUnits[unit]}`;
}

/** 12345.6 → "12,346"; values below 10 keep one decimal so slow rates do not read as 0. */
export function formatCount(count: number): string {
	if (!Number.isFinite(count)) return '—';
	if (count !== 0 && Math.abs(count) < 10 && !Number.isInteger(count)) return count.toFixed(1);
	return countFormat.format(count);
}

/** Seconds as "45s", "1m 05s", "1h 02m", "2d 03h"; "<1s" for a positive figure under half a second. */
export function formatDuration(seconds: number): string {
	if (!Number.isFinite(seconds) || seconds < 0) return '—';
	const whole = Math.round(seconds);
	if (whole === 0) return seconds > 0 ? '<1s' : '0s';
	const pad = (n: number) => String(n).padStart(2, '0');
	if (whole < 60) return `${whole}s`;
	if (whole < 3600) return `${Math.floor(whole / 60)}m ${pad(whole % 60)}s`;
	if (whole < 86_400) return `${Math.floor(whole / 3600)}h ${pad(Math.floor((whole % 3600) / 60))}m`;
	return `${Math.floor(whole / 86_400)}d ${pad(Math.floor((whole % 86_400) / 3600))}h`;
}

export type QuantityUnit = 'bytes' | 'rows';

/** An amount in its unit: "1.2 GiB" or "12,345 rows". */
export function formatQuantity(amount: number, unit: QuantityUnit): string {
	return unit === 'bytes' ? formatBytes(amount) : `${formatCount(amount)} rows`;
}

/** A throughput: "34.5 MiB/s" or "12,345 rows/s". */
export function formatRate(perSecond: number, unit: QuantityUnit): string {
	return `${formatQuantity(perSecond, unit)}/s`;
}

/** done/total as a whole percentage, floored so 100% only shows when the work is complete. */
export function formatPercent(done: number, total: number): string {
	if (total <= 0) return done >= total ? '100%' : '0%';
	const percent = Math.min(100, Math.max(0, Math.floor((done / total) * 100)));
	return `${percent}%`;
}

/** An ISO timestamp as local wall-clock time "14:03:27". */
export function formatClock(iso: string): string {
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return iso;
	const pad = (n: number) => String(n).padStart(2, '0');
	return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
