import {chmod, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs, type ParseArgsConfig} from 'node:util';
import {DbBackupError, UsageError} from '../source/core/errors.ts';
import {redact} from '../source/core/redact.ts';
import {ensureDebianPackages, type PackageNeed} from '../source/sandbox/index.ts';
import {toolVersions} from './versions.ts';

/** Progress lines go to stderr, with any registered secret masked; stdout carries the report only. */
export const benchLog = (line: string) => process.stderr.write(`${redact(line)}\n`);

/** What one bench driver is, for the frame every driver runs in (`runBench`). */
export interface BenchFrame<Options> {
	/** the driver's options from argv, or 'help' */
	parse(argv: string[]): Options | 'help';
	usage: string;
	/** installed when missing, before anything else runs */
	needs: PackageNeed[];
	/** the tools whose versions the results record (name → command printing its version) */
	tools(): Record<string, string[]>;
	/** the private work directory's name prefix under the temp dir */
	workDirPrefix: string;
	/** the work directory's mode when it must differ from mkdtemp's 0700 */
	workDirMode?: number;
	/** stops what the driver runs in the background; before every clean-up, and first on a signal */
	stopRunning(): void;
	/** what a signal stops, for the line that says so: "the running command and the bench server" */
	stopping: string;
}

export interface BenchRun<Options> {
	options: Options;
	startedAt: Date;
	/** read before the runs: the versions measured are the ones installed when they start */
	tools: Record<string, string>;
	workRoot: string;
	/** true once SIGINT/SIGTERM arrived: the signal handler cleans up and exits, nothing else may start */
	interrupted(): boolean;
	/** runs `step` at clean-up, before the steps registered earlier and before the work directory goes */
	atCleanUp(step: () => Promise<unknown>): void;
}

/**
 * Runs a bench driver's `body` inside what every driver needs: its options (or --help), its Debian
 * packages, the tool versions, a private work directory, and one clean-up (stop what runs, the
 * registered steps last-first, the work directory) on success, failure or SIGINT/SIGTERM, which exits
 * 130. The body's result is the exit code; a failure is printed with its hint and exits non-zero.
 */
export function runBench<Options>(frame: BenchFrame<Options>, body: (run: BenchRun<Options>) => Promise<number>): void {
	let interrupted = false;
	const main = async (): Promise<number> => {
		const options = frame.parse(process.argv.slice(2));
		if (options === 'help') {
			process.stdout.write(`${frame.usage}\n`);
			return 0;
		}
		await ensureDebianPackages(frame.needs, benchLog);
		const startedAt = new Date();
		const tools = await toolVersions(frame.tools());
		const workRoot = await mkdtemp(join(tmpdir(), frame.workDirPrefix));
		if (frame.workDirMode !== undefined) await chmod(workRoot, frame.workDirMode);
		const steps: Array<() => Promise<unknown>> = [];
		const cleanUp = async () => {
			frame.stopRunning();
			for (const step of steps.reverse()) await step();
			await rm(workRoot, {recursive: true, force: true});
		};
		const onSignal = (signal: NodeJS.Signals) => {
			if (interrupted) return;
			interrupted = true;
			benchLog(`\n${signal}: stopping ${frame.stopping}…`);
			void cleanUp().finally(() => process.exit(130));
		};
		process.on('SIGINT', onSignal);
		process.on('SIGTERM', onSignal);
		try {
			return await body({options, startedAt, tools, workRoot, interrupted: () => interrupted, atCleanUp: (step) => steps.push(step)});
		} finally {
			if (!interrupted) await cleanUp();
		}
	};
	main().then(
		(code) => {
			if (!interrupted) process.exit(code);
		},
		(error: unknown) => {
			if (interrupted) return;
			const message = error instanceof Error ? error.message : String(error);
			benchLog(`bench failed: ${message}`);
			if (error instanceof DbBackupError && error.hint) benchLog(error.hint);
			process.exit(error instanceof DbBackupError ? error.exitCode : 1);
		},
	);
}

/** node:util's parseArgs, strict and without positionals; a bad argument is a UsageError with the bench's usage as its hint. */
export function parseBenchArgs<Options extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: Options, usage: string) {
	try {
		return parseArgs({args: argv, strict: true, allowPositionals: false, options}).values;
	} catch (error) {
		throw new UsageError({code: 'BAD_ARGUMENTS', message: (error as Error).message, hint: usage});
	}
}
