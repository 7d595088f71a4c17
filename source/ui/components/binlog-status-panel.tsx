import type {EventOf} from '../../core/events.ts';
import {formatCount, formatDuration, formatRate} from '../../core/format.ts';
import {StateText, StatusGrid, type Retry, type StreamState} from './stream-status.tsx';

export {retryText, useRetry, type Retry} from './stream-status.tsx';

/** the streamer's state, or what the screen knows before it says so (stopping on q, failed) */
export type BinlogTailState = StreamState;

/** the panel's rows, without the retry line */
export const PANEL_ROWS = 4;

/** "mariadb-bin.000003:1234", or a dash before the first position is known. */
export function filePosition(file: string | undefined, pos: number | undefined): string {
	return file === undefined ? '—' : pos === undefined ? file : `${file}:${pos}`;
}

interface BinlogStatusPanelProps {
	state: BinlogTailState;
	status?: EventOf<'binlog-status'>;
	/** the reconnect under way (useRetry), shown in a fifth row while the state is reconnecting */
	retry?: Retry;
	output: string;
}

/**
 * The tail screen's header: state (with the retry during a reconnect), where the copy is, GTID, lag,
 * throughput, what is on disk for sure, reconnects and the output directory.
 */
export function BinlogStatusPanel({state, status, retry, output}: BinlogStatusPanelProps) {
	const lag = status?.lag;
	return (
		<StatusGrid
			state={state}
			retry={retry}
			rows={[
				[
					{label: 'State', value: <StateText state={state} />},
					{label: 'Lag', value: lag === undefined ? '—' : `${formatDuration(lag)} behind`},
				],
				[
					{label: 'Position', value: filePosition(status?.file, status?.pos)},
					{label: 'GTID', value: status?.gtid || '—'},
				],
				[
					{label: 'Durable', value: filePosition(status?.durableFile, status?.durablePos)},
					{label: 'Reconnects', value: formatCount(status?.reconnects ?? 0)},
				],
				[
					{label: 'Throughput', value: `${formatCount(status?.eventsPerSecond ?? 0)} events/s · ${formatRate(status?.bytesPerSecond ?? 0, 'bytes')}`},
					{label: 'Output', value: output},
				],
			]}
		/>
	);
}
