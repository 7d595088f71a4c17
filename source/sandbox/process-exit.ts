import {readFileSync} from 'node:fs';
import type {ChildProcess} from 'node:child_process';

export function hasExited(child: ChildProcess): boolean {
	return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves true when the child exits within the time, false otherwise. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
	if (hasExited(child)) return Promise.resolve(true);
	return new Promise((resolve) => {
		const timer = setTimeout(() => {
			child.off('exit', onExit);
			resolve(false);
		}, timeoutMs);
		const onExit = () => {
			clearTimeout(timer);
			resolve(true);
		};
		child.once('exit', onExit);
	});
}

/** SIGTERM, then SIGKILL if the child has not exited after graceMs. */
export async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
	// no pid: the spawn itself failed, there is nothing to stop
	if (child.pid === undefined || hasExited(child)) return;
	child.kill('SIGTERM');
	if (await waitForExit(child, graceMs)) return;
	child.kill('SIGKILL');
	await waitForExit(child, 10_000);
}

/**
 * Whether a process with this pid runs (signal 0 checks without sending anything). A zombie counts as
 * gone: a server started through pg_ctl is not our child, and whether it is reaped is up to PID 1.
 */
export function isProcessAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
	}
	try {
		// /proc/<pid>/stat: "pid (comm) state ...", comm may hold spaces and parentheses
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
	} catch (error) {
		return (error as NodeJS.ErrnoException).code !== 'ENOENT';
	}
}
