import {Box, Text} from 'ink';
import {useRef, type ReactNode} from 'react';
import type {EventPayloads} from '../../core/events.ts';
import {useBodySize} from '../layout.ts';

/**
 * The shared parts of the tail screens' status panels (binlog-stream, wal-stream): a two-column grid of
 * labelled cells, the state with its colour, and the reconnect under way.
 */

/** a streamer's state, or what the screen knows before it says so (stopping on q, failed) */
export type StreamState = EventPayloads['binlog-status']['state'] | EventPayloads['wal-status']['state'] | 'failed';

const stateColor: Record<StreamState, string> = {
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

/** One labelled value; a fixed-width (left) cell keeps a column free before the cell beside it. */
export function StatusCell({label, width, children}: {label: string; width?: number; children: ReactNode}) {
	return (
		<Box width={width} flexShrink={width === undefined ? 1 : 0} paddingRight={width === undefined ? 0 : 1}>
			<Box width={LABEL_WIDTH} flexShrink={0}>
				<Text bold>{label}</Text>
			</Box>
			<Box flexShrink={1}>{typeof children === 'string' ? <Text wrap="truncate-middle">{children}</Text> : children}</Box>
		</Box>
	);
}

export function StateText({state}: {state: StreamState}) {
	return <Text color={stateColor[state]}>● {state === 'stopping' ? 'stopping…' : state}</Text>;
}

/** the reconnect under way: its attempt, why, and when the next try is due (ms since the epoch) */
export interface Retry {
	attempt: number;
	reason?: string;
	nextTryAt: number;
}

/** What both streamers' statuses say about a reconnect. */
export interface RetryStatus {
	time: string;
	state: string;
	attempt?: number;
	retryInSeconds?: number;
	reason?: string;
}

/**
 * The reconnect the statuses tell of. The streamers name attempt, wait and reason only when the state
 * changes; the once-a-second statuses in between do not, so the last ones named are kept.
 */
export function useRetry(status: RetryStatus | undefined): Retry | undefined {
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

/** a row of the grid: the left cell and the right one */
export type StatusRow = [{label: string; value: ReactNode}, {label: string; value: ReactNode}];

interface StatusGridProps {
	rows: StatusRow[];
	state: StreamState;
	/** the reconnect under way (useRetry), shown in one more row while the state is reconnecting */
	retry?: Retry;
}

/** Rows the grid takes: its rows, and the retry line while reconnecting. */
export function statusGridRows(rows: number, state: StreamState, retry: Retry | undefined): number {
	return rows + (state === 'reconnecting' && retry ? 1 : 0);
}

/** The status rows in two columns (the left one as wide as the longest position needs), then the retry line. */
export function StatusGrid({rows, state, retry}: StatusGridProps) {
	const {columns} = useBodySize();
	const left = Math.max(LEFT_WIDTH.least, Math.min(LEFT_WIDTH.most, Math.floor(columns / 2)));
	return (
		<Box flexDirection="column">
			{rows.map(([first, second]) => (
				<Box key={first.label}>
					<StatusCell label={first.label} width={left}>
						{first.value}
					</StatusCell>
					<StatusCell label={second.label}>{second.value}</StatusCell>
				</Box>
			))}
			{state === 'reconnecting' && retry ? (
				<StatusCell label="Retry">
					<Text color="yellow" wrap="truncate-end">
						{retryText(retry, Date.now())}
					</Text>
				</StatusCell>
			) : null}
		</Box>
	);
}
