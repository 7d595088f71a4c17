import {MAX_PART_SIZE} from './settings.ts';

/** S3's limit of parts in one multipart upload */
export const MAX_PARTS = 10_000;
/** Parts up to this number keep the configured size: at 10 MiB, streams up to ~19.5 GiB never grow theirs. */
export const GROWTH_STARTS_AFTER_PART = 2_000;
/** How much each part after that is larger than the one before. */
export const GROWTH_PER_PART = 192 * 1024;

/**
 * The size of part `partNumber` (1-based) of a stream of unknown length that starts with parts of
 * `firstPartSize`: constant for the first parts, then growing linearly (like pgBackRest), so that the
 * 10,000 parts S3 allows always cover more than 5 TiB (5.8 TiB from 5 MiB parts), while no part exceeds
 * S3's 5 GiB (the largest from 5 MiB parts is ~1.5 GiB).
 */
export function partSizeFor(partNumber: number, firstPartSize: number): number {
	if (partNumber <= GROWTH_STARTS_AFTER_PART) return firstPartSize;
	return Math.min(MAX_PART_SIZE, firstPartSize + (partNumber - GROWTH_STARTS_AFTER_PART) * GROWTH_PER_PART);
}
