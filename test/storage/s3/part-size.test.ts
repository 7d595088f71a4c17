import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {GROWTH_STARTS_AFTER_PART, MAX_PARTS, partSizeFor} from '../../../source/storage/s3/part-size.ts';
import {MAX_PART_SIZE, MIN_PART_SIZE} from '../../../source/storage/s3/settings.ts';

const MIB = 1024 * 1024;
const TIB = 1024 * 1024 * MIB;

describe('the part-size schedule of a stream of unknown length', () => {
	for (const first of [MIN_PART_SIZE, 10 * MIB, 20 * MIB]) {
		test(`from ${first / MIB} MiB parts: 10,000 parts hold at least 5 TiB, none is above 5 GiB or below the first`, () => {
			let total = 0;
			let largest = 0;
			let previous = 0;
			for (let part = 1; part <= MAX_PARTS; part++) {
				const size = partSizeFor(part, first);
				assert.ok(Number.isInteger(size));
				assert.ok(size >= first && size >= previous, `part ${part} is ${size} bytes`);
				total += size;
				largest = Math.max(largest, size);
				previous = size;
			}
			assert.ok(total >= 5 * TIB, `${(total / TIB).toFixed(2)} TiB`);
			assert.ok(largest <= MAX_PART_SIZE, `the largest part is ${largest} bytes`);
		});
	}

	test('keeps the configured size for the first parts, then grows', () => {
		assert.equal(partSizeFor(1, 10 * MIB), 10 * MIB);
		assert.equal(partSizeFor(GROWTH_STARTS_AFTER_PART, 10 * MIB), 10 * MIB);
		assert.ok(partSizeFor(GROWTH_STARTS_AFTER_PART + 1, 10 * MIB) > 10 * MIB);
		assert.ok(partSizeFor(MAX_PARTS, 10 * MIB) > partSizeFor(GROWTH_STARTS_AFTER_PART + 1000, 10 * MIB));
		assert.equal(partSizeFor(MAX_PARTS, 4 * 1024 * MIB), MAX_PART_SIZE);
	});
});
