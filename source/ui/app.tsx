import {Box, useApp, useInput} from 'ink';
import {useCallback, useMemo, useRef, useState} from 'react';
import type {DbType} from '../core/detect/types.ts';
import type {EventBus} from '../core/events.ts';
import {Header} from './components/header.tsx';
import {KeyHints, type KeyHint} from './components/key-hints.tsx';
import {LogLines, logPaneRows, useLogEntries} from './components/log-pane.tsx';
import type {AppController} from './controller.ts';
import {FrameKeysContext, type FrameKeys, type ScreenKeys} from './frame-keys.ts';
import {BodySizeContext, rowsLeft, useTerminalSize, type Size} from './layout.ts';
import {trackServerCalls} from './server-calls.ts';
import {HOME_SCREEN_ID, type EnginePicks, type Handoff, type ScreenDefinition} from './screen.ts';
import {screens as defaultScreens} from './screens.ts';

export interface AppProps {
	bus: EventBus;
	controller: AppController;
	screens?: ScreenDefinition[];
	initialScreen?: string;
}

/** the header's row, the key hints' row and the blank rows around the screen */
const FRAME_ROWS = 4;

/**
 * "Esc home  q quit"; "Esc/q home  Ctrl+C quit" when both do the same; Ctrl+C is named whenever q does
 * not quit. `undefined`: the key does nothing now.
 */
function frameHints(escapeAction: string | undefined, qAction: string | undefined): KeyHint[] {
	const hints: KeyHint[] =
		escapeAction !== undefined && escapeAction === qAction
			? [{key: 'Esc/q', action: qAction}]
			: [
					...(escapeAction === undefined ? [] : [{key: 'Esc', action: escapeAction}]),
					...(qAction === undefined ? [] : [{key: 'q', action: qAction}]),
				];
	return qAction === 'quit' ? hints : [...hints, {key: 'Ctrl+C', action: 'quit'}];
}

/**
 * The frame: header, the current screen, the log pane and the key hints, as tall as the terminal (less the
 * cursor's row: a frame that fills it makes Ink clear the screen and the scrollback on every render).
 * Header and hints always show; the screen gets the rows left and is cut to them. Ctrl+C quits from
 * anywhere; q quits unless a text field has the keys or the screen stops its work first; Esc goes home
 * unless the screen steps back itself.
 */
export function App({bus, controller, screens = defaultScreens, initialScreen = HOME_SCREEN_ID}: AppProps) {
	const {exit} = useApp();
	const [{screenId, handoff}, setOpen] = useState<{screenId: string; handoff?: Handoff}>({screenId: initialScreen});
	const [, setTick] = useState(0);
	const refresh = useCallback(() => setTick((tick) => tick + 1), []);
	const navigate = useCallback((id: string, next?: Handoff) => setOpen({screenId: id, handoff: next}), []);
	const goHome = useCallback(() => setOpen({screenId: HOME_SCREEN_ID}), []);
	const quit = useCallback(() => exit(), [exit]);
	// the screens come and go; a pick made on one outlives it
	const [enginePicks, setEnginePicks] = useState<EnginePicks>({engines: {}});
	const pickEngine = useCallback(
		(dbType: DbType, engine: string) =>
			setEnginePicks((picks) => ({engines: {...picks.engines, [dbType]: engine}, dbType})),
		[],
	);
	const tracked = useMemo(() => trackServerCalls(controller, refresh), [controller, refresh]);
	const terminal = useTerminalSize();
	const log = useLogEntries(bus).slice(-logPaneRows(terminal.rows));

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
	const escapeAction = escape ? escape.action : escape === null || atHome ? undefined : 'home';
	const screenQuit = shownKeys?.quit;
	const qAction = typing || screenQuit === null ? undefined : screenQuit ? screenQuit.action : 'quit';

	const frameRows = terminal.rows === undefined ? undefined : terminal.rows - 1;
	const body: Size = {columns: terminal.columns, rows: rowsLeft(frameRows, FRAME_ROWS + (log.length > 0 ? log.length + 1 : 0))};

	return (
		<FrameKeysContext.Provider value={frameKeys}>
			<Box flexDirection="column" height={frameRows}>
				<Header controller={controller} title={atHome ? undefined : screen.title} calling={tracked.calling()} />
				<Box flexDirection="column" flexShrink={0} marginY={1} height={body.rows} overflow="hidden">
					<BodySizeContext.Provider value={body}>
						{/* cut at the bottom when too tall: Ink's boxes shrink by default, which would draw rows over each other */}
						<Box flexDirection="column" flexShrink={0}>
							<Screen
								key={screen.id}
								bus={bus}
								controller={tracked.controller}
								screens={screens}
								navigate={navigate}
								handoff={handoff}
								goHome={goHome}
								refresh={refresh}
								enginePicks={enginePicks}
								pickEngine={pickEngine}
								exit={quit}
							/>
						</Box>
					</BodySizeContext.Provider>
				</Box>
				<LogLines entries={log} />
				<KeyHints hints={[...(shownKeys?.hints ?? screen.hints), ...frameHints(escapeAction, qAction)]} />
			</Box>
		</FrameKeysContext.Provider>
	);
}
