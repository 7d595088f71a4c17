import {Box, Text} from 'ink';
import type {AppController, ConnectionState} from '../controller.ts';

/** what the header shows: the controller's state, or 'unchecked' while it says "connecting" and no call is on its way */
type ShownState = ConnectionState | 'unchecked';

const stateColor: Record<ShownState, string> = {
	'not-configured': 'yellow',
	unchecked: 'gray',
	connecting: 'cyan',
	connected: 'green',
	error: 'red',
	demo: 'magenta',
};

const stateText: Record<ShownState, string> = {
	'not-configured': 'not configured',
	unchecked: 'not checked yet',
	connecting: 'connecting…',
	connected: 'connected',
	error: 'connection failed',
	demo: 'demo',
};

interface HeaderProps {
	controller: AppController;
	title?: string;
	/** a call that goes to a server is on its way */
	calling?: boolean;
}

/** "dbbackup › Environment    mysql root@127.0.0.1:3306 ● connected", in one row: a long label is cut in the middle. */
export function Header({controller, title, calling = false}: HeaderProps) {
	const reported = controller.connectionState();
	const state: ShownState = reported === 'connecting' && !calling ? 'unchecked' : reported;
	return (
		<Box flexShrink={0}>
			<Box flexShrink={0}>
				<Text>
					<Text bold color="cyan">
						dbbackup
					</Text>
					{title ? <Text> › {title}</Text> : null}
				</Text>
			</Box>
			<Box flexGrow={1} flexShrink={1} justifyContent="flex-end" marginLeft={2} marginRight={1}>
				{reported === 'not-configured' ? null : <Text wrap="truncate-middle">{controller.connectionLabel()}</Text>}
			</Box>
			<Box flexShrink={0}>
				<Text color={stateColor[state]}>● {stateText[state]}</Text>
			</Box>
		</Box>
	);
}
