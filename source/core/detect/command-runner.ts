import {execFile} from 'node:child_process';

export interface CommandResult {
	/** the program could not be started because it is not installed (ENOENT) */
	notFound: boolean;
	/** exit code; null when the program was killed or could not start */
	exitCode: number | null;
	stdout: string;
	stderr: string;
}

/** Runs a program without a shell. Injectable so parsers can be tested on recorded outputs. */
export type CommandRunner = (program: string, args: string[]) => Promise<CommandResult>;

/** A CommandRunner with its own limits: a program killed at `timeoutMs`, output kept up to `maxBuffer` bytes. */
export function commandRunnerWith(limits: {timeoutMs: number; maxBuffer: number}): CommandRunner {
	return (program, args) =>
		new Promise((resolve) => {
			execFile(program, args, {timeout: limits.timeoutMs, maxBuffer: limits.maxBuffer, env: {...process.env, LC_ALL: 'C'}}, (error, stdout, stderr) => {
				if (!error) {
					resolve({notFound: false, exitCode: 0, stdout, stderr});
					return;
				}
				const code = (error as NodeJS.ErrnoException).code;
				resolve({
					notFound: code === 'ENOENT',
					exitCode: typeof code === 'number' ? code : null,
					stdout: stdout ?? '',
					stderr: (stderr ?? '') || error.message,
				});
			});
		});
}

export const runCommand: CommandRunner = commandRunnerWith({timeoutMs: 15_000, maxBuffer: 4 * 1024 * 1024});

export function commandLine(program: string, args: string[]): string {
	return [program, ...args.map((arg) => (/^[\w./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`))].join(' ');
}

/** The first line of what a failed command said, for a reason a user reads. */
export function failureText(result: CommandResult): string {
	const text = (result.stderr.trim() || result.stdout.trim()).split('\n')[0] ?? '';
	return text || `exit code ${result.exitCode ?? 'unknown (killed or timed out)'}`;
}
