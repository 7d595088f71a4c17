import {Box, Text} from 'ink';
import type {AppController, ConnectionState} from '../controller.ts';

const stateColor: Record<ConnectionState, string> = {
	'not-configured': 'yellow',
	connecting: 'cyan',
	connected: 'green',
	error: 'red',
	demo: 'magenta',
};

const stateText: Record<ConnectionState, string> = {
	'not-configured': 'not configured',
	connecting: 'connecting…',
	connected: 'connected',
	error: 'connection failed',
	demo: 'demo',
};

/** "dbbackup › Environment    mysql root@127.0.0.1:3306 ● connected" */
export function Header({controller, title}: {controller: AppController; title?: string}) {
	const state = controller.connectionState();
	return (
		<Box justifyContent="space-between">
			<Text>
				<Text bold color="cyan">
					dbbackup
				</Text>
				{title ? <Text> › {title}</Text> : null}
			</Text>
			<Text>
				{state === 'not-configured' ? null : `${controller.connectionLabel()} `}
				<Text color={stateColor[state]}>● {stateText[state]}</Text>
			</Text>
		</Box>
	);
}
