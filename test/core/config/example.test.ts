import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parse} from 'yaml';
import {defaultConfig} from '../../../source/core/config/defaults.ts';
import {loadConfig} from '../../../source/core/config/load.ts';
import {CONFIG_SCHEMA, leafName} from '../../../source/core/config/schema.ts';
import {validateConfig} from '../../../source/core/config/validate.ts';

const exampleFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../.dbbackuprc.example');
const example = readFileSync(exampleFile, 'utf8');

/** The example with its commented-out sample lines (`# - type: file`, `#   path: ...`) made live. */
function uncommented(text: string): string {
	return text.replace(/^(\s*)# ((?:- | {2})?[a-z_]+:.*)$/gm, '$1$2');
}

/** Every key a YAML document sets, list item keys written `list[].key` as in the schema. */
function keysOf(value: unknown, prefix = ''): string[] {
	if (Array.isArray(value)) return value.flatMap((item) => keysOf(item, `${prefix}[]`));
	if (typeof value !== 'object' || value === null) return [];
	return Object.entries(value).flatMap(([name, child]) => {
		const key = prefix === '' ? name : `${prefix}.${name}`;
		return typeof child === 'object' && child !== null && !Array.isArray(child) ? keysOf(child, key) : [key, ...keysOf(child, key)];
	});
}

test('the example loads as it is and gives exactly the defaults', async () => {
	const loaded = await loadConfig({configFile: exampleFile, cwd: path.dirname(exampleFile), env: {}, flags: {}, home: path.dirname(exampleFile)});
	assert.deepEqual(loaded.config, defaultConfig());
});

test('the example documents every key of the schema, and no other', () => {
	const live = uncommented(example);
	assert.notEqual(live, example, 'the example has commented-out sample targets');
	validateConfig(parse(live), {file: '.dbbackuprc.example (uncommented)', text: live});
	const documented = new Set(keysOf(parse(live)));
	const schema = new Set(CONFIG_SCHEMA.map((spec) => spec.key));
	assert.deepEqual([...schema].filter((key) => !documented.has(key)), [], 'keys of the schema missing from the example');
	assert.deepEqual([...documented].filter((key) => !schema.has(key)), [], 'keys in the example that the schema does not know');
});

test('every key line of the example carries a comment', () => {
	const leaves = new Set(CONFIG_SCHEMA.map((spec) => leafName(spec.key)));
	const keyLines = uncommented(example)
		.split('\n')
		.filter((line) => leaves.has(/^\s*(?:- )?([a-z_]+):/.exec(line)?.[1] ?? ''));
	assert.ok(keyLines.length >= CONFIG_SCHEMA.length);
	for (const line of keyLines) assert.match(line, /\s#\s\S/, `no comment on: ${line}`);
});
