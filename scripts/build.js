#!/usr/bin/env node
// Bundles the CLI with esbuild into dist/ (run by `npm install`/`npm ci` through "prepare", and by
// `npm test`). bin/dbbackup.js runs the bundle while it is newer than every source file it was built
// from, and the TypeScript sources through tsx otherwise, so an edit never runs stale code.
// Dependencies stay external: they load from node_modules as they are, native zstd binding included.
// Each command is its own chunk, loaded when that command runs. The worker threads' entries
// (source/storage/workers/*-worker.ts) are entries of their own, next to main.js, where
// source/storage/workers/pool.ts looks for them.
// It also writes the single-file build, dist/single/ (scripts/build-single-file.js): dbbackup.mjs with
// every dependency inside and the native addons beside it, to copy to a server that has only Node.
import {copyFile, mkdir, readdir, rm, stat, writeFile} from 'node:fs/promises';
import {dirname, join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';
import {buildSingleFile} from './build-single-file.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const workers = 'source/storage/workers';
const workerEntries = (await readdir(join(root, workers))).filter((file) => file.endsWith('-worker.ts'));

await rm(dist, {recursive: true, force: true});
await mkdir(dist, {recursive: true});
// built alongside the ordinary bundle, into a folder of its own; a failure is reported where it is awaited
const single = buildSingleFile({root, outdir: join(dist, 'single')});
single.catch(() => {});
const result = await build({
	absWorkingDir: root,
	entryPoints: {
		main: 'source/cli/main.ts',
		...Object.fromEntries(workerEntries.map((file) => [file.replace(/\.ts$/, ''), `${workers}/${file}`])),
	},
	outdir: dist,
	bundle: true,
	splitting: true,
	format: 'esm',
	platform: 'node',
	target: 'node20',
	packages: 'external',
	jsx: 'automatic',
	sourcemap: 'linked',
	metafile: true,
	logLevel: 'warning',
});
// the S3 sandbox starts this file as its own process, next to the chunk that names it
await copyFile(join(root, 'source/sandbox/s3rver-child.js'), join(dist, 's3rver-child.js'));

const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/'));
inputs.push('package.json');
let newest = 0;
for (const input of inputs) newest = Math.max(newest, (await stat(join(root, input))).mtimeMs);
await writeFile(join(dist, 'build-info.json'), `${JSON.stringify({entry: 'main.js', newestInputMs: newest, inputs}, null, '\t')}\n`);
console.log(`dbbackup: bundled ${inputs.length} source files into ${relative(root, dist)}/`);
const {outdir, files} = await single;
console.log(`dbbackup: single file in ${relative(root, outdir)}/: ${files.map((file) => `${file.name} (${(file.bytes / 1024 / 1024).toFixed(1)} MiB)`).join(', ')}`);
