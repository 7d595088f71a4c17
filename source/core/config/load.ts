import {stat} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {cosmiconfig, defaultLoaders, globalConfigSearchPlaces, type CosmiconfigResult, type Loader} from 'cosmiconfig';
import {LineCounter, parseDocument} from 'yaml';
import {ConfigError, DbBackupError} from '../errors.ts';
import {readEnvironmentConfig, type Environment} from './env.ts';
import {validateFlags} from './flags.ts';
import {mergeLayers, type ConfigLayer} from './merge.ts';
import type {LoadedConfig} from './types.ts';
import {validateConfig} from './validate.ts';

export const MODULE_NAME = 'dbbackup';

export interface LoadConfigOptions {
	/** `--config FILE`, relative to cwd */
	configFile?: string;
	/** where the search for a config file starts */
	cwd: string;
	env: Environment;
	/** values of the flags given, by dotted key, already typed by the CLI; undefined = flag absent */
	flags: Readonly<Record<string, unknown>>;
	/** where the upward search stops and where ~/.config is; os.homedir() when absent */
	home?: string;
}

/** The file name as a user recognises it: relative to the working directory, or ~/..., or absolute. */
function displayName(file: string, cwd: string, home: string): string {
	const fromCwd = path.relative(cwd, file);
	if (fromCwd && !fromCwd.startsWith('..') && !path.isAbsolute(fromCwd)) return fromCwd;
	const fromHome = path.relative(home, file);
	if (fromHome && !fromHome.startsWith('..') && !path.isAbsolute(fromHome)) return `~/${fromHome}`;
	return file;
}

/**
 * Parses YAML and JSON with `yaml` rather than cosmiconfig's own loaders, so syntax errors carry a
 * line number, and keeps each file's text for the validator's line lookups.
 */
function yamlLoader(texts: Map<string, string>, show: (file: string) => string): Loader {
	return (filepath, content) => {
		texts.set(filepath, content);
		const lineCounter = new LineCounter();
		// an unrelated duplicate key elsewhere in a project's package.json is not our business
		const document = parseDocument(content, {lineCounter, uniqueKeys: path.basename(filepath) !== 'package.json'});
		const [error] = document.errors;
		if (error) {
			const line = error.linePos?.[0].line;
			const reason = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
			const file = show(filepath);
			throw new ConfigError({
				code: 'CONFIG_SYNTAX',
				message: `${line === undefined ? file : `${file}:${line}`}: not valid YAML/JSON: ${reason}`,
				hint: 'Fix the syntax at that line (indent with spaces, quote values that contain ": " or "#").',
				file,
				line,
			});
		}
		return document.toJS();
	};
}

/** cwd, its parents up to home (or the root when cwd is not under home), then the global config directory. */
function searchDirectories(cwd: string, home: string, env: Environment): {project: string[]; global: string} {
	const project: string[] = [];
	let dir = path.resolve(cwd);
	const stop = path.resolve(home);
	for (;;) {
		project.push(dir);
		const parent = path.dirname(dir);
		if (dir === stop || parent === dir) break;
		dir = parent;
	}
	const configHome = env.XDG_CONFIG_HOME || path.join(home, '.config');
	return {project, global: path.join(configHome, MODULE_NAME)};
}

async function checkReadableFile(file: string, shown: string): Promise<void> {
	try {
		const info = await stat(file);
		if (!info.isFile()) throw new ConfigError({code: 'CONFIG_NOT_FOUND', message: `--config ${shown}: not a file`, hint: 'Give the path of a config file.', file: shown});
	} catch (error) {
		if (error instanceof ConfigError) throw error;
		const code = (error as NodeJS.ErrnoException).code;
		throw new ConfigError({
			code: 'CONFIG_NOT_FOUND',
			message: code === 'ENOENT' ? `--config ${shown}: no such file` : `--config ${shown}: cannot be read (${code ?? String(error)})`,
			hint: 'Check the path given to --config, or leave --config out to search for .dbbackuprc.',
			file: shown,
		});
	}
}

async function findConfigFile(options: LoadConfigOptions, home: string): Promise<{result: CosmiconfigResult; texts: Map<string, string>}> {
	const texts = new Map<string, string>();
	const show = (file: string) => displayName(file, options.cwd, home);
	const yaml = yamlLoader(texts, show);
	const loaders = {...defaultLoaders, '.json': yaml, '.yaml': yaml, '.yml': yaml, noExt: yaml, default: yaml};

	// cosmiconfig's own 'global' strategy takes the home and ~/.config from the process (os.homedir(),
	// process.env) when it is loaded; the same order is walked here so a caller (and tests) can pin both.
	const project = cosmiconfig(MODULE_NAME, {searchStrategy: 'none', cache: false, loaders});
	try {
		if (options.configFile !== undefined) {
			const file = path.resolve(options.cwd, options.configFile);
			await checkReadableFile(file, show(file));
			return {result: await project.load(file), texts};
		}
		const dirs = searchDirectories(options.cwd, home, options.env);
		for (const dir of dirs.project) {
			const result = await project.search(dir);
			if (result) return {result, texts};
		}
		const global = cosmiconfig(MODULE_NAME, {searchStrategy: 'none', cache: false, loaders, searchPlaces: globalConfigSearchPlaces});
		return {result: await global.search(dirs.global), texts};
	} catch (error) {
		if (error instanceof DbBackupError) throw error;
		const file = (error as {filepath?: string}).filepath;
		const shown = file === undefined ? 'config file' : show(file);
		throw new ConfigError({
			code: 'CONFIG_LOAD',
			message: `${shown}: could not be loaded: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
			hint: 'Fix the file, or give another one with --config.',
			file: file === undefined ? undefined : shown,
			cause: error,
		});
	}
}

/** Loads the configuration: flags > environment (DBBACKUP_*) > config file > defaults, each key on its own. */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
	const home = options.home ?? os.homedir();
	const {result, texts} = await findConfigFile(options, home);
	const layers: ConfigLayer[] = [];
	let file: string | undefined;
	if (result) {
		file = result.filepath;
		const values = result.isEmpty ? {} : validateConfig(result.config, {file: displayName(file, options.cwd, home), text: texts.get(file)});
		layers.push({source: 'file', values});
	}
	layers.push({source: 'environment', values: readEnvironmentConfig(options.env)});
	layers.push({source: 'flag', values: validateFlags(options.flags)});
	const {config, sources} = mergeLayers(layers);
	return file === undefined ? {config, sources} : {config, sources, file};
}
