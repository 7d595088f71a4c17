import {spawn} from 'node:child_process';
import {open, readFile} from 'node:fs/promises';
import path from 'node:path';
import {UsageError, WorkError, type ErrorCode} from '../../core/errors.ts';

/** flock(1)'s exit status when -n finds the lock taken (-E), so it is not confused with its other failures */
const LOCK_BUSY_STATUS = 75;

/** Whose lock it is: the lock file's name, the command that holds it (for messages) and the codes of the refusals. */
export interface DirLockKind {
	name: string;
	holder: string;
	/** another process holds it */
	lockedCode: ErrorCode;
	/** flock(1) could not run */
	failedCode: ErrorCode;
}

/**
 * One streamer per local store directory: two writing the same files would interleave them.
 *
 * The lock is a kernel flock(2) on the lock file, not the pid written in it: the kernel drops it when
 * its holder dies (kill -9 included), two streamers racing for it cannot both win, and whatever the
 * file holds (a stale pid, `echo 1 > binlog-stream.lock`) never blocks anyone. Node has no flock(), and a
 * native addon is not wanted, so a child `flock -n -E 75 FILE sh -c 'echo locked; exec cat'` (util-linux)
 * takes the lock and holds it while its `cat` reads our pipe. It prints "locked" once it holds it; when
 * we unlock we close the pipe, and when we die the kernel closes it: `cat` reads EOF, exits, and the lock
 * goes with it (the child never outlives us holding the lock). The pid in the file is only there to name
 * the holder in the refusal.
 */
export async function lockStoreDir(dir: string, kind: DirLockKind): Promise<() => Promise<void>> {
	const file = path.join(dir, kind.name);
	// created by us with 0600 (flock(1) would create it 0666 minus the umask)
	await (await open(file, 'a', 0o600)).close();
	const child = spawn('flock', ['-n', '-E', String(LOCK_BUSY_STATUS), file, 'sh', '-c', 'echo locked; exec cat'], {stdio: ['pipe', 'pipe', 'pipe']});
	let stderr = '';
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const outcome = await new Promise<{locked: true} | {locked: false; status: number | null; error?: Error}>((resolve) => {
		child.stdout.once('data', () => resolve({locked: true}));
		child.once('error', (error) => resolve({locked: false, status: null, error}));
		child.once('exit', (status) => resolve({locked: false, status}));
	});
	if (!outcome.locked) {
		if (outcome.status === LOCK_BUSY_STATUS) {
			const holder = await holderPid(file);
			throw new UsageError({
				code: kind.lockedCode,
				message: `another ${kind.holder}${/^\d+$/.test(holder) ? ` (pid ${holder})` : ''} holds the lock on ${file}`,
				hint: 'Stop that streamer first, or choose another --output directory. The lock goes when its process ends, even by kill -9.',
			});
		}
		throw new WorkError({
			code: kind.failedCode,
			message: `cannot lock ${file}: ${outcome.error ? outcome.error.message : stderr.trim() || `flock exited with ${String(outcome.status)}`}`,
			hint: `${kind.holder} locks its directory with flock(1) from util-linux; install it (apt-get install util-linux) and check the directory is writable.`,
		});
	}
	// the lock must not keep the process alive, nor a dead child go unnoticed by a clean unlock
	child.unref();
	for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as {unref?: () => void}).unref?.();
	const exited = new Promise<void>((resolve) => {
		if (child.exitCode !== null) resolve();
		else child.once('exit', () => resolve());
	});
	await writeHolder(file, `${process.pid}\n`);
	return async () => {
		await writeHolder(file, '').catch(() => {});
		// waiting for the exit must keep the process alive until the lock is gone
		child.ref();
		child.stdin.end();
		await exited;
	};
}

/**
 * The pid the holder wrote, for the refusal message. A holder writes it just after it takes the lock, so
 * one that took it a moment ago may not have yet: look again for a short while before naming nobody.
 */
async function holderPid(file: string): Promise<string> {
	for (let attempt = 0; ; attempt++) {
		const holder = (await readFile(file, 'utf8').catch(() => '')).trim();
		if (/^\d+$/.test(holder) || attempt >= 10) return holder;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

/** the holder's pid, for the refusal message; the file itself (its inode) stays, as flock needs */
async function writeHolder(file: string, text: string): Promise<void> {
	const handle = await open(file, 'r+');
	try {
		await handle.truncate(0);
		await handle.write(text, 0);
	} finally {
		await handle.close();
	}
}
