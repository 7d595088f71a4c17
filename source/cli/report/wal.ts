import {formatBytes} from '../../core/format.ts';
import type {FetchedWal} from '../../wal/store/fetch.ts';
import type {WalStreamSummary} from '../../wal/stream/streamer.ts';

export function renderWalStream(summary: WalStreamSummary): string {
	const lines = [
		`WAL stream stopped: ${formatBytes(summary.bytes)} received, ${summary.segmentsCompleted.length} segments completed, ${summary.timelineSwitches} timeline switches, ${summary.reconnects} reconnects`,
		`Checkpoint: ${summary.flushedLsn === undefined ? 'none' : `${summary.flushedLsn} on timeline ${summary.timeline} (${summary.segment})`}`,
		`Store: ${summary.outputDir}${summary.systemId ? ` (system ${summary.systemId})` : ''}${summary.slot ? `, slot ${summary.slot}` : ''}`,
	];
	if (summary.segmentsCompleted.length > 0) lines.push(`Segments completed: ${summary.segmentsCompleted.join(', ')}`);
	return lines.join('\n');
}

export function renderWalFetch(fetched: FetchedWal): string {
	return `${fetched.name}: ${formatBytes(fetched.bytes)} from ${fetched.source}${fetched.padded ? ' (a partial segment, zero-padded)' : ''}${fetched.verified ? ', checked against the index' : ''}`;
}
