import type {Writable} from 'node:stream';
import type {EventBus} from '../../core/events.ts';
import {formatBytes, formatDuration} from '../../core/format.ts';
import {asCommandResult} from '../../services/results.ts';
import {renderResult} from '../report/index.ts';

/**
 * The --yes / non-TTY reporter: progress and diagnostics as plain lines on stderr, results as text on
 * stdout, so `dbbackup detect --yes > report.txt` captures only the report.
 */
export function attachPlainSink(bus: EventBus, out: {stdout: Writable; stderr: Writable}): () => void {
	let lastProgressLine = 0;
	return bus.onAny((event) => {
		switch (event.type) {
			case 'stage':
				out.stderr.write(`==> ${event.name}${event.detail ? `: ${event.detail}` : ''}\n`);
				break;
			case 'progress': {
				// Plain lines are for logs: at most one a second, plus the last one of a task.
				const now = Date.now();
				const finished = event.total !== undefined && event.done >= event.total;
				if (!finished && now - lastProgressLine < 1000) break;
				lastProgressLine = now;
				const amount = (n: number) => (event.unit === 'bytes' ? formatBytes(n) : `${Math.round(n)} rows`);
				const percent = event.total ? ` ${((100 * event.done) / event.total).toFixed(1)}%` : '';
				const eta = event.eta === undefined ? '' : `, ETA ${formatDuration(event.eta)}`;
				out.stderr.write(`    ${event.task}: ${amount(event.done)}${event.total ? ` of ${amount(event.total)}` : ''}${percent} at ${amount(event.rate)}/s${eta}\n`);
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
				out.stdout.write(`${renderResult(asCommandResult(event.kind, event.data))}\n`);
				break;
			case 'binlog-event':
				out.stdout.write(`${event.time} ${event.file}:${event.pos} ${event.type}${event.schema ? ` ${event.schema}.${event.table ?? ''}` : ''}\n`);
				break;
			case 'lag':
				break;
		}
	});
}
