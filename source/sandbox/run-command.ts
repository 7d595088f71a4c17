import {spawn} from 'node:child_process';
import {WorkError} from '../core/errors.ts';

export interface RunCommandOptions {
	/** receives every output line as it comes when streamOutput is set */
	log?: (line: string) => void;
	streamOutput?: boolean;
	cwd?: string;
	env?: NodeJS.ProcessEnv;
	/** run in a new session, so a Ctrl-C at the terminal does not reach the command or what it starts */
	detached?: boolean;
}

export interface CommandOutput {
	stdout: string;
	stderr: string;
}

const OUTPUT_TAIL_LINES = 30;

/**
 * Runs a command to completion. Rejects with a WorkError (code COMMAND_FAILED) that carries the last
 * lines of its output. Resolves on exit, not on the output streams closing, because a command may start
 * a daemon that inherits them (a package's postinst, pg_ctl).
 */
export function runCommand(command: string, args: string[], options: RunCommandOptions = {}): Promise<CommandOutput> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, {
			cwd: options.cwd,
			env: options.env ?? process.env,
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: options.detached ?? false,
		});
		let stdout = '';
		let stderr = '';
		const pending = {stdout: '', stderr: ''};
		const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
			const text = chunk.toString('utf8');
			if (stream === 'stdout') stdout += text;
			else stderr += text;
			if (!options.streamOutput || !options.log) return;
			const lines = (pending[stream] + text).split('\n');
			pending[stream] = lines.pop() ?? '';
			for (const line of lines) options.log(line);
		};
		child.stdout.on('data', onData('stdout'));
		child.stderr.on('data', onData('stderr'));
		child.on('error', (error) => {
			reject(
				new WorkError({
					code: 'COMMAND_FAILED',
					message: `Could not run ${command}: ${error.message}`,
					cause: error,
				}),
			);
		});
		child.on('exit', (code, signal) => {
			child.stdout.destroy();
			child.stderr.destroy();
			if (options.streamOutput && options.log) {
				for (const rest of [pending.stdout, pending.stderr]) if (rest) options.log(rest);
			}
			if (code === 0) {
				resolve({stdout, stderr});
				return;
			}
			const tail = lastLines(`${stdout}\n${stderr}`, OUTPUT_TAIL_LINES);
			reject(
				new WorkError({
					code: 'COMMAND_FAILED',
					message:
						`${command} ${args.join(' ')} failed (${signal ? `signal ${signal}` : `exit code ${code}`})` +
						(tail ? `:\n${tail}` : ''),
				}),
			);
		});
	});
}

export function lastLines(text: string, count: number): string {
	return text
		.split('\n')
		.filter((line) => line.trim() !== '')
		.slice(-count)
		.join('\n');
}
