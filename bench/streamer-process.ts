import {BackgroundProcess, type BackgroundSpec} from './background-process.ts';
import {DurableLog, domainSequence, wallNow} from './binlog-lag.ts';

const DURABLE_PREFIX = '{"type":"binlog-durable"';
const STATUS_PREFIX = '{"type":"binlog-status"';
const EVENT_PREFIX = '{"type":"binlog-event"';
const KEPT_LINES = 40;

export interface StatusSample {
	/** wall clock (ms) when the bench read the line */
	at: number;
	/** wall clock (ms) when the streamer emitted it */
	emittedAt: number;
	state: string;
	lag?: number;
	eventsPerSecond: number;
	bytesPerSecond: number;
}

/**
 * `dbbackup binlog-stream --json` as a child: reads its stdout line by line as it comes, timestamps
 * every binlog-durable line into a DurableLog, keeps the binlog-status lines, drops the per-event feed
 * unparsed, and keeps the last other lines (logs, warnings, the result) for the report.
 */
export class StreamerProcess {
	readonly durable = new DurableLog();
	readonly statuses: StatusSample[] = [];
	readonly process: BackgroundProcess;
	eventLines = 0;
	bytesRead = 0;
	private pending = '';
	private readonly otherLines: string[] = [];

	constructor(spec: BackgroundSpec) {
		this.process = new BackgroundProcess(spec, (chunk) => this.read(chunk));
	}

	get lastStatus(): StatusSample | undefined {
		return this.statuses.at(-1);
	}

	/** the last lines that were neither events, statuses nor durable marks */
	get otherOutput(): string[] {
		return this.otherLines;
	}

	private read(chunk: Buffer): void {
		const at = wallNow();
		this.bytesRead += chunk.length;
		const lines = (this.pending + chunk.toString('utf8')).split('\n');
		this.pending = lines.pop() ?? '';
		for (const line of lines) this.readLine(line, at);
	}

	private readLine(line: string, at: number): void {
		if (line.startsWith(EVENT_PREFIX)) {
			this.eventLines += 1;
			return;
		}
		if (line.startsWith(DURABLE_PREFIX)) {
			const event = JSON.parse(line) as {gtid?: string; time: string};
			const sequence = domainSequence(event.gtid ?? '');
			if (sequence !== undefined) this.durable.record({sequence, readAt: at, emittedAt: Date.parse(event.time)});
			return;
		}
		if (line.startsWith(STATUS_PREFIX)) {
			const event = JSON.parse(line) as {time: string; state: string; lag?: number; eventsPerSecond: number; bytesPerSecond: number};
			this.statuses.push({at, emittedAt: Date.parse(event.time), state: event.state, lag: event.lag, eventsPerSecond: event.eventsPerSecond, bytesPerSecond: event.bytesPerSecond});
			return;
		}
		if (line.trim() === '') return;
		this.otherLines.push(line);
		if (this.otherLines.length > KEPT_LINES) this.otherLines.shift();
	}
}
