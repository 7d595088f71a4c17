import {join} from 'node:path';
import {redact} from '../source/core/redact.ts';
import {runCommand} from '../source/sandbox/run-command.ts';
import {measure, pathBytes} from './measure.ts';
import {displayCommand, type Step} from './steps.ts';

export type RowCounts = Record<string, number>;

export interface StepResult {
	id: string;
	label: string;
	kind: Step['kind'];
	ours: boolean;
	comparedWith?: string;
	command: string;
	status: 'ok' | 'failed' | 'skipped';
	seconds?: number;
	peakRssMb?: number;
	outputBytes?: number;
	/** bytes the server's binary log (MariaDB) or WAL (PostgreSQL) grew by during the step */
	serverLogBytes?: number;
	/** seconds spent before the step waiting for the server to flush what earlier steps left dirty */
	settleSeconds?: number;
	/** one line: why the step did not complete */
	error?: string;
	/** the failing command's last output lines */
	errorOutput?: string;
	/** last lines our CLI printed on stdout (its result), for the JSON */
	stdoutTail?: string;
}

/** What runStep asks of the bench's server; each bench implements it for its database. */
export interface StepServer {
	/** drops the database when it exists, then creates it empty when `create` is set */
	resetDatabase(name: string, create: boolean): Promise<void>;
	dropDatabase(name: string): Promise<void>;
	/** waits until what earlier steps wrote is on disk; returns the seconds it took */
	settle(log: (line: string) => void): Promise<number>;
	/** bytes written to the server's binary log / WAL since some fixed point: only differences are used */
	serverLogBytes(): Promise<number>;
	/** throws naming every table whose row count differs from the source's */
	verifyRowCounts(database: string, expected: RowCounts): Promise<void>;
}

export interface StepEnvironment {
	server: StepServer;
	workDir: string;
	sourceRowCounts: RowCounts;
	log: (line: string) => void;
}

/**
 * Runs one step: waits for the server to settle, prepares the restore target, times the command under
 * GNU time, then sizes its output or verifies the restored row counts. A failure is returned, not
 * thrown, so the comparison carries on with the other tools.
 */
export async function runStep(step: Step, env: StepEnvironment, finished: Map<string, StepResult>): Promise<StepResult> {
	const base = {
		id: step.id,
		label: step.label,
		kind: step.kind,
		ours: step.ours,
		comparedWith: step.comparedWith,
		command: displayCommand(step),
	};
	if (step.restores !== undefined && finished.get(step.restores)?.status !== 'ok') {
		const reason = `skipped: the dump it restores (${step.restores}) did not succeed`;
		env.log(`  ${step.label}: ${reason}`);
		return {...base, status: 'skipped', error: reason};
	}
	env.log(`→ ${step.label}: ${base.command}`);
	try {
		if (step.targetDatabase !== undefined) await env.server.resetDatabase(step.targetDatabase, step.createTarget ?? false);
		const settleSeconds = await env.server.settle(env.log);
		const logBefore = await env.server.serverLogBytes();
		const measured = await measure(step.spec, join(env.workDir, `${step.id}.time`));
		const logAfter = await env.server.serverLogBytes();
		const result: StepResult = {
			...base,
			status: 'ok',
			seconds: measured.seconds,
			peakRssMb: measured.peakRssMb,
			serverLogBytes: logAfter - logBefore,
			settleSeconds,
			stdoutTail: step.ours ? lastLines(measured.stdout, 5) : undefined,
		};
		if (step.output !== undefined) result.outputBytes = await pathBytes(step.output);
		if (step.targetDatabase !== undefined) {
			await env.server.verifyRowCounts(step.targetDatabase, env.sourceRowCounts);
		}
		env.log(`  ${result.seconds!.toFixed(1)} s, peak RSS ${result.peakRssMb!.toFixed(0)} MiB`);
		return result;
	} catch (error) {
		const message = redact(error instanceof Error ? error.message : String(error));
		env.log(`  FAILED ${step.label}: ${message}`);
		return {...base, status: 'failed', error: summarize(message), errorOutput: message};
	} finally {
		// the next restore should not share the server's cache (or the disk) with this one's tables
		if (step.targetDatabase !== undefined) {
			await env.server.dropDatabase(step.targetDatabase).catch(() => {});
		}
	}
}

/**
 * The first line ("X failed (exit code N):"), then the output's first line that reads as an error: our
 * CLI's `error:` line, `pg_restore: error:`, psql's `ERROR:`, a Node `…Error [CODE]:` — or its first line.
 */
function summarize(message: string): string {
	const [head = '', ...output] = message
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => line !== '');
	const reported = output.find((line) => /(^|\s)(error|ERROR|FATAL):|^\w*Error\b/.test(line)) ?? output[0];
	return reported ? `${head} ${reported}` : head;
}

function lastLines(text: string, count: number): string {
	return redact(text.trim().split('\n').slice(-count).join('\n'));
}

/** A peer's restore run once, untimed, into a scratch database: `args` name that database instead of the step's. */
export interface WarmUpRestore {
	step: Step;
	args: string[];
	database: string;
}

/**
 * Runs the steps in order (a failed step is recorded and the others go on) and returns their results.
 * Before the first restore, `warmUp` runs once, untimed, into its scratch database (made empty, dropped
 * after): the first bulk load into a freshly started server was measured 1–2 s slower than the same
 * load later, whichever tool ran it, and without this it was always ours, which runs first.
 */
export async function runSteps(steps: Step[], env: StepEnvironment, warmUp: WarmUpRestore, interrupted: () => boolean): Promise<StepResult[]> {
	const finished = new Map<string, StepResult>();
	let warmedUp = false;
	for (const step of steps) {
		if (interrupted()) throw new Error('interrupted');
		if (step.kind === 'restore' && !warmedUp) {
			warmedUp = true;
			env.log(`bench: one untimed ${warmUp.step.label} first, so that no timed restore is the server's first bulk load`);
			await env.server.resetDatabase(warmUp.database, true);
			await runCommand(warmUp.step.spec.command, warmUp.args, {env: {...process.env, ...warmUp.step.spec.env}});
			await env.server.dropDatabase(warmUp.database);
		}
		finished.set(step.id, await runStep(step, env, finished));
	}
	return [...finished.values()];
}

/** 0 when every step of every size completed; else 1, after saying which did not. */
export function completionCode(runs: Array<{steps: StepResult[]}>, log: (line: string) => void): number {
	const incomplete = runs.flatMap((run) => run.steps.filter((step) => step.status !== 'ok'));
	if (incomplete.length === 0) return 0;
	log(`bench: ${incomplete.length} step(s) did not complete: ${incomplete.map((step) => step.label).join(', ')}`);
	return 1;
}
