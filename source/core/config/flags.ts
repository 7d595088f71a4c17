import {validateConfig, type FlatConfig} from './validate.ts';

/** How flag problems are introduced in messages, in place of a file name. */
export const FLAGS_ORIGIN = 'command line';

/**
 * Checks values the CLI parsed from flags, given by dotted key ({'output.workers': 4}); absent flags
 * (undefined) are skipped. Same rules and messages as the file, so a flag cannot set what a file cannot.
 */
export function validateFlags(flags: Readonly<Record<string, unknown>>): FlatConfig {
	const nested: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(flags)) {
		if (value === undefined) continue;
		const parts = key.split('.');
		let node = nested;
		for (const part of parts.slice(0, -1)) {
			const next = node[part];
			node = (typeof next === 'object' && next !== null ? next : (node[part] = {})) as Record<string, unknown>;
		}
		node[parts.at(-1)!] = value;
	}
	return validateConfig(nested, {file: FLAGS_ORIGIN});
}
