/**
 * The S3 bench's steps: our CLI as a user runs it, dumping the sysbench data to a local file and straight
 * to S3 (stream-backup), encrypted and not, and restoring from each. Also its options, and the per-step
 * CPU accounting that shows where a step's time went (MariaDB, s3rver, or the rest: mostly dbbackup).
 */
import {readFile, writeFile} from 'node:fs/promises';
import {cpus} from 'node:os';
import {join} from 'node:path';
import {S3Client} from '@aws-sdk/client-s3';
import {runCommand} from '../source/sandbox/run-command.ts';
import type {RunningS3} from '../source/sandbox/types.ts';
import {parseBenchArgs} from './driver.ts';
import {positiveInteger} from './options.ts';
import {OUR_CLI, REPO_ROOT} from './ours.ts';
import {cpuSeconds} from './process-sampler.ts';
import {runStep, type StepEnvironment, type StepResult, type StepServer} from './run-step.ts';
import type {Step, StepContext} from './steps.ts';

const MIB = 1024 * 1024;

export interface S3BenchOptions {
	rowsPerTable: number;
	tables: number;
	/** dump and restore workers (--workers of backup and restore; the dump inside stream-backup too) */
	workers: number;
	/** parts in flight: stream-backup --workers, and the uploaders' concurrency */
	uploadWorkers: number;
	/** bytes of a part: stream-backup --part-size, and the uploaders' part size */
	partSize: number;
	/** bytes of the generated stream the two uploaders send; 0 skips that comparison */
	uploadBytes: number;
}

export const S3_USAGE = `Usage: node --import tsx bench/s3.ts [options]   (npm run bench:s3 -- [options])
  --rows N            rows per sysbench table (default 1000000)
  --tables N          sysbench tables (default 4)
  --workers N         dump and restore workers (default: number of cores)
  --upload-workers N  parts uploaded at once: stream-backup --workers and both uploaders' concurrency (default 4)
  --part-size BYTES   part size of stream-backup and of both uploaders (default 16777216)
  --upload-mib N      MiB of the generated stream of the uploader comparison (default 2048; 0 skips it)
  --help`;

export function parseS3BenchOptions(argv: string[]): S3BenchOptions | 'help' {
	const values = parseBenchArgs(
		argv,
		{
			rows: {type: 'string'},
			tables: {type: 'string'},
			workers: {type: 'string'},
			'upload-workers': {type: 'string'},
			'part-size': {type: 'string'},
			'upload-mib': {type: 'string'},
			help: {type: 'boolean', default: false},
		},
		S3_USAGE,
	);
	if (values.help) return 'help';
	const number = (flag: string, text: string | undefined, fallback: number) => (text === undefined ? fallback : positiveInteger(flag, text, S3_USAGE));
	const uploadMib = values['upload-mib'] === '0' ? 0 : number('--upload-mib', values['upload-mib'], 2048);
	return {
		rowsPerTable: number('--rows', values.rows, 1_000_000),
		tables: number('--tables', values.tables, 4),
		workers: number('--workers', values.workers, cpus().length),
		uploadWorkers: number('--upload-workers', values['upload-workers'], 4),
		partSize: number('--part-size', values['part-size'], 16 * MIB),
		uploadBytes: uploadMib * MIB,
	};
}

/** A client of the bench's S3 server for the bench itself (sizes, clean-up), not for anything measured. */
export function benchS3Client(s3: RunningS3): S3Client {
	// the pinned SDK warns about its future releases needing Node 22 (as client.ts, for the CLI)
	process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
	return new S3Client({
		endpoint: s3.endpoint,
		region: s3.region,
		forcePathStyle: true,
		credentials: {accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey},
		requestChecksumCalculation: 'WHEN_REQUIRED',
		responseChecksumValidation: 'WHEN_REQUIRED',
	});
}

/** What a dbbackup step needs to reach the bench's S3 server: the AWS variables a user would set. */
export function awsEnv(s3: RunningS3): Record<string, string> {
	return {AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: s3.region};
}

export interface S3StepContext extends StepContext {
	s3: RunningS3;
	/** key prefix of this run's objects, ending in / */
	prefix: string;
	uploadWorkers: number;
	partSize: number;
	/** base64 of 32 bytes, given in DBBACKUP_ENCRYPTION_KEY only */
	encryptionKey: string;
}

/** Step ids, also the keys the targets and the JSON use. */
export const STEP = {
	localDump: 'local-zstd',
	s3Dump: 's3-zstd',
	encryptedDump: 'local-zstd-encrypt',
	localRestore: 'restore-local',
	s3Restore: 'restore-s3',
} as const;

/**
 * Where a step's stdout goes: every step runs with --json, and its stage events (with their times) tell
 * where the step's time went. The events are throttled (progress at most 10 a second), so the cost is nil.
 */
function eventsFile(ctx: StepContext, id: string): string {
	return join(ctx.workDir, `${id}.events.jsonl`);
}

/** The time between one stage event and the next (the last one: until the result event). */
export interface StagePhase {
	stage: string;
	seconds: number;
}

/** The stages of a step from its --json events; [] when the file is missing or holds none. */
export async function stagePhases(ctx: StepContext, id: string): Promise<{phases: StagePhase[]; result?: unknown}> {
	let text: string;
	try {
		text = await readFile(eventsFile(ctx, id), 'utf8');
	} catch {
		return {phases: []};
	}
	const events = text
		.split('\n')
		.filter((line) => line.startsWith('{'))
		.map((line) => JSON.parse(line) as {type: string; time: string; name?: string; data?: unknown});
	const marks = events.filter((event) => event.type === 'stage' || event.type === 'result');
	const phases: StagePhase[] = [];
	for (const [index, mark] of marks.entries()) {
		const next = marks[index + 1];
		if (mark.type !== 'stage' || next === undefined) continue;
		phases.push({stage: mark.name ?? '?', seconds: (Date.parse(next.time) - Date.parse(mark.time)) / 1000});
	}
	return {phases, result: events.find((event) => event.type === 'result')?.data};
}

function connectionArgs(ctx: StepContext): string[] {
	return ['--db-type', 'mysql', '--host', ctx.host, '--port', String(ctx.port), '--user', ctx.user];
}

export function localArchive(ctx: StepContext, variant: string): string {
	return join(ctx.workDir, `dbbackup-${variant}.tar`);
}

/** The object stream-backup writes: named in full, so the restore knows it before the dump runs. */
export function s3ArchiveKey(ctx: S3StepContext): string {
	return `${ctx.prefix}dbbackup-zstd.tar`;
}

export function s3ArchiveUrl(ctx: S3StepContext): string {
	return `s3://${ctx.s3.bucket}/${s3ArchiveKey(ctx)}`;
}

function localDump(ctx: S3StepContext, encrypt: boolean): Step {
	const output = localArchive(ctx, encrypt ? 'zstd-encrypted' : 'zstd');
	return {
		id: encrypt ? STEP.encryptedDump : STEP.localDump,
		label: `backup → local file, zstd${encrypt ? ', --encrypt' : ''}`,
		kind: 'dump',
		ours: true,
		comparedWith: encrypt ? STEP.localDump : undefined,
		spec: {
			command: OUR_CLI,
			args: ['backup', 'single', ctx.sourceDatabase, ...connectionArgs(ctx), '--output', output, '--compress', 'zstd', '--workers', String(ctx.workers), ...(encrypt ? ['--encrypt'] : []), '--json', '--yes'],
			stdoutFile: eventsFile(ctx, encrypt ? STEP.encryptedDump : STEP.localDump),
			env: {MYSQL_PWD: ctx.password, ...(encrypt ? {DBBACKUP_ENCRYPTION_KEY: ctx.encryptionKey} : {})},
			cwd: REPO_ROOT,
		},
		output,
	};
}

/**
 * stream-backup's --workers is the parts in flight, and its dump then takes the number of cores; when
 * the bench's dump workers differ from that, both go in a config file instead (output.workers and
 * backup.streaming.workers), so the dump inside stream-backup runs as many workers as the local one.
 */
async function s3Dump(ctx: S3StepContext): Promise<Step> {
	const common = ['stream-backup', '--database', ctx.sourceDatabase, ...connectionArgs(ctx), '--target', s3ArchiveUrl(ctx), '--compress', 'zstd', '--part-size', String(ctx.partSize)];
	let workerArgs = ['--workers', String(ctx.uploadWorkers)];
	if (ctx.workers !== cpus().length) {
		const config = join(ctx.workDir, 'stream-backup.yaml');
		await writeFile(config, `output:\n  workers: ${ctx.workers}\nbackup:\n  streaming:\n    workers: ${ctx.uploadWorkers}\n`);
		workerArgs = ['--config', config];
	}
	return {
		id: STEP.s3Dump,
		label: 'stream-backup → S3 (s3rver), zstd',
		kind: 'dump',
		ours: true,
		comparedWith: STEP.localDump,
		spec: {
			command: OUR_CLI,
			args: [...common, ...workerArgs, '--json', '--yes'],
			stdoutFile: eventsFile(ctx, STEP.s3Dump),
			env: {MYSQL_PWD: ctx.password, ...awsEnv(ctx.s3)},
			cwd: REPO_ROOT,
		},
	};
}

function restore(ctx: S3StepContext, from: 'local' | 's3'): Step {
	const target = from === 'local' ? 'sbtest_r_local' : 'sbtest_r_s3';
	const source = from === 'local' ? localArchive(ctx, 'zstd') : s3ArchiveUrl(ctx);
	return {
		id: from === 'local' ? STEP.localRestore : STEP.s3Restore,
		label: from === 'local' ? 'restore ← local file' : 'restore ← S3 (s3://…)',
		kind: 'restore',
		ours: true,
		comparedWith: from === 's3' ? STEP.localRestore : undefined,
		spec: {
			command: OUR_CLI,
			args: ['restore', source, ...connectionArgs(ctx), '--target-db', target, '--workers', String(ctx.workers), '--json', '--yes'],
			stdoutFile: eventsFile(ctx, from === 'local' ? STEP.localRestore : STEP.s3Restore),
			env: {MYSQL_PWD: ctx.password, ...(from === 's3' ? awsEnv(ctx.s3) : {})},
			cwd: REPO_ROOT,
		},
		restores: from === 'local' ? STEP.localDump : STEP.s3Dump,
		targetDatabase: target,
	};
}

/** The dumps, local first, then the restores (each into a fresh database the restore creates). */
export async function s3BenchSteps(ctx: S3StepContext): Promise<{dumps: Step[]; restores: Step[]}> {
	return {
		dumps: [localDump(ctx, false), await s3Dump(ctx), localDump(ctx, true)],
		restores: [restore(ctx, 'local'), restore(ctx, 's3')],
	};
}

/** CPU seconds spent during a step: by the database server, by s3rver, and by everything else. */
export interface StepCpu {
	/** busy CPU seconds of the whole machine (all cores) */
	machine: number;
	mariadb: number;
	s3rver: number;
	/** machine − mariadb − s3rver: the dbbackup process, plus whatever else ran (little, on the bench machine) */
	rest: number;
}

export interface S3StepResult extends StepResult {
	cpu?: StepCpu;
	/** from the step's --json stage events */
	phases?: StagePhase[];
	/** the result event's data (the artifact, its size) */
	result?: unknown;
}

let ticksPerSecond: Promise<number> | undefined;

/** Busy (non-idle, non-iowait) CPU seconds of the machine so far, from /proc/stat. */
export async function machineBusySeconds(): Promise<number> {
	ticksPerSecond ??= runCommand('getconf', ['CLK_TCK']).then(
		({stdout}) => Number(stdout.trim()) || 100,
		() => 100,
	);
	const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
	const [, ...fields] = line.trim().split(/\s+/).map(Number);
	// user nice system idle iowait irq softirq steal …; guest time is counted in user already
	const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
	return (user + nice + system + irq + softirq + steal) / (await ticksPerSecond);
}

interface CpuReading {
	machine: number;
	mariadb: number;
	s3rver: number;
}

/**
 * runStep with the CPU used by MariaDB, s3rver and the rest of the machine while the command ran:
 * runStep reads the server's log size right before and right after the timed command, and the wrapped
 * server takes a CPU reading at each, so the settle before and the row count after are not counted.
 */
export async function runMeasuredStep(ctx: StepContext, step: Step, env: StepEnvironment, finished: Map<string, StepResult>, pids: {mariadb: number; s3rver: number}): Promise<S3StepResult> {
	const readings: CpuReading[] = [];
	const server: StepServer = {
		...env.server,
		async serverLogBytes() {
			const bytes = await env.server.serverLogBytes();
			readings.push({machine: await machineBusySeconds(), mariadb: await cpuSeconds(pids.mariadb), s3rver: await cpuSeconds(pids.s3rver)});
			return bytes;
		},
	};
	const result: S3StepResult = await runStep(step, {...env, server}, finished);
	const [before, after] = readings;
	if (result.status === 'ok' && before && after) {
		const machine = after.machine - before.machine;
		const mariadb = after.mariadb - before.mariadb;
		const s3rver = after.s3rver - before.s3rver;
		const round = (seconds: number) => Math.round(seconds * 1000) / 1000;
		result.cpu = {machine: round(machine), mariadb: round(mariadb), s3rver: round(s3rver), rest: round(Math.max(0, machine - mariadb - s3rver))};
		Object.assign(result, await stagePhases(ctx, step.id));
	}
	return result;
}
