import type {CommandResult, CommandRunner} from '../../../source/core/detect/command-runner.ts';

export function ok(stdout: string): CommandResult {
	return {notFound: false, exitCode: 0, stdout, stderr: ''};
}

export function failed(exitCode: number, stderr: string): CommandResult {
	return {notFound: false, exitCode, stdout: '', stderr};
}

export const notInstalled: CommandResult = {notFound: true, exitCode: null, stdout: '', stderr: 'spawn ENOENT'};

/** A runner that answers from recorded outputs keyed by "program arg arg…" or by the program alone, and records what was asked. */
export function recordedRunner(outputs: Record<string, CommandResult>): CommandRunner & {calls: string[]} {
	const calls: string[] = [];
	const run = async (program: string, args: string[]) => {
		const key = [program, ...args].join(' ');
		calls.push(key);
		const answer = outputs[key] ?? outputs[program];
		if (!answer) throw new Error(`unexpected command in test: ${key}`);
		return answer;
	};
	return Object.assign(run, {calls});
}

export function findmntJson(target: string, source: string, fstype: string): string {
	return JSON.stringify({filesystems: [{target, source, fstype}]});
}
