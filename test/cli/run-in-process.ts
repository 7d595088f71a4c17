import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PassThrough, Readable} from 'node:stream';
import {run} from '../../source/cli/run.ts';

export interface InProcessOutcome {
	code: number;
	stdout: string;
	stderr: string;
}

/**
 * The CLI in this process, as `dbbackup ARGS`, in a fresh home directory (holding `files`, e.g. a
 * .dbbackuprc) that is its working directory too and is removed afterwards. PATH is passed on.
 */
export async function runInProcess(argv: string[], options: {env?: NodeJS.ProcessEnv; files?: Record<string, string>} = {}): Promise<InProcessOutcome> {
	const home = await mkdtemp(join(tmpdir(), 'dbbackup-home-'));
	for (const [name, text] of Object.entries(options.files ?? {})) await writeFile(join(home, name), text);
	const stdout = new PassThrough();
	const stderr = new PassThrough();
	let out = '';
	let err = '';
	stdout.on('data', (chunk) => (out += chunk));
	stderr.on('data', (chunk) => (err += chunk));
	try {
		const code = await run({argv, env: {PATH: process.env.PATH, ...options.env}, cwd: home, home, stdin: Readable.from([]), stdout, stderr, onInterrupt: () => () => {}});
		return {code, stdout: out, stderr: err};
	} finally {
		await rm(home, {recursive: true, force: true});
	}
}
