import path from 'node:path';
import {Box, Text} from 'ink';
import {useEffect, useState} from 'react';
import {formatBytes} from '../../core/format.ts';
import {BinlogEventList} from '../components/binlog-event-list.tsx';
import {BinlogStatusPanel, filePosition, PANEL_ROWS} from '../components/binlog-status-panel.tsx';
import {FEED_FRAME_ROWS} from '../components/feed-list.tsx';
import {statusGridRows, useRetry} from '../components/stream-status.tsx';
import {OutputPrompt, StreamNote, streamNoteRows, streamState, useStream, useStreamKeys} from '../components/stream-tail.tsx';
import type {BinlogStreamSummary} from '../controller.ts';
import {useLatestEvent, useThrottledEvents} from '../hooks.ts';
import {useBodySize} from '../layout.ts';
import type {ScreenProps} from '../screen.ts';
import {plural} from '../wording.ts';

/** events kept for the list: more than any terminal shows */
export const FEED_CAPACITY = 200;
/** list lines when the terminal does not say how tall it is */
const DEFAULT_EVENT_ROWS = 10;

/** How many events fit in `bodyRows` beside `around` rows of everything else; 10 when the height is unknown. */
export function visibleEventRows(bodyRows: number | undefined, around: number): number {
	if (bodyRows === undefined) return DEFAULT_EVENT_ROWS;
	return Math.max(1, Math.min(FEED_CAPACITY, bodyRows - around));
}

function StoppedSummary({summary}: {summary: BinlogStreamSummary}) {
	const checkpoint = filePosition(summary.file, summary.position);
	return (
		<Box flexDirection="column">
			<Text color="green" wrap="truncate-end">
				✓ Stopped cleanly: checkpoint at {checkpoint}
				{summary.gtid ? ` (GTID ${summary.gtid})` : ''}
			</Text>
			<Text dimColor wrap="truncate-end">
				{plural(summary.events, 'event')} · {plural(summary.transactions, 'transaction')} · {formatBytes(summary.bytes)} ·{' '}
				{plural(summary.filesClosed.length, 'file')} closed · {plural(summary.reconnects, 'reconnect')} · in {summary.outputDir}
			</Text>
		</Box>
	);
}

interface BinlogTailProps extends Pick<ScreenProps, 'bus' | 'controller' | 'refresh' | 'goHome'> {
	output: string;
}

/** The running stream: status panel, event list, what Esc and q do now. */
function BinlogTail({bus, controller, refresh, goHome, output}: BinlogTailProps) {
	// subscribed before the stream starts (effects run in order), so its first status is not missed
	const status = useLatestEvent(bus, 'binlog-status');
	const feed = useThrottledEvents(bus, 'binlog-event', FEED_CAPACITY);
	const {run, stop} = useStream((signal) => controller.streamBinlogs({output}, signal), refresh);
	const {columns, rows} = useBodySize();
	useStreamKeys(run, stop, goHome);
	// the frame's header shows the connection: re-read it when the stream connects or drops
	useEffect(() => refresh(), [status?.state]);

	const state = streamState(run, status?.state);
	const retry = useRetry(status);
	// the panel (a fifth row while retrying), the list's heading and count, two blank rows, the note
	const around = statusGridRows(PANEL_ROWS, state, retry) + FEED_FRAME_ROWS + 2 + streamNoteRows(run, columns, 2);
	return (
		<Box flexDirection="column">
			<BinlogStatusPanel state={state} status={status} retry={retry} output={output} />
			<Box marginTop={1}>
				<BinlogEventList events={feed.events} total={feed.total} rows={visibleEventRows(rows, around)} />
			</Box>
			<Box marginTop={1}>
				<StreamNote run={run} stopped={(summary) => <StoppedSummary summary={summary} />} />
			</Box>
		</Box>
	);
}

/** "Tail binlog stream": copies the server's binlogs and shows them go by; Esc or q stops cleanly and goes home. */
export function BinlogTailScreen({bus, controller, refresh, goHome}: ScreenProps) {
	const [output, setOutput] = useState(() => controller.binlogOutputDir());
	if (output === undefined) {
		return (
			<OutputPrompt
				question="Neither --output nor a backup.binlog.targets file path in the config says where the binlog copies go."
				label="Write binlog copies to "
				initial={path.join(controller.defaultOutputDir(), 'binlogs')}
				placeholder="directory, e.g. /var/backups/binlogs/"
				command="dbbackup binlog-stream --output DIR/"
				onSubmit={setOutput}
			/>
		);
	}
	return <BinlogTail bus={bus} controller={controller} refresh={refresh} goHome={goHome} output={output} />;
}
