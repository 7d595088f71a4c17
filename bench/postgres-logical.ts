/**
 * The PostgreSQL logical engine against pg_dump / pg_restore on the same data and the same server:
 * dump time, output size and peak memory of dbbackup (zstd and uncompressed) and of pg_dump -Fp, -Fc,
 * -Fd -jN, then restore time of dbbackup, pg_restore -jN and psql, at two data sizes (sysbench's pgsql
 * tables and pgbench's, in one database). Prints a table and issue 4's targets, and writes the figures
 * to bench/results/. Not a test: nothing here asserts on time.
 *
 *   node --import tsx bench/postgres-logical.ts [--rows N] [--tables N] [--workers N] [--sizes 250000,1000000]
 */
import {mkdir, rm} from 'node:fs/promises';
import {join} from 'node:path';
import type pg from 'pg';
import {POSTGRES_NEEDS, type PackageNeed} from '../source/sandbox/index.ts';
import {benchLog, runBench} from './driver.ts';
import {terminateRunningCommands} from './measure.ts';
import {parseBenchOptions, type BenchOptions} from './options.ts';
import {ourDumpSteps, ourRestoreSteps, PG_OUR_COMPRESSIONS, buildOurCli} from './ours.ts';
import {pgbenchScaleFor, PG_SOURCE_DATABASE, preparePgData} from './pg-data.ts';
import {PG_USAGE} from './pg-options.ts';
import {pgPeerDumpSteps, pgPeerRestoreSteps, PG_EVERY_SIZE_PEERS} from './pg-peers.ts';
import {formatPgSizeRun, PG_TABLE_NOTES} from './pg-report.ts';
import {pgBinDir, pgStepServer, startPgBenchServer, PG_SERVER_SETTINGS, type PgBenchServer} from './pg-server.ts';
import {PG_TIME_TARGETS, type PgSizeRun} from './pg-targets.ts';
import {formatTargets, writeResults} from './report.ts';
import {completionCode, runSteps} from './run-step.ts';
import type {StepContext} from './steps.ts';
import {evaluateTargets} from './targets.ts';
import {machineInfo} from './versions.ts';

const BENCH_NEEDS: PackageNeed[] = [
	...POSTGRES_NEEDS,
	{binary: 'pg_restore', pkg: 'postgresql-client-15'},
	{binary: 'psql', pkg: 'postgresql-client-15'},
	{binary: 'pgbench', pkg: 'postgresql-15'},
	{binary: 'sysbench', pkg: 'sysbench'},
	{binary: 'time', pkg: 'time'},
];

const log = benchLog;

runBench(
	{
		parse: (argv) => parseBenchOptions(argv, PG_USAGE),
		usage: PG_USAGE,
		needs: BENCH_NEEDS,
		tools: () => {
			const binDir = pgBinDir();
			return {
				pg_dump: [join(binDir, 'pg_dump'), '--version'],
				pg_restore: [join(binDir, 'pg_restore'), '--version'],
				psql: [join(binDir, 'psql'), '--version'],
				pgbench: [join(binDir, 'pgbench'), '--version'],
				sysbench: ['sysbench', '--version'],
			};
		},
		workDirPrefix: 'dbbackup-bench-pg-',
		// as root the cluster runs as the postgres OS user, which must be able to enter its sandbox dir in here
		workDirMode: 0o711,
		stopRunning: terminateRunningCommands,
		stopping: 'the running command and the bench server',
	},
	async ({options, startedAt, tools, workRoot, interrupted, atCleanUp}) => {
		log(`bench: sizes ${options.sizes.join(', ')} rows × ${options.tables} sysbench tables, ${options.workers} workers, work dir ${workRoot}`);
		await buildOurCli(log);
		const bench = await startPgBenchServer(workRoot, log);
		atCleanUp(() => bench.server.stop());
		const admin = await bench.superuser('postgres');
		atCleanUp(() => admin.end().catch(() => {}));
		log(`bench: PostgreSQL ${bench.server.version} on port ${bench.server.port}; ${settingsLine(bench.settings)}`);
		const runs: PgSizeRun[] = [];
		for (const rowsPerTable of options.sizes) {
			const isMain = rowsPerTable === options.sizes.at(-1);
			const run = await runSize(bench, admin, options, rowsPerTable, isMain || options.allPeersAtEverySize, join(workRoot, `rows-${rowsPerTable}`), interrupted);
			runs.push(run);
			log(['', ...formatPgSizeRun(run), ''].join('\n'));
		}
		const targets = evaluateTargets(runs, PG_TIME_TARGETS);
		const peersNote =
			options.sizes.length > 1 && !options.allPeersAtEverySize
				? [`At the smaller size(s) pg_dump -Fp, -Fc and psql did not run (only at ${options.sizes.at(-1)!.toLocaleString('en-US')} rows; --all-peers runs them everywhere).`]
				: [];
		const lines = [
			`dbbackup PostgreSQL logical bench, ${startedAt.toISOString()}: PostgreSQL ${bench.server.version}, ${machineInfo().cpus} cores, ${options.workers} workers`,
			`server: ${settingsLine(bench.settings)}`,
			`sysbench and pgbench tables share the database ${PG_SOURCE_DATABASE}; every tool connects over TCP as the same non-superuser role.`,
			...peersNote,
			'',
			...runs.flatMap((run) => [...formatPgSizeRun(run), '']),
			...PG_TABLE_NOTES,
			'',
			'Targets (issue 4):',
			...formatTargets(targets),
		];
		process.stdout.write(`${lines.join('\n')}\n`);
		const file = await writeResults('postgres-logical', startedAt, {
			startedAt: startedAt.toISOString(),
			finishedAt: new Date().toISOString(),
			options,
			machine: machineInfo(),
			server: {version: bench.server.version, settings: bench.settings, tuned: PG_SERVER_SETTINGS},
			tools,
			notes: {data: `sysbench and pgbench tables in one database (${PG_SOURCE_DATABASE})`, peakRss: PG_TABLE_NOTES[1], steps: PG_TABLE_NOTES[3]},
			runs,
			targets,
		});
		process.stdout.write(`\nresults written to ${file}\n`);
		return completionCode(runs, log);
	},
);

async function runSize(
	bench: PgBenchServer,
	admin: pg.Client,
	options: BenchOptions,
	rowsPerTable: number,
	withAllPeers: boolean,
	workDir: string,
	interrupted: () => boolean,
): Promise<PgSizeRun> {
	await mkdir(workDir, {recursive: true});
	const pgbenchScale = pgbenchScaleFor(rowsPerTable);
	log(`\nbench: generating ${options.tables} × ${rowsPerTable.toLocaleString('en-US')} rows with sysbench and pgbench scale ${pgbenchScale}…`);
	const data = await preparePgData(bench, {tables: options.tables, rowsPerTable, threads: options.workers, pgbenchScale});

	const ctx: StepContext = {
		host: bench.server.host,
		port: bench.server.port,
		user: bench.server.user,
		password: bench.server.password,
		sourceDatabase: PG_SOURCE_DATABASE,
		workers: options.workers,
		workDir,
		chunkRows: options.chunkRows,
	};
	const wanted = (step: {id: string}) => withAllPeers || PG_EVERY_SIZE_PEERS.includes(step.id);
	const steps = [
		...ourDumpSteps(ctx, PG_OUR_COMPRESSIONS, 'postgres'),
		...pgPeerDumpSteps(ctx, bench.binDir).filter(wanted),
		...ourRestoreSteps(ctx, PG_OUR_COMPRESSIONS, 'postgres'),
		...pgPeerRestoreSteps(ctx, bench.binDir).filter(wanted),
	];

	const pgRestore = pgPeerRestoreSteps(ctx, bench.binDir).find((candidate) => candidate.id === 'pg_restore')!;
	const warmUp = {step: pgRestore, database: 'sbtest_warmup', args: pgRestore.spec.args.map((arg) => (arg.startsWith('--dbname=') ? '--dbname=sbtest_warmup' : arg))};
	const results = await runSteps(steps, {server: pgStepServer(bench, admin), workDir, sourceRowCounts: data.rowCounts, log}, warmUp, interrupted);
	await rm(workDir, {recursive: true, force: true});
	return {
		rowsPerTable,
		tables: options.tables,
		sourceBytes: data.sourceBytes,
		prepareSeconds: data.sysbenchSeconds + data.pgbenchSeconds,
		rowCounts: data.rowCounts,
		steps: results,
		pgbenchScale,
		sysbenchSeconds: data.sysbenchSeconds,
		pgbenchSeconds: data.pgbenchSeconds,
	};
}

function settingsLine(settings: Record<string, string>): string {
	return Object.entries(settings)
		.map(([name, value]) => `${name}=${value}`)
		.join(' ');
}
