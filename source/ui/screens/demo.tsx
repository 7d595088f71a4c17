import {Box, Text} from 'ink';
import {useEffect} from 'react';
import {ErrorMessage} from '../components/error-message.tsx';
import {ProgressBars, useProgressTasks} from '../components/progress-list.tsx';
import {useRecentEvents, useTask} from '../hooks.ts';
import {fitCount, useBodySize} from '../layout.ts';
import type {ScreenProps} from '../screen.ts';

const STAGES_SHOWN = 8;

/**
 * Starts the throwaway servers, backs up and restores the MariaDB sample and compares the copy, showing
 * each stage as it happens; goes home once done (the log pane keeps the comparison's verdict).
 */
export function DemoScreen({bus, controller, refresh, goHome}: ScreenProps) {
	// subscribed before the demo starts (effects run in order), so that its first stages are not missed
	const recentStages = useRecentEvents(bus, 'stage', STAGES_SHOWN);
	const tasks = useProgressTasks(bus);
	const {state} = useTask(() => controller.startDemo(), refresh);
	const {rows} = useBodySize();
	// the heading and an error (two rows) first; the bars get up to half of the rest, the stages what is left
	const room = rows === undefined ? undefined : rows - 1 - (state.status === 'failed' ? 2 : 0);
	const barRows = room === undefined ? undefined : Math.min(tasks.length, Math.floor(room / 2));
	const stages = recentStages.slice(-fitCount(STAGES_SHOWN, room === undefined ? undefined : room - (barRows ?? 0)));

	useEffect(() => {
		if (state.status === 'done') goHome();
	}, [state.status]);

	return (
		<Box flexDirection="column">
			<Text bold>Starting throwaway MariaDB and PostgreSQL servers</Text>
			{stages.map((stage, index) => {
				const last = index === stages.length - 1;
				const mark =
					last && state.status === 'running' ? (
						<Text color="cyan">…</Text>
					) : last && state.status === 'failed' ? (
						<Text color="red">✗</Text>
					) : (
						<Text color="green">✓</Text>
					);
				return (
					<Text key={`${stage.time}-${index}`} wrap="truncate-end">
						{mark} {stage.name}
						{stage.detail ? <Text dimColor> {stage.detail}</Text> : null}
					</Text>
				);
			})}
			{state.status === 'running' && stages.length === 0 ? <Text color="cyan">Starting…</Text> : null}
			<ProgressBars tasks={tasks} rows={barRows} />
			{state.status === 'failed' ? <ErrorMessage error={state.error} /> : null}
		</Box>
	);
}
