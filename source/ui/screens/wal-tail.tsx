import path from 'node:path';
import {Box, Text} from 'ink';
import {useEffect, useState} from 'react';
import type {EventOf} from '../../core/events.ts';
import {formatBytes, formatClock} from '../../core/format.ts';
import {FEED_FRAME_ROWS, FeedList, type FeedColumn} from '../components/feed-list.tsx';
import {statusGridRows, useRetry} from '../components/stream-status.tsx';
import {OutputPrompt, StreamNote, streamNoteRows, streamState, useStream, useStreamKeys} from '../components/stream-tail.tsx';
import {WAL_PANEL_ROWS, WalStatusPanel} from '../components/wal-status-panel.tsx';
import type {WalStreamSummary} from '../controller.ts';
import {useLatestEvent, useThrottledEvents} from '../hooks.ts';
import {useBodySize} from '../layout.ts';
import type {ScreenProps} from '../screen.ts';
import {plural} from '../wording.ts';
import {FEED_CAPACITY, visibleEventRows} from './binlog-tail.tsx';

type DurableEvent = EventOf<'wal-durable'>;

/** Each checkpoint: when, on which timeline, the LSN the store holds everything up to, and its segment. */
const durableColumns: Array<FeedColumn<DurableEvent>> = [
	{heading: 'Time', width: 9, dim: true, cell: (event) => formatClock(event.time)},
	{heading: 'Timeline', width: 9, right: true, cell: (event) => String(event.timeline)},
	{heading: 'Durable up to', width: 20, cell: (event) => event.lsn},
	{heading: 'Segment', cell: (event) => event.segment},
];

function StoppedSummary({summary}: {summary: WalStreamSummary}) {
	return (
		<Box flexDirection="column">
			<Text color="green" wrap="truncate-end">
				✓ Stopped cleanly:{' '}
				{summary.flushedLsn === undefined
					? 'nothing was streamed'
					: `checkpoint at ${summary.flushedLsn} on timeline ${summary.timeline} (${summary.segment})`}
			</Text>
			<Text dimColor wrap="truncate-end">
				{formatBytes(summary.bytes)} · {plural(summary.segmentsCompleted.length, 'segment')} completed ·{' '}
				{plural(summary.timelineSwitches, 'timeline switch', 'timeline switches')} · {plural(summary.reconnects, 'reconnect')}
				{summary.slot ? ` · slot ${summary.slot}` : ''} · in {summary.outputDir}
			</Text>
		</Box>
	);
}

interface WalTailProps extends Pick<ScreenProps, 'bus' | 'refresh' | 'goHome'> {
	output: string;
	start: (signal: AbortSignal) => Promise<WalStreamSummary>;
}

/** The running stream: status panel, the checkpoints as they are written, what Esc and q do now. */
function WalTail({bus, refresh, goHome, output, start}: WalTailProps) {
	// subscribed before the stream starts (effects run in order), so its first status is not missed
	const status = useLatestEvent(bus, 'wal-status');
	const durable = useThrottledEvents(bus, 'wal-durable', FEED_CAPACITY);
	const {run, stop} = useStream(start, refresh);
	const {columns, rows} = useBodySize();
	useStreamKeys(run, stop, goHome);
	// the frame's header shows the connection: re-read it when the stream connects or drops
	useEffect(() => refresh(), [status?.state]);

	const state = streamState(run, status?.state);
	const retry = useRetry(status);
	// the panel (a row more while retrying), the list's heading and count, two blank rows, the note
	const around = statusGridRows(WAL_PANEL_ROWS, state, retry) + FEED_FRAME_ROWS + 2 + streamNoteRows(run, columns, 2);
	return (
		<Box flexDirection="column">
			<WalStatusPanel state={state} status={status} retry={retry} output={output} />
			<Box marginTop={1}>
				<FeedList
					columns={durableColumns}
					items={durable.events}
					total={durable.total}
					rows={visibleEventRows(rows, around)}
					noun="checkpoint"
					waiting="waiting for the first checkpoint (the WAL synced and the slot told)…"
				/>
			</Box>
			<Box marginTop={1}>
				<StreamNote run={run} stopped={(summary) => <StoppedSummary summary={summary} />} />
			</Box>
		</Box>
	);
}

/** "Tail WAL stream": copies the PostgreSQL server's WAL and shows where it stands; Esc or q stops cleanly and goes home. */
export function WalTailScreen({bus, controller, refresh, goHome}: ScreenProps) {
	const [output, setOutput] = useState(() => controller.walOutputDir?.());
	const streamWal = controller.streamWal?.bind(controller);
	if (!streamWal) {
		return <Text color="red">This build of dbbackup's terminal app cannot stream WAL: run dbbackup wal-stream --yes instead.</Text>;
	}
	if (output === undefined) {
		return (
			<OutputPrompt
				question="wal-stream's --output does not say where the WAL goes."
				label="Write WAL to "
				initial={`${path.join(controller.defaultOutputDir(), 'wal')}/`}
				placeholder="directory or s3:// prefix, e.g. /var/backups/wal/"
				command="dbbackup wal-stream --output DIR/"
				onSubmit={setOutput}
			/>
		);
	}
	return <WalTail bus={bus} refresh={refresh} goHome={goHome} output={output} start={(signal) => streamWal({output}, signal)} />;
}
