/**
 * Issue 19's bench, side by side in one run on one PostgreSQL 15 server holding pgbench's tables (scale
 * 100 by default, ~1.5 GB) and the 4 × 1M-row sysbench tables of the logical bench:
 * 1. base backup: `dbbackup physical-backup --engine basebackup` vs `pg_basebackup -Ft -X stream`, codec
 *    for codec (none, gzip client and server side, zstd at our level), plus our zstd vs its gzip;
 * 2. WAL streaming under `pgbench -c 4 -j 2 -T 60`: `dbbackup wal-stream --sync always` and
 *    `pg_receivewal --synchronous` at once, each through its own slot; every 100 ms the server's
 *    pg_current_wal_lsn() and, per slot, pg_stat_replication's flush_lsn and flush_lag; p50/p99 in
 *    seconds and bytes, and each streamer's peak RSS;
 * 3. point-in-time recovery to an LSN recorded while pgbench ran: our restore --wal --until-lsn vs
 *    pg_basebackup's tar with restore_command = cp from pg_receivewal's directory, each timed until the
 *    server has finished recovery (and ours end to end with --verify-start).
 * Prints ratios, lag and peak RSS, writes bench/results/basebackup-*.json. Not a test: nothing asserts on time.
 *
 *   node --import tsx bench/basebackup.ts [--scale 100] [--rows 1000000] [--tables 4] [--workers N]
 *     [--load-seconds 60] [--clients 4] [--jobs 2] [--pitr-codec none|gzip|zstd] [--node-options="…"]
 */
import {rm} from 'node:fs/promises';
import {cpus} from 'node:os';
import {join} from 'node:path';
import type pg from 'pg';
import {UsageError} from '../source/core/errors.ts';
import {formatLsn, parseLsn} from '../source/core/pg-replication/lsn.ts';
import {registerSecret} from '../source/core/redact.ts';
import {isRoot} from '../source/sandbox/debian-packages.ts';
import {POSTGRES_NEEDS, type PackageNeed} from '../source/sandbox/index.ts';
import {runCommand} from '../source/sandbox/run-command.ts';
import {killBackgroundProcesses} from './background-process.ts';
import {benchLog, parseBenchArgs, runBench} from './driver.ts';
import {terminateRunningCommands} from './measure.ts';
import {positiveInteger} from './options.ts';
import {buildOurCli} from './ours.ts';
import {PG_SOURCE_DATABASE, preparePgData} from './pg-data.ts';
import {baseBackupSteps, CROSS_CODEC_LINE, ourBaseBackupFile, peerBaseBackupDir, type PhysicalContext} from './pg-physical-steps.ts';
import {ourPitr, ourPitrVerifyStart, peerPitr, PITR_CODECS, type PitrCodec, type PitrInputs, type PitrResult} from './pg-pitr.ts';
import {pgBinDir, pgStepServer, startPgBenchServer, PG_SERVER_SETTINGS} from './pg-server.ts';
import {LagSampler, sampleStreamerMemory, startStreamers, summarizeLag, walStreamers, type LagResult, type LagSample, type RunningStreamer} from './pg-wal-lag.ts';
import {formatStepTable, formatTargets, renderTable, writeResults} from './report.ts';
import {runStep, type StepResult} from './run-step.ts';
import type {ProcessUsage} from './process-sampler.ts';
import type {TargetOutcome} from './targets.ts';
import {machineInfo} from './versions.ts';

const USAGE = `Usage: node --import tsx bench/basebackup.ts [options]
  --scale N          pgbench -i scale (default 100, ~1.5 GB)
  --rows N           rows per sysbench table (default 1000000)
  --tables N         sysbench tables (default 4)
  --workers N        our backup's --workers and sysbench prepare's threads (default: number of cores)
  --load-seconds S   pgbench -T while the WAL streamers are measured (default 60)
  --clients N        pgbench -c (default 4)
  --jobs N           pgbench -j (default 2)
  --node-options="…" extra node flags for our wal-stream (NODE_OPTIONS), e.g. --node-options="--max-semi-space-size=2" (an experiment; labelled in the output)
  --pitr-codec C     the base backups the PITR pair restores: none (default), gzip or zstd (ours --compress C, pg_basebackup's of the same codec)
  --help`;

interface Options {
	scale: number;
	rows: number;
	tables: number;
	workers: number;
	loadSeconds: number;
	clients: number;
	jobs: number;
	pitrCodec: PitrCodec;
	nodeOptions: string[];
}

function parse(argv: string[]): Options | 'help' {
	const values = parseBenchArgs(
		argv,
		{
			scale: {type: 'string'},
			rows: {type: 'string'},
			tables: {type: 'string'},
			workers: {type: 'string'},
			'load-seconds': {type: 'string'},
			clients: {type: 'string'},
			jobs: {type: 'string'},
			'pitr-codec': {type: 'string'},
			'node-options': {type: 'string'},
			help: {type: 'boolean'},
		},
		USAGE,
	);
	if (values.help) return 'help';
	const number = (flag: string, value: string | undefined, fallback: number) => (value === undefined ? fallback : positiveInteger(flag, value, USAGE));
	const pitrCodec = values['pitr-codec'] ?? 'none';
	if (!Object.hasOwn(PITR_CODECS, pitrCodec)) {
		throw new UsageError({code: 'BAD_ARGUMENTS', message: `--pitr-codec needs none, gzip or zstd, got "${pitrCodec}"`, hint: USAGE});
	}
	return {
		scale: number('--scale', values.scale, 100),
		rows: number('--rows', values.rows, 1_000_000),
		tables: number('--tables', values.tables, 4),
		workers: number('--workers', values.workers, cpus().length),
		loadSeconds: number('--load-seconds', values['load-seconds'], 60),
		clients: number('--clients', values.clients, 4),
		jobs: number('--jobs', values.jobs, 2),
		pitrCodec: pitrCodec as PitrCodec,
		nodeOptions: (values['node-options'] ?? '').split(/\s+/).filter((flag) => flag !== ''),
	};
}

const NEEDS: PackageNeed[] = [
	...POSTGRES_NEEDS,
	{binary: 'pg_basebackup', pkg: 'postgresql-client-15'},
	{binary: 'pg_receivewal', pkg: 'postgresql-client-15'},
	{binary: 'pgbench', pkg: 'postgresql-15'},
	{binary: 'sysbench', pkg: 'sysbench'},
	{binary: 'time', pkg: 'time'},
	{binary: 'tar', pkg: 'tar'},
	{binary: 'zstd', pkg: 'zstd'},
];

const SLOT_CATCH_UP_MS = 30 * 60_000;
const MIB = 1024 * 1024;
const log = benchLog;

/** The PITR pair of each codec: our backup of that compression and pg_basebackup's directory of the same codec. */
const PITR_PEER_STEP: Record<PitrCodec, string> = {none: 'pg_basebackup', gzip: 'pg_basebackup-z', zstd: 'pg_basebackup-zstd'};

runBench(
	{
		parse,
		usage: USAGE,
		needs: NEEDS,
		tools: () => {
			const binDir = pgBinDir();
			return {
				pg_basebackup: [join(binDir, 'pg_basebackup'), '--version'],
				pg_receivewal: [join(binDir, 'pg_receivewal'), '--version'],
				pgbench: [join(binDir, 'pgbench'), '--version'],
				sysbench: ['sysbench', '--version'],
				tar: ['tar', '--version'],
			};
		},
		workDirPrefix: 'dbbackup-bench-basebackup-',
		// as root the clusters run as the postgres OS user, which must be able to enter the work dir
		workDirMode: 0o711,
		stopRunning: () => {
			terminateRunningCommands();
			killBackgroundProcesses();
		},
		stopping: 'the running command, the WAL streamers and the bench server',
	},
	async ({options, startedAt, tools, workRoot, interrupted, atCleanUp}) => {
		log(`bench: pgbench scale ${options.scale} + ${options.tables} × ${options.rows.toLocaleString('en-US')} sysbench rows, pgbench load ${options.loadSeconds} s, work dir ${workRoot}`);
		await buildOurCli(log);
		const bench = await startPgBenchServer(workRoot, log);
		atCleanUp(() => bench.server.stop());
		registerSecret(bench.server.password);
		const admin = await bench.superuser('postgres');
		atCleanUp(() => admin.end().catch(() => {}));
		// base backups and WAL streaming need a replication connection: every tool connects as this role
		await admin.query(`ALTER ROLE ${admin.escapeIdentifier(bench.server.user)} REPLICATION`);
		log(`bench: PostgreSQL ${bench.server.version} on port ${bench.server.port}`);

		log(`\nbench: generating ${options.tables} × ${options.rows.toLocaleString('en-US')} rows with sysbench and pgbench scale ${options.scale}…`);
		const data = await preparePgData(bench, {tables: options.tables, rowsPerTable: options.rows, threads: options.workers, pgbenchScale: options.scale});
		const clusterBytes = Number((await admin.query<{b: string}>('SELECT sum(pg_database_size(oid))::text AS b FROM pg_database')).rows[0]!.b);
		log(`bench: prepared (sysbench ${data.sysbenchSeconds.toFixed(0)} s, pgbench ${data.pgbenchSeconds.toFixed(0)} s); cluster ${(clusterBytes / MIB).toFixed(0)} MiB`);

		const ctx: PhysicalContext = {host: bench.server.host, port: bench.server.port, user: bench.server.user, password: bench.server.password, binDir: bench.binDir, workers: options.workers, workDir: workRoot};
		const streamerSpecs = walStreamers(ctx, options.nodeOptions);
		const slots = streamerSpecs.map((spec) => spec.slot);
		// before the base backups, so that both WAL stores hold everything from before them on
		for (const slot of slots) await admin.query('SELECT pg_create_physical_replication_slot($1, true)', [slot]);
		atCleanUp(() => dropSlots(admin, slots));

		// 1. base backups
		log('\nbench: base backups (before each: CHECKPOINT and sync)');
		const stepServer = pgStepServer(bench, admin);
		const finished = new Map<string, StepResult>();
		for (const step of baseBackupSteps(ctx)) {
			if (interrupted()) throw new Error('interrupted');
			finished.set(step.id, await runStep(step, {server: stepServer, workDir: workRoot, sourceRowCounts: {}, log}, finished));
		}
		const backups = [...finished.values()];
		const pitrOurs = `ours-${options.pitrCodec}`;
		const pitrPeer = PITR_PEER_STEP[options.pitrCodec];
		for (const step of backups) {
			if (step.id === pitrOurs || step.id === pitrPeer) continue;
			await rm(step.id.startsWith('ours-') ? ourBaseBackupFile(ctx, step.id.slice(5) as 'none') : peerBaseBackupDir(ctx, step.id), {recursive: true, force: true});
		}

		// 2. WAL streaming under load
		log(`\nbench: WAL streamers ${streamerSpecs.map((spec) => spec.label).join(' and ')}, at once; catching up with the base backups' WAL first`);
		const streamers = await startStreamers(streamerSpecs);
		atCleanUp(() => Promise.all(streamers.map((streamer) => streamer.process.stop('SIGKILL', 5000))));
		const samplerClient = await bench.superuser('postgres');
		atCleanUp(() => samplerClient.end().catch(() => {}));
		const sampler = new LagSampler(samplerClient, slots);
		atCleanUp(() => sampler.stop());
		await waitForStreamers(admin, sampler, streamers, SLOT_CATCH_UP_MS);
		const memory = await Promise.all(streamers.map((streamer) => sampleStreamerMemory(streamer)));
		sampler.start(100);
		const load = await runLoad(bench.binDir, ctx, options, admin, sampler, log);
		// the segment holding the target completes in both stores: pg_receivewal's cp restore_command takes whole segments only
		await admin.query('SELECT pg_switch_wal()');
		await waitForStreamers(admin, sampler, streamers, SLOT_CATCH_UP_MS);
		await sampler.stop();
		const usage: ProcessUsage[] = await Promise.all(memory.map((sampling) => sampling.finish()));
		const stops = await Promise.all(streamers.map((streamer) => streamer.process.stop(streamer.spec.id === 'ours' ? 'SIGTERM' : 'SIGINT', 60_000)));
		const lag = streamers.map((streamer, index) => ({
			id: streamer.spec.id,
			label: streamer.spec.label,
			slot: streamer.spec.slot,
			lag: summarizeLag(sampler.samples, streamer.spec.slot, load.from, load.to),
			usage: usage[index]!,
			exit: stops[index]!,
			outputTail: streamer.output.split('\n').slice(-5).join('\n'),
		}));
		for (const entry of lag) {
			const stopped = entry.exit.forced || (entry.exit.code !== 0 && entry.exit.signal === null) ? ` (it did not stop cleanly: ${JSON.stringify(entry.exit)}; last output:\n${entry.outputTail})` : '';
			log(`bench: ${entry.label}: flush_lag p99 ${seconds(entry.lag.flushLagSeconds.p99)}, peak RSS ${entry.usage.peakRssMb.toFixed(0)} MiB${stopped}`);
		}
		if (isRoot()) {
			// the peer's restore_command (cp from pg_receivewal's directory) runs as postgres, and pg_receivewal ran
			// as root; ours copies the WAL into the data directory itself and needs no such step
			for (const spec of streamerSpecs) if (spec.id !== 'ours') await runCommand('chown', ['-R', 'postgres:postgres', spec.dir]);
		}

		// 3. point-in-time recovery
		let pitr: PitrResult[] = [];
		const pitrInputs: PitrInputs = {
			binDir: bench.binDir,
			workDir: workRoot,
			targetLsn: load.targetLsn,
			ourBackup: ourBaseBackupFile(ctx, options.pitrCodec),
			ourStore: streamerSpecs.find((spec) => spec.id === 'ours')!.dir,
			peerBackupDir: peerBaseBackupDir(ctx, pitrPeer),
			peerCodec: options.pitrCodec,
			peerWalDir: streamerSpecs.find((spec) => spec.id === 'pg_receivewal')!.dir,
			log,
		};
		if (finished.get(pitrOurs)?.status === 'ok' && finished.get(pitrPeer)?.status === 'ok') {
			log(`\nbench: point-in-time recovery to ${load.targetLsn} (recorded ${(load.targetAt - load.from).toFixed(1)} s into the load)`);
			pitr = [await ourPitr(pitrInputs), await peerPitr(pitrInputs), await ourPitrVerifyStart(pitrInputs)];
		} else {
			log(`bench: no point-in-time recovery: ${pitrOurs} or ${pitrPeer} did not complete`);
		}

		const targets = evaluate(backups, lag, pitr);
		const lines = [
			`dbbackup base backup / WAL / PITR bench, ${startedAt.toISOString()}: PostgreSQL ${bench.server.version}, ${machineInfo().cpus} cores, our backup --workers ${options.workers}`,
			`server: ${Object.entries(bench.settings).map(([name, value]) => `${name}=${value}`).join(' ')}`,
			`data: pgbench scale ${options.scale} + ${options.tables} sysbench tables × ${options.rows.toLocaleString('en-US')} rows in ${PG_SOURCE_DATABASE}; cluster ${(clusterBytes / MIB).toFixed(0)} MiB (pg_database_size, all databases)`,
			'',
			'1. Base backup (whole cluster; before each: CHECKPOINT and sync). Each of ours runs right before the peers it is compared with.',
			...formatStepTable(backups, 'WAL MiB'),
			...crossCodecLine(backups),
			'',
			`2. WAL streaming under pgbench -c ${options.clients} -j ${options.jobs} -T ${options.loadSeconds} (${load.tps === undefined ? 'tps unknown' : `${load.tps.toFixed(0)} tps`}, ${(load.walBytes / MIB).toFixed(0)} MiB of WAL); both streamers at once, each through its own slot, sampled every 100 ms (${load.samples} readings)`,
			...formatLagTable(lag),
			'',
			`3. Point-in-time recovery to LSN ${load.targetLsn} (recorded ${(load.targetAt - load.from).toFixed(1)} s into the load), from the ${options.pitrCodec === 'none' ? 'uncompressed' : options.pitrCodec} base backups above and the WAL each streamer stored`,
			...formatPitrTable(pitr),
			...pitrAgreement(pitr),
			'',
			...NOTES,
			'',
			'Targets (issue 19):',
			...formatTargets(targets),
		];
		process.stdout.write(`${lines.join('\n')}\n`);
		const file = await writeResults('basebackup', startedAt, {
			startedAt: startedAt.toISOString(),
			finishedAt: new Date().toISOString(),
			options,
			machine: machineInfo(),
			server: {version: bench.server.version, settings: bench.settings, tuned: PG_SERVER_SETTINGS},
			tools,
			data: {pgbenchScale: options.scale, sysbenchTables: options.tables, rowsPerTable: options.rows, rowCounts: data.rowCounts, sourceBytes: data.sourceBytes, clusterBytes, sysbenchSeconds: data.sysbenchSeconds, pgbenchSeconds: data.pgbenchSeconds},
			notes: NOTES,
			backups,
			walStreaming: {
				load: {clients: options.clients, jobs: options.jobs, seconds: options.loadSeconds, tps: load.tps, walBytes: load.walBytes, targetLsn: load.targetLsn, pgbenchOutput: load.output},
				streamers: lag,
				samplerErrors: sampler.errors,
				series: lagSeries(sampler.samples, slots, load.from),
			},
			pitr,
			targets,
		});
		process.stdout.write(`\nresults written to ${file}\n`);
		const incomplete = [...backups.filter((step) => step.status !== 'ok').map((step) => step.label), ...pitr.filter((result) => result.status !== 'ok').map((result) => result.label)];
		if (incomplete.length > 0) {
			log(`bench: did not complete: ${incomplete.join(', ')}`);
			return 1;
		}
		return 0;
	},
);

async function dropSlots(admin: pg.Client, slots: string[]): Promise<void> {
	for (let attempt = 0; attempt < 50; attempt++) {
		const {rows} = await admin.query<{slot_name: string; active_pid: number | null}>('SELECT slot_name, active_pid FROM pg_replication_slots WHERE slot_name = ANY($1)', [slots]).catch(() => ({rows: []}));
		if (rows.length === 0) return;
		for (const row of rows) {
			if (row.active_pid !== null) await admin.query('SELECT pg_terminate_backend($1)', [row.active_pid]).catch(() => {});
			else await admin.query('SELECT pg_drop_replication_slot($1)', [row.slot_name]).catch(() => {});
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

/** Waits until every streamer's slot reports a flush at or past the server's flush position as it was on the call. */
async function waitForStreamers(admin: pg.Client, sampler: LagSampler, streamers: RunningStreamer[], timeoutMs: number): Promise<void> {
	const {rows} = await admin.query<{lsn: string}>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
	const goal = parseLsn(rows[0]!.lsn);
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		for (const streamer of streamers) {
			if (!streamer.process.running) throw new Error(`${streamer.spec.label} exited (${JSON.stringify(await streamer.process.exited)}):\n${streamer.output}`);
		}
		const sample = await sampler.sampleOnce();
		const behind = streamers.filter((streamer) => (sample.slots[streamer.spec.slot]?.flush ?? 0n) < goal);
		if (behind.length === 0) return;
		if (Date.now() > deadline) throw new Error(`${behind.map((streamer) => streamer.spec.label).join(', ')} did not reach ${formatLsn(goal)} within ${timeoutMs / 1000} s`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

interface LoadRun {
	/** server clock (epoch s) at pgbench's start and end */
	from: number;
	to: number;
	targetLsn: string;
	targetAt: number;
	tps?: number;
	walBytes: number;
	samples: number;
	output: string;
}

/** pgbench -c -j -T on the bench database; halfway through, the LSN the recoveries will stop at. */
async function runLoad(binDir: string, ctx: PhysicalContext, options: Options, admin: pg.Client, sampler: LagSampler, say: (line: string) => void): Promise<LoadRun> {
	const before = await sampler.sampleOnce();
	say(`bench: pgbench -c ${options.clients} -j ${options.jobs} -T ${options.loadSeconds}`);
	let target: Promise<{lsn: string; at: number}> | undefined;
	const timer = setTimeout(() => {
		target = admin.query<{lsn: string; at: number}>('SELECT pg_current_wal_lsn()::text AS lsn, extract(epoch FROM clock_timestamp())::float8 AS at').then(({rows}) => rows[0]!);
	}, (options.loadSeconds * 1000) / 2);
	const args = ['--client', String(options.clients), '--jobs', String(options.jobs), '--time', String(options.loadSeconds), '--host', ctx.host, '--port', String(ctx.port), '--username', ctx.user, PG_SOURCE_DATABASE];
	let output: string;
	try {
		const result = await runCommand(join(binDir, 'pgbench'), args, {env: {...process.env, PGPASSWORD: ctx.password}});
		output = result.stdout;
	} finally {
		clearTimeout(timer);
	}
	const after = await sampler.sampleOnce();
	if (target === undefined) throw new Error('pgbench ended before the target LSN was recorded');
	const {lsn, at} = await target;
	const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1];
	return {
		from: before.at,
		to: after.at,
		targetLsn: lsn,
		targetAt: at,
		...(tps === undefined ? {} : {tps: Number(tps)}),
		walBytes: Number(after.current - before.current),
		samples: sampler.samples.filter((sample) => sample.at >= before.at && sample.at <= after.at).length,
		output: output.trim().split('\n').slice(-12).join('\n'),
	};
}

function seconds(value: number | undefined, digits = 3): string {
	return value === undefined ? '–' : value.toFixed(digits);
}

function mib(value: number | undefined): string {
	return value === undefined ? '–' : (value / MIB).toFixed(1);
}

function crossCodecLine(backups: StepResult[]): string[] {
	const ours = backups.find((step) => step.id === CROSS_CODEC_LINE.ours);
	const peer = backups.find((step) => step.id === CROSS_CODEC_LINE.peer);
	if (ours?.status !== 'ok' || peer?.status !== 'ok') return [];
	return [
		`our zstd vs pg_basebackup -z (each tool's usual codec; favours us, zstd being the faster codec): ${(ours.seconds! / peer.seconds!).toFixed(2)}× the time, ${(ours.outputBytes! / peer.outputBytes!).toFixed(2)}× the bytes`,
	];
}

interface LagEntry {
	id: string;
	label: string;
	lag: LagResult;
	usage: ProcessUsage;
}

function formatLagTable(lag: LagEntry[]): string[] {
	const rows = lag.map((entry) => [
		entry.label,
		seconds(entry.lag.flushLagSeconds.p50),
		seconds(entry.lag.flushLagSeconds.p99),
		seconds(entry.lag.flushLagSeconds.max),
		seconds(entry.lag.positionAgeSeconds.p50),
		seconds(entry.lag.positionAgeSeconds.p99),
		mib(entry.lag.bytes.p50),
		mib(entry.lag.bytes.p99),
		entry.usage.peakRssMb.toFixed(0),
		entry.usage.cpuPercent.toFixed(0),
	]);
	const table = renderTable(
		['streamer', 'flush_lag p50 s', 'p99 s', 'max s', 'position age p50 s', 'p99 s', 'bytes behind p50 MiB', 'p99 MiB', 'peak RSS MiB', 'CPU %'],
		['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
		rows,
	);
	const gaps = lag
		.filter((entry) => entry.lag.disconnected > 0 || entry.lag.flushLagSeconds.nulls > 0)
		.map((entry) => `  ${entry.label}: ${entry.lag.disconnected} of ${entry.lag.samples} readings without its walsender, ${entry.lag.flushLagSeconds.nulls} with flush_lag NULL (left out)`);
	return [...table, ...gaps];
}

function formatPitrTable(pitr: PitrResult[]): string[] {
	if (pitr.length === 0) return ['(not run)'];
	const peer = pitr.find((result) => result.id === 'pg_basebackup');
	const rows = pitr.map((result) => {
		if (result.status !== 'ok') return [result.label, 'FAILED', '', '', '', '', ''];
		const ratio = result.id === 'ours' && peer?.status === 'ok' ? `${(result.totalSeconds! / peer.totalSeconds!).toFixed(2)}×` : '';
		return [
			result.label,
			seconds(result.layoutSeconds, 1),
			result.recoverySeconds === undefined ? '(inside)' : seconds(result.recoverySeconds, 1),
			seconds(result.totalSeconds, 1),
			ratio,
			(result.layoutPeakRssMb ?? 0).toFixed(0),
			result.state ? `${result.state.lsn}, ${result.state.historyRows} rows` : '',
		];
	});
	const table = renderTable(['restore', 'layout s', 'start + recovery s', 'total s', 'ours ÷ pg', 'layout peak RSS MiB', 'recovered: LSN, pgbench_history'], ['left', 'right', 'right', 'right', 'right', 'right', 'left'], rows);
	const failures = pitr.filter((result) => result.status !== 'ok').map((result) => `  ${result.label}: ${result.error?.split('\n').slice(0, 6).join('\n    ')}`);
	return [...table, ...(failures.length > 0 ? ['not measured:', ...failures] : [])];
}

/** Both recoveries stopped at the same record when pgbench_history's count and sum agree. */
function pitrAgreement(pitr: PitrResult[]): string[] {
	const ours = pitr.find((result) => result.id === 'ours')?.state;
	const peer = pitr.find((result) => result.id === 'pg_basebackup')?.state;
	if (!ours || !peer) return [];
	const same = ours.historyRows === peer.historyRows && ours.historyDeltaSum === peer.historyDeltaSum;
	return [
		same
			? `both recovered the same data: pgbench_history ${ours.historyRows} rows, sum(delta) ${ours.historyDeltaSum}`
			: `THE RECOVERIES DIFFER: ours pgbench_history ${ours.historyRows} rows sum(delta) ${ours.historyDeltaSum}, pg_basebackup's ${peer.historyRows} rows sum(delta) ${peer.historyDeltaSum}`,
	];
}

/** The lag readings for the JSON: [seconds since the load began, MiB of WAL since, then per slot flush MiB behind and flush_lag]. */
function lagSeries(samples: LagSample[], slots: string[], from: number): {columns: string[]; rows: (number | null)[][]} {
	const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
	const first = samples.find((sample) => sample.at >= from)?.current ?? 0n;
	return {
		columns: ['seconds', 'walMiB', ...slots.flatMap((slot) => [`${slot}.behindMiB`, `${slot}.flushLag`])],
		rows: samples.map((sample) => [
			round(sample.at - from, 3),
			round(Number(sample.current - first) / MIB, 3),
			...slots.flatMap((slot) => {
				const state = sample.slots[slot];
				return [state?.flush === undefined ? null : round(Number(sample.current - state.flush) / MIB, 3), state?.flushLag === undefined ? null : round(state.flushLag, 4)];
			}),
		]),
	};
}

function ratioTarget(target: string, backups: StepResult[], ours: string, peer: string, limit: number): TargetOutcome {
	const a = backups.find((step) => step.id === ours);
	const b = backups.find((step) => step.id === peer);
	if (a?.status !== 'ok') return {target, status: 'MISS', limit, detail: `ours did not run: ${a?.error ?? 'not measured'}`};
	if (b?.status !== 'ok') return {target, status: 'n/a', limit, detail: `${peer} did not run: ${b?.error ?? 'not measured'}`};
	const ratio = a.seconds! / b.seconds!;
	return {target, status: ratio <= limit ? 'PASS' : 'MISS', value: ratio, limit, detail: `${ratio.toFixed(2)}× (${a.seconds!.toFixed(1)} s vs ${b.seconds!.toFixed(1)} s)`};
}

function evaluate(backups: StepResult[], lag: (LagEntry & {exit: {forced: boolean}})[], pitr: PitrResult[]): TargetOutcome[] {
	const ours = lag.find((entry) => entry.id === 'ours');
	const outcomes: TargetOutcome[] = [
		ratioTarget('our gzip base backup ≤ 1.0 × pg_basebackup -z (client gzip) time', backups, 'ours-gzip', 'pg_basebackup-z', 1.0),
		ratioTarget('our gzip base backup ≤ 1.0 × pg_basebackup --compress=server-gzip time', backups, 'ours-gzip', 'pg_basebackup-server-gzip', 1.0),
		ratioTarget('our zstd base backup ≤ 1.0 × pg_basebackup --compress=client-zstd:level=1 time', backups, 'ours-zstd', 'pg_basebackup-zstd', 1.0),
		ratioTarget('our uncompressed base backup ≤ 1.0 × pg_basebackup -Ft time', backups, 'ours-none', 'pg_basebackup', 1.0),
	];
	const p99 = ours?.lag.flushLagSeconds.p99;
	outcomes.push(
		p99 === undefined
			? {target: 'WAL streaming lag p99 < 1 s (pg_stat_replication.flush_lag)', status: 'MISS', limit: 1, detail: 'no flush_lag reading for our streamer'}
			: {target: 'WAL streaming lag p99 < 1 s (pg_stat_replication.flush_lag)', status: p99 < 1 ? 'PASS' : 'MISS', value: p99, limit: 1, detail: `p99 ${p99.toFixed(3)} s, p50 ${seconds(ours!.lag.flushLagSeconds.p50)} s; position age p99 ${seconds(ours!.lag.positionAgeSeconds.p99)} s`},
	);
	const rss = ours?.usage.peakRssMb;
	outcomes.push(
		rss === undefined
			? {target: 'WAL streamer peak RSS ≤ 128 MiB', status: 'MISS', limit: 128, detail: 'not measured'}
			: {target: 'WAL streamer peak RSS ≤ 128 MiB', status: rss <= 128 ? 'PASS' : 'MISS', value: rss, limit: 128, detail: `${rss.toFixed(0)} MiB (VmHWM over its whole run, catch-up included)`},
	);
	const mine = pitr.find((result) => result.id === 'ours');
	const theirs = pitr.find((result) => result.id === 'pg_basebackup');
	if (mine?.status === 'ok' && theirs?.status === 'ok') {
		const ratio = mine.totalSeconds! / theirs.totalSeconds!;
		outcomes.push({target: 'PITR restore + recovery vs pg_basebackup tar + cp restore_command (no target in the issue; figure only)', status: 'n/a', value: ratio, limit: 1, detail: `${ratio.toFixed(2)}× (${mine.totalSeconds!.toFixed(1)} s vs ${theirs.totalSeconds!.toFixed(1)} s)`});
	}
	return outcomes;
}

const NOTES = [
	'1. seconds: wall clock of the whole command. peak RSS: GNU time, the largest single process (pg_basebackup -X stream forks its WAL receiver). output bytes: the archive, or the sum of pg_basebackup\'s tar files and manifest.',
	'   Both ask for a fast checkpoint and SHA-256 manifest checksums (pg_basebackup: --checkpoint=fast --manifest-checksums=SHA256, both not its defaults), and both fsync what they wrote (pg_basebackup by default; ours the archive and its directory).',
	'   Not alike: ours takes the WAL the backup needs inside BASE_BACKUP (WAL, like -X fetch) where pg_basebackup -X stream streams it over a second connection; ours compresses on every core, pg_basebackup\'s gzip and zstd on one thread (server-gzip: in the walsender).',
	'   PostgreSQL 15\'s pg_basebackup compresses the streamed pg_wal.tar only with client gzip (-z): with server-gzip and client-zstd it is written uncompressed (about one 16 MiB segment: it shows in the bytes at a small scale only).',
	'2. flush_lag: the server\'s pg_stat_replication.flush_lag for the slot\'s walsender (time from the server\'s WAL flush to the streamer\'s report that it is durably stored); it only changes when a report arrives.',
	'   position age: the reading\'s time − when pg_current_wal_lsn() had reached the reported flush_lsn (interpolated between readings), which also grows while no report comes. bytes behind: pg_current_wal_lsn() − flush_lsn.',
	'   Both streamers run at once under the same pgbench load, with the server, pgbench and the bench on the same cores. pg_receivewal --synchronous and ours --sync always both fsync before they report a position flushed.',
	'3. layout: our restore (checks every member\'s SHA-256, writes and fsyncs every file) or tar -xf + recovery settings (no fsync: the server syncs the directory at its first start from a backup_label, for both).',
	'   layout (ours) includes copying the WAL to replay from our store into pg_wal/dbbackup-recovery (decompressed, checked against the store\'s index, fsync\'d); the peer\'s WAL stays in pg_receivewal\'s directory.',
	'   start + recovery: pg_ctl start -w until pg_is_in_recovery() is false (target reached, promoted). Both restore_commands are cp of a local file.',
	'   Both servers start with the same overrides (private socket, shared_buffers 128MB, archive_mode off). --verify-start: our own throwaway server, recovery, then every table of every database counted, then a fast stop.',
	'   pg_receivewal\'s directory is given to the postgres OS user first (chown -R, untimed): it ran as root and its restore_command (cp) runs as postgres.',
];
