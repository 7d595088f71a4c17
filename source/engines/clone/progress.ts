/**
 * Progress of a running clone, read from performance_schema.clone_progress on a second connection every
 * half second while the CLONE statement runs on the first: the stage in progress (DROP DATA, FILE COPY,
 * PAGE COPY, REDO COPY, FILE SYNC) as a stage event, the bytes copied against the server's estimate as
 * progress. The table keeps the previous clone's rows until the next one starts, so rows count only
 * while clone_status says a clone into this run's directory is in progress.
 */
import path from 'node:path';
import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {ProgressReporter, type EventBus} from '../../core/events.ts';

export const POLL_INTERVAL_MS = 500;

export interface CloneStageRow {
	stage: string;
	state: string;
	estimate: number;
	data: number;
}

/** The stage in progress, and the bytes done and estimated over every stage. */
export function summarise(rows: readonly CloneStageRow[]): {stage?: string; done: number; total: number} {
	const current = rows.find((row) => row.state === 'In Progress');
	const done = rows.reduce((sum, row) => sum + row.data, 0);
	const total = rows.reduce((sum, row) => sum + Math.max(row.estimate, row.data), 0);
	return {stage: current?.stage, done, total};
}

export class CloneProgressPoller {
	private timer: NodeJS.Timeout | undefined;
	private polling: Promise<void> | undefined;
	private stage: string | undefined;
	private readonly reporter: ProgressReporter;
	private seen = false;
	/** the stages seen, in order, for the log */
	readonly stages: string[] = [];

	constructor(
		private readonly monitor: MysqlConnection,
		private readonly directory: string,
		private readonly bus: EventBus,
	) {
		this.reporter = new ProgressReporter(bus, 'clone', 'bytes');
	}

	start(): void {
		this.timer = setInterval(() => {
			this.polling ??= this.poll().finally(() => (this.polling = undefined));
		}, POLL_INTERVAL_MS);
	}

	/** Stops polling, reads the final figures once, and ends the progress on them. */
	async stop(): Promise<void> {
		clearInterval(this.timer);
		await this.polling;
		await this.poll(true).catch(() => undefined);
		if (this.seen) this.reporter.finish();
	}

	private async poll(finished = false): Promise<void> {
		try {
			const [status] = await this.monitor.query<RowDataPacket[]>('SELECT STATE AS state, DESTINATION AS destination FROM performance_schema.clone_status');
			const ours = status.some((row) => path.resolve(String(row.destination ?? '')) === this.directory && (finished || row.state === 'In Progress'));
			if (!ours) return;
			const [rows] = await this.monitor.query<RowDataPacket[]>('SELECT STAGE AS stage, STATE AS state, ESTIMATE AS estimate, DATA AS data FROM performance_schema.clone_progress ORDER BY BEGIN_TIME IS NULL, BEGIN_TIME');
			const summary = summarise(rows.map((row) => ({stage: String(row.stage), state: String(row.state), estimate: Number(row.estimate ?? 0), data: Number(row.data ?? 0)})));
			if (summary.stage !== undefined && summary.stage !== this.stage) {
				this.stage = summary.stage;
				this.stages.push(summary.stage);
				this.bus.stage('clone', summary.stage);
			}
			this.seen = true;
			this.reporter.setTotal(summary.total > 0 ? summary.total : undefined);
			this.reporter.set(summary.done);
		} catch (error) {
			// progress is for the eye; a failed poll must not fail the clone
			this.bus.log('debug', `clone progress could not be read: ${error instanceof Error ? error.message : String(error)}`);
		}
	}
}
