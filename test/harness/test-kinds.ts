/**
 * Which test files need servers: those that reach test/harness/servers.ts (the shared servers'
 * coordinates) or start private ones through source/sandbox, directly or through the helpers they
 * import. The rest are unit tests, run first and without servers (`npm run test:unit`), so a broken
 * unit fails in seconds.
 */
import {readFileSync} from 'node:fs';
import {dirname, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const SERVERS_MODULE = fileURLToPath(new URL('servers.ts', import.meta.url));
/** the modules that start a server of their own */
const SERVER_STARTERS = ['index.ts', 'mariadb.ts', 'mysql.ts', 'postgres.ts', 's3.ts'].map((name) => fileURLToPath(new URL(`../../source/sandbox/${name}`, import.meta.url)));
const RELATIVE_IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function relativeImports(file: string): string[] {
	const text = readFileSync(file, 'utf8');
	return [...text.matchAll(RELATIVE_IMPORT)].map((match) => resolve(dirname(file), match[1] ?? match[2]!));
}

/** Whether `file` (absolute) reaches the servers module through relative imports inside test/. */
export function needsServers(file: string, seen = new Map<string, boolean>()): boolean {
	if (file === SERVERS_MODULE || SERVER_STARTERS.includes(file)) return true;
	const known = seen.get(file);
	if (known !== undefined) return known;
	seen.set(file, false);
	const testRoot = dirname(dirname(SERVERS_MODULE));
	const imports = relativeImports(file);
	const result = imports.some((imported) => SERVER_STARTERS.includes(imported) || (imported.startsWith(testRoot) && needsServers(imported, seen)));
	seen.set(file, result);
	return result;
}
