#!/usr/bin/env node
// Runs the bundle in dist/ (scripts/build.js) when it was built from the sources as they are now; else
// the TypeScript sources through tsx's loader, so the CLI also runs without a build and never runs stale
// code. DBBACKUP_FROM_SOURCE=1 forces the sources. The bundle starts faster and leaves tsx's compiler
// out of memory, which matters for a binlog streamer that runs for weeks.
import {readFileSync, statSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

const root = new URL('../', import.meta.url);

function freshBundle() {
	if (process.env.DBBACKUP_FROM_SOURCE === '1') return undefined;
	try {
		const info = JSON.parse(readFileSync(new URL('dist/build-info.json', root), 'utf8'));
		for (const input of info.inputs) {
			if (statSync(new URL(input, root)).mtimeMs > info.newestInputMs) return undefined;
		}
		return new URL(`dist/${info.entry}`, root);
	} catch {
		// no build, or a source file it names is gone
		return undefined;
	}
}

const bundle = freshBundle();
if (bundle) {
	await import(bundle.href);
} else {
	// The project's tsconfig is named explicitly: tsx would otherwise look in the current directory, and
	// from anywhere else the .tsx screens would compile with the classic JSX transform.
	const {register} = await import('tsx/esm/api');
	register({tsconfig: fileURLToPath(new URL('tsconfig.json', root))});
	await import('../source/cli/main.ts');
}
