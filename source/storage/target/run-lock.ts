import {spawn} from 'node:child_process';
import {once} from 'node:events';

/**
 * Which run owns a `.partial` is told by an flock(2) on the file, held by a `flock` child process for as
 * long as the run lives. A pid written beside the file could be reused after a crash, and a pid from
 * another container sharing the volume would look dead here; the kernel drops an flock the moment its
 * holder dies, whatever the pid namespace. The child holds the lock on fd 9 and waits on its stdin: when
 * this process ends (even by SIGKILL) the pipe closes, the child exits and the lock is gone.
 */
export interface RunLock {
	/** lets the lock go (the run is complete, or gave up and removed its files) */
	release(): Promise<void>;
}

const HOLD = 'exec 9<"$1" || exit 2; flock -x 9 || exit 2; echo locked; exec cat >/dev/null';
const PROBE = 'exec 9<"$1" || exit 2; flock -n -x 9';

/** Holds an exclusive flock on `file` (which must exist); resolves once it is held. Undefined when `flock` cannot run here. */
export async function holdRunLock(file: string): Promise<RunLock | undefined> {
	const child = spawn('sh', ['-c', HOLD, 'sh', file], {stdio: ['pipe', 'pipe', 'ignore']});
	child.stdin.on('error', () => undefined);
	const exited = once(child, 'exit').catch(() => undefined);
	const held = await new Promise<boolean>((resolve) => {
		child.stdout.once('data', () => resolve(true));
		child.once('error', () => resolve(false));
		child.once('exit', () => resolve(false));
	});
	if (!held) return undefined;
	// the lock must not keep a finished process alive; it goes when this process goes
	child.unref();
	for (const stream of [child.stdin, child.stdout] as unknown as Array<{unref?: () => void}>) stream.unref?.();
	let released: Promise<void> | undefined;
	return {
		release() {
			released ??= (async () => {
				// unref'd, the child's exit would not keep the loop alive to be awaited
				child.ref();
				child.stdin.end();
				await exited;
			})();
			return released;
		},
	};
}

/**
 * Whether a live run holds `file`: true (locked), false (nobody holds it: its run is over), undefined
 * when that cannot be told (no `flock`, the file is gone). Opens without O_CREAT, so a vanished file is
 * not made again.
 */
export async function isRunLocked(file: string): Promise<boolean | undefined> {
	const child = spawn('sh', ['-c', PROBE, 'sh', file], {stdio: 'ignore'});
	const [code] = (await once(child, 'exit').catch(() => [null])) as [number | null];
	if (code === 0) return false;
	if (code === 1) return true;
	return undefined;
}
