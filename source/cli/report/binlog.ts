import type {BinlogStreamSummary} from '../../binlog/stream/streamer.ts';
import {formatBytes} from '../../core/format.ts';

export function renderBinlogStream(summary: BinlogStreamSummary): string {
	const lines = [
		`Binlog stream stopped: ${summary.events} events, ${formatBytes(summary.bytes)}, ${summary.transactions} transactions, ${summary.reconnects} reconnects`,
		`Checkpoint: ${summary.file === undefined ? 'none' : `${summary.file}:${summary.position}`}${summary.gtid ? ` (GTID ${summary.gtid})` : ''}`,
		`Directory: ${summary.outputDir}`,
	];
	if (summary.filesClosed.length > 0) lines.push(`Files closed: ${summary.filesClosed.join(', ')}`);
	return lines.join('\n');
}
