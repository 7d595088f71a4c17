import {Box, useApp, useInput} from 'ink';
import {useCallback, useState} from 'react';
import type {EventBus} from '../core/events.ts';
import {Header} from './components/header.tsx';
import {KeyHints, type KeyHint} from './components/key-hints.tsx';
import {LogPane} from './components/log-pane.tsx';
import type {AppController} from './controller.ts';
import {HOME_SCREEN_ID, type ScreenDefinition} from './screen.ts';
import {screens as defaultScreens} from './screens.ts';

export interface AppProps {
	bus: EventBus;
	controller: AppController;
	screens?: ScreenDefinition[];
	initialScreen?: string;
}

const quitHint: KeyHint = {key: 'q', action: 'quit'};
const homeHint: KeyHint = {key: 'Esc', action: 'home'};

/** The frame: header, the current screen, the log pane and the key hints. q / Ctrl+C quit from anywhere, Esc goes home. */
export function App({bus, controller, screens = defaultScreens, initialScreen = HOME_SCREEN_ID}: AppProps) {
	const {exit} = useApp();
	const [screenId, setScreenId] = useState(initialScreen);
	const [, setTick] = useState(0);
	const refresh = useCallback(() => setTick((tick) => tick + 1), []);
	const goHome = useCallback(() => setScreenId(HOME_SCREEN_ID), []);
	const quit = useCallback(() => exit(), [exit]);

	useInput((input, key) => {
		if (input === 'q' || (key.ctrl && input === 'c')) quit();
		else if (key.escape) goHome();
	});

	const screen = screens.find((entry) => entry.id === screenId) ?? screens.find((entry) => entry.id === HOME_SCREEN_ID);
	if (!screen) throw new Error(`No "${HOME_SCREEN_ID}" screen is registered`);
	const Screen = screen.component;
	const atHome = screen.id === HOME_SCREEN_ID;

	return (
		<Box flexDirection="column">
			<Header controller={controller} title={atHome ? undefined : screen.title} />
			<Box flexDirection="column" marginY={1}>
				<Screen
					key={screen.id}
					bus={bus}
					controller={controller}
					screens={screens}
					navigate={setScreenId}
					goHome={goHome}
					refresh={refresh}
					exit={quit}
				/>
			</Box>
			<LogPane bus={bus} />
			<KeyHints hints={[...screen.hints, ...(atHome ? [] : [homeHint]), quitHint]} />
		</Box>
	);
}
