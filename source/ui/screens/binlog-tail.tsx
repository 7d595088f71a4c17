import path from 'node:path';
import {Box, Text} from 'ink';
import {useEffect, useRef, useState} from 'react';
import {toDbBackupError, type DbBackupError} from '../../core/errors.ts';
import {formatBytes} from '../../core/format.ts';
import {BinlogEventList} from '../components/binlog-event-list.tsx';
import {BinlogStatusPanel, filePosition, PANEL_ROWS, useRetry, type BinlogTailState} from '../components/binlog-status-panel.tsx';
import {ErrorMessage} from '../components/error-message.tsx';
import {TextInput} from '../components/text-input.tsx';
import type {BinlogStreamSummary} from '../controller.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {useLatestEvent, useThrottledEvents} from '../hooks.ts';
import {textRows, useBodySize} from '../layout.ts';
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

type StreamRun =
	| {status: 'running'}
	| {status: 'stopping'}
	| {status: 'stopped'; summary: BinlogStreamSummary; requested: boolean}
	| {status: 'failed'; error: DbBackupError};

/**
 * Starts the stream once, when mounted; `stop` aborts it and the run stays 'stopping' until the streamer
 * has finished (its checkpoint written). Unmounting aborts too (Ctrl+C: the CLI then waits for the stop).
 */
function useBinlogStream(start: (signal: AbortSignal) => Promise<BinlogStreamSummary>, onChange: () => void) {
	const [run, setRun] = useState<StreamRun>({status: 'running'});
	const abort = useRef<AbortController | undefined>(undefined);
	const stopRequested = useRef(false);
	const latest = useRef({start, onChange});
	latest.current = {start, onChange};

	useEffect(() => {
		const controller = new AbortController();
		abort.current = controller;
		let mounted = true;
		const settle = (next: StreamRun) => {
			if (mounted) setRun(next);
			latest.current.onChange();
		};
		let promise: Promise<BinlogStreamSummary>;
		try {
			promise = latest.current.start(controller.signal);
		} catch (error) {
			promise = Promise.reject(error);
		}
		latest.current.onChange();
		promise.then(
			(summary) => settle({status: 'stopped', summary, requested: stopRequested.current}),
			(error: unknown) => settle({status: 'failed', error: toDbBackupError(error)}),
		);
		return () => {
			mounted = false;
			controller.abort();
		};
	}, []);

	const stop = () => {
		if (stopRequested.current) return;
		stopRequested.current = true;
		setRun((current) => (current.status === 'running' ? {status: 'stopping'} : current));
		abort.current?.abort();
	};
	return {run, stop};
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

function RunNote({run}: {run: StreamRun}) {
	switch (run.status) {
		case 'running':
			return <Text dimColor wrap="truncate-end">Esc or q stops the stream cleanly (checkpoint first), then goes home.</Text>;
		case 'stopping':
			return <Text color="yellow" wrap="truncate-end">Stopping… waiting for the streamer to write its checkpoint.</Text>;
		case 'stopped':
			return <StoppedSummary summary={run.summary} />;
		case 'failed':
			return <ErrorMessage error={run.error} />;
	}
}

/** Rows the note under the list takes. */
function noteRows(run: StreamRun, columns: number): number {
	if (run.status === 'stopped') return 2;
	if (run.status !== 'failed') return 1;
	const {message, code, hint} = run.error;
	return textRows(`✗ ${message} [${code}]`, columns) + (hint ? textRows(`→ ${hint}`, columns) : 0);
}

interface BinlogTailProps extends Pick<ScreenProps, 'bus' | 'controller' | 'refresh' | 'goHome'> {
	output: string;
}

const LEAVE = 'stop and go home';

/** The running stream: status panel, event list, what Esc and q do now. */
function BinlogTail({bus, controller, refresh, goHome, output}: BinlogTailProps) {
	// subscribed before the stream starts (effects run in order), so its first status is not missed
	const status = useLatestEvent(bus, 'binlog-status');
	const feed = useThrottledEvents(bus, 'binlog-event', FEED_CAPACITY);
	const {run, stop} = useBinlogStream((signal) => controller.streamBinlogs({output}, signal), refresh);
	const {columns, rows} = useBodySize();

	// Esc and q leave the screen as elsewhere, but only once the stream has stopped cleanly; Ctrl+C quits
	useScreenKeys(
		run.status === 'running'
			? {hints: [], escape: {action: LEAVE, run: stop}, quit: {action: LEAVE, run: stop}}
			: run.status === 'stopping'
				? {hints: [], escape: null, quit: null}
				: {hints: [], quit: {action: 'home', run: goHome}},
	);
	// the frame's header shows the connection: re-read it when the stream connects or drops
	useEffect(() => refresh(), [status?.state]);
	useEffect(() => {
		// Esc or q asked for the stop: now that the checkpoint is written, leave
		if (run.status === 'stopped' && run.requested) goHome();
	}, [run]);

	const state: BinlogTailState =
		run.status === 'running' ? (status?.state ?? 'connecting') : run.status === 'stopping' ? 'stopping' : run.status === 'stopped' ? 'stopped' : 'failed';
	const retry = useRetry(status);
	// the panel (a fifth row while retrying), the list's heading and count, two blank rows, the note
	const around = PANEL_ROWS + (state === 'reconnecting' && retry ? 1 : 0) + 2 + 2 + noteRows(run, columns);
	return (
		<Box flexDirection="column">
			<BinlogStatusPanel state={state} status={status} retry={retry} output={output} />
			<Box marginTop={1}>
				<BinlogEventList events={feed.events} total={feed.total} rows={visibleEventRows(rows, around)} />
			</Box>
			<Box marginTop={1}>
				<RunNote run={run} />
			</Box>
		</Box>
	);
}

/** Asked only when neither --output nor a config file target says where the copies go. */
function OutputPrompt({initial, onSubmit}: {initial: string; onSubmit: (dir: string) => void}) {
	const [value, setValue] = useState(initial);
	useScreenKeys({
		hints: [
			{key: 'Enter', action: 'start streaming'},
			{key: 'Ctrl+U', action: 'clear'},
		],
	});
	return (
		<Box flexDirection="column">
			<Text>Neither --output nor a backup.binlog.targets file path in the config says where the binlog copies go.</Text>
			<Box marginTop={1}>
				<Box>
					<Box flexShrink={0}>
						<Text bold>Write binlog copies to </Text>
					</Box>
					<TextInput
						wrap="truncate-start"
						value={value}
						placeholder="directory, e.g. /var/backups/binlogs/"
						onChange={setValue}
						onSubmit={(dir) => {
							if (dir.trim() !== '') onSubmit(dir.trim());
						}}
					/>
				</Box>
			</Box>
			<Text dimColor>The same without asking: dbbackup binlog-stream --output DIR/</Text>
		</Box>
	);
}

/** "Tail binlog stream": copies the server's binlogs and shows them go by; Esc or q stops cleanly and goes home. */
export function BinlogTailScreen({bus, controller, refresh, goHome}: ScreenProps) {
	const [output, setOutput] = useState(() => controller.binlogOutputDir());
	if (output === undefined) {
		return <OutputPrompt initial={path.join(controller.defaultOutputDir(), 'binlogs')} onSubmit={setOutput} />;
	}
	return <BinlogTail bus={bus} controller={controller} refresh={refresh} goHome={goHome} output={output} />;
}
