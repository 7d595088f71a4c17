import type {VariantResult} from './binlog-run.ts';
import {renderTable} from './report.ts';
import type {TargetOutcome} from './targets.ts';

/** issue 5's targets */
export const LAG_P99_LIMIT_SECONDS = 1;
export const STREAM_RSS_LIMIT_MB = 128;

const MIB = 1024 ** 2;
const seconds = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(3));
const mark = (pass: boolean | undefined) => (pass === undefined ? '' : pass ? 'PASS' : 'MISS');

function lagPasses(result: VariantResult): boolean | undefined {
	if (!result.ours) return undefined;
	const lag = result.lag;
	return result.status === 'ok' && lag?.asRead.p99 !== undefined && lag.durable === lag.probes && lag.asRead.p99 < LAG_P99_LIMIT_SECONDS;
}

function rssPasses(result: VariantResult): boolean | undefined {
	if (!result.ours) return undefined;
	return result.status === 'ok' && result.usage !== undefined && result.usage.peakRssMb <= STREAM_RSS_LIMIT_MB;
}

/** Under load: one row per streamer with lag, CPU, memory, throughput, and the two targets for ours. */
export function formatVariantTable(results: VariantResult[]): string[] {
	const rows = results.map((result) => {
		if (result.status !== 'ok' || !result.usage || !result.load) {
			return [result.label, 'FAILED', '', '', '', '', '', '', '', '', '', '', '', '', '', '', ''];
		}
		const lag = result.lag;
		return [
			result.label,
			seconds(lag?.asRead.p50),
			seconds(lag?.asRead.p99),
			seconds(lag?.asRead.max),
			seconds(lag?.asEmitted.p50),
			seconds(lag?.asEmitted.p99),
			lag ? `${lag.durable}/${lag.probes}` : 'n/a',
			seconds(result.pipeDelay?.status.max),
			result.usage.cpuPercent.toFixed(1),
			result.usage.mainThreadWaitPercent.toFixed(1),
			result.usage.peakRssMb.toFixed(0),
			result.usage.maxSampledRssMb.toFixed(0),
			result.eventsPerSecond === undefined ? '–' : result.eventsPerSecond.toFixed(0),
			result.serverBinlogBytes === undefined ? '–' : (result.serverBinlogBytes / MIB / result.load.seconds).toFixed(2),
			result.load.transactionsPerSecond.toFixed(0),
			mark(lagPasses(result)),
			mark(rssPasses(result)),
		];
	});
	return renderTable(
		[
			'streamer',
			'lag p50 s',
			'p99 s',
			'max s',
			'emitted p50 s',
			'emitted p99 s',
			'probes',
			'pipe max s',
			'CPU %',
			'CPU wait %',
			'peak RSS MiB',
			'load RSS MiB',
			'events/s',
			'binlog MiB/s',
			'sysbench tps',
			`p99 < ${LAG_P99_LIMIT_SECONDS} s`,
			`RSS ≤ ${STREAM_RSS_LIMIT_MB} MiB`,
		],
		['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left', 'left'],
		rows,
	);
}

/** The backlog copy (no load): how fast, how much CPU and memory, from the start until caught up. */
export function formatBacklogTable(results: VariantResult[]): string[] {
	const rows = results.map((result) => {
		if (result.status !== 'ok' || !result.usage || result.catchUpSeconds === undefined) return [result.label, 'FAILED', '', '', '', '', '', ''];
		const mib = (result.copiedBytes ?? 0) / MIB;
		return [
			result.label,
			mib.toFixed(1),
			result.catchUpSeconds.toFixed(1),
			(mib / result.catchUpSeconds).toFixed(1),
			result.usage.cpuPercent.toFixed(1),
			result.usage.mainThreadWaitPercent.toFixed(1),
			result.usage.peakRssMb.toFixed(0),
			mark(rssPasses(result)),
		];
	});
	return renderTable(
		['streamer', 'copied MiB', 'seconds', 'MiB/s', 'CPU %', 'CPU wait %', 'peak RSS MiB', `RSS ≤ ${STREAM_RSS_LIMIT_MB} MiB`],
		['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
		rows,
	);
}

export function formatCopyChecks(results: VariantResult[]): string[] {
	return results.map((result) => {
		const copy = result.copy;
		const phase = result.mode;
		if (!copy) return `  ${result.label} (${phase}): not checked`;
		const verdict = result.ours ? (copy.ok ? 'PASS' : 'MISS') : copy.ok ? 'same' : 'differs';
		return `  ${verdict.padEnd(7)} ${result.label} (${phase}): ${copy.summary}`;
	});
}

export function formatFailures(results: VariantResult[]): string[] {
	return results
		.filter((result) => result.status !== 'ok')
		.map((result) => `  ${result.label}: ${result.error}${result.output ? `\n    ${result.output.split('\n').join('\n    ')}` : ''}`);
}

/** The issue's targets for each of our load runs, the backlog copy's RSS, and every copy's check. */
export function evaluateStreamTargets(results: VariantResult[], backlog: VariantResult[]): TargetOutcome[] {
	const outcomes: TargetOutcome[] = [];
	for (const result of results.filter((entry) => entry.ours)) {
		const lag = result.lag;
		const lagTarget = `event-to-durable lag p99 < ${LAG_P99_LIMIT_SECONDS} s under load, ${result.label}`;
		if (result.status !== 'ok' || !lag || lag.asRead.p99 === undefined) {
			outcomes.push({target: lagTarget, status: 'MISS', limit: LAG_P99_LIMIT_SECONDS, detail: result.error ?? 'no probe became durable'});
		} else {
			const undurable = lag.probes - lag.durable;
			outcomes.push({
				target: lagTarget,
				status: lagPasses(result) ? 'PASS' : 'MISS',
				value: lag.asRead.p99,
				limit: LAG_P99_LIMIT_SECONDS,
				detail:
					`as read: p99 ${lag.asRead.p99.toFixed(3)} s, p50 ${seconds(lag.asRead.p50)} s, max ${seconds(lag.asRead.max)} s over ${lag.probes} probes` +
					`${undurable > 0 ? ` (${undurable} never durable)` : ''}; as emitted: p99 ${seconds(lag.asEmitted.p99)} s, p50 ${seconds(lag.asEmitted.p50)} s`,
			});
		}
		outcomes.push(rssOutcome(result, 'under load'));
	}
	for (const result of backlog.filter((entry) => entry.ours)) outcomes.push(rssOutcome(result, 'copying the backlog'));
	return outcomes;
}

function rssOutcome(result: VariantResult, phase: string): TargetOutcome {
	const target = `peak RSS ≤ ${STREAM_RSS_LIMIT_MB} MiB ${phase}, ${result.label}`;
	if (result.status !== 'ok' || !result.usage) return {target, status: 'MISS', limit: STREAM_RSS_LIMIT_MB, detail: result.error ?? 'not measured'};
	return {
		target,
		status: rssPasses(result) ? 'PASS' : 'MISS',
		value: result.usage.peakRssMb,
		limit: STREAM_RSS_LIMIT_MB,
		detail: `VmHWM ${result.usage.peakRssMb.toFixed(1)} MiB (largest VmRSS sampled ${result.usage.maxSampledRssMb.toFixed(1)} MiB)`,
	};
}

export const STREAM_NOTES = [
	'lag: a probe commits one row every probe interval on its own connection; lag = when the bench read, from the streamer\'s stdout, the first binlog-durable line whose GTID reached the probe\'s (@@last_gtid) − when the probe\'s INSERT returned (the bench\'s wall clock).',
	'  emitted: the same up to the durable line\'s own `time` (set by the streamer when it emitted the line, after the fsync; ms resolution), i.e. without the time the line waited in the pipe. pipe max: the longest a once-a-second binlog-status line waited in the pipe during the load.',
	'  Both start when the client saw the commit, after the server had written the event to its binlog: the true event-to-disk lag is larger by that commit tail (typically a few ms).',
	'  With --json the streamer writes one line per binlog event; node queues what the pipe does not take at once in the streamer\'s memory, so a burst of events delays the durable lines behind it and grows the RSS. The --databases variant keeps the copy complete but feeds only the probe\'s events.',
	'CPU %: user+system time of the streamer process (/proc/PID/stat) over the window ÷ its wall time; 100 = one core. It includes writing the --json feed.',
	'  CPU wait %: how much of the window its main (JavaScript) thread was runnable but waiting for a CPU (/proc/PID/schedstat): the share it lost to the server, sysbench and the bench on these cores.',
	'peak RSS: VmHWM of the streamer process over its whole life (catch-up included) read just before the stop; load RSS: the largest VmRSS sampled every 200 ms during the load.',
	'events/s: the mean of the streamer\'s own binlog-status events/s during the load. binlog MiB/s: how fast the server\'s binlog grew. sysbench tps: what the server committed alongside (the probe adds ~10/s).',
	'Ours runs as installed: bin/dbbackup.js starts the esbuild bundle in dist/ (the bench builds it first). "from source through tsx" is the same CLI with DBBACKUP_FROM_SOURCE=1, which compiles the TypeScript sources at start and keeps tsx in memory.',
	'mariadb-binlog --raw --stop-never never fsyncs its files, so it has no durable-lag figure: its CPU and RSS are for context only. Its copies differ from the server\'s files from byte 21 on, the flags of the format description event (the server clears the in-use flag in what it sends); ours restores the flag while a file is open, as the issue asks for byte-identical copies.',
];
