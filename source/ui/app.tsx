import {Box, useApp, useInput} from 'ink';
import {useCallback, useMemo, useRef, useState} from 'react';
import type {EventBus} from '../core/events.ts';
import {Header} from './components/header.tsx';
import {KeyHints, type KeyHint} from './components/key-hints.tsx';
import {LogPane} from './components/log-pane.tsx';
import type {AppController} from './controller.ts';
import {FrameKeysContext, type FrameKeys, type ScreenKeys} from './frame-keys.ts';
import {HOME_SCREEN_ID, type ScreenDefinition} from './screen.ts';
import {screens as defaultScreens} from './screens.ts';

export interface AppProps {
	bus: EventBus;
	controller: AppController;
	screens?: ScreenDefinition[];
	initialScreen?: string;
}

const quitHint: KeyHint = {key: 'q', action: 'quit'};
const typingQuitHint: KeyHint = {key: 'Ctrl+C', action: 'quit'};
const homeHint: KeyHint = {key: 'Esc', action: 'home'};

/**
 * The frame: header, the current screen, the log pane and the key hints. Ctrl+C quits from anywhere;
 * q quits unless a text field has the keys or the screen stops its work first; Esc goes home unless the
 * screen steps back itself.
 */
export function App({bus, controller, screens = defaultScreens, initialScreen = HOME_SCREEN_ID}: AppProps) {
	const {exit} = useApp();
	const [screenId, setScreenId] = useState(initialScreen);
	const [, setTick] = useState(0);
	const refresh = useCallback(() => setTick((tick) => tick + 1), []);
	const goHome = useCallback(() => setScreenId(HOME_SCREEN_ID), []);
	const quit = useCallback(() => exit(), [exit]);

	// refs answer key presses with what is true now; the state copies re-render the hints
	const screenKeys = useRef<{token: object; keys: ScreenKeys} | undefined>(undefined);
	const textCaptures = useRef(0);
	const [shownKeys, setShownKeys] = useState<ScreenKeys>();
	const [typing, setTyping] = useState(false);
	const frameKeys = useMemo<FrameKeys>(
		() => ({
			setScreenKeys(keys) {
				const token = {};
				screenKeys.current = {token, keys};
				setShownKeys(keys);
				return () => {
					if (screenKeys.current?.token !== token) return;
					screenKeys.current = undefined;
					setShownKeys(undefined);
				};
			},
			captureText() {
				textCaptures.current++;
				setTyping(true);
				let released = false;
				return () => {
					if (released) return;
					released = true;
					textCaptures.current--;
					setTyping(textCaptures.current > 0);
				};
			},
		}),
		[],
	);

	useInput((input, key) => {
		if (key.ctrl && input === 'c') quit();
		else if (key.escape) {
			const escape = screenKeys.current?.keys.escape;
			if (escape) escape.run();
			else if (escape === undefined) goHome();
		} else if (input === 'q' && textCaptures.current === 0) {
			const screenQuit = screenKeys.current?.keys.quit;
			if (screenQuit) screenQuit.run();
			else if (screenQuit === undefined) quit();
		}
	});

	const screen = screens.find((entry) => entry.id === screenId) ?? screens.find((entry) => entry.id === HOME_SCREEN_ID);
	if (!screen) throw new Error(`No "${HOME_SCREEN_ID}" screen is registered`);
	const Screen = screen.component;
	const atHome = screen.id === HOME_SCREEN_ID;
	const escape = shownKeys?.escape;
	const escapeHint = escape ? {key: 'Esc', action: escape.action} : escape === null || atHome ? undefined : homeHint;
	const screenQuit = shownKeys?.quit;
	const qHint = typing || screenQuit === null ? typingQuitHint : screenQuit ? {key: 'q', action: screenQuit.action} : quitHint;

	return (
		<FrameKeysContext.Provider value={frameKeys}>
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
				<KeyHints hints={[...(shownKeys?.hints ?? screen.hints), ...(escapeHint ? [escapeHint] : []), qHint]} />
			</Box>
		</FrameKeysContext.Provider>
	);
}
