import type {EventOf} from '../../core/events.ts';
import {formatBytes, formatCount, formatDuration, formatRate} from '../../core/format.ts';
import {plural} from '../wording.ts';
import {StateText, StatusGrid, type Retry, type StreamState} from './stream-status.tsx';

/** the panel's rows, without the retry line */
export const WAL_PANEL_ROWS = 6;

/** "3s behind · 12 MiB", "caught up", or a dash while the streamer cannot say (not streaming). */
export function walLag(status: Pick<EventOf<'wal-status'>, 'lag' | 'lagBytes'> | undefined): string {
	const {lag, lagBytes} = status ?? {};
	if (lag === undefined && lagBytes === undefined) return '—';
	if (lagBytes === 0) return 'caught up';
	const parts = [lag === undefined ? undefined : `${formatDuration(lag)} behind`, lagBytes === undefined ? undefined : formatBytes(lagBytes)];
	return parts.filter((part) => part !== undefined).join(' · ');
}

interface WalStatusPanelProps {
	state: StreamState;
	status?: EventOf<'wal-status'>;
	/** the reconnect under way (useRetry), shown in one more row while the state is reconnecting */
	retry?: Retry;
	output: string;
}

/**
 * The WAL tail screen's header, from the streamer's wal-status: state (with the retry during a
 * reconnect), lag in time and bytes, what is written and what is durable (the flush position the slot
 * is told), the server's end, timeline, segment being filled, slot, throughput, reconnects, segments
 * completed and the store.
 */
export function WalStatusPanel({state, status, retry, output}: WalStatusPanelProps) {
	return (
		<StatusGrid
			state={state}
			retry={retry}
			rows={[
				[
					{label: 'State', value: <StateText state={state} />},
					{label: 'Lag', value: walLag(status)},
				],
				[
					{label: 'Written', value: status?.receivedLsn ?? '—'},
					{label: 'Timeline', value: status?.timeline === undefined ? '—' : String(status.timeline)},
				],
				[
					{label: 'Flushed', value: status?.flushedLsn ?? '—'},
					{label: 'Server end', value: status?.serverLsn ?? '—'},
				],
				[
					{label: 'Segment', value: status?.segment ?? '—'},
					{label: 'Slot', value: status?.slot ?? '—'},
				],
				[
					{label: 'Throughput', value: `${formatRate(status?.bytesPerSecond ?? 0, 'bytes')} · ${formatBytes(status?.bytes ?? 0)} in all`},
					{label: 'Reconnects', value: formatCount(status?.reconnects ?? 0)},
				],
				[
					{label: 'Completed', value: plural(status?.segmentsCompleted ?? 0, 'segment')},
					{label: 'Output', value: output},
				],
			]}
		/>
	);
}
