/**
 * Issue 18's bench, side by side in one run on the 4 × 1M-row sysbench tables:
 * 1. MariaDB with its data directory in a subvolume of a loop-mounted btrfs:
 *    - `dbbackup physical-backup --engine snapshot --compress zstd` against `tar -C SNAPSHOT -cf - . |
 *      zstd -T0 -1` of the same files (a read-only btrfs snapshot the bench takes and deletes, untimed):
 *      the physical limit here, target ≤ 1.1×; and against our logical zstd dump (`backup all --engine
 *      mysqldump`);
 *    - physical restore + server start (`restore ARCHIVE --datadir D --verify-start`) against our
 *      logical restore into a fresh database of the running server;
 *    - the quiesce time of `--runs` snapshot backups under `sysbench oltp_write_only` (the engine's own
 *      figure, manifest options.quiesceMs): p50/p99/max, target p99 ≤ 100 ms;
 * 2. MySQL 9.7 with the clone plugin, the same sysbench data: `physical-backup --engine clone --compress
 *    zstd` against our logical zstd dump, and the two restores as above.
 * Every dbbackup step's peak RSS: target ≤ 256 MiB. Prints the tables, ratios and targets, writes
 * bench/results/physical-mysql-*.json. Not a test: nothing asserts on time. Needs root (mount, losetup).
 *
 *   node --import tsx bench/physical-mysql.ts [--rows 1000000] [--tables 4] [--runs 10] [--load-seconds 60]
 *     [--load-threads 4] [--workers N] [--image-size SIZE] [--flavors mariadb,mysql]
 */
import {readdir, readFile, rm} from 'node:fs/promises';
import {cpus} from 'node:os';
import {join, relative} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import type {Connection} from 'mysql2/promise';
import {UsageError} from '../source/core/errors.ts';
import {registerSecret} from '../source/core/redact.ts';
import {createBtrfsVolume} from '../source/sandbox/btrfs-volume.ts';
import {BTRFS_NEEDS, isRoot} from '../source/sandbox/debian-packages.ts';
import {MARIADB_NEEDS, startMysql, type PackageNeed} from '../source/sandbox/index.ts';
import {BackgroundProcess, killBackgroundProcesses} from './background-process.ts';
import {figures, wallNow, type LagFigures} from './binlog-lag.ts';
import {benchLog, parseBenchArgs, runBench} from './driver.ts';
import {measure, pathBytes, terminateRunningCommands} from './measure.ts';
import {positiveInteger} from './options.ts';
import {readMemory} from './process-sampler.ts';
import {buildOurCli, connectionArgs, OUR_CLI, passwordEnv, REPO_ROOT} from './ours.ts';
import {formatStepTable, formatTargets, writeResults} from './report.ts';
import {runStep, type RowCounts, type StepResult, type StepServer} from './run-step.ts';
import {MARIADB_BENCH, mysqlStepServer, settingsLine, startBenchServer, type BenchFlavor, type BenchServer} from './server.ts';
import {displayCommand, type Step, type StepContext} from './steps.ts';
import {countRows, prepareSysbenchData, SOURCE_DATABASE, sysbenchConnectionArgs, sysbenchTables} from './sysbench.ts';
import {evaluateTargets, type TargetOutcome} from './targets.ts';
import {machineInfo} from './versions.ts';

const FLAVORS = ['mariadb', 'mysql'] as const;
type Flavor = (typeof FLAVORS)[number];

const USAGE = `Usage: node --import tsx bench/physical-mysql.ts [options]   (as root: it mounts a btrfs image)
  --rows N           rows per sysbench table (default 1000000)
  --tables N         sysbench tables (default 4)
  --runs N           snapshot backups under write load whose quiesce time is measured (default 10)
  --load-seconds S   the sysbench oltp_write_only load lasts at least S seconds; the runs start S/N s apart
                     (or as soon as the previous one ended) and the load lasts until the last ends (default 60)
  --load-threads N   sysbench threads of that load (default 4)
  --workers N        our --workers and sysbench prepare's threads (default: number of cores)
  --image-size SIZE  the btrfs image (sparse; truncate -s), default from the data: 4G + 1.5 kB per row
  --flavors LIST     mariadb (snapshot engine), mysql (clone engine), or both (default mariadb,mysql)
  --help`;

interface Options {
	rows: number;
	tables: number;
	runs: number;
	loadSeconds: number;
	loadThreads: number;
	workers: number;
	imageSize: string;
	flavors: Flavor[];
}

function parse(argv: string[]): Options | 'help' {
	const values = parseBenchArgs(
		argv,
		{
			rows: {type: 'string'},
			tables: {type: 'string'},
			runs: {type: 'string'},
			'load-seconds': {type: 'string'},
			'load-threads': {type: 'string'},
			workers: {type: 'string'},
			'image-size': {type: 'string'},
			flavors: {type: 'string'},
			help: {type: 'boolean'},
		},
		USAGE,
	);
	if (values.help) return 'help';
	const number = (flag: string, value: string | undefined, fallback: number) => (value === undefined ? fallback : positiveInteger(flag, value, USAGE));
	const rows = number('--rows', values.rows, 1_000_000);
	const tables = number('--tables', values.tables, 4);
	const flavors = (values.flavors ?? FLAVORS.join(','))
		.split(',')
		.map((flavor) => flavor.trim())
		.filter((flavor) => flavor !== '');
	const unknown = flavors.find((flavor) => !(FLAVORS as readonly string[]).includes(flavor));
	if (unknown !== undefined || flavors.length === 0) {
		throw new UsageError({code: 'BAD_ARGUMENTS', message: `--flavors takes mariadb, mysql or both, got "${values.flavors}"`, hint: USAGE});
	}
	const imageSize = values['image-size'] ?? `${Math.ceil(4 + (rows * tables * 1500) / 1024 ** 3)}G`;
	if (!/^\d+[KMGT]?$/i.test(imageSize)) throw new UsageError({code: 'BAD_ARGUMENTS', message: `--image-size takes a size like 12G, got "${imageSize}"`, hint: USAGE});
	return {
		rows,
		tables,
		runs: number('--runs', values.runs, 10),
		loadSeconds: number('--load-seconds', values['load-seconds'], 60),
		loadThreads: number('--load-threads', values['load-threads'], 4),
		workers: number('--workers', values.workers, cpus().length),
		imageSize,
		flavors: [...new Set(flavors)] as Flavor[],
	};
}

const NEEDS: PackageNeed[] = [
	...MARIADB_NEEDS,
	...BTRFS_NEEDS,
	{binary: 'sysbench', pkg: 'sysbench'},
	{binary: 'time', pkg: 'time'},
	{binary: 'tar', pkg: 'tar'},
	{binary: 'zstd', pkg: 'zstd'},
];

/** MySQL with the clone plugin loaded, tuned like the MariaDB bench server (innodb_redo_log_capacity: MySQL's dynamic redo size). */
const MYSQL_CLONE_BENCH: BenchFlavor = {
	start: (options) => startMysql({...options, plugins: ['mysql_clone.so']}),
	settings: {innodb_buffer_pool_size: 4 * 1024 ** 3, innodb_redo_log_capacity: 1024 ** 3},
};

const QUIESCE_LIMIT_MS = 100;
const TAR_LIMIT = 1.1;
const MIB = 1024 * 1024;
const RESTORED_DATABASE = 'sbtest_restored';
const log = benchLog;

/** One server's part of the run: its data, the timed steps in order, and for MariaDB the quiesce runs. */
interface FlavorRun {
	flavor: Flavor;
	version: string;
	settings: Record<string, string>;
	rowCounts: RowCounts;
	prepareSeconds: number;
	/** bytes of every file in the data directory when the backups ran (ibd, ibdata, undo, redo, binlogs) */
	datadirBytes: number;
	steps: OurStepResult[];
	quiesce?: QuiesceRuns;
}

/** A step's result; a physical restore's peakRssMb is dbbackup's own, and GNU time's (with the server it started) is kept beside it. */
type OurStepResult = StepResult & {peakRssWithServerMb?: number};

interface QuiesceRun {
	run: number;
	status: 'ok' | 'failed';
	/** seconds since the load began, when the backup started */
	startedAt: number;
	seconds?: number;
	peakRssMb?: number;
	/** the engine's figures, from the manifest's options */
	quiesceMs?: number;
	snapshotMs?: number;
	method?: string;
	loadRunning: boolean;
	error?: string;
}

interface QuiesceRuns {
	workload: string;
	threads: number;
	/** seconds from the load's first report to its stop */
	loadSeconds: number;
	tps: {mean?: number; minSecond?: number; maxLatencyP95Ms?: number; errorsPerSecondMax?: number; seconds: number};
	runs: QuiesceRun[];
	quiesceMs: LagFigures;
	snapshotMs: LagFigures;
}

runBench(
	{
		parse,
		usage: USAGE,
		needs: NEEDS,
		tools: () => ({sysbench: ['sysbench', '--version'], tar: ['tar', '--version'], zstd: ['zstd', '--version'], btrfs: ['btrfs', '--version'], mariadbd: ['mariadbd', '--version']}),
		workDirPrefix: 'dbbackup-bench-physical-',
		// the restored data directories belong to the mysql OS user, which must reach them through the work dir
		workDirMode: 0o711,
		stopRunning: () => {
			terminateRunningCommands();
			killBackgroundProcesses();
		},
		stopping: 'the running command, the write load, the bench servers and the btrfs volume',
	},
	async ({options, startedAt, tools, workRoot, interrupted, atCleanUp}) => {
		if (!isRoot()) throw new UsageError({code: 'BAD_ARGUMENTS', message: 'the bench mounts a btrfs image on a loop device and restores data directories for the mysql OS user: run it as root', hint: USAGE});
		log(`bench: ${options.tables} × ${options.rows.toLocaleString('en-US')} sysbench rows, ${options.flavors.join(' and ')}, ${options.runs} quiesce runs under ${options.loadSeconds} s+ of load, work dir ${workRoot}`);
		await buildOurCli(log);
		const runs: FlavorRun[] = [];
		for (const flavor of options.flavors) {
			if (interrupted()) throw new Error('interrupted');
			runs.push(flavor === 'mariadb' ? await mariadbRun(options, workRoot, interrupted, atCleanUp) : await mysqlRun(options, workRoot, interrupted, atCleanUp));
		}

		const targets = evaluate(runs, options);
		const cores = machineInfo().cpus;
		const lines = [
			`dbbackup physical bench (snapshot, clone), ${startedAt.toISOString()}: ${cores} cores, our --workers ${options.workers}`,
			`data: ${options.tables} sysbench tables × ${options.rows.toLocaleString('en-US')} rows in ${SOURCE_DATABASE}`,
			...runs.flatMap((run) => ['', ...formatRun(run)]),
			'',
			'Targets (issue 18):',
			...formatTargets(targets),
			'',
			'Notes (what is not like for like):',
			...NOTES.map((note) => `- ${note}`),
			`- ${cores} cores: the server, sysbench, the bench and the tool measured all share them.`,
		];
		process.stdout.write(`${lines.join('\n')}\n`);
		const file = await writeResults('physical-mysql', startedAt, {
			startedAt: startedAt.toISOString(),
			finishedAt: new Date().toISOString(),
			options,
			machine: machineInfo(),
			tools,
			runs,
			targets,
			notes: NOTES,
		});
		process.stdout.write(`\nresults written to ${file}\n`);
		const incomplete = runs.flatMap((run) => [...run.steps.filter((step) => step.status !== 'ok').map((step) => step.label), ...(run.quiesce?.runs.filter((entry) => entry.status !== 'ok').map((entry) => `quiesce run ${entry.run}`) ?? [])]);
		if (incomplete.length > 0) log(`bench: ${incomplete.length} step(s) did not complete: ${incomplete.join(', ')}`);
		return incomplete.length === 0 ? 0 : 1;
	},
);

type CleanUp = (step: () => Promise<unknown>) => void;

interface Started {
	bench: BenchServer;
	admin: Connection;
	ctx: StepContext;
	stepServer: StepServer;
	rowCounts: RowCounts;
	prepareSeconds: number;
	stop(): Promise<void>;
}

/** Starts the flavor's bench server in `baseDir`, fills sbtest with sysbench and checks the counts. */
async function startWithData(flavor: BenchFlavor, baseDir: string, workDir: string, options: Options, atCleanUp: CleanUp): Promise<Started> {
	const bench = await startBenchServer(baseDir, log, flavor);
	registerSecret(bench.server.password);
	atCleanUp(() => bench.server.stop());
	const admin = await bench.connect();
	atCleanUp(() => admin.end().catch(() => {}));
	log(`bench: ${bench.server.version} on port ${bench.server.port}; ${settingsLine(bench.settings)}`);
	log(`bench: generating ${options.tables} × ${options.rows.toLocaleString('en-US')} rows with sysbench…`);
	const prepareSeconds = await prepareSysbenchData(bench.server, admin, {tables: options.tables, rowsPerTable: options.rows, threads: options.workers});
	const rowCounts = await countRows(admin, SOURCE_DATABASE, sysbenchTables(options.tables));
	const short = Object.entries(rowCounts).filter(([, count]) => count !== options.rows);
	if (short.length > 0) throw new Error(`sysbench prepare left ${short.map(([table, count]) => `${table} with ${count} rows`).join(', ')}`);
	const ctx: StepContext = {host: bench.server.host, port: bench.server.port, user: bench.server.user, password: bench.server.password, sourceDatabase: SOURCE_DATABASE, workers: options.workers, workDir};
	return {
		bench,
		admin,
		ctx,
		stepServer: mysqlStepServer(admin),
		rowCounts,
		prepareSeconds,
		async stop() {
			await admin.end().catch(() => {});
			await bench.server.stop();
		},
	};
}

/** A dbbackup command as a user runs it: the bundle, the password in MYSQL_PWD. */
function ourStep(ctx: StepContext, id: string, label: string, kind: Step['kind'], args: string[], extra: Partial<Step> = {}): Step {
	return {id, label, kind, ours: true, spec: {command: OUR_CLI, args: [...args, '--workers', String(ctx.workers), '--yes'], env: passwordEnv(ctx, 'mysql'), cwd: REPO_ROOT}, ...extra};
}

function physicalBackupStep(ctx: StepContext, flavor: Flavor, engine: 'snapshot' | 'clone', output: string): Step {
	const backend = engine === 'snapshot' ? ['--snapshot-backend', 'btrfs'] : [];
	return ourStep(ctx, `${flavor}-${engine}`, `dbbackup physical-backup --engine ${engine} --compress zstd`, 'dump', ['physical-backup', ...connectionArgs(ctx, 'mysql'), '--engine', engine, ...backend, '--compress', 'zstd', '--output', output], {output});
}

function logicalDumpStep(ctx: StepContext, flavor: Flavor): Step {
	const output = join(ctx.workDir, `${flavor}-logical.tar`);
	return ourStep(ctx, `${flavor}-logical`, 'dbbackup backup all --engine mysqldump --compress zstd', 'dump', ['backup', 'all', ...connectionArgs(ctx, 'mysql'), '--engine', 'mysqldump', '--compress', 'zstd', '--output', output], {output});
}

/** Our restore into a new data directory, then a throwaway server started and every table checked. */
function physicalRestoreStep(ctx: StepContext, flavor: Flavor, backup: Step): Step {
	const datadir = join(ctx.workDir, `${flavor}-restored-datadir`);
	return ourStep(ctx, `${flavor}-restore-physical`, `dbbackup restore --datadir --verify-start (${backup.id.replace(`${flavor}-`, '')} archive)`, 'restore', ['restore', backup.output!, '--datadir', datadir, '--verify-start'], {
		restores: backup.id,
		output: datadir,
	});
}

/** Our restore of the logical archive into a fresh database of the running server (row counts checked after, untimed). */
function logicalRestoreStep(ctx: StepContext, flavor: Flavor, dump: Step): Step {
	return ourStep(ctx, `${flavor}-restore-logical`, 'dbbackup restore (logical archive, into a new database)', 'restore', ['restore', dump.output!, ...connectionArgs(ctx, 'mysql'), '--database', SOURCE_DATABASE, '--target-db', RESTORED_DATABASE], {
		restores: dump.id,
		targetDatabase: RESTORED_DATABASE,
	});
}

const WATCH_MS = 50;

/**
 * Our dbbackup process (node …/dbbackup.js, found by `marker` on its command line), its VmHWM read every
 * WATCH_MS until `stop()`: the peak of that process alone, without the children GNU time also counts.
 * The last reading is at most WATCH_MS before the process ended.
 */
function watchOurProcess(marker: string): {stop(): Promise<number | undefined>} {
	let pid: number | undefined;
	let peak: number | undefined;
	let busy: Promise<void> = Promise.resolve();
	const find = async () => {
		for (const entry of await readdir('/proc')) {
			if (!/^\d+$/.test(entry)) continue;
			const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
			if (argv.some((arg) => arg.endsWith('/dbbackup.js')) && argv.includes(marker)) return Number(entry);
		}
		return undefined;
	};
	const timer = setInterval(() => {
		busy = busy.then(async () => {
			pid ??= await find();
			if (pid === undefined) return;
			const memory = await readMemory(pid).catch(() => undefined);
			if (memory) peak = Math.max(peak ?? 0, memory.peakRssMb);
		});
	}, WATCH_MS);
	return {
		async stop() {
			clearInterval(timer);
			await busy;
			return peak;
		},
	};
}

/** Runs the steps in order (a failure is recorded and the rest go on); `before` runs ahead of a step, `after` after it. */
async function runInOrder(
	steps: Step[],
	started: Started,
	interrupted: () => boolean,
	hooks: {before?: (step: Step) => Promise<void>; after?: (step: Step, result: StepResult) => Promise<void>} = {},
): Promise<OurStepResult[]> {
	const finished = new Map<string, OurStepResult>();
	for (const step of steps) {
		if (interrupted()) throw new Error('interrupted');
		await hooks.before?.(step);
		// --verify-start's server is our process's child: GNU time's peak is then the server's, not ours
		const watch = step.id.endsWith('-restore-physical') ? watchOurProcess(step.output!) : undefined;
		const result: OurStepResult = await runStep(step, {server: started.stepServer, workDir: started.ctx.workDir, sourceRowCounts: started.rowCounts, log}, finished);
		const ours = await watch?.stop();
		if (result.status === 'ok' && watch) {
			result.peakRssWithServerMb = result.peakRssMb;
			if (ours === undefined) {
				result.status = 'failed';
				result.error = 'the dbbackup process was not found in /proc, so its own peak RSS is unknown';
			} else {
				result.peakRssMb = ours;
				log(`  dbbackup's own peak RSS ${ours.toFixed(0)} MiB (VmHWM, read every ${WATCH_MS} ms); with the server it started ${result.peakRssWithServerMb!.toFixed(0)} MiB`);
			}
		}
		finished.set(step.id, result);
		await hooks.after?.(step, result);
	}
	return [...finished.values()];
}

async function mariadbRun(options: Options, workRoot: string, interrupted: () => boolean, atCleanUp: CleanUp): Promise<FlavorRun> {
	log(`\nbench: MariaDB on btrfs (a ${options.imageSize} sparse image on a loop device)`);
	const volume = await createBtrfsVolume({log, size: options.imageSize, prefix: 'btrfs-', parent: workRoot});
	atCleanUp(() => volume.cleanup());
	const subvolume = await volume.subvolume('mariadb');
	const started = await startWithData(MARIADB_BENCH, subvolume, workRoot, options, atCleanUp);
	const {ctx, bench} = started;
	if (!bench.server.datadir.startsWith(`${subvolume}/`)) throw new Error(`the server's datadir ${bench.server.datadir} is not in the subvolume ${subvolume}`);
	await started.stepServer.settle(log);
	const datadirBytes = await pathBytes(bench.server.datadir);
	log(`bench: data directory ${(datadirBytes / MIB).toFixed(0)} MiB (sysbench prepare ${started.prepareSeconds.toFixed(0)} s)`);

	const snapshot = physicalBackupStep(ctx, 'mariadb', 'snapshot', join(workRoot, 'mariadb-snapshot.tar'));
	const tarOutput = join(workRoot, 'mariadb-tar.tar.zst');
	const tarSnapshotName = 'bench-tar-snapshot';
	const tarSource = join(volume.mnt, tarSnapshotName, relative(subvolume, bench.server.datadir));
	const tar: Step = {
		id: 'mariadb-tar',
		label: 'tar -cf - . | zstd -T0 -1 (same files, own btrfs snapshot)',
		kind: 'dump',
		ours: false,
		comparedWith: snapshot.id,
		spec: {command: 'bash', args: ['-o', 'pipefail', '-c', 'tar -C "$1" -cf - . | zstd -T0 -1 -q -c', 'bash', tarSource], stdoutFile: tarOutput},
		output: tarOutput,
	};
	const logical = logicalDumpStep(ctx, 'mariadb');
	const steps = [snapshot, tar, logical, physicalRestoreStep(ctx, 'mariadb', snapshot), logicalRestoreStep(ctx, 'mariadb', logical)];
	let taken: string | undefined;
	const results = await runInOrder(steps, started, interrupted, {
		before: async (step) => {
			if (step !== tar) return;
			// the server settled (nothing dirty left), then a read-only snapshot of it: tar reads what ours read
			await started.stepServer.settle(log);
			taken = await volume.snapshot(subvolume, tarSnapshotName, {readOnly: true});
		},
		after: async (step) => {
			if (step === tar && taken) {
				await volume.deleteSubvolume(taken);
				taken = undefined;
			}
			if (step.kind === 'restore' && step.output) await rm(step.output, {recursive: true, force: true});
		},
	});
	for (const step of steps) if (step.kind === 'dump' && step.output) await rm(step.output, {force: true}).then(() => rm(`${step.output}.meta.json`, {force: true}));

	const quiesce = await quiesceUnderLoad(started, options, workRoot, interrupted);
	await started.stop();
	await volume.cleanup();
	return {flavor: 'mariadb', version: bench.server.version, settings: bench.settings, rowCounts: started.rowCounts, prepareSeconds: started.prepareSeconds, datadirBytes, steps: results, quiesce};
}

async function mysqlRun(options: Options, workRoot: string, interrupted: () => boolean, atCleanUp: CleanUp): Promise<FlavorRun> {
	log('\nbench: MySQL with the clone plugin');
	const started = await startWithData(MYSQL_CLONE_BENCH, workRoot, workRoot, options, atCleanUp);
	const {ctx, bench} = started;
	await started.stepServer.settle(log);
	const datadirBytes = await pathBytes(bench.server.datadir);
	log(`bench: data directory ${(datadirBytes / MIB).toFixed(0)} MiB (sysbench prepare ${started.prepareSeconds.toFixed(0)} s)`);
	const clone = physicalBackupStep(ctx, 'mysql', 'clone', join(workRoot, 'mysql-clone.tar'));
	const logical = logicalDumpStep(ctx, 'mysql');
	const steps = [clone, logical, physicalRestoreStep(ctx, 'mysql', clone), logicalRestoreStep(ctx, 'mysql', logical)];
	const results = await runInOrder(steps, started, interrupted, {
		after: async (step) => {
			if (step.kind === 'restore' && step.output) await rm(step.output, {recursive: true, force: true});
		},
	});
	for (const step of steps) if (step.kind === 'dump' && step.output) await rm(step.output, {force: true}).then(() => rm(`${step.output}.meta.json`, {force: true}));
	await started.stop();
	return {flavor: 'mysql', version: bench.server.version, settings: bench.settings, rowCounts: started.rowCounts, prepareSeconds: started.prepareSeconds, datadirBytes, steps: results};
}

/** One `--report-interval 1` line of sysbench run. */
interface LoadSecond {
	second: number;
	tps: number;
	latencyP95Ms: number;
	errorsPerSecond: number;
	/** the bench's wall clock when it read the line */
	at: number;
}

const REPORT_LINE = /\[\s*(\d+)s\s*\]\s+thds:\s+\d+\s+tps:\s+([\d.]+).*?lat \(ms,95%\):\s+([\d.]+)\s+err\/s:\s+([\d.]+)/;

/**
 * `--runs` snapshot backups under `sysbench oltp_write_only --report-interval 1` (time and events
 * unlimited, stopped by the bench): each backup timed under GNU time, its quiesce time read from the
 * manifest's options (the engine's own measurement, BACKUP STAGE START to END), its archive removed.
 */
async function quiesceUnderLoad(started: Started, options: Options, workRoot: string, interrupted: () => boolean): Promise<QuiesceRuns> {
	const workload = 'oltp_write_only';
	const seconds: LoadSecond[] = [];
	let pending = '';
	const load = new BackgroundProcess(
		{
			command: 'sysbench',
			args: [workload, ...sysbenchConnectionArgs(started.bench.server), `--tables=${options.tables}`, `--table-size=${options.rows}`, `--threads=${options.loadThreads}`, '--time=0', '--events=0', '--report-interval=1', 'run'],
		},
		(chunk) => {
			const lines = (pending + chunk.toString('utf8')).split('\n');
			pending = lines.pop() ?? '';
			for (const line of lines) {
				const match = REPORT_LINE.exec(line);
				if (match) seconds.push({second: Number(match[1]), tps: Number(match[2]), latencyP95Ms: Number(match[3]), errorsPerSecond: Number(match[4]), at: wallNow()});
			}
		},
	);
	log(`\nbench: ${options.runs} snapshot backups under sysbench ${workload} --threads=${options.loadThreads} (at least ${options.loadSeconds} s)`);
	const runs: QuiesceRun[] = [];
	let loadBegan = wallNow();
	try {
		const deadline = Date.now() + 60_000;
		while (seconds.length === 0) {
			if (!load.running) throw new Error(`sysbench ${workload} exited (${JSON.stringify(await load.exited)}):\n${load.stderrTail}`);
			if (Date.now() > deadline) throw new Error(`sysbench ${workload} reported nothing within 60 s:\n${load.stderrTail}`);
			await sleep(100);
		}
		loadBegan = wallNow();
		const spacing = (options.loadSeconds * 1000) / options.runs;
		for (let index = 0; index < options.runs; index++) {
			if (interrupted()) throw new Error('interrupted');
			const wait = loadBegan + index * spacing - wallNow();
			if (wait > 0) await sleep(wait);
			if (!load.running) throw new Error(`sysbench ${workload} stopped before run ${index + 1}:\n${load.stderrTail}`);
			const output = join(workRoot, `quiesce-${index + 1}.tar`);
			const step = physicalBackupStep(started.ctx, 'mariadb', 'snapshot', output);
			const startedAt = (wallNow() - loadBegan) / 1000;
			try {
				const measured = await measure(step.spec, join(workRoot, `quiesce-${index + 1}.time`));
				const manifest = JSON.parse(await readFile(`${output}.meta.json`, 'utf8')) as {options?: {quiesceMs?: number; snapshotMs?: number; quiesce?: string}};
				const quiesceMs = manifest.options?.quiesceMs;
				if (typeof quiesceMs !== 'number') throw new Error(`${output}.meta.json records no options.quiesceMs`);
				runs.push({run: index + 1, status: 'ok', startedAt, seconds: measured.seconds, peakRssMb: measured.peakRssMb, quiesceMs, snapshotMs: manifest.options?.snapshotMs, method: manifest.options?.quiesce, loadRunning: load.running});
				log(`  run ${index + 1}: writes held ${quiesceMs.toFixed(1)} ms (snapshot ${manifest.options?.snapshotMs?.toFixed(1) ?? '?'} ms); backup ${measured.seconds.toFixed(1)} s, peak RSS ${measured.peakRssMb.toFixed(0)} MiB`);
			} catch (error) {
				const message = (error as Error).message;
				runs.push({run: index + 1, status: 'failed', startedAt, loadRunning: load.running, error: message});
				log(`  run ${index + 1} FAILED: ${message}`);
			} finally {
				await rm(output, {force: true});
				await rm(`${output}.meta.json`, {force: true});
			}
		}
		const rest = loadBegan + options.loadSeconds * 1000 - wallNow();
		if (rest > 0) await sleep(rest);
	} finally {
		await load.stop('SIGINT', 10_000);
	}
	const loadEnded = wallNow();
	const window = seconds.filter((entry) => entry.at >= loadBegan && entry.at <= loadEnded);
	const tps = window.map((entry) => entry.tps);
	const ok = runs.filter((entry) => entry.status === 'ok');
	return {
		workload,
		threads: options.loadThreads,
		loadSeconds: (loadEnded - loadBegan) / 1000,
		tps: {
			seconds: window.length,
			...(tps.length > 0
				? {
						mean: tps.reduce((sum, value) => sum + value, 0) / tps.length,
						minSecond: Math.min(...tps),
						maxLatencyP95Ms: Math.max(...window.map((entry) => entry.latencyP95Ms)),
						errorsPerSecondMax: Math.max(...window.map((entry) => entry.errorsPerSecond)),
					}
				: {}),
		},
		runs,
		quiesceMs: figures(ok.map((entry) => entry.quiesceMs!)),
		snapshotMs: figures(ok.flatMap((entry) => (entry.snapshotMs === undefined ? [] : [entry.snapshotMs]))),
	};
}

function ratio(a: StepResult | undefined, b: StepResult | undefined): {time: number; bytes?: number} | undefined {
	if (a?.status !== 'ok' || b?.status !== 'ok') return undefined;
	return {time: a.seconds! / b.seconds!, ...(a.outputBytes !== undefined && b.outputBytes !== undefined ? {bytes: a.outputBytes / b.outputBytes} : {})};
}

function ratioLine(what: string, run: FlavorRun, ours: string, other: string): string {
	const a = run.steps.find((step) => step.id === `${run.flavor}-${ours}`);
	const b = run.steps.find((step) => step.id === `${run.flavor}-${other}`);
	const figure = ratio(a, b);
	if (!figure) return `${what}: not measured (${[a, b].filter((step) => step?.status !== 'ok').map((step) => step?.label ?? 'a step').join(', ')} did not complete)`;
	return `${what}: ${figure.time.toFixed(2)}× the time (${a!.seconds!.toFixed(1)} s vs ${b!.seconds!.toFixed(1)} s)${figure.bytes === undefined ? '' : `, ${figure.bytes.toFixed(2)}× the bytes`}`;
}

function ms(value: number | undefined): string {
	return value === undefined ? '–' : value.toFixed(1);
}

function formatRun(run: FlavorRun): string[] {
	const title =
		run.flavor === 'mariadb'
			? `MariaDB ${run.version}, data directory in a btrfs subvolume on a loop device (snapshot engine)`
			: `MySQL ${run.version} with the clone plugin (clone engine)`;
	const lines = [
		title,
		`server: ${settingsLine(run.settings)}`,
		`data directory ${(run.datadirBytes / MIB).toFixed(0)} MiB (sysbench prepare ${run.prepareSeconds.toFixed(0)} s); before each step: sync and InnoDB's dirty pages flushed`,
		...formatStepTable(run.steps, 'binlog MiB'),
		...run.steps
			.filter((step) => step.peakRssWithServerMb !== undefined)
			.map((step) => `(${step.label}: peak RSS is dbbackup's own, its VmHWM read every ${WATCH_MS} ms; GNU time, which also counts the server it started, saw ${step.peakRssWithServerMb!.toFixed(0)} MiB)`),
	];
	if (run.flavor === 'mariadb') {
		lines.push(
			ratioLine('snapshot backup ÷ tar | zstd -T0 -1 of the same files', run, 'snapshot', 'tar'),
			ratioLine('snapshot backup ÷ our logical zstd dump', run, 'snapshot', 'logical'),
		);
	} else {
		lines.push(ratioLine('clone backup ÷ our logical zstd dump', run, 'clone', 'logical'));
	}
	lines.push(ratioLine('physical restore + verified start ÷ logical restore', run, 'restore-physical', 'restore-logical'));
	const quiesce = run.quiesce;
	if (quiesce) {
		const tps = quiesce.tps.mean === undefined ? 'no tps reported' : `${quiesce.tps.mean.toFixed(0)} tps mean, slowest second ${quiesce.tps.minSecond!.toFixed(0)} tps, worst 95th-percentile latency ${quiesce.tps.maxLatencyP95Ms!.toFixed(1)} ms, errors/s max ${quiesce.tps.errorsPerSecondMax!.toFixed(2)}`;
		const ok = quiesce.runs.filter((entry) => entry.status === 'ok');
		lines.push(
			'',
			`Quiesce under sysbench ${quiesce.workload} --threads=${quiesce.threads} (${quiesce.loadSeconds.toFixed(0)} s of load: ${tps}); ${ok.length} of ${quiesce.runs.length} snapshot backups completed`,
			`writes held (manifest options.quiesceMs): p50 ${ms(quiesce.quiesceMs.p50)} ms, p99 ${ms(quiesce.quiesceMs.p99)} ms, max ${ms(quiesce.quiesceMs.max)} ms; of it the btrfs snapshot: p50 ${ms(quiesce.snapshotMs.p50)} ms, max ${ms(quiesce.snapshotMs.max)} ms`,
			`per run (ms): ${quiesce.runs.map((entry) => (entry.status === 'ok' ? entry.quiesceMs!.toFixed(1) : 'FAILED')).join(', ')}; backup seconds p50 ${ms(figures(ok.map((entry) => entry.seconds!)).p50)}, peak RSS max ${ok.length > 0 ? Math.max(...ok.map((entry) => entry.peakRssMb!)).toFixed(0) : '–'} MiB`,
			...quiesce.runs.filter((entry) => entry.status !== 'ok').map((entry) => `  run ${entry.run}: ${entry.error?.split('\n').slice(0, 4).join('\n    ')}`),
			...(quiesce.runs.some((entry) => !entry.loadRunning) ? ['  (the load had stopped before some run ended: see loadRunning in the JSON)'] : []),
		);
	}
	return lines;
}

function evaluate(runs: FlavorRun[], options: Options): TargetOutcome[] {
	// every step of ours, the quiesce runs too, as one set for the peak RSS target
	const quiesceSteps: StepResult[] = runs.flatMap((run) =>
		(run.quiesce?.runs ?? []).map((entry) => ({
			id: `${run.flavor}-quiesce-${entry.run}`,
			label: `snapshot backup under load, run ${entry.run}`,
			kind: 'dump' as const,
			ours: true,
			command: displayCommand(physicalBackupStep({host: '', port: 0, user: '', password: '', sourceDatabase: '', workers: options.workers, workDir: ''}, run.flavor, 'snapshot', `quiesce-${entry.run}.tar`)),
			status: entry.status,
			seconds: entry.seconds,
			peakRssMb: entry.peakRssMb,
			error: entry.error,
		})),
	);
	const all = {rowsPerTable: options.rows, tables: options.tables, sourceBytes: 0, prepareSeconds: 0, rowCounts: {}, steps: [...runs.flatMap((run) => run.steps), ...quiesceSteps]};
	const timeTargets = runs.some((run) => run.flavor === 'mariadb') ? [{target: `snapshot backup ≤ ${TAR_LIMIT} × tar | zstd -T0 -1 of the same files (time)`, ours: 'mariadb-snapshot', peer: 'mariadb-tar', limit: TAR_LIMIT}] : [];
	const outcomes = evaluateTargets([all], timeTargets).filter((outcome) => !outcome.target.includes('does not grow'));
	const mariadb = runs.find((run) => run.flavor === 'mariadb');
	if (mariadb?.quiesce) {
		const quiesce = mariadb.quiesce;
		const target = `quiesce p99 ≤ ${QUIESCE_LIMIT_MS} ms under ${quiesce.workload} (${options.runs} runs)`;
		const p99 = quiesce.quiesceMs.p99;
		const failed = quiesce.runs.filter((entry) => entry.status !== 'ok').length;
		outcomes.push(
			p99 === undefined
				? {target, status: 'MISS', limit: QUIESCE_LIMIT_MS, detail: 'no run recorded a quiesce time'}
				: {
						target,
						status: p99 <= QUIESCE_LIMIT_MS && failed === 0 ? 'PASS' : 'MISS',
						value: p99,
						limit: QUIESCE_LIMIT_MS,
						detail: `p99 ${p99.toFixed(1)} ms, p50 ${ms(quiesce.quiesceMs.p50)} ms, max ${ms(quiesce.quiesceMs.max)} ms over ${quiesce.runs.length - failed} run(s)${failed > 0 ? `; ${failed} run(s) failed` : ''}`,
					},
		);
	}
	const figure = (target: string, run: FlavorRun, ours: string, other: string) => {
		const a = run.steps.find((step) => step.id === `${run.flavor}-${ours}`);
		const b = run.steps.find((step) => step.id === `${run.flavor}-${other}`);
		const value = ratio(a, b);
		outcomes.push(
			value
				? {target: `${target} (no target in the issue; figure only)`, status: 'n/a', value: value.time, limit: 1, detail: `${value.time.toFixed(2)}× (${a!.seconds!.toFixed(1)} s vs ${b!.seconds!.toFixed(1)} s)`}
				: {target: `${target} (no target in the issue; figure only)`, status: 'n/a', limit: 1, detail: 'not measured'},
		);
	};
	for (const run of runs) {
		if (run.flavor === 'mariadb') figure('MariaDB snapshot backup vs our logical zstd dump', run, 'snapshot', 'logical');
		else figure('MySQL clone backup vs our logical zstd dump', run, 'clone', 'logical');
		figure(`${run.flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} physical restore + verified start vs logical restore`, run, 'restore-physical', 'restore-logical');
	}
	return outcomes;
}

const NOTES = [
	'seconds: wall clock of the whole command. peak RSS: GNU time\'s maximum resident set size; for tar | zstd the larger of the two processes, not their sum. ours ÷ this: below 1.00 ours is faster.',
	'snapshot backup: connect, check that every file the server writes is in the subvolume, BACKUP STAGE START, FLUSH, BLOCK_DDL, BLOCK_COMMIT, the btrfs snapshot, coordinates, BACKUP STAGE END, then every file of the snapshot\'s data directory into our archive (per-member zstd level 1 on --workers threads, a SHA-256 of every member in the manifest, the archive and its directory fsync\'d, .partial then rename), and the snapshot deleted.',
	'tar | zstd -T0 -1: the same files from a read-only snapshot the bench takes after the same settle and deletes afterwards, both outside the timing; one zstd stream on every core at level 1 (our level); no checksum of anything, no fsync (the output may still be in the page cache when it ends); tar also takes the server\'s pid file, which ours leaves out.',
	'Both read a btrfs on a loop device backed by a file in the work directory: the data was just written, so much of it comes from the page cache, for both alike.',
	'logical dump (backup all --engine mysqldump): rows read through the server in a consistent snapshot and written as compressed SQL; its archive is not comparable in bytes with a physical one (no indexes, no redo, undo or binlogs).',
	'physical restore: every member\'s SHA-256 checked, every file written, fsync\'d and given to the mysql OS user; --verify-start then starts a throwaway mariadbd/mysqld on it, lets crash recovery run, runs CHECK TABLE on every table and counts its rows against the manifest, and shuts it down cleanly: more than a bare server start.',
	'peak RSS of a physical restore: --verify-start\'s server is a child of our process, and GNU time reports the largest of the process and its children, so the table shows our process\'s own VmHWM (read every 50 ms until it ends) and the line under it GNU time\'s figure.',
	'logical restore: into a new database of the running source server, binlog on (the default), secondary indexes built after the load; its row counts are checked after the timing.',
	'quiesce: the engine\'s own figure in the manifest (options.quiesceMs): from BACKUP STAGE BLOCK_COMMIT to BACKUP STAGE END, with the snapshot and the coordinates inside; commits wait for it, reads and uncommitted writes do not. The load runs on the same cores as the server and the backup.',
	'clone backup: CLONE LOCAL DATA DIRECTORY writes a full copy next to the data directory (the data written twice: the clone, then the archive), which is then archived like the snapshot and removed; the MySQL bench server runs with a 4 GiB buffer pool and a 1 GiB redo log capacity, set at run time.',
];
