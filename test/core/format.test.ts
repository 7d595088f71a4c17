import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {
	formatBytes,
	formatClock,
	formatCount,
	formatDuration,
	formatPercent,
	formatQuantity,
	formatRate,
} from '../../source/core/format.ts';

describe('formatBytes', () => {
	test('bytes below one KiB stay whole bytes', () => {
		assert.equal(formatBytes(0), '0 B');
		assert.equal(formatBytes(1), '1 B');
		assert.equal(formatBytes(1023), '1023 B');
	});

	test('binary units with one decimal below 100', () => {
		assert.equal(formatBytes(1024), '1.0 KiB');
		assert.equal(formatBytes(1536), '1.5 KiB');
		assert.equal(formatBytes(1.2 * 1024 ** 3), '1.2 GiB');
		assert.equal(formatBytes(42.25 * 1024 ** 2), '42.3 MiB');
	});

	test('whole numbers from 100 up', () => {
		assert.equal(formatBytes(150 * 1024 ** 3), '150 GiB');
		assert.equal(formatBytes(999.6 * 1024 ** 4), '1000 TiB');
	});

	test('a value that rounds to 1024 moves to the next unit', () => {
		assert.equal(formatBytes(1024 * 1024 - 1), '1.0 MiB');
	});

	test('negative and non-finite values', () => {
		assert.equal(formatBytes(-2048), '-2.0 KiB');
		assert.equal(formatBytes(Number.NaN), '—');
		assert.equal(formatBytes(Number.POSITIVE_INFINITY), '—');
	});
});

describe('formatDuration', () => {
	test('seconds, minutes, hours, days', () => {
		assert.equal(formatDuration(0), '0s');
		assert.equal(formatDuration(5), '5s');
		assert.equal(formatDuration(59.4), '59s');
		assert.equal(formatDuration(65), '1m 05s');
		assert.equal(formatDuration(600), '10m 00s');
		assert.equal(formatDuration(3725), '1h 02m');
		assert.equal(formatDuration(90_061), '1d 01h');
	});

	test('a positive figure that rounds to zero reads as under a second', () => {
		assert.equal(formatDuration(0.3), '<1s');
	});

	test('rounding carries into the next unit', () => {
		assert.equal(formatDuration(59.6), '1m 00s');
	});

	test('negative or non-finite durations are not shown as numbers', () => {
		assert.equal(formatDuration(-1), '—');
		assert.equal(formatDuration(Number.NaN), '—');
	});
});

describe('counts, quantities and rates', () => {
	test('formatCount groups thousands and keeps a decimal for small fractions', () => {
		assert.equal(formatCount(12_345.6), '12,346');
		assert.equal(formatCount(1_000_000), '1,000,000');
		assert.equal(formatCount(2.54), '2.5');
		assert.equal(formatCount(7), '7');
	});

	test('formatQuantity per unit', () => {
		assert.equal(formatQuantity(2048, 'bytes'), '2.0 KiB');
		assert.equal(formatQuantity(1500, 'rows'), '1,500 rows');
	});

	test('formatRate per unit', () => {
		assert.equal(formatRate(1.5 * 1024 ** 2, 'bytes'), '1.5 MiB/s');
		assert.equal(formatRate(12_345.6, 'rows'), '12,346 rows/s');
		assert.equal(formatRate(0.5, 'rows'), '0.5 rows/s');
	});
});

describe('formatPercent', () => {
	test('floors so 100% means done', () => {
		assert.equal(formatPercent(0, 200), '0%');
		assert.equal(formatPercent(50, 200), '25%');
		assert.equal(formatPercent(199.9, 200), '99%');
		assert.equal(formatPercent(200, 200), '100%');
	});

	test('clamps overshoot and handles an empty total', () => {
		assert.equal(formatPercent(300, 200), '100%');
		assert.equal(formatPercent(0, 0), '100%');
	});
});

describe('formatClock', () => {
	test('local wall-clock time of an ISO timestamp', () => {
		const date = new Date(2026, 10, 3, 9, 5, 7);
		assert.equal(formatClock(date.toISOString()), '09:05:07');
	});

	test('an unparsable timestamp is shown as given', () => {
		assert.equal(formatClock('not a time'), 'not a time');
	});
});
