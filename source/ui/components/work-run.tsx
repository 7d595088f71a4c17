import {Box, Text} from 'ink';
import type {ReactNode} from 'react';
import type {EventBus} from '../../core/events.ts';
import {useScreenKeys} from '../frame-keys.ts';
import {useTask} from '../hooks.ts';
import {rowsLeft, useBodySize} from '../layout.ts';
import {ErrorMessage} from './error-message.tsx';
import {RunProgress} from './run-progress.tsx';

interface WorkRunProps<T> {
	bus: EventBus;
	refresh: () => void;
	/** the backup or restore; started once, when mounted */
	run: () => Promise<T>;
	/** "backup", "restore": named in the Esc notice */
	noun: string;
	/** the progress heading, e.g. "Backing up…" */
	activity: string;
	overallTask: string;
	/** Esc once the run has ended, done or failed; absent: Esc keeps its default */
	onBack?: {action: string; run: () => void};
	summary: (value: T) => ReactNode;
	/** show every stage so far under the stage line (RunProgress) */
	stageTrail?: boolean;
	/** shown under the stages while the run goes (RunProgress's panel), with the rows it takes at most */
	panel?: {node: ReactNode; rows: number};
}

/**
 * Runs a backup or restore once, shows its progress (Esc is off meanwhile: the services take no cancel
 * signal), then the summary or the failure.
 */
export function WorkRun<T>({bus, refresh, run, noun, activity, overallTask, onBack, summary, stageTrail, panel}: WorkRunProps<T>) {
	// mounted with the progress display, whose subscriptions (child effects) are in place before this call starts
	const {state} = useTask(run, refresh);
	const {rows} = useBodySize();
	useScreenKeys(state.status === 'running' ? {hints: [], escape: null} : onBack ? {hints: [], escape: onBack} : {hints: []});
	if (state.status === 'running') {
		return (
			<Box flexDirection="column">
				<RunProgress bus={bus} activity={activity} overallTask={overallTask} rows={rowsLeft(rows, 2)} stageTrail={stageTrail} panel={panel?.node} panelRows={panel?.rows} />
				<Box marginTop={1}>
					<Text dimColor wrap="truncate-end">
						Esc is off while the {noun} runs; Ctrl+C quits dbbackup and abandons it.
					</Text>
				</Box>
			</Box>
		);
	}
	if (state.status === 'failed') return <ErrorMessage error={state.error} />;
	return <>{summary(state.value)}</>;
}
