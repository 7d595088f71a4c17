import {mkdir, readdir, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {redact} from '../source/core/redact.ts';
import type {RunningMariadb} from '../source/sandbox/index.ts';
import {BackgroundProcess} from './background-process.ts';
import {compareBinlogCopies, type CopyCheck} from './binlog-compare.ts';
import {domainSequence, figures, lagSeries, summarizeLag, wallNow, type LagFigures, type LagSummary, type Probe} from './binlog-lag.ts';
import {startProbe} from './binlog-probe.ts';
import type {StreamVariant} from './binlog-variants.ts';
import {shellQuote} from './measure.ts';
import {readMemory, startProcessSampling, type ProcessUsage} from './process-sampler.ts';
import {binlogBytes} from './server.ts';
import {StreamerProcess} from './streamer-process.ts';
import {runSysbenchLoad, type LoadResult, type LoadSpec} from './sysbench.ts';

const CATCH_UP_LIMIT_MS = 300_000;
/** after the load: how long the streamer may take to make the last commits durable */
const DRAIN_LIMIT_MS = 30_000;
const STOP_GRACE_MS = 30_000;
const PURGE_LIMIT_MS = 60_000;
const BINLOG_NAME = /^[\w.-]+\.\d+$/;

export interface VariantResult {
	id: string;
	label: string;
	mode: RunMode;
	ours: boolean;
	shipped: boolean;
	sync?: 'always' | 'interval';
	/** the command line (the password only ever in MYSQL_PWD) */
	command: string;
	status: 'ok' | 'failed';
	error?: string;
	/** the process's last output when it failed or stopped badly */
	output?: string;
	catchUpSeconds?: number;
	/** mode 'backlog': bytes of binlog files in the copy once caught up */
	copiedBytes?: number;
	/** whether the peer's copy was seen to reach the server's end before the load (it reports nothing) */
	caughtUp?: boolean;
	load?: LoadResult;
	/** bytes the server's binlog grew by during the load */
	serverBinlogBytes?: number;
	/** CPU and RSS over the load window; peakRssMb is VmHWM read just before the stop */
	usage?: ProcessUsage;
	/** mean of the binlog-status events/s read during the load */
	eventsPerSecond?: number;
	eventLines?: number;
	durableLines?: number;
	lag?: LagSummary;
	/** every probe: [seconds since the load started, lag as read, lag as emitted] (null: never durable) */
	lagSeries?: [number, number | null, number | null][];
	/** every binlog-status line of the load: [seconds since the load started (emitted), events/s, lag s, seconds in the pipe] */
	statusSeries?: [number, number, number | null, number][];
	/**
	 * seconds between the streamer emitting a line and the bench reading it, over the load: the pipe's
	 * share of the read lag (binlog-status lines, once a second; binlog-durable lines)
	 */
	pipeDelay?: {status: LagFigures; durable: LagFigures};
	/** bytes the bench read from the streamer's stdout, and its own CPU % over the load (the reader) */
	stdoutBytes?: number;
	benchCpuPercent?: number;
	probeErrors?: number;
	firstProbeError?: string;
	/** seconds after the load until the last commit was durable */
	drainSeconds?: number;
	stop?: {code: number | null; signal: string | null; forced: boolean; seconds: number};
	copy?: CopyCheck;
}

export interface RunEnvironment {
	server: RunningMariadb;
	admin: Connection;
	/** a connection of its own for the probe commits */
	probeConnection: Connection;
	load: LoadSpec;
	probeIntervalMs: number;
	log: (line: string) => void;
}

/**
 * 'load': the server keeps a fresh binlog of a few KB (see startFreshBinlog), the streamer catches up
 * with it, then runs beside the sysbench load and the probe. 'backlog': the streamer copies the binlogs
 * already there (sysbench prepare's) with no load, measured from its start until it has caught up.
 */
export type RunMode = 'load' | 'backlog';

/**
 * One variant: start the streamer, wait until its copy has caught up with the server, then (mode
 * 'load') run the sysbench load with the probe beside it while sampling the streamer's CPU and RSS;
 * stop it and check its copy against the server's files. Failures are returned, not thrown.
 */
export async function runVariant(variant: StreamVariant, env: RunEnvironment, mode: RunMode): Promise<VariantResult> {
	const command = [variant.spec.command, ...variant.spec.args].map(shellQuote).join(' ');
	const base = {id: variant.id, label: variant.label, mode, ours: variant.ours, shipped: variant.shipped, sync: variant.sync, command};
	env.log(`\n→ ${variant.label}: ${command}`);
	await mkdir(variant.outputDir, {recursive: true});
	const streamer = variant.ours ? new StreamerProcess(variant.spec) : undefined;
	const child = streamer?.process ?? new BackgroundProcess(variant.spec);
	const result: VariantResult = {...base, status: 'ok'};
	try {
		const began = performance.now();
		const backlogSampling = mode === 'backlog' ? await startProcessSampling(child.pid) : undefined;
		result.caughtUp = streamer ? (await waitForDurableCatchUp(streamer, env.admin), true) : await waitForFileCatchUp(child, variant.outputDir, env.admin);
		result.catchUpSeconds = (performance.now() - began) / 1000;
		const unconfirmed = result.caughtUp ? '' : " (not confirmed: the peer reports nothing, and its files did not reach the server's end)";
		if (backlogSampling) {
			env.log(`  copied the backlog in ${result.catchUpSeconds.toFixed(1)} s${unconfirmed}`);
			result.usage = await backlogSampling.finish();
			result.copiedBytes = await copiedBytes(variant.outputDir);
			if (streamer) result.eventLines = streamer.eventLines;
		} else {
			env.log(`  caught up in ${result.catchUpSeconds.toFixed(1)} s${unconfirmed}; load for ${env.load.seconds} s…`);
			await measureUnderLoad(env, child, streamer, result);
		}
	} catch (error) {
		result.status = 'failed';
		result.error = redact((error as Error).message);
	} finally {
		const stop = await child.stop(variant.ours ? 'SIGINT' : 'SIGTERM', STOP_GRACE_MS);
		result.stop = {code: stop.code, signal: stop.signal, forced: stop.forced, seconds: stop.seconds};
		const cleanExit = variant.ours ? stop.code === 0 && !stop.forced : !stop.forced;
		if (!cleanExit || result.status === 'failed') {
			if (variant.ours && result.status === 'ok') {
				result.status = 'failed';
				result.error = `did not stop cleanly on SIGINT (${stop.forced ? `killed after ${STOP_GRACE_MS / 1000} s` : `exit code ${stop.code}, signal ${stop.signal}`})`;
			}
			result.output = redact([child.stderrTail.trim(), ...(streamer?.otherOutput.slice(-10) ?? [])].filter(Boolean).join('\n'));
		}
	}
	try {
		result.copy = await checkCopy(env, variant.outputDir, variant.firstFile);
	} catch (error) {
		result.copy = {ok: false, files: [], extra: [], summary: `could not compare: ${(error as Error).message}`};
	}
	env.log(`  ${summaryLine(result)}`);
	env.log(`  copy: ${result.copy.ok ? 'byte-identical' : 'NOT byte-identical'}: ${result.copy.summary}`);
	return result;
}

/** The load window: sysbench and the probe run while the streamer's CPU and RSS are sampled. */
async function measureUnderLoad(env: RunEnvironment, child: BackgroundProcess, streamer: StreamerProcess | undefined, result: VariantResult): Promise<void> {
	const sampling = await startProcessSampling(child.pid);
	const probe = startProbe(env.probeConnection, env.probeIntervalMs);
	const binlogBefore = await binlogBytes(env.admin);
	const loadStart = wallNow();
	const benchCpu = process.cpuUsage();
	let load: LoadResult;
	let probes: Probe[];
	try {
		load = await runSysbenchLoad(env.server, env.load);
	} finally {
		const probed = await probe.stop();
		probes = probed.probes;
		result.probeErrors = probed.errors;
		result.firstProbeError = probed.firstError;
	}
	const loadEnd = wallNow();
	if (!child.running) {
		const exit = await child.exited;
		throw new Error(`the streamer exited during the load (exit code ${exit.code}, signal ${exit.signal})`);
	}
	result.serverBinlogBytes = (await binlogBytes(env.admin)) - binlogBefore;
	const benchCpuUsed = process.cpuUsage(benchCpu);
	result.benchCpuPercent = ((benchCpuUsed.user + benchCpuUsed.system) / 1000 / (loadEnd - loadStart)) * 100;
	result.load = load;
	result.usage = await sampling.finish();
	if (streamer) {
		const drained = performance.now();
		await waitForDurableCatchUp(streamer, env.admin, DRAIN_LIMIT_MS);
		result.drainSeconds = (performance.now() - drained) / 1000;
		result.lag = summarizeLag(probes, streamer.durable);
		result.lagSeries = lagSeries(probes, streamer.durable, loadStart);
		const duringLoad = streamer.statuses.filter((status) => status.at >= loadStart && status.at <= loadEnd);
		const ms = (value: number) => Math.round(value) / 1000;
		result.statusSeries = duringLoad.map((status) => [ms(status.emittedAt - loadStart), Math.round(status.eventsPerSecond), status.lag ?? null, ms(status.at - status.emittedAt)]);
		result.eventsPerSecond = mean(duringLoad.map((status) => status.eventsPerSecond));
		result.pipeDelay = {
			status: figures(duringLoad.map((status) => (status.at - status.emittedAt) / 1000)),
			durable: figures(streamer.durable.pipeDelays(loadStart, loadEnd)),
		};
		result.eventLines = streamer.eventLines;
		result.stdoutBytes = streamer.bytesRead;
		result.durableLines = streamer.durable.count;
	}
	// the lifetime peak, read as late as possible: the drain may add to it
	const memory = await readMemory(child.pid);
	result.usage.peakRssMb = Math.max(result.usage.peakRssMb, memory.peakRssMb);
}

/**
 * Rotates the server's binlog and purges the older files, so the next streamer starts from a file of a
 * few KB: the load runs measure a streamer that follows the server, not one working off a backlog.
 * Only on the bench's own server. Returns the one file left.
 */
export async function startFreshBinlog(admin: Connection, log: (line: string) => void): Promise<string> {
	await admin.query('FLUSH BINARY LOGS');
	const [rows] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
	const file = String(rows[0]?.File);
	// MariaDB keeps a file until its binlog checkpoint (InnoDB has the file's commits on disk) and while
	// a dump thread still reads it; PURGE then skips it with a warning, so try again for a while
	const deadline = Date.now() + PURGE_LIMIT_MS;
	for (;;) {
		await admin.query('PURGE BINARY LOGS TO ?', [file]);
		const [logs] = await admin.query<RowDataPacket[]>('SHOW BINARY LOGS');
		if (logs.length === 1) return file;
		if (Date.now() > deadline) {
			log(`  (the server still keeps ${logs.map((row) => String(row.Log_name)).join(', ')} after ${PURGE_LIMIT_MS / 1000} s of PURGE BINARY LOGS TO ${file}; the next streamer copies them too)`);
			return file;
		}
		await sleep(250);
	}
}

async function copiedBytes(dir: string): Promise<number> {
	let total = 0;
	for (const name of (await readdir(dir)).filter((entry) => BINLOG_NAME.test(entry))) total += (await stat(join(dir, name))).size;
	return total;
}

async function serverGtidSequence(admin: Connection): Promise<number> {
	const [rows] = await admin.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS pos');
	return domainSequence(String(rows[0]?.pos ?? '')) ?? 0;
}

/** until a binlog-durable line reaches the server's current GTID (or the streamer exits, or the limit) */
async function waitForDurableCatchUp(streamer: StreamerProcess, admin: Connection, limitMs = CATCH_UP_LIMIT_MS): Promise<void> {
	const target = await serverGtidSequence(admin);
	const deadline = Date.now() + limitMs;
	while ((streamer.durable.latest ?? 0) < target) {
		if (!streamer.process.running) {
			const exit = await streamer.process.exited;
			throw new Error(`the streamer exited (code ${exit.code}, signal ${exit.signal}) before its copy was durable up to GTID 0-1-${target}`);
		}
		if (Date.now() > deadline) {
			throw new Error(`the streamer's copy was not durable up to GTID 0-1-${target} within ${limitMs / 1000} s (durable: ${streamer.durable.latest ?? 'nothing'})`);
		}
		await sleep(50);
	}
}

/** the peer writes no progress: until its copy of the server's current file is as long as the server's */
async function waitForFileCatchUp(child: BackgroundProcess, dir: string, admin: Connection): Promise<boolean> {
	const [rows] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
	const file = String(rows[0]?.File);
	const position = Number(rows[0]?.Position);
	const deadline = Date.now() + CATCH_UP_LIMIT_MS;
	for (;;) {
		if (!child.running) throw new Error(`exited before it caught up: ${child.stderrTail.trim().split('\n').slice(-3).join(' ')}`);
		const size = await stat(join(dir, file)).then(
			(info) => info.size,
			() => 0,
		);
		if (size >= position) return true;
		if (Date.now() > deadline) return false;
		await sleep(100);
	}
}

/** The copy against the server's files from `firstFile` (the one the streamer started from) on. */
async function checkCopy(env: RunEnvironment, dir: string, firstFile: string): Promise<CopyCheck> {
	const [rows] = await env.admin.query<RowDataPacket[]>('SHOW BINARY LOGS');
	const listed = rows.map((row) => String(row.Log_name));
	const serverFiles = listed.slice(Math.max(0, listed.indexOf(firstFile)));
	const copyFiles = (await readdir(dir)).filter((name) => BINLOG_NAME.test(name));
	return compareBinlogCopies(env.server.datadir, dir, serverFiles, copyFiles);
}

function mean(values: number[]): number | undefined {
	return values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function summaryLine(result: VariantResult): string {
	if (result.status !== 'ok') return `FAILED: ${result.error}${result.output ? `\n${result.output}` : ''}`;
	const usage = result.usage!;
	if (!result.load) {
		const mib = (result.copiedBytes ?? 0) / 1024 ** 2;
		return (
			`copied ${mib.toFixed(1)} MiB in ${result.catchUpSeconds!.toFixed(1)} s (${(mib / result.catchUpSeconds!).toFixed(1)} MiB/s), ` +
			`CPU ${usage.cpuPercent.toFixed(1)} % of a core, peak RSS ${usage.peakRssMb.toFixed(0)} MiB; stopped in ${result.stop!.seconds.toFixed(1)} s (exit ${result.stop!.code ?? result.stop!.signal})`
		);
	}
	const lag = result.lag
		? `lag as read p50 ${seconds(result.lag.asRead.p50)} p99 ${seconds(result.lag.asRead.p99)} max ${seconds(result.lag.asRead.max)}, ` +
			`as emitted p50 ${seconds(result.lag.asEmitted.p50)} p99 ${seconds(result.lag.asEmitted.p99)} (${result.lag.durable}/${result.lag.probes} probes durable), ` +
			`pipe delay max ${seconds(result.pipeDelay?.status.max)} (status) ${seconds(result.pipeDelay?.durable.max)} (durable), bench reader CPU ${result.benchCpuPercent?.toFixed(0)} %, `
		: '';
	return (
		`${lag}CPU ${usage.cpuPercent.toFixed(1)} % of a core (main thread ran ${usage.mainThreadRunPercent.toFixed(1)} %, waited for a CPU ${usage.mainThreadWaitPercent.toFixed(1)} %), peak RSS ${usage.peakRssMb.toFixed(0)} MiB (max during load ${usage.maxSampledRssMb.toFixed(0)}), ` +
		`sysbench ${result.load!.transactionsPerSecond.toFixed(0)} tps; stopped in ${result.stop!.seconds.toFixed(1)} s (exit ${result.stop!.code ?? result.stop!.signal})`
	);
}

export function seconds(value: number | undefined): string {
	return value === undefined ? '–' : `${value.toFixed(3)} s`;
}
