#!/usr/bin/env node
// The single-file build: dist/single/dbbackup.mjs, every dependency bundled in, with the native addons it
// loads (zstd-napi, lz4-napi) copied beside it. That folder runs on a machine with only Node 20 installed
// (`node dbbackup.mjs …`), of the platform it was built on: the addons are that platform's binaries.
// scripts/build.js calls buildSingleFile(); `node scripts/build-single-file.js [--outdir DIR]` builds it alone.
//
// What differs from the ordinary build, each done by a plugin below without touching the sources:
// - Worker threads: source/storage/workers/pool.ts starts `<entry>.js` beside the chunk holding it. Each
//   *-worker.ts entry is bundled here first and embedded in dbbackup.mjs as a string; pool.ts's
//   `node:worker_threads` is swapped for a module whose Worker starts that code from a data: URL when asked
//   for `<entry>.js` beside dbbackup.mjs. The worker code is small (no CLI in it), so a thread neither
//   parses the whole bundle again nor needs a file of its own.
// - Native addons: sources load them with `createRequire(import.meta.url)('zstd-napi/binding.js')`, which
//   no bundler follows. Their `node:module` is swapped for one whose createRequire answers the addons'
//   names by requiring the .node file beside dbbackup.mjs (an import of the packages themselves is
//   redirected the same way), so lz4 stays loaded only when used.
// - What cannot be inside: the S3 sandbox's s3rver child (a dev dependency, used by the tests, never by
//   the CLI) and cosmiconfig's TypeScript compiler for .ts config files fail with a message saying so;
//   Ink's React devtools (DEV=true) are left out as when react-devtools-core is not installed.
import {chmod, copyFile, mkdir, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {basename, dirname, join, relative, resolve, sep} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {build} from 'esbuild';

const NAMESPACE = 'dbbackup-single-file';
const FILE_NAME = 'dbbackup.mjs';
/** Replaced by the bundle's own URL when a worker thread starts (see workerThreadsShim). */
const URL_PLACEHOLDER = '"__DBBACKUP_BUNDLE_URL__"';
/** The native addons: the name sources require them by, and the file name stem they get beside dbbackup.mjs. */
const ADDONS = [
	{id: 'zstd-napi/binding.js', package: 'zstd-napi', loader: 'zstd-napi/binding.js', stem: 'zstd-napi'},
	{id: 'lz4-napi', package: 'lz4-napi', loader: 'lz4-napi/index.js', stem: 'lz4-napi'},
];

/**
 * Module-scope names the bundled CommonJS code expects: esbuild turns a require() it cannot bundle (Node's
 * built-in modules, optional packages) into a call of the `require` in scope, and import-fresh (cosmiconfig
 * loading a CommonJS config) reads __filename. Each is the bundle's own: what sits beside it.
 */
function preamble(urlExpression) {
	return [
		`import {createRequire as __dbbackupCreateRequire} from 'node:module';`,
		`import {fileURLToPath as __dbbackupFileURLToPath} from 'node:url';`,
		`const require = __dbbackupCreateRequire(${urlExpression});`,
		`const __filename = __dbbackupFileURLToPath(${urlExpression});`,
		`const __dirname = __dbbackupFileURLToPath(new URL('.', ${urlExpression}));`,
	].join('\n');
}

/** "linux-x64-gnu", "linux-x64-musl", "darwin-arm64": what the copied addon binaries run on. */
function platformTag() {
	if (process.platform !== 'linux') return `${process.platform}-${process.arch}`;
	const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
	return `${process.platform}-${process.arch}-${glibc ? 'gnu' : 'musl'}`;
}

/**
 * The .node file each addon loads on this machine, found by loading it as the sources would (so the
 * packages' own platform logic picks it) and looking in the require cache. An addon that does not load
 * here is left out with a warning: the single file then fails only when that compression is used, as the
 * ordinary install does.
 */
function findAddons(root, tag, warn) {
	const requireFromRoot = createRequire(join(root, 'package.json'));
	const found = [];
	for (const addon of ADDONS) {
		const before = new Set(Object.keys(requireFromRoot.cache));
		try {
			requireFromRoot(addon.id);
		} catch (error) {
			warn(`${addon.package} does not load on this machine, so the single file is built without it: ${error instanceof Error ? error.message.split('\n')[0] : error}`);
			continue;
		}
		const binaries = Object.keys(requireFromRoot.cache).filter((file) => file.endsWith('.node') && !before.has(file));
		if (binaries.length !== 1) throw new Error(`build-single-file: loading ${addon.id} loaded ${binaries.length} native files (${binaries.join(', ') || 'none'}), expected one`);
		found.push({...addon, source: binaries[0], file: `${addon.stem}.${tag}.node`});
	}
	return found;
}

/** Loads the addons from beside the bundle: `import.meta.url` is the bundle's (in a worker thread, by define). */
function addonsModule(addons, tag) {
	const files = Object.fromEntries(addons.map((addon) => [addon.id, addon.file]));
	const known = ADDONS.map((addon) => addon.id);
	return `
import {createRequire} from 'node:module';
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
const FILES = ${JSON.stringify(files)};
const KNOWN = new Set(${JSON.stringify(known)});
const BUILT_FOR = ${JSON.stringify(tag)};
const loaded = new Map();
export function isAddon(id) {
	return KNOWN.has(id);
}
export function loadAddon(id) {
	if (loaded.has(id)) return loaded.get(id);
	const bundle = fileURLToPath(import.meta.url);
	const file = FILES[id];
	if (file === undefined) throw new Error(\`\${id} is not part of this single-file build (it did not load on the machine that built it); use the npm install of dbbackup for it\`);
	const path = fileURLToPath(new URL(file, import.meta.url));
	if (!existsSync(path)) throw new Error(\`\${file} is missing beside \${bundle}: copy the whole folder the single-file build made (dbbackup.mjs and its .node files), not dbbackup.mjs alone\`);
	const here = process.platform + '-' + process.arch;
	let binding;
	try {
		binding = createRequire(import.meta.url)(path);
	} catch (error) {
		const wrong = BUILT_FOR.startsWith(here + '-') || BUILT_FOR === here ? '' : \`; it was built for \${BUILT_FOR} and this machine is \${here}: build the single file on a machine like this one\`;
		throw new Error(\`\${file} (beside \${bundle}) cannot be loaded: \${error instanceof Error ? error.message.split('\\n')[0] : error}\${wrong}\`, {cause: error});
	}
	loaded.set(id, binding);
	return binding;
}
`;
}

/** node:module for the project's sources: createRequire answers the addons' names from beside the bundle. */
const NODE_MODULE_SHIM = `
import {createRequire as nodeCreateRequire, isBuiltin} from 'node:module';
import {isAddon, loadAddon} from '${NAMESPACE}:addons';
export * from 'node:module';
export function createRequire(from) {
	const nodeRequire = nodeCreateRequire(from);
	function require(id) {
		if (isAddon(id)) return loadAddon(id);
		if (isBuiltin(id) || id.startsWith('.') || id.startsWith('/')) return nodeRequire(id);
		try {
			return nodeRequire(id);
		} catch (error) {
			if (error?.code !== 'MODULE_NOT_FOUND') throw error;
			throw new Error(\`the package \${id} is not inside this single-file dbbackup.mjs (it is required at run time, which the bundler does not follow); use the npm install of dbbackup\`, {cause: error});
		}
	}
	return Object.assign(require, {resolve: nodeRequire.resolve, cache: nodeRequire.cache, main: nodeRequire.main});
}
`;

/** node:worker_threads for the project's sources: a Worker asked for `<entry>.js` beside the bundle runs the embedded entry. */
function workerThreadsShim(workers) {
	return `
import {Worker as NodeWorker} from 'node:worker_threads';
export * from 'node:worker_threads';
const CODE = ${JSON.stringify(workers)};
const here = new URL('.', import.meta.url).href;
const urls = new Map();
function embedded(filename) {
	const href = filename instanceof URL ? filename.href : typeof filename === 'string' && filename.startsWith('/') ? new URL('file://' + encodeURI(filename)).href : undefined;
	if (href === undefined || !href.startsWith(here) || !href.endsWith('.js')) return filename;
	const entry = decodeURIComponent(href.slice(here.length, -'.js'.length));
	const code = CODE[entry];
	if (code === undefined) throw new Error(\`this single-file dbbackup.mjs has no worker thread "\${entry}" built in (it has \${Object.keys(CODE).join(', ')}); scripts/build-single-file.js embeds every source/storage/workers/*-worker.ts\`);
	let url = urls.get(entry);
	if (url === undefined) {
		const source = code.replace(${JSON.stringify(URL_PLACEHOLDER)}, () => JSON.stringify(import.meta.url));
		url = new URL('data:text/javascript;base64,' + Buffer.from(source).toString('base64'));
		urls.set(entry, url);
	}
	return url;
}
export class Worker extends NodeWorker {
	constructor(filename, options) {
		super(embedded(filename), options);
	}
}
`;
}

/** In place of source/sandbox/s3.ts: the same module, except that startS3 says why it cannot run here. */
function s3Shim(realFile, errorsFile) {
	return `
import {WorkError} from ${JSON.stringify(errorsFile)};
export * from ${JSON.stringify(realFile)};
export async function startS3() {
	throw new WorkError({
		code: 'SANDBOX_START_FAILED',
		message: 'the S3 sandbox (s3rver) is not part of the single-file dbbackup.mjs: it runs s3rver, a development dependency, in a child process',
		hint: 'Run it from a checkout of dbbackup with its dependencies installed (npm ci).',
	});
}
`;
}

const TYPESCRIPT_SHIM = `
throw new Error('this single-file dbbackup.mjs has no TypeScript compiler, so it cannot read a .ts config file; write the configuration as YAML or JSON (.dbbackuprc) or as JavaScript (dbbackup.config.mjs)');
`;

/** Ink imports its devtools only when DEV=true; as when react-devtools-core is not installed, it warns and goes on. */
const INK_DEVTOOLS_SHIM = `
const error = new Error('React devtools are not part of the single-file dbbackup.mjs');
error.code = 'ERR_MODULE_NOT_FOUND';
throw error;
`;

/**
 * The plugin doing the swaps described at the top. `root` is the project; `addons` what findAddons found;
 * `workers` the embedded worker code (undefined while building the workers themselves).
 */
function singleFilePlugin({root, addons, tag, workers}) {
	const sourceDir = join(root, 'source') + sep;
	const fromSources = (args) => args.namespace === 'file' && args.importer.startsWith(sourceDir);
	const virtual = (name) => ({path: name, namespace: NAMESPACE});
	const loaderFiles = new Map(ADDONS.map((addon) => [join(root, 'node_modules', addon.loader), addon.id]));
	return {
		name: 'dbbackup-single-file',
		setup(pluginBuild) {
			pluginBuild.onResolve({filter: new RegExp(`^${NAMESPACE}:`)}, (args) => virtual(args.path.slice(NAMESPACE.length + 1)));
			pluginBuild.onResolve({filter: /^(node:)?module$/}, (args) => (fromSources(args) ? virtual('node-module') : undefined));
			if (workers) pluginBuild.onResolve({filter: /^(node:)?worker_threads$/}, (args) => (fromSources(args) ? virtual('worker-threads') : undefined));
			const s3File = join(root, 'source/sandbox/s3.ts');
			pluginBuild.onResolve({filter: /[\\/]s3\.ts$/}, (args) => (fromSources(args) && resolve(args.resolveDir, args.path) === s3File ? virtual('s3') : undefined));
			pluginBuild.onResolve({filter: /^typescript$/}, () => virtual('typescript'));
			pluginBuild.onResolve({filter: /^\.\/devtools\.js$/}, (args) => (args.importer.endsWith(`${sep}ink${sep}build${sep}reconciler.js`) ? virtual('ink-devtools') : undefined));

			pluginBuild.onLoad({filter: /.*/, namespace: NAMESPACE}, (args) => {
				const contents = {
					addons: () => addonsModule(addons, tag),
					'node-module': () => NODE_MODULE_SHIM,
					'worker-threads': () => workerThreadsShim(workers),
					s3: () => s3Shim(join(root, 'source/sandbox/s3.ts'), join(root, 'source/core/errors.ts')),
					typescript: () => TYPESCRIPT_SHIM,
					'ink-devtools': () => INK_DEVTOOLS_SHIM,
				}[args.path];
				if (!contents) throw new Error(`build-single-file: no virtual module ${args.path}`);
				return {contents: contents(), loader: 'js', resolveDir: root};
			});
			// the addon packages' own loaders (zstd-napi's binding.js, lz4-napi's index.js), if anything imports them
			pluginBuild.onLoad({filter: /[\\/](zstd-napi[\\/]binding|lz4-napi[\\/]index)\.js$/}, (args) => {
				const id = loaderFiles.get(args.path);
				if (id === undefined) return undefined;
				return {contents: `module.exports = require('${NAMESPACE}:addons').loadAddon(${JSON.stringify(id)});`, loader: 'js', resolveDir: root};
			});
		},
	};
}

/** Ink reads its package.json beside its code when DEV=true; in the bundle that text is built in. */
function inkPackageJsonPlugin(root) {
	const reconciler = join(root, 'node_modules/ink/build/reconciler.js');
	const read = "fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')";
	return {
		name: 'dbbackup-single-file-ink-package-json',
		setup(pluginBuild) {
			pluginBuild.onLoad({filter: /[\\/]ink[\\/]build[\\/]reconciler\.js$/}, async (args) => {
				if (args.path !== reconciler) return undefined;
				const text = await readFile(args.path, 'utf8');
				if (!text.includes(read)) throw new Error(`build-single-file: ${relative(root, reconciler)} no longer reads its package.json as \`${read}\`; update inkPackageJsonPlugin`);
				const {name, version} = JSON.parse(await readFile(join(root, 'node_modules/ink/package.json'), 'utf8'));
				return {contents: text.replace(read, () => JSON.stringify(JSON.stringify({name, version}))), loader: 'js'};
			});
		},
	};
}

const common = {
	bundle: true,
	format: 'esm',
	platform: 'node',
	target: 'node20',
	jsx: 'automatic',
	write: false,
	logLevel: 'warning',
	// pg's optional native client, which it requires only when asked for pg.native: left out, as when not installed
	external: ['pg-native'],
	// the bundled packages' license comments, gathered at the end of the file
	legalComments: 'eof',
};

/** What an earlier single-file build left in a folder: replaced by each build, the folder's other files left alone. */
const BUILT_FILE = /^(dbbackup\.mjs|(zstd|lz4)-napi\..+\.node)$/;

/**
 * Builds the single file into `outdir`: dbbackup.mjs and one .node file per addon, replacing those of an
 * earlier build there. Returns the files written and their sizes.
 */
export async function buildSingleFile({root, outdir, warn = (line) => console.warn(`build-single-file: ${line}`)}) {
	const tag = platformTag();
	const addons = findAddons(root, tag, warn);
	const workerDir = 'source/storage/workers';
	const workerEntries = (await readdir(join(root, workerDir))).filter((file) => file.endsWith('-worker.ts')).sort();

	// the worker threads' entries, each bundled alone; `import.meta.url` in them is the bundle's URL
	const workers = {};
	await Promise.all(
		workerEntries.map(async (file) => {
			const result = await build({
				...common,
				absWorkingDir: root,
				entryPoints: [`${workerDir}/${file}`],
				outfile: join(outdir, basename(file, '.ts') + '.js'),
				banner: {js: `const __dbbackupBundleUrl = ${URL_PLACEHOLDER};\n${preamble('__dbbackupBundleUrl')}`},
				define: {'import.meta.url': '__dbbackupBundleUrl'},
				plugins: [singleFilePlugin({root, addons, tag})],
			});
			workers[basename(file, '.ts')] = result.outputFiles[0].text;
		}),
	);

	const result = await build({
		...common,
		absWorkingDir: root,
		entryPoints: ['source/cli/main.ts'],
		outfile: join(outdir, FILE_NAME),
		banner: {js: `#!/usr/bin/env node\n// dbbackup, single-file build for Node ${common.target.slice(4)}+ on ${tag}: keep the .node files beside it. Built by scripts/build-single-file.js.\n${preamble('import.meta.url')}`},
		// React's production build: smaller, without development checks
		define: {'process.env.NODE_ENV': '"production"'},
		plugins: [singleFilePlugin({root, addons, tag, workers}), inkPackageJsonPlugin(root)],
	});
	const bundle = result.outputFiles[0];
	const rootHref = pathToFileURL(root).href;
	if (bundle.text.includes(root) || bundle.text.includes(rootHref)) throw new Error(`build-single-file: ${FILE_NAME} names the project directory ${root}`);

	await mkdir(outdir, {recursive: true});
	for (const name of await readdir(outdir)) if (BUILT_FILE.test(name)) await rm(join(outdir, name), {force: true});
	const target = join(outdir, FILE_NAME);
	await writeFile(target, bundle.contents);
	await chmod(target, 0o755);
	const files = [{name: FILE_NAME, bytes: bundle.contents.length}];
	for (const addon of addons) {
		await copyFile(addon.source, join(outdir, addon.file));
		files.push({name: addon.file, bytes: (await stat(addon.source)).size});
	}
	return {outdir, files};
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const root = dirname(dirname(fileURLToPath(import.meta.url)));
	const at = process.argv.indexOf('--outdir');
	if (at !== -1 && !process.argv[at + 1]) {
		console.error('usage: node scripts/build-single-file.js [--outdir DIR]');
		process.exit(2);
	}
	const outdir = at === -1 ? join(root, 'dist/single') : resolve(process.argv[at + 1]);
	const began = performance.now();
	const {files} = await buildSingleFile({root, outdir});
	const list = files.map((file) => `${file.name} (${(file.bytes / 1024 / 1024).toFixed(1)} MiB)`).join(', ');
	console.log(`dbbackup: single file in ${relative(process.cwd(), outdir) || '.'}/: ${list} in ${((performance.now() - began) / 1000).toFixed(1)} s`);
}
