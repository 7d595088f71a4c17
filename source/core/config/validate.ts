import {ConfigError, type ErrorCode} from '../errors.ts';
import {registerSecret} from '../redact.ts';
import {isPasswordKey, PASSWORD_SOURCES} from '../credentials/password-sources.ts';
import {checkValue, showValue} from './check-value.ts';
import {BINLOG_TARGET_DEFAULTS} from './defaults.ts';
import {NO_LOCATION, textLocator, type KeyPath, type Locator} from './locate.ts';
import {childrenOf, itemSpecs, keySpec, leafName, SECTIONS, TOP_LEVEL_KEYS, type KeySpec} from './schema.ts';
import {closestName, sameName} from './suggest.ts';

/** Validated values by dotted key (`connection.port` → 5433), only the keys the source set. */
export type FlatConfig = Record<string, unknown>;

export interface ValidateOptions {
	/** the file name as it should appear in messages */
	file: string;
	/** the file's text, for line numbers; absent for JS configs, which have none */
	text?: string;
	/** where the config sits in the document; defaults to ['dbbackup'] for a package.json */
	prefix?: string[];
}

const SEE_EXAMPLE = 'Every key is listed, with its default and a comment, in .dbbackuprc.example.';

function isMapping(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `['backup', 'binlog', 'targets', 1, 'path']` → `backup.binlog.targets[1].path` */
function showPath(path: KeyPath): string {
	return path.map((step, index) => (typeof step === 'number' ? `[${step}]` : index === 0 ? step : `.${step}`)).join('');
}

class FileValidator {
	readonly #file: string;
	readonly #locator: Locator;

	constructor(options: ValidateOptions) {
		this.#file = options.file;
		const prefix = options.prefix ?? (/(^|[\\/])package\.json$/.test(options.file) ? ['dbbackup'] : []);
		this.#locator = options.text === undefined ? NO_LOCATION : textLocator(options.text, prefix);
	}

	fail(code: ErrorCode, path: KeyPath, part: 'key' | 'value', message: string, hint?: string): never {
		const line = this.#locator.line(path, part);
		const where = line === undefined ? this.#file : `${this.#file}:${line}`;
		throw new ConfigError({code, message: `${where}: ${message}`, hint, file: this.#file, key: path.length > 0 ? showPath(path) : undefined, line});
	}

	validate(raw: unknown): FlatConfig {
		if (raw === undefined || raw === null) return {};
		if (!isMapping(raw)) this.fail('CONFIG_NOT_MAPPING', [], 'value', `the configuration must be a mapping of keys, not ${showValue(raw)}`, SEE_EXAMPLE);
		this.refusePasswords(raw, []);
		const out: FlatConfig = {};
		this.section(raw, [], out);
		return out;
	}

	/** Runs before anything else so a password is refused even under an unknown or misspelt key. */
	refusePasswords(value: unknown, path: KeyPath): void {
		if (Array.isArray(value)) {
			value.forEach((item, index) => this.refusePasswords(item, [...path, index]));
			return;
		}
		if (!isMapping(value)) return;
		for (const [name, child] of Object.entries(value)) {
			if (isPasswordKey(name)) {
				if (typeof child === 'string') registerSecret(child);
				this.fail(
					'CONFIG_PASSWORD',
					[...path, name],
					'key',
					`${showPath([...path, name])} is refused: dbbackup never keeps passwords in its configuration; ${PASSWORD_SOURCES}`,
					'Remove the key from the file (and change the password if the file was shared or committed).',
				);
			}
			this.refusePasswords(child, [...path, name]);
		}
	}

	section(values: Record<string, unknown>, path: string[], out: FlatConfig): void {
		for (const [name, value] of Object.entries(values)) {
			const childPath = [...path, name];
			const key = childPath.join('.');
			if (SECTIONS.has(key)) {
				if (value === null || value === undefined) continue;
				if (!isMapping(value)) this.fail('CONFIG_BAD_VALUE', childPath, 'value', `${key} must be a mapping of keys, got ${showValue(value)}`, SEE_EXAMPLE);
				this.section(value, childPath, out);
				continue;
			}
			const spec = keySpec(key);
			if (!spec) this.unknownKey(childPath, childrenOf(path.join('.')));
			if (value === null || value === undefined) continue;
			out[key] = spec.type === 'list' ? this.list(spec, value, childPath) : this.value(spec, value, childPath);
		}
	}

	value(spec: KeySpec, value: unknown, path: KeyPath): unknown {
		const result = checkValue(spec, value);
		if (!result.ok) this.fail('CONFIG_BAD_VALUE', path, 'value', `${showPath(path)} must be ${result.expected}, got ${showValue(value)}`, spec.description);
		return result.value;
	}

	list(spec: KeySpec, value: unknown, path: KeyPath): unknown[] {
		if (!Array.isArray(value)) this.fail('CONFIG_BAD_VALUE', path, 'value', `${showPath(path)} must be a list, got ${showValue(value)}`, spec.description);
		const specs = itemSpecs(spec.key);
		return value.map((item, index) => this.item(specs, item, [...path, index]));
	}

	item(specs: KeySpec[], item: unknown, path: KeyPath): Record<string, unknown> {
		if (!isMapping(item)) this.fail('CONFIG_BAD_VALUE', path, 'value', `${showPath(path)} must be a mapping of keys, got ${showValue(item)}`, SEE_EXAMPLE);
		const kindSpec = specs.find((spec) => leafName(spec.key) === 'type');
		if (!kindSpec) throw new Error(`list ${showPath(path)} has no type key in the schema`);
		if (item.type === undefined || item.type === null) {
			this.fail('CONFIG_BAD_VALUE', path, 'value', `${showPath(path)} needs a type (${(kindSpec.values ?? []).join(' or ')})`, kindSpec.description);
		}
		const kind = this.value(kindSpec, item.type, [...path, 'type']) as string;
		const out: Record<string, unknown> = {type: kind, ...BINLOG_TARGET_DEFAULTS};
		const ofKind = specs.filter((spec) => spec.itemKinds?.includes(kind));
		for (const [name, value] of Object.entries(item)) {
			if (name === 'type') continue;
			const spec = specs.find((candidate) => leafName(candidate.key) === name);
			if (!spec) this.unknownKey([...path, name], ofKind.map((candidate) => leafName(candidate.key)));
			if (!spec.itemKinds?.includes(kind)) {
				this.fail('CONFIG_UNKNOWN_KEY', [...path, name], 'key', `${showPath([...path, name])} does not apply to a ${kind} target`, spec.description);
			}
			if (value === null || value === undefined) continue;
			out[name] = this.value(spec, value, [...path, name]);
		}
		for (const spec of ofKind) {
			const name = leafName(spec.key);
			if (spec.required && out[name] === undefined) {
				this.fail('CONFIG_BAD_VALUE', path, 'value', `${showPath(path)} (a ${kind} target) needs ${name}: ${spec.description}`, SEE_EXAMPLE);
			}
		}
		return out;
	}

	unknownKey(path: KeyPath, siblings: string[]): never {
		const name = String(path.at(-1));
		const parent = path.slice(0, -1);
		const sibling = closestName(name, siblings);
		let suggestion: string | undefined = sibling === undefined ? undefined : showPath([...parent, sibling]);
		if (suggestion === undefined && parent.every((step) => typeof step === 'string')) {
			// the right name in the wrong section, e.g. `backup.host` for `connection.host`
			suggestion = [...SECTIONS, ...TOP_LEVEL_KEYS].find((key) => sameName(leafName(key), name));
		}
		const didYouMean = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
		this.fail('CONFIG_UNKNOWN_KEY', path, 'key', `${showPath(path)} is not a known key${didYouMean}`, SEE_EXAMPLE);
	}
}

/**
 * Checks a parsed configuration against the schema and returns its values by dotted key, durations
 * in seconds. Every problem is a ConfigError naming the file, the key and (when there is text) the line.
 */
export function validateConfig(raw: unknown, options: ValidateOptions): FlatConfig {
	return new FileValidator(options).validate(raw);
}
