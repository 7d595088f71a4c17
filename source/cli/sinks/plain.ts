import type {Writable} from 'node:stream';
import type {EventBus} from '../../core/events.ts';
import {formatBytes, formatDuration} from '../../core/format.ts';
import {asCommandResult} from '../../services/results.ts';
import {renderResult} from '../report/index.ts';
import {FeedValve} from './feed-valve.ts';

/**
 * The --yes / non-TTY reporter: progress and diagnostics as plain lines on stderr, results as text on
 * stdout, so `dbbackup detect --yes > report.txt` captures only the report.
 */
export function attachPlainSink(bus: EventBus, out: {stdout: Writable; stderr: Writable}): () => void {
	let lastProgressLine = 0;
	let lastBinlogState = '';
	let lastBinlogLine = 0;
	let binlogTotals: {events: number; bytes: number} | undefined;
	let lastWalState = '';
	let lastWalLine = 0;
	let walBytes: number | undefined;
	const finishedAt = new Map<string, number>();
	const feed = new FeedValve(out.stdout, (count) =>
		out.stderr.write(`warning: ${count} binlog feed lines not shown: the output could not keep up (the binlog files are complete)\n`),
	);
	const detach = bus.onAny((event) => {
		switch (event.type) {
			case 'stage':
				out.stderr.write(`==> ${event.name}${event.detail ? `: ${event.detail}` : ''}\n`);
				break;
			case 'progress': {
				// Plain lines are for logs: at most one a second, plus the last one of a task.
				const now = Date.now();
				const finished = event.total !== undefined && event.done >= event.total;
				if (!finished && now - lastProgressLine < 1000) break;
				// a task's end comes once from its last add and once from finish(): one line is enough
				if (finished && finishedAt.get(event.task) === event.done) break;
				if (finished) finishedAt.set(event.task, event.done);
				lastProgressLine = now;
				const amount = (n: number) => (event.unit === 'bytes' ? formatBytes(n) : `${Math.round(n)} rows`);
				const percent = event.total ? ` ${((100 * event.done) / event.total).toFixed(1)}%` : '';
				const eta = event.eta === undefined ? '' : `, ETA ${formatDuration(event.eta)}`;
				// the file a physical copy is on, when it is one
				const item = event.item ? `, reading ${event.item.name}` : '';
				out.stderr.write(`    ${event.task}: ${amount(event.done)}${event.total ? ` of ${amount(event.total)}` : ''}${percent} at ${amount(event.rate)}/s${eta}${item}\n`);
				break;
			}
			case 'log':
				if (event.level !== 'debug') out.stderr.write(`${event.level === 'info' ? '   ' : `${event.level}:`} ${event.message}\n`);
				break;
			case 'warning':
				out.stderr.write(`warning: ${event.message}${event.hint ? ` (${event.hint})` : ''}\n`);
				break;
			case 'error':
				out.stderr.write(`error: ${event.message}\n${event.hint ? `hint: ${event.hint}\n` : ''}`);
				break;
			case 'result':
				feed.flush();
				out.stdout.write(`${renderResult(asCommandResult(event.kind, event.data))}\n`);
				break;
			case 'binlog-event': {
				feed.offer(`${event.eventTime} ${event.file}:${event.pos} ${event.eventType}${event.gtid ? ` ${event.gtid}` : ''}${event.schema ? ` ${event.schema}${event.table ? `.${event.table}` : ''}` : ''}${event.rows === undefined ? '' : ` ${event.rows} rows`}\n`);
				break;
			}
			case 'binlog-status': {
				// a line on every change of state, and every 10 s while streaming
				const now = Date.now();
				if (event.state === lastBinlogState && now - lastBinlogLine < 10_000) break;
				// the rate over the time since the last line, not the last second's (quiet between bursts)
				const seconds = (now - lastBinlogLine) / 1000;
				const since = binlogTotals !== undefined && event.events !== undefined && event.bytes !== undefined && seconds > 0;
				const eventsPerSecond = since ? (event.events! - binlogTotals!.events) / seconds : event.eventsPerSecond;
				const bytesPerSecond = since ? (event.bytes! - binlogTotals!.bytes) / seconds : event.bytesPerSecond;
				lastBinlogState = event.state;
				lastBinlogLine = now;
				if (event.events !== undefined && event.bytes !== undefined) binlogTotals = {events: event.events, bytes: event.bytes};
				const where = event.file ? ` at ${event.file}:${event.pos}` : '';
				const lag = event.lag === undefined ? '' : `, lag ${event.lag.toFixed(1)} s`;
				const retry = event.state === 'reconnecting' ? ` (attempt ${event.attempt}, next in ${event.retryInSeconds?.toFixed(1)} s)` : '';
				const rate = eventsPerSecond > 0 && eventsPerSecond < 10 ? eventsPerSecond.toFixed(1) : String(Math.round(eventsPerSecond));
				out.stderr.write(`    binlog ${event.state}${where}${lag}, ${rate} events/s, ${formatBytes(bytesPerSecond)}/s${retry}\n`);
				break;
			}
			case 'wal-status': {
				// as the binlog's: a line on every change of state, and every 10 s while streaming
				const now = Date.now();
				if (event.state === lastWalState && now - lastWalLine < 10_000) break;
				const seconds = (now - lastWalLine) / 1000;
				const bytesPerSecond = walBytes !== undefined && seconds > 0 ? (event.bytes - walBytes) / seconds : event.bytesPerSecond;
				lastWalState = event.state;
				lastWalLine = now;
				walBytes = event.bytes;
				const where = event.receivedLsn ? ` at ${event.receivedLsn} (${event.segment}, timeline ${event.timeline})` : '';
				const durable = event.flushedLsn ? `, durable ${event.flushedLsn}` : '';
				const lag = event.lag === undefined ? '' : `, lag ${event.lag.toFixed(1)} s (${formatBytes(event.lagBytes ?? 0)})`;
				const retry = event.state === 'reconnecting' ? ` (attempt ${event.attempt}, next in ${event.retryInSeconds?.toFixed(1)} s)` : '';
				out.stderr.write(`    wal ${event.state}${where}${durable}${lag}, ${formatBytes(bytesPerSecond)}/s, ${event.segmentsCompleted} segments${retry}\n`);
				break;
			}
			case 'lag':
			case 'binlog-durable':
			case 'wal-durable':
			case 'upload':
				break;
		}
	});
	return () => {
		detach();
		feed.flush();
	};
}
