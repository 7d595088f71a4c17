import {Box, Text} from 'ink';
import {useEffect} from 'react';
import {ErrorMessage} from '../components/error-message.tsx';
import {ProgressList} from '../components/progress-list.tsx';
import {useRecentEvents, useTask} from '../hooks.ts';
import type {ScreenProps} from '../screen.ts';

const STAGES_SHOWN = 8;

/**
 * Starts the throwaway servers, backs up and restores the MariaDB sample and compares the copy, showing
 * each stage as it happens; goes home once done (the log pane keeps the comparison's verdict).
 */
export function DemoScreen({bus, controller, refresh, goHome}: ScreenProps) {
	const {state} = useTask(() => controller.startDemo(), refresh);
	const stages = useRecentEvents(bus, 'stage', STAGES_SHOWN);

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
					<Text key={`${stage.time}-${index}`}>
						{mark} {stage.name}
						{stage.detail ? <Text dimColor> {stage.detail}</Text> : null}
					</Text>
				);
			})}
			{state.status === 'running' && stages.length === 0 ? <Text color="cyan">Starting…</Text> : null}
			<ProgressList bus={bus} />
			{state.status === 'failed' ? <ErrorMessage error={state.error} /> : null}
		</Box>
	);
}
