import path from 'node:path';
import {Box, Text, useStdout} from 'ink';
import {useEffect, useRef, useState} from 'react';
import {toDbBackupError, type DbBackupError} from '../../core/errors.ts';
import {formatBytes} from '../../core/format.ts';
import {BinlogEventList} from '../components/binlog-event-list.tsx';
import {BinlogStatusPanel, filePosition, type BinlogTailState} from '../components/binlog-status-panel.tsx';
import {ErrorMessage} from '../components/error-message.tsx';
import {TextInput} from '../components/text-input.tsx';
import type {BinlogStreamSummary} from '../controller.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {useLatestEvent, useThrottledEvents} from '../hooks.ts';
import type {ScreenProps} from '../screen.ts';
import {plural} from '../wording.ts';

/** events kept for the list: more than any terminal shows */
export const FEED_CAPACITY = 200;
/** list lines when the terminal does not say how tall it is */
const DEFAULT_EVENT_ROWS = 10;
/** lines the frame, the status panel, the notes and a full log pane take around the list */
const RESERVED_ROWS = 22;

/** How many events fit under the header and above the log pane of a terminal this tall. */
export function visibleEventRows(terminalRows: number | undefined): number {
	if (!terminalRows) return DEFAULT_EVENT_ROWS;
	return Math.max(3, Math.min(FEED_CAPACITY, terminalRows - RESERVED_ROWS));
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
			<Text color="green">
				✓ Stopped cleanly: checkpoint at {checkpoint}
				{summary.gtid ? ` (GTID ${summary.gtid})` : ''}
			</Text>
			<Text dimColor>
				{plural(summary.events, 'event')} · {plural(summary.transactions, 'transaction')} · {formatBytes(summary.bytes)} ·{' '}
				{plural(summary.filesClosed.length, 'file')} closed · {plural(summary.reconnects, 'reconnect')} · in {summary.outputDir}
			</Text>
		</Box>
	);
}

function RunNote({run}: {run: StreamRun}) {
	switch (run.status) {
		case 'running':
			return <Text dimColor>q stops the stream cleanly (the checkpoint is written first), then quits.</Text>;
		case 'stopping':
			return <Text color="yellow">Stopping… waiting for the streamer to write its checkpoint.</Text>;
		case 'stopped':
			return <StoppedSummary summary={run.summary} />;
		case 'failed':
			return <ErrorMessage error={run.error} />;
	}
}

interface BinlogTailProps extends Pick<ScreenProps, 'bus' | 'controller' | 'refresh' | 'exit'> {
	output: string;
}

/** The running stream: status panel, event list, what q does now. */
function BinlogTail({bus, controller, refresh, exit, output}: BinlogTailProps) {
	// subscribed before the stream starts (effects run in order), so its first status is not missed
	const status = useLatestEvent(bus, 'binlog-status');
	const feed = useThrottledEvents(bus, 'binlog-event', FEED_CAPACITY);
	const {run, stop} = useBinlogStream((signal) => controller.streamBinlogs({output}, signal), refresh);
	const {stdout} = useStdout();

	useScreenKeys(
		run.status === 'running'
			? {hints: [], escape: null, quit: {action: 'stop and quit', run: stop}}
			: run.status === 'stopping'
				? {hints: [], escape: null, quit: null}
				: {hints: []},
	);
	// the frame's header shows the connection: re-read it when the stream connects or drops
	useEffect(() => refresh(), [status?.state]);
	useEffect(() => {
		// q asked for the stop: now that the checkpoint is written, leave as q does elsewhere
		if (run.status === 'stopped' && run.requested) exit();
	}, [run]);

	const state: BinlogTailState =
		run.status === 'running' ? (status?.state ?? 'connecting') : run.status === 'stopping' ? 'stopping' : run.status === 'stopped' ? 'stopped' : 'failed';
	return (
		<Box flexDirection="column">
			<BinlogStatusPanel state={state} status={status} output={output} />
			<Box marginTop={1}>
				<BinlogEventList events={feed.events} total={feed.total} rows={visibleEventRows(stdout.rows)} />
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
				<Text>
					<Text bold>Write binlog copies to </Text>
					<TextInput
						value={value}
						placeholder="directory, e.g. /var/backups/binlogs/"
						onChange={setValue}
						onSubmit={(dir) => {
							if (dir.trim() !== '') onSubmit(dir.trim());
						}}
					/>
				</Text>
			</Box>
			<Text dimColor>The same without asking: dbbackup binlog-stream --output DIR/</Text>
		</Box>
	);
}

/** "Tail binlog stream": copies the server's binlogs and shows them go by; q stops cleanly. */
export function BinlogTailScreen({bus, controller, refresh, exit}: ScreenProps) {
	const [output, setOutput] = useState(() => controller.binlogOutputDir());
	if (output === undefined) {
		return <OutputPrompt initial={path.join(controller.defaultOutputDir(), 'binlogs')} onSubmit={setOutput} />;
	}
	return <BinlogTail bus={bus} controller={controller} refresh={refresh} exit={exit} output={output} />;
}
