import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

/** A fresh private directory for one throwaway server, under baseDir or the OS temp dir. */
export function createSandboxDir(kind: string, baseDir?: string): Promise<string> {
	return mkdtemp(join(baseDir ?? tmpdir(), `dbbackup-${kind}-`));
}

export async function removeSandboxDir(dir: string): Promise<void> {
	await rm(dir, {recursive: true, force: true, maxRetries: 3});
}
