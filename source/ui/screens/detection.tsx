import {Box, Text, useInput} from 'ink';
import {ErrorMessage} from '../components/error-message.tsx';
import {ServerPager} from '../components/server-pager.tsx';
import {StageLine} from '../components/stage-line.tsx';
import {useTask} from '../hooks.ts';
import type {ScreenProps} from '../screen.ts';
import {EnvironmentReport} from './environment-report.tsx';
import {environmentTitle} from '../../core/detect/describe.ts';

export function DetectionScreen({bus, controller, refresh}: ScreenProps) {
	const {state, restart} = useTask(() => controller.detect(), refresh);
	useInput((input) => {
		if (input === 'r' && state.status !== 'running') restart();
	});

	if (state.status === 'running') return <StageLine bus={bus} activity="Detecting…" />;
	if (state.status === 'failed') return <ErrorMessage error={state.error} />;
	if (state.value.length === 0) return <Text color="yellow">No server to examine.</Text>;
	return (
		<Box flexDirection="column">
			<ServerPager items={state.value} title={environmentTitle} render={(env) => <EnvironmentReport env={env} />} />
		</Box>
	);
}
