import {parseDuration} from './duration.ts';
import type {KeySpec} from './schema.ts';

export type CheckResult = {ok: true; value: unknown} | {ok: false; expected: string};

/** What a key accepts, in words: "an integer from 1 to 65535", "one of archive, sql". */
export function describeExpected(spec: KeySpec): string {
	switch (spec.type) {
		case 'string':
			return spec.pattern?.says ?? 'a non-empty string';
		case 'integer':
			return spec.min === undefined ? 'an integer' : `an integer from ${spec.min} to ${spec.max}`;
		case 'boolean':
			return 'true or false';
		case 'enum':
			return `one of ${(spec.values ?? []).join(', ')}`;
		case 'duration':
			return `a duration from ${spec.min}s to ${spec.max}s (500ms, 30s, 2m, 1h or a number of seconds)`;
		case 'list':
			return 'a list';
	}
}

function inRange(spec: KeySpec, value: number): boolean {
	return (spec.min === undefined || value >= spec.min) && (spec.max === undefined || value <= spec.max);
}

/** Checks a value as a file or a flag gives it (already typed) and returns it normalized. */
export function checkValue(spec: KeySpec, value: unknown): CheckResult {
	const fail: CheckResult = {ok: false, expected: describeExpected(spec)};
	switch (spec.type) {
		case 'string': {
			// YAML reads `database: 2024` as a number; the user meant the name
			const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
			if (typeof text !== 'string' || text === '') return fail;
			if (spec.pattern && !spec.pattern.regex.test(text)) return fail;
			return {ok: true, value: text};
		}
		case 'integer':
			return typeof value === 'number' && Number.isInteger(value) && inRange(spec, value) ? {ok: true, value} : fail;
		case 'boolean':
			return typeof value === 'boolean' ? {ok: true, value} : fail;
		case 'enum':
			return typeof value === 'string' && (spec.values ?? []).includes(value) ? {ok: true, value} : fail;
		case 'duration': {
			const seconds = parseDuration(value);
			return seconds !== undefined && inRange(spec, seconds) ? {ok: true, value: seconds} : fail;
		}
		case 'list':
			return Array.isArray(value) ? {ok: true, value} : fail;
	}
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** Checks a value given as text (an environment variable) and returns it typed and normalized. */
export function checkText(spec: KeySpec, text: string): CheckResult {
	const trimmed = text.trim();
	switch (spec.type) {
		case 'integer':
			return checkValue(spec, /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN);
		case 'boolean': {
			const word = trimmed.toLowerCase();
			if (TRUE_WORDS.has(word)) return {ok: true, value: true};
			if (FALSE_WORDS.has(word)) return {ok: true, value: false};
			return {ok: false, expected: 'true or false (also 1/0, yes/no, on/off)'};
		}
		case 'enum':
			return checkValue(spec, trimmed.toLowerCase());
		default:
			return checkValue(spec, trimmed);
	}
}

/** A value as it may appear in an error message: short, and never a whole document. */
export function showValue(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	if (typeof value === 'object') return 'a mapping';
	const text = JSON.stringify(value) ?? String(value);
	return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
