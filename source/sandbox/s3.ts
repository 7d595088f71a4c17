import {spawn} from 'node:child_process';
import {mkdir} from 'node:fs/promises';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {sandboxStartFailed} from '../core/errors.ts';
import {terminate} from './process-exit.ts';
import {lastLines} from './run-command.ts';
import {createSandboxDir, removeSandboxDir} from './sandbox-dir.ts';
import type {RunningS3, StartServerOptions} from './types.ts';

export const S3_BUCKET = 'dbbackup-test';
/** s3rver accepts only these fixed credentials; they are not secrets */
export const S3RVER_CREDENTIALS = {accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER'};
const CHILD_SCRIPT = fileURLToPath(new URL('./s3rver-child.js', import.meta.url));

/** Starts s3rver (an S3-compatible HTTP server over a folder) in a child node process. */
export async function startS3(options: Pick<StartServerOptions, 'log' | 'baseDir' | 'port' | 'startTimeoutMs'>): Promise<RunningS3> {
	const {log} = options;
	const dir = await createSandboxDir('s3', options.baseDir);
	const directory = join(dir, 'data');
	await mkdir(directory);
	log(`s3: starting s3rver over ${directory}`);
	const child = spawn(process.execPath, ['--openssl-legacy-provider', CHILD_SCRIPT], {
		stdio: ['pipe', 'pipe', 'pipe'],
		detached: true,
		env: {
			...process.env,
			DBBACKUP_S3RVER_CONFIG: JSON.stringify({directory, port: options.port ?? 0, bucket: S3_BUCKET}),
		},
	});
	// the child exits when this pipe closes, so it does not outlive us even when we are killed
	child.stdin.on('error', () => {});
	let stderr = '';
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));

	try {
		const port = await new Promise<number>((resolve, reject) => {
			let stdout = '';
			const timer = setTimeout(
				() => reject(failure(`did not report readiness within ${(options.startTimeoutMs ?? 30_000) / 1000} s`)),
				options.startTimeoutMs ?? 30_000,
			);
			const failure = (why: string) =>
				sandboxStartFailed(`s3rver ${why}${stderr ? `:\n${lastLines(stderr, 25)}` : ''}`);
			child.stdout.on('data', (chunk: Buffer) => {
				stdout += chunk.toString('utf8');
				const match = /^S3RVER_READY (\d+)$/m.exec(stdout);
				if (match) {
					clearTimeout(timer);
					resolve(Number(match[1]));
				}
			});
			child.once('error', (error) => {
				clearTimeout(timer);
				reject(failure(`could not be started (${error.message})`));
			});
			// 'close' comes after the output streams end, so the message holds all of stderr
			child.once('close', (code, signal) => {
				clearTimeout(timer);
				reject(failure(`exited during startup (${signal ?? `exit code ${code}`})`));
			});
		});
		const pid = child.pid;
		if (pid === undefined) throw new Error('s3rver has no pid');
		const endpoint = `http://127.0.0.1:${port}`;

		let stopping: Promise<void> | undefined;
		return {
			endpoint,
			port,
			directory,
			region: 'us-east-1',
			...S3RVER_CREDENTIALS,
			bucket: S3_BUCKET,
			pid,
			stop() {
				stopping ??= (async () => {
					child.stdin.end();
					await terminate(child, 10_000);
					await removeSandboxDir(dir);
				})();
				return stopping;
			},
		};
	} catch (error) {
		child.stdin.end();
		await terminate(child, 10_000);
		await removeSandboxDir(dir);
		throw error;
	}
}
