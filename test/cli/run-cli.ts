import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/dbbackup.js', import.meta.url));

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Variables of the developer's machine that would change what the CLI resolves. */
const SCRUBBED = /^(MYSQL_|PG|DBBACKUP_(?!TEST_SERVERS))/;

/**
 * Runs the real CLI as a child process, with a clean environment: only PATH, the given variables and a
 * HOME that is an empty temp dir unless one is given. With `uid`/`gid` it runs as that user (give it a
 * `home` and `cwd` it can enter).
 */
export async function runCli(args: string[], options: {env?: Record<string, string>; cwd?: string; home?: string; timeoutMs?: number; uid?: number; gid?: number} = {}): Promise<CliResult> {
	const scratch = options.home && options.cwd ? undefined : mkdtempSync(path.join(os.tmpdir(), 'dbbackup-cli-'));
	const env: Record<string, string> = {};
	for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !SCRUBBED.test(key)) env[key] = value;
	Object.assign(env, {HOME: options.home ?? scratch!, ...options.env});
	delete env.NODE_TEST_CONTEXT;
	try {
		return await new Promise<CliResult>((resolve, reject) => {
			const child = spawn(process.execPath, [BIN, ...args], {cwd: options.cwd ?? scratch!, env, stdio: ['ignore', 'pipe', 'pipe'], uid: options.uid, gid: options.gid});
			let stdout = '';
			let stderr = '';
			child.stdout.on('data', (chunk) => (stdout += chunk));
			child.stderr.on('data', (chunk) => (stderr += chunk));
			const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
			child.on('error', reject);
			child.on('close', (code) => {
				clearTimeout(timer);
				resolve({code, stdout, stderr});
			});
		});
	} finally {
		if (scratch) rmSync(scratch, {recursive: true, force: true});
	}
}

export function jsonLines(stdout: string): Array<Record<string, any>> {
	return stdout
		.split('\n')
		.filter((line) => line.trim() !== '')
		.map((line) => JSON.parse(line) as Record<string, any>);
}
