import {Box, Text} from 'ink';
import {useEffect, useRef, useState, type ReactNode} from 'react';
import {toDbBackupError, type DbBackupError} from '../../core/errors.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {textRows} from '../layout.ts';
import {ErrorMessage} from './error-message.tsx';
import type {StreamState} from './stream-status.tsx';
import {TextInput} from './text-input.tsx';

/**
 * What the tail screens (binlog-stream, wal-stream) share: the stream started once and stopped cleanly,
 * the keys for each step of it, the note under the screen, and the question where the copies go.
 */

export type StreamRun<S> =
	| {status: 'running'}
	| {status: 'stopping'}
	| {status: 'stopped'; summary: S; requested: boolean}
	| {status: 'failed'; error: DbBackupError};

/**
 * Starts the stream once, when mounted; `stop` aborts it and the run stays 'stopping' until the streamer
 * has finished (its checkpoint written). Unmounting aborts too (Ctrl+C: the CLI then waits for the stop).
 */
export function useStream<S>(start: (signal: AbortSignal) => Promise<S>, onChange: () => void): {run: StreamRun<S>; stop: () => void} {
	const [run, setRun] = useState<StreamRun<S>>({status: 'running'});
	const abort = useRef<AbortController | undefined>(undefined);
	const stopRequested = useRef(false);
	const latest = useRef({start, onChange});
	latest.current = {start, onChange};

	useEffect(() => {
		const controller = new AbortController();
		abort.current = controller;
		let mounted = true;
		const settle = (next: StreamRun<S>) => {
			if (mounted) setRun(next);
			latest.current.onChange();
		};
		let promise: Promise<S>;
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

const LEAVE = 'stop and go home';

/**
 * Esc and q leave the screen as elsewhere, but only once the stream has stopped cleanly: while it runs
 * they stop it, while it stops they wait; Ctrl+C quits. A stop asked for goes home once it is done.
 */
export function useStreamKeys(run: StreamRun<unknown>, stop: () => void, goHome: () => void): void {
	useScreenKeys(
		run.status === 'running'
			? {hints: [], escape: {action: LEAVE, run: stop}, quit: {action: LEAVE, run: stop}}
			: run.status === 'stopping'
				? {hints: [], escape: null, quit: null}
				: {hints: [], quit: {action: 'home', run: goHome}},
	);
	useEffect(() => {
		// Esc or q asked for the stop: now that the checkpoint is written, leave
		if (run.status === 'stopped' && run.requested) goHome();
	}, [run]);
}

/** The panel's state: the streamer's own while it runs, the screen's once it stops or fails. */
export function streamState(run: StreamRun<unknown>, streamer: StreamState | undefined): StreamState {
	return run.status === 'running' ? (streamer ?? 'connecting') : run.status === 'stopping' ? 'stopping' : run.status === 'stopped' ? 'stopped' : 'failed';
}

/** Under the screen: how to stop, the stop under way, the summary once stopped, or the failure. */
export function StreamNote<S>({run, stopped}: {run: StreamRun<S>; stopped: (summary: S) => ReactNode}) {
	switch (run.status) {
		case 'running':
			return <Text dimColor wrap="truncate-end">Esc or q stops the stream cleanly (checkpoint first), then goes home.</Text>;
		case 'stopping':
			return <Text color="yellow" wrap="truncate-end">Stopping… waiting for the streamer to write its checkpoint.</Text>;
		case 'stopped':
			return <>{stopped(run.summary)}</>;
		case 'failed':
			return <ErrorMessage error={run.error} />;
	}
}

/** Rows the note takes; `stoppedRows` for the summary. */
export function streamNoteRows(run: StreamRun<unknown>, columns: number, stoppedRows: number): number {
	if (run.status === 'stopped') return stoppedRows;
	if (run.status !== 'failed') return 1;
	const {message, code, hint} = run.error;
	return textRows(`✗ ${message} [${code}]`, columns) + (hint ? textRows(`→ ${hint}`, columns) : 0);
}

interface OutputPromptProps {
	/** why it asks */
	question: string;
	/** the field's label, e.g. "Write binlog copies to " */
	label: string;
	initial: string;
	placeholder: string;
	/** the same without asking, e.g. "dbbackup binlog-stream --output DIR/" */
	command: string;
	onSubmit: (dir: string) => void;
}

/** Asked only when nothing on the command line or in the config says where the copies go. */
export function OutputPrompt({question, label, initial, placeholder, command, onSubmit}: OutputPromptProps) {
	const [value, setValue] = useState(initial);
	useScreenKeys({
		hints: [
			{key: 'Enter', action: 'start streaming'},
			{key: 'Ctrl+U', action: 'clear'},
		],
	});
	return (
		<Box flexDirection="column">
			<Text>{question}</Text>
			<Box marginTop={1}>
				<Box>
					<Box flexShrink={0}>
						<Text bold>{label}</Text>
					</Box>
					<TextInput
						wrap="truncate-start"
						value={value}
						placeholder={placeholder}
						onChange={setValue}
						onSubmit={(dir) => {
							if (dir.trim() !== '') onSubmit(dir.trim());
						}}
					/>
				</Box>
			</Box>
			<Text dimColor>The same without asking: {command}</Text>
		</Box>
	);
}
