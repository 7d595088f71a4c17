/**
 * The MySQL logical engine against its peers on the same data and the same server:
 * dump time, output size and peak memory of dbbackup, mydumper and mariadb-dump, then restore time of
 * dbbackup, myloader and the mariadb client, at two data sizes. Prints a table and the issue's targets,
 * and writes the figures to bench/results/. Not a test: nothing here asserts on time.
 *
 *   node --import tsx bench/mysql-logical.ts [--rows N] [--tables N] [--workers N] [--sizes 250000,1000000]
 */
import {mkdir, rm} from 'node:fs/promises';
import {join} from 'node:path';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {MARIADB_NEEDS, type PackageNeed} from '../source/sandbox/index.ts';
import {benchLog, runBench} from './driver.ts';
import {terminateRunningCommands} from './measure.ts';
import {parseBenchOptions, USAGE, type BenchOptions} from './options.ts';
import {ourDumpStep, ourDumpSteps, ourRestoreSteps, buildOurCli} from './ours.ts';
import {peerDumpSteps, peerRestoreSteps} from './peers.ts';
import {formatSizeRun, formatTargets, TABLE_NOTES, writeResults} from './report.ts';
import {completionCode, runSteps} from './run-step.ts';
import {mysqlStepServer, settingsLine, startBenchServer, type BenchServer} from './server.ts';
import type {StepContext} from './steps.ts';
import {countRows, prepareSysbenchData, SOURCE_DATABASE, sysbenchTables} from './sysbench.ts';
import {evaluateTargets, MYSQL_TIME_TARGETS, type SizeRun} from './targets.ts';
import {machineInfo, MYSQL_TOOLS} from './versions.ts';

const BENCH_NEEDS: PackageNeed[] = [
	...MARIADB_NEEDS,
	{binary: 'mariadb', pkg: 'mariadb-client'},
	{binary: 'sysbench', pkg: 'sysbench'},
	{binary: 'mydumper', pkg: 'mydumper'},
	{binary: 'myloader', pkg: 'mydumper'},
	{binary: 'gzip', pkg: 'gzip'},
	{binary: 'zstd', pkg: 'zstd'},
	{binary: 'time', pkg: 'time'},
];

const log = benchLog;

runBench(
	{
		parse: (argv) => parseBenchOptions(argv),
		usage: USAGE,
		needs: BENCH_NEEDS,
		tools: () => MYSQL_TOOLS,
		workDirPrefix: 'dbbackup-bench-',
		stopRunning: terminateRunningCommands,
		stopping: 'the running command and the bench server',
	},
	async ({options, startedAt, tools, workRoot, interrupted, atCleanUp}) => {
		log(`bench: sizes ${options.sizes.join(', ')} rows × ${options.tables} tables, ${options.workers} workers, work dir ${workRoot}`);
		await buildOurCli(log);
		const bench = await startBenchServer(workRoot, log);
		atCleanUp(() => bench.server.stop());
		const admin = await bench.connect();
		atCleanUp(() => admin.end().catch(() => {}));
		log(`bench: MariaDB ${bench.server.version} on port ${bench.server.port}; ${settingsLine(bench.settings)}`);
		const runs: SizeRun[] = [];
		for (const rowsPerTable of options.sizes) {
			const isMain = rowsPerTable === options.sizes.at(-1);
			const run = await runSize(bench, admin, options, rowsPerTable, isMain || options.allPeersAtEverySize, join(workRoot, `rows-${rowsPerTable}`), interrupted);
			runs.push(run);
			log(['', ...formatSizeRun(run), ''].join('\n'));
		}
		const targets = evaluateTargets(runs, MYSQL_TIME_TARGETS);
		const peersNote =
			options.sizes.length > 1 && !options.allPeersAtEverySize
				? [`At the smaller size(s) only dbbackup and mydumper/myloader ran (mariadb-dump/mariadb at ${options.sizes.at(-1)!.toLocaleString('en-US')} rows only; --all-peers runs them everywhere).`]
				: [];
		const lines = [
			`dbbackup MySQL logical bench, ${startedAt.toISOString()}: MariaDB ${bench.server.version}, ${machineInfo().cpus} cores, ${options.workers} workers`,
			`server: ${settingsLine(bench.settings)}`,
			'mydumper runs with --trx-consistency-only (global lock released once every snapshot is open, as ours does).',
			...peersNote,
			'',
			...runs.flatMap((run) => [...formatSizeRun(run), '']),
			...TABLE_NOTES,
			'',
			'Targets (issue 3):',
			...formatTargets(targets),
		];
		process.stdout.write(`${lines.join('\n')}\n`);
		const file = await writeResults('mysql-logical', startedAt, {
			startedAt: startedAt.toISOString(),
			finishedAt: new Date().toISOString(),
			options,
			machine: machineInfo(),
			server: {version: bench.server.version, settings: bench.settings},
			tools,
			notes: {mydumper: 'run with --trx-consistency-only', peakRss: TABLE_NOTES[1]},
			runs,
			targets,
		});
		process.stdout.write(`\nresults written to ${file}\n`);
		return completionCode(runs, log);
	},
);

async function runSize(
	bench: BenchServer,
	admin: Connection,
	options: BenchOptions,
	rowsPerTable: number,
	withAllPeers: boolean,
	workDir: string,
	interrupted: () => boolean,
): Promise<SizeRun> {
	await mkdir(workDir, {recursive: true});
	const tables = sysbenchTables(options.tables);
	log(`\nbench: generating ${options.tables} × ${rowsPerTable.toLocaleString('en-US')} rows with sysbench…`);
	const prepareSeconds = await prepareSysbenchData(bench.server, admin, {tables: options.tables, rowsPerTable, threads: options.workers});
	const rowCounts = await countRows(admin, SOURCE_DATABASE, tables);
	const short = Object.entries(rowCounts).filter(([, count]) => count !== rowsPerTable);
	if (short.length > 0) throw new Error(`sysbench prepare left ${short.map(([table, count]) => `${table} with ${count} rows`).join(', ')}`);
	const sourceBytes = await sourceSize(admin);

	const ctx: StepContext = {
		host: bench.server.host,
		port: bench.server.port,
		user: bench.server.user,
		password: bench.server.password,
		sourceDatabase: SOURCE_DATABASE,
		workers: options.workers,
		workDir,
		chunkRows: options.chunkRows,
	};
	const peerDumps = peerDumpSteps(ctx).filter((step) => withAllPeers || step.id.startsWith('mydumper'));
	const peerRestores = peerRestoreSteps(ctx).filter((step) => withAllPeers || step.id.startsWith('myloader'));
	// zstd at level 3 too: the default level is 1, and the size/time trade-off is shown next to it
	const steps = [...ourDumpSteps(ctx), ourDumpStep(ctx, 'zstd', 'mysql', 3), ...peerDumps, ...ourRestoreSteps(ctx, ['zstd', 'none']), ...peerRestores];

	const myloader = peerRestoreSteps(ctx).find((candidate) => candidate.id === 'myloader')!;
	const warmUp = {step: myloader, database: 'sbtest_warmup', args: myloader.spec.args.map((arg, index, all) => (all[index - 1] === '-B' ? 'sbtest_warmup' : arg))};
	const results = await runSteps(steps, {server: mysqlStepServer(admin), workDir, sourceRowCounts: rowCounts, log}, warmUp, interrupted);
	await rm(workDir, {recursive: true, force: true});
	return {rowsPerTable, tables: options.tables, sourceBytes, prepareSeconds, rowCounts, steps: results};
}

async function sourceSize(admin: Connection): Promise<number> {
	const [rows] = await admin.query<RowDataPacket[]>(
		'SELECT SUM(data_length + index_length) AS bytes FROM information_schema.tables WHERE table_schema = ?',
		[SOURCE_DATABASE],
	);
	return Number(rows[0]?.bytes);
}
