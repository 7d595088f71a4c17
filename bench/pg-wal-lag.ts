import {mkdir} from 'node:fs/promises';
import {join} from 'node:path';
import type pg from 'pg';
import {parseLsn, type Lsn} from '../source/core/pg-replication/lsn.ts';
import {BackgroundProcess, type BackgroundSpec} from './background-process.ts';
import {figures, type LagFigures} from './binlog-lag.ts';
import {OUR_CLI, REPO_ROOT} from './ours.ts';
import {libpqArgs, ourConnectionArgs, type PhysicalContext} from './pg-physical-steps.ts';
import {startProcessSampling, type ProcessUsage} from './process-sampler.ts';

const TAIL_LINES = 20;

/** One WAL streamer under load: ours or pg_receivewal, each through a slot of its own the bench made. */
export interface WalStreamerSpec {
	id: 'ours' | 'pg_receivewal';
	label: string;
	slot: string;
	dir: string;
	spec: BackgroundSpec;
}

/**
 * `dbbackup wal-stream --sync always` (every batch synced and only then reported flushed) and
 * `pg_receivewal --synchronous` (the same: fsync, then a status update at once). The slots exist
 * already (made by the bench before the base backups, so both stores hold the WAL from before them).
 */
export function walStreamers(ctx: PhysicalContext, nodeOptions: string[] = []): WalStreamerSpec[] {
	const oursDir = join(ctx.workDir, 'wal-ours');
	const peerDir = join(ctx.workDir, 'wal-pg_receivewal');
	return [
		{
			id: 'ours',
			label: `dbbackup wal-stream --sync always${nodeOptions.length > 0 ? ` [node ${nodeOptions.join(' ')}]` : ''}`,
			slot: 'bench_wal_ours',
			dir: oursDir,
			spec: {
				command: OUR_CLI,
				args: ['wal-stream', ...ourConnectionArgs(ctx), '--output', `${oursDir}/`, '--slot', 'bench_wal_ours', '--sync', 'always', '--yes', '--json'],
				env: {PGPASSWORD: ctx.password, ...(nodeOptions.length > 0 ? {NODE_OPTIONS: nodeOptions.join(' ')} : {})},
				cwd: REPO_ROOT,
			},
		},
		{
			id: 'pg_receivewal',
			label: 'pg_receivewal --synchronous',
			slot: 'bench_wal_peer',
			dir: peerDir,
			spec: {
				command: join(ctx.binDir, 'pg_receivewal'),
				args: [...libpqArgs(ctx), '--directory', peerDir, '--slot', 'bench_wal_peer', '--synchronous', '--no-loop'],
				env: {PGPASSWORD: ctx.password},
			},
		},
	];
}

/** A running streamer: its process, the last lines it printed, and its memory sampling. */
export class RunningStreamer {
	readonly process: BackgroundProcess;
	private tail: string[] = [];
	private pending = '';
	lines = 0;

	constructor(readonly spec: WalStreamerSpec) {
		this.process = new BackgroundProcess(spec.spec, (chunk) => this.read(chunk));
	}

	private read(chunk: Buffer): void {
		const lines = (this.pending + chunk.toString('utf8')).split('\n');
		this.pending = lines.pop() ?? '';
		for (const line of lines) {
			if (line.trim() === '') continue;
			this.lines += 1;
			this.tail.push(line);
			if (this.tail.length > TAIL_LINES) this.tail.shift();
		}
	}

	/** stdout's last lines and stderr's tail, for a failure */
	get output(): string {
		return [...this.tail, this.process.stderrTail.trim()].filter((part) => part !== '').join('\n');
	}
}

export async function startStreamers(specs: WalStreamerSpec[]): Promise<RunningStreamer[]> {
	const running: RunningStreamer[] = [];
	for (const spec of specs) {
		await mkdir(spec.dir, {recursive: true});
		running.push(new RunningStreamer(spec));
	}
	return running;
}

/** One 100 ms reading: the server's clock and WAL position, and each slot's walsender's report. */
export interface LagSample {
	/** the server's clock_timestamp(), epoch seconds */
	at: number;
	current: Lsn;
	slots: Record<string, {active: boolean; flush?: Lsn; flushLag?: number; restart?: Lsn}>;
}

const SAMPLE_QUERY = `
SELECT extract(epoch FROM clock_timestamp())::float8 AS at, pg_current_wal_lsn()::text AS current,
       s.slot_name, s.active, s.restart_lsn::text AS restart, r.flush_lsn::text AS flush,
       extract(epoch FROM r.flush_lag)::float8 AS flush_lag
FROM pg_catalog.pg_replication_slots s LEFT JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid
WHERE s.slot_name = ANY($1)`;

interface SampleRow {
	at: number;
	current: string;
	slot_name: string;
	active: boolean;
	restart: string | null;
	flush: string | null;
	flush_lag: number | null;
}

/** Reads the server's WAL position and each slot's flush position and flush_lag every `intervalMs` (a reading is skipped while the last is still out). */
export class LagSampler {
	readonly samples: LagSample[] = [];
	private timer: NodeJS.Timeout | undefined;
	private reading: Promise<void> = Promise.resolve();
	private busy = false;
	errors = 0;

	constructor(
		private readonly client: pg.Client,
		private readonly slots: string[],
	) {
		// a lost connection fails the next reading (counted in errors); it must not end the bench as an unhandled event
		client.on('error', () => {});
	}

	async sampleOnce(): Promise<LagSample> {
		const {rows} = await this.client.query<SampleRow>(SAMPLE_QUERY, [this.slots]);
		const first = rows[0];
		if (!first) throw new Error(`none of the slots ${this.slots.join(', ')} exists`);
		const sample: LagSample = {at: first.at, current: parseLsn(first.current), slots: {}};
		for (const row of rows) {
			sample.slots[row.slot_name] = {
				active: row.active,
				...(row.flush === null ? {} : {flush: parseLsn(row.flush)}),
				...(row.flush_lag === null ? {} : {flushLag: row.flush_lag}),
				...(row.restart === null ? {} : {restart: parseLsn(row.restart)}),
			};
		}
		return sample;
	}

	start(intervalMs = 100): void {
		this.timer = setInterval(() => {
			if (this.busy) return;
			this.busy = true;
			this.reading = this.sampleOnce().then(
				(sample) => {
					this.samples.push(sample);
				},
				() => {
					this.errors += 1;
				},
			).finally(() => (this.busy = false));
		}, intervalMs);
	}

	async stop(): Promise<void> {
		clearInterval(this.timer);
		await this.reading;
	}
}

/** What one streamer's lag was over the load window. */
export interface LagResult {
	samples: number;
	/** readings without a walsender for the slot (the streamer not connected) */
	disconnected: number;
	/** pg_stat_replication.flush_lag: the server's own time from its WAL flush to our report of it (NULL when caught up and idle: left out) */
	flushLagSeconds: LagFigures & {nulls: number};
	/** pg_current_wal_lsn() − the streamer's reported flush_lsn */
	bytes: LagFigures;
	/** now − when pg_current_wal_lsn() had reached the reported flush_lsn (interpolated between readings): a stale report keeps growing here, unlike flush_lag */
	positionAgeSeconds: LagFigures;
}

/** When the server's WAL position first reached `lsn`, by linear interpolation over the readings; undefined before the first. */
function reachedAt(samples: readonly LagSample[], lsn: Lsn, upTo: number): number | undefined {
	if (samples.length === 0 || samples[0]!.current >= lsn) return undefined;
	let low = 0;
	let high = upTo;
	// the first reading at or past lsn, among readings [0, upTo]
	while (low < high) {
		const middle = (low + high) >>> 1;
		if (samples[middle]!.current < lsn) low = middle + 1;
		else high = middle;
	}
	const after = samples[low]!;
	const before = samples[low - 1]!;
	if (after.current < lsn) return after.at;
	const span = Number(after.current - before.current);
	const fraction = span === 0 ? 1 : Number(lsn - before.current) / span;
	return before.at + fraction * (after.at - before.at);
}

/** The lag figures of `slot` over the readings taken between `from` and `to` (server epoch seconds). */
export function summarizeLag(samples: readonly LagSample[], slot: string, from: number, to: number): LagResult {
	const flushLags: number[] = [];
	const bytes: number[] = [];
	const ages: number[] = [];
	let nulls = 0;
	let disconnected = 0;
	let counted = 0;
	samples.forEach((sample, index) => {
		if (sample.at < from || sample.at > to) return;
		counted += 1;
		const state = sample.slots[slot];
		if (!state?.active || state.flush === undefined) {
			disconnected += 1;
			return;
		}
		if (state.flushLag === undefined) nulls += 1;
		else flushLags.push(state.flushLag);
		bytes.push(Math.max(0, Number(sample.current - state.flush)));
		const reached = state.flush >= sample.current ? sample.at : reachedAt(samples, state.flush, index);
		if (reached !== undefined) ages.push(Math.max(0, sample.at - reached));
	});
	return {samples: counted, disconnected, flushLagSeconds: {...figures(flushLags), nulls}, bytes: figures(bytes), positionAgeSeconds: figures(ages)};
}

/** Samples a streamer's memory (VmRSS every 200 ms, VmHWM at the end) from now on. */
export async function sampleStreamerMemory(streamer: RunningStreamer): Promise<{finish(): Promise<ProcessUsage>}> {
	return startProcessSampling(streamer.process.pid);
}
