/**
 * Issue 5's binlog streaming bench on a private MariaDB (binlog ROW, CRC32). First the copy of the
 * binlog sysbench prepare left (no load): time, CPU, peak RSS. Then, one at a time under `sysbench
 * oltp_write_only` load, each streamer from a freshly rotated binlog: `dbbackup binlog-stream --sync
 * always`, `--sync interval --checkpoint-interval 1s`, `--sync always --databases bench_probe` (the
 * copy stays complete, the --json feed carries only the probe's events), the same run from the
 * TypeScript sources through tsx (DBBACKUP_FROM_SOURCE=1, to show what the bundle saves), and mariadb-binlog --raw --stop-never for context. For ours: event-to-
 * durable lag from a probe commit every 100 ms to the binlog-durable line on the streamer's stdout, CPU
 * and RSS from /proc. Every copy is checked against the server's files after the stop. Prints a table
 * with the issue's targets and writes the figures to bench/results/. Not a test: nothing here asserts
 * on time.
 *
 *   node --import tsx bench/binlog-stream.ts [--rows N] [--tables N] [--threads N] [--time S] [--only A,B] [--no-from-source] [--no-peer]
 */
import {rm} from 'node:fs/promises';
import {join} from 'node:path';
import type {RowDataPacket} from 'mysql2/promise';
import {registerSecret} from '../source/core/redact.ts';
import {MARIADB_NEEDS, type PackageNeed} from '../source/sandbox/index.ts';
import {benchLog, runBench} from './driver.ts';
import {killBackgroundProcesses} from './background-process.ts';
import {BINLOG_USAGE, parseBinlogBenchOptions, type BinlogBenchOptions, type LoadRunId} from './binlog-options.ts';
import {createProbeTable, PROBE_DATABASE} from './binlog-probe.ts';
import {evaluateStreamTargets, formatBacklogTable, formatCopyChecks, formatFailures, formatVariantTable, STREAM_NOTES} from './binlog-report.ts';
import {runVariant, startFreshBinlog, type RunEnvironment, type RunMode, type VariantResult} from './binlog-run.ts';
import {ourVariant, peerVariant, type StreamContext, type StreamVariant} from './binlog-variants.ts';
import {REPO_ROOT, buildOurCli} from './ours.ts';
import {formatTargets, writeResults} from './report.ts';
import {binlogBytes, settingsLine, startBenchServer} from './server.ts';
import {prepareSysbenchData, SOURCE_DATABASE} from './sysbench.ts';
import {machineInfo} from './versions.ts';

const BENCH_NEEDS: PackageNeed[] = [...MARIADB_NEEDS, {binary: 'sysbench', pkg: 'sysbench'}];
const WORKLOAD = 'oltp_write_only';

const log = benchLog;

runBench(
	{
		parse: parseBinlogBenchOptions,
		usage: BINLOG_USAGE,
		needs: BENCH_NEEDS,
		tools: () => ({
			'mariadb-binlog': ['mariadb-binlog', '--version'],
			sysbench: ['sysbench', '--version'],
			esbuild: [join(REPO_ROOT, 'node_modules', '.bin', 'esbuild'), '--version'],
		}),
		workDirPrefix: 'dbbackup-bench-binlog-',
		stopRunning: killBackgroundProcesses,
		stopping: 'the streamers and the bench server',
	},
	async ({options, startedAt, tools, workRoot, interrupted, atCleanUp}) => {
		log(
			`bench: ${options.tables} × ${options.rowsPerTable.toLocaleString('en-US')} rows, sysbench ${WORKLOAD} ${options.threads} threads × ${options.seconds} s per streamer, ` +
				`probe every ${options.probeIntervalMs} ms, work dir ${workRoot}`,
		);
		await buildOurCli(log);
		const bench = await startBenchServer(workRoot, log);
		atCleanUp(() => bench.server.stop());
		registerSecret(bench.server.password);
		const admin = await bench.connect();
		atCleanUp(() => admin.end().catch(() => {}));
		log(`bench: MariaDB ${bench.server.version} on port ${bench.server.port}; ${settingsLine(bench.settings)}`);
		log(`\nbench: sysbench ${WORKLOAD} prepare…`);
		const prepareSeconds = await prepareSysbenchData(bench.server, admin, {
			tables: options.tables,
			rowsPerTable: options.rowsPerTable,
			threads: options.threads,
			workload: WORKLOAD,
		});
		await createProbeTable(admin);
		const probeConnection = await bench.connect();
		atCleanUp(() => probeConnection.end().catch(() => {}));
		const [firstLog] = await admin.query<RowDataPacket[]>('SHOW BINARY LOGS');
		const firstFile = String(firstLog[0]?.Log_name);
		const backlogBytes = await binlogBytes(admin);
		log(`bench: prepared in ${prepareSeconds.toFixed(0)} s; binlog ${mib(backlogBytes)} MiB so far`);

		const ctx: StreamContext = {nodeOptions: options.nodeOptions, host: bench.server.host, port: bench.server.port, user: bench.server.user, password: bench.server.password, workDir: workRoot};
		const env: RunEnvironment = {
			server: bench.server,
			admin,
			probeConnection,
			load: {workload: WORKLOAD, tables: options.tables, rowsPerTable: options.rowsPerTable, threads: options.threads, seconds: options.seconds},
			probeIntervalMs: options.probeIntervalMs,
			log,
		};
		const run = async (variant: StreamVariant, mode: RunMode) => {
			if (interrupted()) throw new Error('interrupted');
			const result = await runVariant(variant, env, mode);
			await rm(variant.outputDir, {recursive: true, force: true});
			return result;
		};

		log(`\nbench: copying the ${mib(backlogBytes)} MiB sysbench prepare left in the binlog, no load`);
		const backlog: VariantResult[] = [];
		for (const variant of backlogVariants(ctx, options, firstFile)) backlog.push(await run(variant, 'backlog'));

		log(`\nbench: under load; before each streamer the server's binlog is rotated and the older files purged, so it starts from a file of a few KB`);
		const results: VariantResult[] = [];
		for (const [id, makeVariant] of loadVariants(ctx, options)) {
			if (options.only && !options.only.includes(id)) continue;
			const fresh = await startFreshBinlog(admin, log);
			results.push(await run(makeVariant(fresh), 'load'));
		}

		const targets = evaluateStreamTargets(results, backlog);
		const lines = [
			`dbbackup binlog-stream bench, ${startedAt.toISOString()}: MariaDB ${bench.server.version}, ${machineInfo().cpus} cores`,
			`server: ${settingsLine(bench.settings)}`,
			`load: sysbench ${WORKLOAD} --threads=${options.threads} --time=${options.seconds} on ${options.tables} × ${options.rowsPerTable.toLocaleString('en-US')} rows, one streamer at a time into a fresh directory, ` +
				`caught up before its load starts; probe every ${options.probeIntervalMs} ms. The server (mariadbd), sysbench, the bench and the streamer share the machine's ${machineInfo().cpus} cores.`,
			'',
			`Copying the binlog sysbench prepare left (${mib(backlogBytes)} MiB), no load, from the start until caught up:`,
			...formatBacklogTable(backlog),
			'',
			`Under load (${options.seconds} s each), each streamer starting from a freshly rotated binlog:`,
			...formatVariantTable(results),
			'',
			'copies vs the server\'s binlog files after the stop (closed files whole, the active file as a prefix):',
			...formatCopyChecks([...backlog, ...results]),
			...([...backlog, ...results].some((result) => result.status !== 'ok') ? ['', 'did not complete:', ...formatFailures([...backlog, ...results])] : []),
			'',
			...STREAM_NOTES,
			'',
			'Targets (issue 5):',
			...formatTargets(targets),
		];
		process.stdout.write(`${lines.join('\n')}\n`);
		const file = await writeResults('binlog-stream', startedAt, {
			startedAt: startedAt.toISOString(),
			finishedAt: new Date().toISOString(),
			options,
			machine: machineInfo(),
			server: {version: bench.server.version, settings: bench.settings},
			tools,
			data: {workload: WORKLOAD, database: SOURCE_DATABASE, tables: options.tables, rowsPerTable: options.rowsPerTable, prepareSeconds, prepareBinlogBytes: backlogBytes},
			notes: STREAM_NOTES,
			backlog,
			results,
			targets,
		});
		process.stdout.write(`\nresults written to ${file}\n`);
		const incomplete = [...backlog, ...results].filter((result) => result.status !== 'ok' || (result.ours && !result.copy?.ok));
		if (incomplete.length > 0) {
			log(`bench: ${incomplete.length} streamer(s) failed or left a copy that differs: ${incomplete.map((result) => result.label).join(', ')}`);
			return 1;
		}
		return 0;
	},
);

/** The streamers that copy sysbench prepare's binlog with no load. */
function backlogVariants(ctx: StreamContext, options: BinlogBenchOptions, firstFile: string): StreamVariant[] {
	const variants = [ourVariant(ctx, {id: 'backlog-ours-always', label: 'dbbackup --sync always', sync: 'always', serverId: 111, firstFile})];
	if (options.peer) variants.push(peerVariant(ctx, {id: 'backlog-mariadb-binlog', firstFile, serverId: 112}));
	return variants;
}

type VariantFactory = (firstFile: string) => StreamVariant;

/** The streamers measured under load by id, each made once the server's binlog has been rotated (its first file). */
function loadVariants(ctx: StreamContext, options: BinlogBenchOptions): [LoadRunId, VariantFactory][] {
	const variants: [LoadRunId, VariantFactory][] = [
		['ours-always', (firstFile) => ourVariant(ctx, {id: 'ours-always', label: 'dbbackup --sync always', sync: 'always', serverId: 101, firstFile})],
		[
			'ours-interval',
			(firstFile) => ourVariant(ctx, {id: 'ours-interval', label: 'dbbackup --sync interval --checkpoint-interval 1s', sync: 'interval', serverId: 102, firstFile}),
		],
		[
			'ours-always-feed-filtered',
			(firstFile) =>
				ourVariant(ctx, {
					id: 'ours-always-feed-filtered',
					label: `dbbackup --sync always --databases ${PROBE_DATABASE}`,
					sync: 'always',
					serverId: 103,
					firstFile,
					extraArgs: ['--databases', PROBE_DATABASE],
				}),
		],
	];
	if (options.fromSource) {
		variants.push([
			'ours-always-from-source',
			(firstFile) =>
				ourVariant(ctx, {id: 'ours-always-from-source', label: 'dbbackup --sync always, from source through tsx', sync: 'always', serverId: 104, firstFile, fromSource: true}),
		]);
	}
	if (options.peer) variants.push(['mariadb-binlog', (firstFile) => peerVariant(ctx, {id: 'mariadb-binlog', firstFile, serverId: 105})]);
	return variants;
}

function mib(bytes: number): string {
	return (bytes / 1024 ** 2).toFixed(0);
}
