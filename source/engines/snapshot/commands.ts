/**
 * Running the snapshot tools (btrfs, lvcreate/lvs/lvremove, mount/umount, zfs): without a shell, with a
 * timeout, and each failure as a WorkError naming the command line and what the tool said. Removal also
 * runs synchronously, from a signal handler, where the process may exit as soon as the handler returns.
 */
import {spawnSync} from 'node:child_process';
import {commandLine, commandRunnerWith, failureText, type CommandResult, type CommandRunner} from '../../core/detect/command-runner.ts';
import {EngineUnavailableError, WorkError} from '../../core/errors.ts';

export type {CommandResult, CommandRunner} from '../../core/detect/command-runner.ts';

/** Runs a program to its end and returns its result (never throws); the synchronous twin of CommandRunner. */
export type SyncCommandRunner = (program: string, args: string[]) => CommandResult;

/** Long enough for lvcreate to freeze a busy filesystem, short enough that a hung tool does not hang the backup. */
const TIMEOUT_MS = 120_000;

function environment(): NodeJS.ProcessEnv {
	return {...process.env, LC_ALL: 'C'};
}

export const runSnapshotCommand: CommandRunner = commandRunnerWith({timeoutMs: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024});

export const runSnapshotCommandSync: SyncCommandRunner = (program, args) => {
	const result = spawnSync(program, args, {timeout: TIMEOUT_MS, encoding: 'utf8', env: environment(), stdio: ['ignore', 'pipe', 'pipe']});
	const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
	return {
		notFound: code === 'ENOENT',
		exitCode: result.status,
		stdout: result.stdout ?? '',
		stderr: (result.stderr ?? '') || (result.error?.message ?? ''),
	};
};

/** The Debian package of each program the backends run, for the message when one is missing. */
const PACKAGE_OF: Record<string, string> = {
	btrfs: 'btrfs-progs',
	lvcreate: 'lvm2',
	lvremove: 'lvm2',
	lvs: 'lvm2',
	mount: 'mount',
	umount: 'mount',
	zfs: 'zfsutils-linux',
};

export function toolMissing(program: string): EngineUnavailableError {
	const pkg = PACKAGE_OF[program];
	return new EngineUnavailableError({
		code: 'SNAPSHOT_TOOL_MISSING',
		message: `${program} is not installed: the snapshot engine runs it to take and remove the snapshot`,
		hint: pkg ? `Install it (Debian: apt-get install ${pkg}).` : `Install ${program}.`,
	});
}

export function commandFailed(program: string, args: string[], result: CommandResult, what: string): WorkError {
	return new WorkError({
		code: 'SNAPSHOT_COMMAND_FAILED',
		message: `${what}: ${commandLine(program, args)} failed: ${failureText(result)}`,
		hint: 'The snapshot tools run as root (or a user allowed to snapshot); the message above is what the tool said.',
	});
}

/** Runs a command that must succeed; its stdout. */
export async function must(run: CommandRunner, program: string, args: string[], what: string): Promise<string> {
	const result = await run(program, args);
	if (result.notFound) throw toolMissing(program);
	if (result.exitCode !== 0) throw commandFailed(program, args, result, what);
	return result.stdout;
}

/**
 * One step of removing a snapshot. `gone` matches what the tool says when there is nothing to remove
 * (already removed, not mounted): removal is idempotent, so a second attempt after a signal is harmless.
 */
export interface RemovalStep {
	program: string;
	args: string[];
	gone: RegExp;
}

function removalFailure(step: RemovalStep, result: CommandResult): WorkError | undefined {
	if (result.notFound) return toolMissing(step.program);
	if (result.exitCode === 0) return undefined;
	if (step.gone.test(`${result.stderr}\n${result.stdout}`)) return undefined;
	return commandFailed(step.program, step.args, result, 'removing the snapshot');
}

/** Every step in order; a step that fails stops the removal (an LV still mounted is not removed). */
export async function runRemoval(steps: RemovalStep[], run: CommandRunner): Promise<void> {
	for (const step of steps) {
		const failure = removalFailure(step, await run(step.program, step.args));
		if (failure) throw failure;
	}
}

export function runRemovalSync(steps: RemovalStep[], run: SyncCommandRunner): void {
	for (const step of steps) {
		const failure = removalFailure(step, run(step.program, step.args));
		if (failure) throw failure;
	}
}

/** Non-empty trimmed lines. */
export function lines(text: string): string[] {
	return text
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => line.length > 0);
}
