/**
 * Backups to S3 and encryption, side by side with their local equivalents, on the sysbench data and the
 * harness's S3 server (s3rver): a zstd dump to a local file vs stream-backup to S3, the same local dump
 * with --encrypt, a restore of the local archive vs one from S3, and our multipart uploader against
 * @aws-sdk/lib-storage on a generated stream. Prints ratios, peak RSS and where the CPU went, the
 * targets, and writes the figures to bench/results/s3-<time>.json. Not a test: nothing asserts on time.
 *
 *   node --import tsx bench/s3.ts [--rows N] [--tables N] [--workers N] [--upload-workers N] [--part-size BYTES] [--upload-mib N]
 */
import {randomBytes} from 'node:crypto';
import {mkdir, readFile, rm} from 'node:fs/promises';
import {join} from 'node:path';
import {DeleteObjectCommand, HeadObjectCommand} from '@aws-sdk/client-s3';
import type {RowDataPacket} from 'mysql2/promise';
import {registerSecret} from '../source/core/redact.ts';
import {MARIADB_NEEDS, startS3, type PackageNeed} from '../source/sandbox/index.ts';
import {runCommand} from '../source/sandbox/run-command.ts';
import {benchLog, runBench} from './driver.ts';
import {terminateRunningCommands} from './measure.ts';
import {buildOurCli, REPO_ROOT} from './ours.ts';
import {formatTargets, renderTable, writeResults} from './report.ts';
import type {StepResult} from './run-step.ts';
import {
	benchS3Client,
	parseS3BenchOptions,
	runMeasuredStep,
	s3ArchiveKey,
	s3BenchSteps,
	S3_USAGE,
	STEP,
	type S3BenchOptions,
	type S3StepContext,
	type S3StepResult,
} from './s3-steps.ts';
import {mysqlStepServer, settingsLine, startBenchServer} from './server.ts';
import {countRows, prepareSysbenchData, SOURCE_DATABASE, sysbenchTables} from './sysbench.ts';
import {MAX_PEAK_RSS_MB, type TargetOutcome} from './targets.ts';
import {compareUploaders, type UploaderComparison} from './uploader-compare.ts';
import {machineInfo} from './versions.ts';

const BENCH_NEEDS: PackageNeed[] = [...MARIADB_NEEDS, {binary: 'sysbench', pkg: 'sysbench'}, {binary: 'time', pkg: 'time'}];
const MIB = 1024 * 1024;
const log = benchLog;

/** The issue's limits. */
const LIMITS = {s3DumpRatio: 1.15, encryptOverhead: 0.05, s3RestoreRatio: 1.15, uploaderThroughputRatio: 1.0};

runBench(
	{
		parse: parseS3BenchOptions,
		usage: S3_USAGE,
		needs: BENCH_NEEDS,
		tools: () => ({sysbench: ['sysbench', '--version'], zstd: ['zstd', '--version']}),
		workDirPrefix: 'dbbackup-bench-s3-',
		stopRunning: terminateRunningCommands,
		stopping: 'the running command, s3rver and the bench server',
	},
	async ({options, startedAt, tools, workRoot, interrupted, atCleanUp}) => {
		const cores = machineInfo().cpus;
		const s3rverVersion = await s3rverVersionOf();
		log(
			`bench: ${options.tables} × ${options.rowsPerTable.toLocaleString('en-US')} rows, ${options.workers} dump/restore workers, ` +
				`${options.uploadWorkers} parts of ${(options.partSize / MIB).toFixed(0)} MiB in flight, work dir ${workRoot}`,
		);
		await buildOurCli(log);
		const bench = await startBenchServer(workRoot, log);
		atCleanUp(() => bench.server.stop());
		const admin = await bench.connect();
		atCleanUp(() => admin.end().catch(() => {}));
		const s3 = await startS3({log, baseDir: workRoot, startTimeoutMs: 60_000});
		atCleanUp(() => s3.stop());
		log(`bench: MariaDB ${bench.server.version} on port ${bench.server.port}; s3rver on ${s3.endpoint} over ${s3.directory}`);

		const tables = sysbenchTables(options.tables);
		log(`\nbench: generating ${options.tables} × ${options.rowsPerTable.toLocaleString('en-US')} rows with sysbench…`);
		const prepareSeconds = await prepareSysbenchData(bench.server, admin, {tables: options.tables, rowsPerTable: options.rowsPerTable, threads: options.workers});
		const rowCounts = await countRows(admin, SOURCE_DATABASE, tables);
		const short = Object.entries(rowCounts).filter(([, count]) => count !== options.rowsPerTable);
		if (short.length > 0) throw new Error(`sysbench prepare left ${short.map(([table, count]) => `${table} with ${count} rows`).join(', ')}`);
		const [sizeRows] = await admin.query<RowDataPacket[]>('SELECT SUM(data_length + index_length) AS bytes FROM information_schema.tables WHERE table_schema = ?', [SOURCE_DATABASE]);
		const sourceBytes = Number(sizeRows[0]?.bytes);

		const workDir = join(workRoot, 'run');
		await mkdir(workDir, {recursive: true});
		const encryptionKey = randomBytes(32).toString('base64');
		registerSecret(encryptionKey);
		const ctx: S3StepContext = {
			host: bench.server.host,
			port: bench.server.port,
			user: bench.server.user,
			password: bench.server.password,
			sourceDatabase: SOURCE_DATABASE,
			workers: options.workers,
			workDir,
			s3,
			prefix: `bench-${startedAt.getTime()}/`,
			uploadWorkers: options.uploadWorkers,
			partSize: options.partSize,
			encryptionKey,
		};
		const {dumps, restores} = await s3BenchSteps(ctx);
		const env = {server: mysqlStepServer(admin), workDir, sourceRowCounts: rowCounts, log};
		const pids = {mariadb: bench.server.pid, s3rver: s3.pid};
		const finished = new Map<string, StepResult>();
		const client = benchS3Client(s3);
		atCleanUp(async () => client.destroy());

		// as the restores get one below: in the first full run, the first timed dump after sysbench prepare
		// (local, zstd) took 6.5 s and 8.4 CPU s outside MariaDB, the encrypted one after it 5.1 s and 6.4 s
		const firstDump = dumps[0]!;
		const warmUpOutput = join(workDir, 'warm-up.tar');
		log(`bench: one untimed ${firstDump.label} first (to ${warmUpOutput}, then deleted), so that no timed dump is the first`);
		await runCommand(firstDump.spec.command, firstDump.spec.args.map((arg) => (arg === firstDump.output ? warmUpOutput : arg)), {env: {...process.env, ...firstDump.spec.env}, cwd: firstDump.spec.cwd});
		await rm(warmUpOutput, {force: true});
		for (const step of dumps) {
			if (interrupted()) throw new Error('interrupted');
			const result = await runMeasuredStep(ctx, step, env, finished, pids);
			if (step.id === STEP.s3Dump && result.status === 'ok') {
				const head = await client.send(new HeadObjectCommand({Bucket: s3.bucket, Key: s3ArchiveKey(ctx)}));
				result.outputBytes = head.ContentLength;
			}
			finished.set(step.id, result);
		}
		if (finished.get(STEP.localDump)?.status === 'ok') {
			// the first bulk load into a fresh server was measured 1–2 s slower than later ones (run-step.ts)
			const warmUp = restores.find((step) => step.id === STEP.localRestore)!;
			log(`bench: one untimed ${warmUp.label} first, so that no timed restore is the server's first bulk load`);
			const args = warmUp.spec.args.map((arg, index, all) => (all[index - 1] === '--target-db' ? 'sbtest_warmup' : arg));
			await env.server.resetDatabase('sbtest_warmup', false);
			await runCommand(warmUp.spec.command, args, {env: {...process.env, ...warmUp.spec.env}, cwd: warmUp.spec.cwd});
			await env.server.dropDatabase('sbtest_warmup');
		}
		for (const step of restores) {
			if (interrupted()) throw new Error('interrupted');
			finished.set(step.id, await runMeasuredStep(ctx, step, env, finished, pids));
		}
		for (const key of [s3ArchiveKey(ctx), `${s3ArchiveKey(ctx)}.meta.json`]) {
			await client.send(new DeleteObjectCommand({Bucket: s3.bucket, Key: key})).catch(() => {});
		}
		const steps = [...finished.values()] as S3StepResult[];

		let uploaders: UploaderComparison | undefined;
		if (options.uploadBytes > 0 && !interrupted()) {
			log(`\nbench: uploader comparison, ${(options.uploadBytes / MIB).toFixed(0)} MiB generated, parts of ${(options.partSize / MIB).toFixed(0)} MiB, ${options.uploadWorkers} at once`);
			uploaders = await compareUploaders({s3, prefix: ctx.prefix, workDir, bytes: options.uploadBytes, partSize: options.partSize, workers: options.uploadWorkers, log});
		}

		const targets = evaluate(steps, uploaders, options);
		const title =
			`dbbackup S3 bench, ${startedAt.toISOString()}: MariaDB ${bench.server.version}, s3rver ${s3rverVersion}, ${cores} cores; ` +
			`${options.tables} tables × ${options.rowsPerTable.toLocaleString('en-US')} rows (source ${(sourceBytes / MIB).toFixed(0)} MiB data+index; sysbench prepare ${prepareSeconds.toFixed(0)} s)`;
		const lines = [
			title,
			`server: ${settingsLine(bench.settings)}`,
			`workers: ${options.workers} for every dump and restore; stream-backup uploads ${options.uploadWorkers} parts of ${(options.partSize / MIB).toFixed(0)} MiB at once`,
			'',
			...formatSteps(steps, cores),
			'',
			...formatPhases(steps),
			'',
			...(uploaders ? [...formatUploaders(uploaders), ''] : ['uploader comparison: not run (--upload-mib 0)', '']),
			...NOTES,
			'',
			'Targets:',
			...formatTargets(targets),
		];
		process.stdout.write(`${lines.join('\n')}\n`);
		const file = await writeResults('s3', startedAt, {
			startedAt: startedAt.toISOString(),
			finishedAt: new Date().toISOString(),
			options,
			machine: machineInfo(),
			server: {version: bench.server.version, settings: bench.settings},
			s3: {server: 's3rver', version: s3rverVersion, endpoint: s3.endpoint, bucket: s3.bucket, prefix: ctx.prefix},
			tools: {...tools, '@aws-sdk/client-s3': uploaders?.clientS3Version, '@aws-sdk/lib-storage': uploaders?.libStorageVersion ?? uploaders?.libStorageSkipped},
			notes: NOTES,
			sourceBytes,
			prepareSeconds,
			rowCounts,
			steps,
			uploaders,
			targets,
		});
		process.stdout.write(`\nresults written to ${file}\n`);
		const incomplete = [...steps.filter((step) => step.status !== 'ok').map((step) => step.label), ...(uploaders?.runs.filter((run) => run.status === 'failed').map((run) => run.label) ?? [])];
		if (incomplete.length === 0) return 0;
		log(`bench: ${incomplete.length} step(s) did not complete: ${incomplete.join(', ')}`);
		return 1;
	},
);

/** The installed s3rver's version, for the title and the JSON. */
async function s3rverVersionOf(): Promise<string> {
	try {
		return (JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', 's3rver', 'package.json'), 'utf8')) as {version: string}).version;
	} catch {
		return 'unknown';
	}
}

const NOTES = [
	's3rver writes each object to its own local disk (the same disk the local dump writes to) and is a JavaScript server running on',
	'the same cores as MariaDB and dbbackup: every byte sent to it costs CPU here (its column), where a real S3 endpoint costs this',
	'machine only the network. The comparison does not favour us.',
	'seconds: wall clock of the whole command (node start included). peak RSS: GNU time maximum resident set size of the dbbackup process.',
	'CPU s: CPU seconds used while the command ran, by mariadbd, by s3rver, and by the rest of the machine (≈ dbbackup with its zstd',
	'threads); busy: all of it ÷ (seconds × cores).',
	'One untimed local dump runs before the timed dumps, and one untimed restore before the timed restores, so that no timed step is the',
	'first of its kind after the data was loaded. Restores go into fresh databases they create.',
];

function ratio(steps: StepResult[], id: string, baseId: string): {ratio: number; ours: StepResult; base: StepResult} | undefined {
	const ours = steps.find((step) => step.id === id);
	const base = steps.find((step) => step.id === baseId);
	if (ours?.status !== 'ok' || base?.status !== 'ok') return undefined;
	return {ratio: ours.seconds! / base.seconds!, ours, base};
}

function formatSteps(steps: S3StepResult[], cores: number): string[] {
	const rows = steps.map((step) => {
		if (step.status !== 'ok') return [step.kind, step.label, step.status.toUpperCase(), '', '', '', '', '', '', ''];
		const compared = step.comparedWith === undefined ? undefined : ratio(steps, step.id, step.comparedWith);
		const versus = compared === undefined ? (step.comparedWith === undefined ? '' : '–') : `${compared.ratio.toFixed(2)}× (${compared.ratio >= 1 ? '+' : ''}${((compared.ratio - 1) * 100).toFixed(1)} %)`;
		const cpu = step.cpu;
		return [
			step.kind,
			step.label,
			step.seconds!.toFixed(1),
			versus,
			step.outputBytes === undefined ? '' : step.outputBytes.toLocaleString('en-US'),
			step.peakRssMb!.toFixed(0),
			cpu ? cpu.mariadb.toFixed(1) : '',
			cpu ? cpu.s3rver.toFixed(1) : '',
			cpu ? cpu.rest.toFixed(1) : '',
			cpu ? `${((cpu.machine / (step.seconds! * cores)) * 100).toFixed(0)} %` : '',
		];
	});
	const table = renderTable(
		['', 'dbbackup step', 'seconds', 'vs local', 'output bytes', 'peak RSS MiB', 'CPU s mariadbd', 's3rver', 'rest', 'busy'],
		['left', 'left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
		rows,
	);
	const failures = steps.filter((step) => step.status !== 'ok').map((step) => `  ${step.label}: ${step.error}`);
	return [...table, ...(failures.length > 0 ? ['not measured:', ...failures] : [])];
}

/** ours' bound: (workers + 1) parts over what the process held before the upload */
function uploaderBoundMb(comparison: UploaderComparison): number {
	return ((comparison.workers + 1) * comparison.partSize) / MIB;
}

function formatUploaders(comparison: UploaderComparison): string[] {
	const lib = comparison.runs.find((run) => run.impl === 'lib-storage' && run.status === 'ok');
	const rows = comparison.runs.map((run) => {
		if (run.status !== 'ok') return [run.label, run.status.toUpperCase(), '', '', '', '', '', '', ''];
		const result = run.result!;
		const versus = run.impl !== 'lib-storage' && lib ? `${(result.mibPerSecond / lib.result!.mibPerSecond).toFixed(2)}×` : '';
		return [
			run.label,
			result.mibPerSecond.toFixed(0),
			result.seconds.toFixed(1),
			versus,
			run.processPeakRssMb!.toFixed(0),
			result.rssBeforeMb.toFixed(0),
			(result.peakRssMb - result.rssBeforeMb).toFixed(0),
			result.peakBufferedMb === undefined ? '' : result.peakBufferedMb.toFixed(0),
			run.s3rverCpuSeconds!.toFixed(1),
		];
	});
	const title =
		`uploader comparison: ${(comparison.bytes / MIB).toFixed(0)} MiB generated (a 64 MiB xorshift block, repeated, in 1 MiB writes), ` +
		`parts of ${(comparison.partSize / MIB).toFixed(0)} MiB, ${comparison.workers} at once, to s3rver; each in its own process; ` +
		`client-s3 ${comparison.clientS3Version}, lib-storage ${comparison.libStorageVersion ?? 'not installed'}`;
	const table = renderTable(
		['uploader', 'MiB/s', 'seconds', '÷ lib-storage', 'peak RSS MiB', 'before upload', 'peak − before', 'ours: peak part buffers', 's3rver CPU s'],
		['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
		rows,
	);
	const notes = [
		'Both use the same S3 client (our connection\'s: keep-alive agent with workers + 2 sockets, no SDK retries, checksums only where',
		'required), so lib-storage sends no checksum, while ours by default computes and sends Content-MD5 and x-amz-checksum-sha256 for',
		'every part on its main thread (the md5-only row: backup.streaming.checksum false). MiB/s: from the first write until the object is',
		`complete. before upload: node, tsx, the SDK and the 64 MiB source block. Our bound: peak − before ≤ (workers + 1) × part size = ${uploaderBoundMb(comparison).toFixed(0)} MiB.`,
	];
	const skipped = comparison.libStorageSkipped ? [`lib-storage skipped: ${comparison.libStorageSkipped}`] : [];
	const failures = comparison.runs.filter((run) => run.status === 'failed').map((run) => `  ${run.label}: ${run.error}`);
	return [title, ...table, ...notes, ...skipped, ...(failures.length > 0 ? ['not measured:', ...failures] : [])];
}

/** Each step's stages from its --json events, the ones of 0.05 s or more, and the time outside any stage. */
function formatPhases(steps: S3StepResult[]): string[] {
	const lines = steps
		.filter((step) => step.status === 'ok' && step.phases !== undefined && step.phases.length > 0)
		.map((step) => {
			const inStages = step.phases!.reduce((sum, phase) => sum + phase.seconds, 0);
			const shown = step.phases!.filter((phase) => phase.seconds >= 0.05).map((phase) => `${phase.stage} ${phase.seconds.toFixed(2)}`);
			return `  ${step.label}: ${[...shown, `outside stages (node start, exit) ${(step.seconds! - inStages).toFixed(2)}`].join(' · ')}`;
		});
	return lines.length === 0 ? [] : ['where the time went, seconds per stage (from each step\'s --json stage events; stages under 0.05 s left out):', ...lines];
}

function timeTarget(steps: StepResult[], target: string, id: string, baseId: string, limit: number): TargetOutcome {
	const compared = ratio(steps, id, baseId);
	if (!compared) {
		const missing = [id, baseId].filter((stepId) => steps.find((step) => step.id === stepId)?.status !== 'ok');
		return {target, status: 'MISS', limit, detail: `not measured: ${missing.join(', ')} did not complete`};
	}
	return {
		target,
		status: compared.ratio <= limit ? 'PASS' : 'MISS',
		value: compared.ratio,
		limit,
		detail: `${compared.ratio.toFixed(2)}× (${compared.ours.seconds!.toFixed(1)} s vs ${compared.base.seconds!.toFixed(1)} s)`,
	};
}

function evaluate(steps: StepResult[], uploaders: UploaderComparison | undefined, options: S3BenchOptions): TargetOutcome[] {
	const outcomes = [
		timeTarget(steps, `stream-backup to S3 ≤ ${LIMITS.s3DumpRatio} × the local dump's time`, STEP.s3Dump, STEP.localDump, LIMITS.s3DumpRatio),
		timeTarget(steps, `--encrypt overhead ≤ ${LIMITS.encryptOverhead * 100} % (local zstd dump)`, STEP.encryptedDump, STEP.localDump, 1 + LIMITS.encryptOverhead),
		timeTarget(steps, `restore from S3 ≤ ${LIMITS.s3RestoreRatio} × the local restore's time`, STEP.s3Restore, STEP.localRestore, LIMITS.s3RestoreRatio),
	];
	const measured = steps.filter((step) => step.status === 'ok');
	const worst = measured.reduce<StepResult | undefined>((a, b) => (a === undefined || b.peakRssMb! > a.peakRssMb! ? b : a), undefined);
	const failed = steps.filter((step) => step.status !== 'ok').map((step) => step.label);
	outcomes.push(
		worst === undefined
			? {target: `every dbbackup step's peak RSS ≤ ${MAX_PEAK_RSS_MB} MiB`, status: 'MISS', limit: MAX_PEAK_RSS_MB, detail: 'no step ran'}
			: {
					target: `every dbbackup step's peak RSS ≤ ${MAX_PEAK_RSS_MB} MiB`,
					status: worst.peakRssMb! <= MAX_PEAK_RSS_MB && failed.length === 0 ? 'PASS' : 'MISS',
					value: worst.peakRssMb,
					limit: MAX_PEAK_RSS_MB,
					detail: `largest ${worst.peakRssMb!.toFixed(0)} MiB (${worst.label})${failed.length > 0 ? `; not measured for ${failed.join(', ')}` : ''}`,
				},
	);
	if (uploaders === undefined) return outcomes;
	const ours = uploaders.runs.find((run) => run.impl === 'ours');
	const lib = uploaders.runs.find((run) => run.impl === 'lib-storage');
	const throughput = `our uploader ≥ ${LIMITS.uploaderThroughputRatio.toFixed(1)} × lib-storage's throughput`;
	if (ours?.status !== 'ok') outcomes.push({target: throughput, status: 'MISS', limit: LIMITS.uploaderThroughputRatio, detail: `ours did not run: ${ours?.error ?? 'not measured'}`});
	else if (lib?.status !== 'ok') outcomes.push({target: throughput, status: 'n/a', limit: LIMITS.uploaderThroughputRatio, detail: `lib-storage did not run: ${lib?.error ?? 'not measured'}`});
	else {
		const value = ours.result!.mibPerSecond / lib.result!.mibPerSecond;
		outcomes.push({
			target: throughput,
			status: value >= LIMITS.uploaderThroughputRatio ? 'PASS' : 'MISS',
			value,
			limit: LIMITS.uploaderThroughputRatio,
			detail: `${value.toFixed(2)}× (${ours.result!.mibPerSecond.toFixed(0)} vs ${lib.result!.mibPerSecond.toFixed(0)} MiB/s)`,
		});
	}
	const bound = uploaderBoundMb(uploaders);
	const memory = `our uploader's peak RSS ≤ its RSS before the upload + (workers + 1) × part size (${options.uploadWorkers + 1} × ${(options.partSize / MIB).toFixed(0)} MiB = ${bound.toFixed(0)} MiB)`;
	if (ours?.status !== 'ok') outcomes.push({target: memory, status: 'MISS', limit: bound, detail: 'ours did not run'});
	else {
		const grew = ours.result!.peakRssMb - ours.result!.rssBeforeMb;
		outcomes.push({
			target: memory,
			status: grew <= bound ? 'PASS' : 'MISS',
			value: grew,
			limit: bound,
			detail: `grew ${grew.toFixed(0)} MiB (${ours.result!.rssBeforeMb.toFixed(0)} → ${ours.result!.peakRssMb.toFixed(0)} MiB; part buffers peaked at ${ours.result!.peakBufferedMb?.toFixed(0)} MiB)${lib?.status === 'ok' ? `; lib-storage grew ${(lib.result!.peakRssMb - lib.result!.rssBeforeMb).toFixed(0)} MiB` : ''}`,
		});
	}
	return outcomes;
}
