import {Box, Text} from 'ink';
import {useRef, type ReactNode} from 'react';
import type {EventOf, EventPayloads} from '../../core/events.ts';
import {formatCount, formatDuration, formatRate} from '../../core/format.ts';
import {useBodySize} from '../layout.ts';

/** the streamer's state, or what the screen knows before it says so (stopping on q, failed) */
export type BinlogTailState = EventPayloads['binlog-status']['state'] | 'failed';

const stateColor: Record<BinlogTailState, string> = {
	connecting: 'cyan',
	streaming: 'green',
	reconnecting: 'yellow',
	stopping: 'yellow',
	stopped: 'gray',
	failed: 'red',
};

const LABEL_WIDTH = 12;
/** the left column's width: "mariadb-bin.000007:123456789" and the throughput fit whole at 80 columns */
const LEFT_WIDTH = {least: 41, most: 48};
/** the panel's rows, without the retry line */
export const PANEL_ROWS = 4;

/** "mariadb-bin.000003:1234", or a dash before the first position is known. */
export function filePosition(file: string | undefined, pos: number | undefined): string {
	return file === undefined ? '—' : pos === undefined ? file : `${file}:${pos}`;
}

function Cell({label, width, children}: {label: string; width?: number; children: ReactNode}) {
	return (
		// a fixed-width (left) cell keeps a column free before the cell beside it
		<Box width={width} flexShrink={width === undefined ? 1 : 0} paddingRight={width === undefined ? 0 : 1}>
			<Box width={LABEL_WIDTH} flexShrink={0}>
				<Text bold>{label}</Text>
			</Box>
			<Box flexShrink={1}>{typeof children === 'string' ? <Text wrap="truncate-middle">{children}</Text> : children}</Box>
		</Box>
	);
}

function StateText({state}: {state: BinlogTailState}) {
	return <Text color={stateColor[state]}>● {state === 'stopping' ? 'stopping…' : state}</Text>;
}

/** the reconnect under way: its attempt, why, and when the next try is due (ms since the epoch) */
export interface Retry {
	attempt: number;
	reason?: string;
	nextTryAt: number;
}

/**
 * The reconnect the statuses tell of. The streamer names attempt, wait and reason only when the state
 * changes; the once-a-second statuses in between do not, so the last ones named are kept.
 */
export function useRetry(status: EventOf<'binlog-status'> | undefined): Retry | undefined {
	const retry = useRef<Retry | undefined>(undefined);
	if (status?.state !== 'reconnecting') retry.current = undefined;
	else if (status.attempt !== undefined) {
		retry.current = {attempt: status.attempt, reason: status.reason, nextTryAt: Date.parse(status.time) + (status.retryInSeconds ?? 0) * 1000};
	}
	return retry.current;
}

/** "attempt 3, next try in 4s: connect ECONNREFUSED 127.0.0.1:3306"; "trying now" once the wait is over. */
export function retryText(retry: Retry, now: number): string {
	const seconds = Math.ceil((retry.nextTryAt - now) / 1000);
	const when = `attempt ${retry.attempt}, ${seconds > 0 ? `next try in ${seconds}s` : 'trying now'}`;
	return retry.reason ? `${when}: ${retry.reason}` : when;
}

/**
 * The tail screen's header: state (with the retry during a reconnect), where the copy is, GTID, lag,
 * throughput, what is on disk for sure, reconnects and the output directory.
 */
interface BinlogStatusPanelProps {
	state: BinlogTailState;
	status?: EventOf<'binlog-status'>;
	/** the reconnect under way (useRetry), shown in a fifth row while the state is reconnecting */
	retry?: Retry;
	output: string;
}

export function BinlogStatusPanel({state, status, retry, output}: BinlogStatusPanelProps) {
	const lag = status?.lag;
	const {columns} = useBodySize();
	const left = Math.max(LEFT_WIDTH.least, Math.min(LEFT_WIDTH.most, Math.floor(columns / 2)));
	return (
		<Box flexDirection="column">
			<Box>
				<Cell label="State" width={left}>
					<StateText state={state} />
				</Cell>
				<Cell label="Lag">{lag === undefined ? '—' : `${formatDuration(lag)} behind`}</Cell>
			</Box>
			<Box>
				<Cell label="Position" width={left}>
					{filePosition(status?.file, status?.pos)}
				</Cell>
				<Cell label="GTID">{status?.gtid || '—'}</Cell>
			</Box>
			<Box>
				<Cell label="Durable" width={left}>
					{filePosition(status?.durableFile, status?.durablePos)}
				</Cell>
				<Cell label="Reconnects">{formatCount(status?.reconnects ?? 0)}</Cell>
			</Box>
			<Box>
				<Cell label="Throughput" width={left}>
					{`${formatCount(status?.eventsPerSecond ?? 0)} events/s · ${formatRate(status?.bytesPerSecond ?? 0, 'bytes')}`}
				</Cell>
				<Cell label="Output">{output}</Cell>
			</Box>
			{state === 'reconnecting' && retry ? (
				<Cell label="Retry">
					<Text color="yellow" wrap="truncate-end">
						{retryText(retry, Date.now())}
					</Text>
				</Cell>
			) : null}
		</Box>
	);
}
