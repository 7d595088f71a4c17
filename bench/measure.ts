import {spawn, type ChildProcess} from 'node:child_process';
import {open, readFile, readdir, rm, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {redact} from '../source/core/redact.ts';

/** One command to time: argv (never a password on it), extra environment, where stdin/stdout go. */
export interface CommandSpec {
	command: string;
	args: string[];
	env?: NodeJS.ProcessEnv;
	/** file fed to stdin (e.g. `mariadb db < file.sql`) */
	stdinFile?: string;
	/** file stdout is written to (e.g. `mariadb-dump … > file.sql`); otherwise stdout is kept as a tail */
	stdoutFile?: string;
	cwd?: string;
}

export interface Measurement {
	/** wall-clock seconds from spawn to exit */
	seconds: number;
	/** GNU time's maximum resident set size; for `bash -c 'a | b'` the largest process of the pipeline */
	peakRssMb: number;
	/** the command's stdout when it was not redirected to a file */
	stdout: string;
}

export const GNU_TIME = '/usr/bin/time';
const OUTPUT_TAIL_CHARS = 4000;

/**
 * Children that are running, so an interrupted bench can end them: each runs in a process group of its
 * own (GNU time does not pass SIGTERM on to the command it times).
 */
const running = new Set<ChildProcess>();

export function terminateRunningCommands(): void {
	for (const child of running) {
		if (child.pid === undefined) continue;
		try {
			process.kill(-child.pid, 'SIGTERM');
		} catch {
			// already gone
		}
	}
}

/** Runs the command under GNU time; rejects with the tail of its stderr when it exits non-zero. */
export async function measure(spec: CommandSpec, timeFile: string): Promise<Measurement> {
	const stdin = spec.stdinFile ? await open(spec.stdinFile, 'r') : undefined;
	const stdout = spec.stdoutFile ? await open(spec.stdoutFile, 'w') : undefined;
	try {
		const began = performance.now();
		const child = spawn(GNU_TIME, ['-f', '%e %M', '-o', timeFile, spec.command, ...spec.args], {
			cwd: spec.cwd,
			env: {...process.env, ...spec.env},
			stdio: [stdin?.fd ?? 'ignore', stdout?.fd ?? 'pipe', 'pipe'],
			detached: true,
		});
		running.add(child);
		let out = '';
		let err = '';
		child.stdout?.on('data', (chunk: Buffer) => (out = (out + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS)));
		child.stderr?.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS)));
		const exit = await new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve, reject) => {
			child.once('error', reject);
			child.once('close', (code, signal) => resolve({code, signal}));
		}).finally(() => running.delete(child));
		const seconds = (performance.now() - began) / 1000;
		if (exit.code !== 0) {
			const why = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
			const tail = `${err}\n${out}`.trim().split('\n').slice(-15).join('\n');
			throw new Error(redact(`${spec.command} failed (${why})${tail ? `:\n${tail}` : ''}`));
		}
		const peakKb = await readPeakRssKb(timeFile);
		return {seconds, peakRssMb: peakKb / 1024, stdout: out};
	} finally {
		await stdin?.close();
		await stdout?.close();
		await rm(timeFile, {force: true});
	}
}

/** The `%e %M` line GNU time wrote (it may be preceded by "Command exited with non-zero status"). */
async function readPeakRssKb(timeFile: string): Promise<number> {
	const text = await readFile(timeFile, 'utf8');
	const last = text.trim().split('\n').at(-1) ?? '';
	const match = /^(\d+(?:\.\d+)?) (\d+)$/.exec(last.trim());
	if (!match) throw new Error(`could not read GNU time's output: ${JSON.stringify(text)}`);
	return Number(match[2]);
}

/** Bytes of a file, or of every file under a directory. */
export async function pathBytes(path: string): Promise<number> {
	const info = await stat(path);
	if (!info.isDirectory()) return info.size;
	let total = 0;
	for (const entry of await readdir(path, {withFileTypes: true})) {
		total += await pathBytes(join(path, entry.name));
	}
	return total;
}

/** A word safe to paste into `bash -c` whatever it holds. */
export function shellQuote(word: string): string {
	return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
