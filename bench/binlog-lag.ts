/** The sequence number of `domain` in a MariaDB GTID position ("0-1-123,1-2-5"), or undefined. */
export function domainSequence(position: string, domain = 0): number | undefined {
	for (const item of position.split(',')) {
		const match = /^\s*(\d+)-\d+-(\d+)\s*$/.exec(item);
		if (match && Number(match[1]) === domain) return Number(match[2]);
	}
	return undefined;
}

/** The wall clock in fractional milliseconds (the streamer's `time` fields are the same clock, to the ms). */
export function wallNow(): number {
	return performance.timeOrigin + performance.now();
}

/** One `binlog-durable` line: when the streamer emitted it (its `time`) and when the bench read it. */
export interface DurableMark {
	sequence: number;
	emittedAt: number;
	readAt: number;
}

/**
 * The `binlog-durable` lines by domain-0 sequence. Sequences only grow in one stream, so the first line
 * reaching a probe's sequence is found by binary search.
 */
export class DurableLog {
	private readonly marks: DurableMark[] = [];

	record(mark: DurableMark): void {
		const last = this.marks.at(-1);
		if (last !== undefined && mark.sequence <= last.sequence) return;
		this.marks.push(mark);
	}

	get latest(): number | undefined {
		return this.marks.at(-1)?.sequence;
	}

	get count(): number {
		return this.marks.length;
	}

	/** the first durable line with a sequence ≥ `target`, or undefined if none was read */
	firstReaching(target: number): DurableMark | undefined {
		let low = 0;
		let high = this.marks.length;
		while (low < high) {
			const middle = (low + high) >>> 1;
			if (this.marks[middle]!.sequence < target) low = middle + 1;
			else high = middle;
		}
		return this.marks[low];
	}

	/** read time − emit time of each line read in [from, to]: how long lines waited in the pipe */
	pipeDelays(from: number, to: number): number[] {
		return this.marks.filter((mark) => mark.readAt >= from && mark.readAt <= to).map((mark) => (mark.readAt - mark.emittedAt) / 1000);
	}
}

/** One probe commit: its GTID sequence and the wall clock (wallNow) right after the client saw the commit. */
export interface Probe {
	sequence: number;
	committedAt: number;
}

export interface LagFigures {
	/** seconds; undefined when no probe became durable */
	p50?: number;
	p99?: number;
	max?: number;
	min?: number;
	/** lags below zero: the durable line came before the probe's commit returned to the bench */
	negative: number;
}

export interface LagSummary {
	probes: number;
	/** probes a durable line covered before the streamer stopped */
	durable: number;
	/** the figure as the brief defines it: when the bench read the durable line − commit */
	asRead: LagFigures;
	/** when the streamer emitted the durable line (its `time`, ms resolution) − commit: without the pipe */
	asEmitted: LagFigures;
}

/** Nearest-rank percentile of ascending `sorted` (p in 0…100). */
export function percentile(sorted: readonly number[], p: number): number | undefined {
	if (sorted.length === 0) return undefined;
	const rank = Math.ceil((p / 100) * sorted.length);
	return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function figures(values: readonly number[]): LagFigures {
	const sorted = [...values].sort((a, b) => a - b);
	return {p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1), min: sorted[0], negative: sorted.filter((value) => value < 0).length};
}

/** Each probe's lags, as [seconds since `origin`, as read, as emitted], for the JSON (ms precision). */
export function lagSeries(probes: readonly Probe[], log: DurableLog, origin: number): [number, number | null, number | null][] {
	const round = (value: number) => Math.round(value) / 1000;
	return probes.map((probe) => {
		const mark = log.firstReaching(probe.sequence);
		return [round(probe.committedAt - origin), mark ? round(mark.readAt - probe.committedAt) : null, mark ? round(mark.emittedAt - probe.committedAt) : null];
	});
}

export function summarizeLag(probes: readonly Probe[], log: DurableLog): LagSummary {
	const asRead: number[] = [];
	const asEmitted: number[] = [];
	for (const probe of probes) {
		const mark = log.firstReaching(probe.sequence);
		if (!mark) continue;
		asRead.push((mark.readAt - probe.committedAt) / 1000);
		asEmitted.push((mark.emittedAt - probe.committedAt) / 1000);
	}
	return {probes: probes.length, durable: asRead.length, asRead: figures(asRead), asEmitted: figures(asEmitted)};
}
