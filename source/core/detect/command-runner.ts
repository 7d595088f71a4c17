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

const TIMEOUT_MS = 15_000;

export const runCommand: CommandRunner = (program, args) =>
	new Promise((resolve) => {
		execFile(
			program,
			args,
			{timeout: TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024, env: {...process.env, LC_ALL: 'C'}},
			(error, stdout, stderr) => {
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
			},
		);
	});

export function commandLine(program: string, args: string[]): string {
	return [program, ...args.map((arg) => (/^[\w./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`))].join(' ');
}

/** The first line of what a failed command said, for a reason a user reads. */
export function failureText(result: CommandResult): string {
	const text = (result.stderr.trim() || result.stdout.trim()).split('\n')[0] ?? '';
	return text || `exit code ${result.exitCode ?? 'unknown (killed or timed out)'}`;
}
