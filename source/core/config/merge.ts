import {defaultConfig} from './defaults.ts';
import type {Config, ConfigSource} from './types.ts';
import type {FlatConfig} from './validate.ts';

export interface ConfigLayer {
	source: Exclude<ConfigSource, 'default'>;
	values: FlatConfig;
}

/** Applies layers over the defaults, later layers winning key by key, and records where each set key came from. */
export function mergeLayers(layers: readonly ConfigLayer[]): {config: Config; sources: Record<string, ConfigSource>} {
	const config = defaultConfig();
	const sources: Record<string, ConfigSource> = {};
	for (const {source, values} of layers) {
		for (const [key, value] of Object.entries(values)) {
			setIn(config as unknown as Record<string, unknown>, key.split('.'), value);
			sources[key] = source;
		}
	}
	return {config, sources};
}

function setIn(target: Record<string, unknown>, path: string[], value: unknown): void {
	let node = target;
	for (const part of path.slice(0, -1)) {
		if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
		node = node[part] as Record<string, unknown>;
	}
	node[path.at(-1)!] = value;
}
