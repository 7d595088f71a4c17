import {Text, useInput} from 'ink';
import {useState} from 'react';
import {ErrorMessage} from '../components/error-message.tsx';
import {ServerPager} from '../components/server-pager.tsx';
import {StageLine} from '../components/stage-line.tsx';
import {useTask} from '../hooks.ts';
import {useBodySize} from '../layout.ts';
import type {ScreenProps} from '../screen.ts';
import {EnvironmentReport} from './environment-report.tsx';
import {environmentTitle} from '../../core/detect/describe.ts';

export function DetectionScreen({bus, controller, refresh}: ScreenProps) {
	const {state, restart} = useTask(() => controller.detect(), refresh);
	// here, not in the pager: r unmounts the pager while detection runs again
	const [server, setServer] = useState(0);
	const {rows} = useBodySize();
	useInput((input) => {
		if (input === 'r' && state.status !== 'running') restart();
	});

	if (state.status === 'running') return <StageLine bus={bus} activity="Detecting…" />;
	if (state.status === 'failed') return <ErrorMessage error={state.error} />;
	if (state.value.length === 0) return <Text color="yellow">No server to examine.</Text>;
	return (
		<ServerPager
			items={state.value}
			index={server}
			onIndexChange={setServer}
			rows={rows}
			title={environmentTitle}
			render={(env) => <EnvironmentReport env={env} />}
		/>
	);
}
