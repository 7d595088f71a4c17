import type {StepResult} from './run-step.ts';

/** What one size's run produced. */
export interface SizeRun {
	rowsPerTable: number;
	tables: number;
	/** data + index bytes of the source tables, as the server reports them */
	sourceBytes: number;
	prepareSeconds: number;
	rowCounts: Record<string, number>;
	steps: StepResult[];
}

export type TargetStatus = 'PASS' | 'MISS' | 'n/a';

export interface TargetOutcome {
	target: string;
	status: TargetStatus;
	detail: string;
	/** the measured figure compared with the limit (a ratio, or MiB) */
	value?: number;
	limit: number;
}

export const MAX_PEAK_RSS_MB = 256;
/** "not growing": the peak at the largest size may exceed the smallest size's by this factor at most */
export const RSS_GROWTH_LIMIT = 1.2;

/** A time target: our step's seconds ÷ the peer step's must be at most `limit`. */
export interface TimeTarget {
	target: string;
	/** step ids */
	ours: string;
	peer: string;
	limit: number;
}

export const MYSQL_TIME_TARGETS: readonly TimeTarget[] = [
	{target: 'our zstd dump ≤ 0.25 × mydumper -c time', ours: 'ours-zstd', peer: 'mydumper-c', limit: 0.25},
	{target: "our uncompressed dump ≤ 1.2 × mydumper's time", ours: 'ours-none', peer: 'mydumper', limit: 1.2},
	{target: "our restore (zstd archive, binlog on) ≤ 1.0 × myloader's time (binlog off)", ours: 'ours-restore-zstd', peer: 'myloader', limit: 1.0},
	{target: "our restore (zstd archive, binlog on) ≤ 1.0 × myloader -e's time (binlog on)", ours: 'ours-restore-zstd', peer: 'myloader-binlog', limit: 1.0},
	{target: "our restore (--no-binlog, like myloader) ≤ 1.0 × myloader's time", ours: 'ours-restore-none', peer: 'myloader', limit: 1.0},
];

/** The targets, judged on the largest size (time) and on every size (memory). */
export function evaluateTargets(runs: SizeRun[], timeTargets: readonly TimeTarget[]): TargetOutcome[] {
	const main = runs.at(-1);
	const outcomes: TargetOutcome[] = [];
	for (const spec of timeTargets) {
		const ours = main?.steps.find((step) => step.id === spec.ours);
		const peer = main?.steps.find((step) => step.id === spec.peer);
		if (ours?.status !== 'ok') {
			outcomes.push({target: spec.target, status: 'MISS', limit: spec.limit, detail: `ours did not run: ${ours?.error ?? 'not measured'}`});
		} else if (peer?.status !== 'ok') {
			outcomes.push({target: spec.target, status: 'n/a', limit: spec.limit, detail: `${spec.peer} did not run: ${peer?.error ?? 'not measured'}`});
		} else {
			const ratio = ours.seconds! / peer.seconds!;
			outcomes.push({
				target: spec.target,
				status: ratio <= spec.limit ? 'PASS' : 'MISS',
				value: ratio,
				limit: spec.limit,
				detail: `${ratio.toFixed(2)}× (${ours.seconds!.toFixed(1)} s vs ${peer.seconds!.toFixed(1)} s)`,
			});
		}
	}
	outcomes.push(peakRssTarget(runs), rssGrowthTarget(runs));
	return outcomes;
}

function peakRssTarget(runs: SizeRun[]): TargetOutcome {
	const target = `our peak RSS ≤ ${MAX_PEAK_RSS_MB} MiB`;
	const ours = runs.flatMap((run) => run.steps.filter((step) => step.ours && step.status === 'ok').map((step) => ({run, step})));
	if (ours.length === 0) return {target, status: 'MISS', limit: MAX_PEAK_RSS_MB, detail: 'none of our steps ran'};
	const worst = ours.reduce((a, b) => (b.step.peakRssMb! > a.step.peakRssMb! ? b : a));
	const value = worst.step.peakRssMb!;
	const failed = runs.flatMap((run) => run.steps.filter((step) => step.ours && step.status !== 'ok').map((step) => step.label));
	return {
		target,
		status: value <= MAX_PEAK_RSS_MB && failed.length === 0 ? 'PASS' : 'MISS',
		value,
		limit: MAX_PEAK_RSS_MB,
		detail:
			`largest ${value.toFixed(0)} MiB (${worst.step.label}, ${worst.run.rowsPerTable.toLocaleString('en-US')} rows/table)` +
			(failed.length > 0 ? `; not measured for ${failed.join(', ')}` : ''),
	};
}

function rssGrowthTarget(runs: SizeRun[]): TargetOutcome {
	const target = `our peak RSS does not grow with the data (largest size ≤ ${RSS_GROWTH_LIMIT} × smallest, per step)`;
	const small = runs[0];
	const large = runs.at(-1);
	if (!small || !large || small === large) {
		return {target, status: 'n/a', limit: RSS_GROWTH_LIMIT, detail: 'needs two sizes (--sizes A,B)'};
	}
	const pairs = large.steps
		.filter((step) => step.ours && step.status === 'ok')
		.flatMap((step) => {
			const before = small.steps.find((other) => other.id === step.id && other.status === 'ok');
			return before ? [{label: step.label, growth: step.peakRssMb! / before.peakRssMb!, before: before.peakRssMb!, after: step.peakRssMb!}] : [];
		});
	if (pairs.length === 0) return {target, status: 'MISS', limit: RSS_GROWTH_LIMIT, detail: 'no step of ours succeeded at both sizes'};
	const worst = pairs.reduce((a, b) => (b.growth > a.growth ? b : a));
	const sizes = `${small.rowsPerTable.toLocaleString('en-US')} → ${large.rowsPerTable.toLocaleString('en-US')} rows/table`;
	return {
		target,
		status: worst.growth <= RSS_GROWTH_LIMIT ? 'PASS' : 'MISS',
		value: worst.growth,
		limit: RSS_GROWTH_LIMIT,
		detail: `${sizes}: worst ${worst.label} ${worst.before.toFixed(0)} → ${worst.after.toFixed(0)} MiB (${worst.growth.toFixed(2)}×), over ${pairs.length} step(s)`,
	};
}
