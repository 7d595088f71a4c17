import {createContext, useContext, useEffect, useRef} from 'react';
import type {KeyHint} from './components/key-hints.tsx';

/** What a screen says about the keys for its current step; the frame reads it on every key press. */
export interface ScreenKeys {
	/** replaces the hints of the screen's definition while set */
	hints?: KeyHint[];
	/**
	 * Esc: absent goes home; an action steps back inside the screen instead (its label becomes the Esc hint);
	 * null ignores Esc, for a step that must not be left (work is running).
	 */
	escape?: {action: string; run: () => void} | null;
	/**
	 * q: absent quits; an action runs instead (a stop that has to finish before quitting, its label
	 * becomes the q hint); null ignores q while that stop runs. Ctrl+C always quits.
	 */
	quit?: {action: string; run: () => void} | null;
}

export interface FrameKeys {
	/** a screen's keys for its current step; returns the release that restores the defaults */
	setScreenKeys(keys: ScreenKeys): () => void;
	/** a focused text field claims printable keys (q included); returns the release */
	captureText(): () => void;
}

export const FrameKeysContext = createContext<FrameKeys | undefined>(undefined);

/**
 * Declares the screen's keys for the step it shows. `escape.run` and `quit.run` may change every render;
 * the frame always calls the latest one. Outside the app frame (a component rendered alone) this does nothing.
 */
export function useScreenKeys({hints, escape, quit}: ScreenKeys): void {
	const frame = useContext(FrameKeysContext);
	const runEscape = useRef<(() => void) | undefined>(undefined);
	const runQuit = useRef<(() => void) | undefined>(undefined);
	runEscape.current = escape?.run;
	runQuit.current = quit?.run;
	// only what the frame shows decides when to re-register, so a new closure each render does not loop
	const escapeAction = escape === null ? null : escape?.action;
	const quitAction = quit === null ? null : quit?.action;
	const shape = JSON.stringify({hints, escapeAction, quitAction});
	useEffect(() => {
		if (!frame) return;
		return frame.setScreenKeys({
			hints,
			escape: latest(escapeAction, runEscape),
			quit: latest(quitAction, runQuit),
		});
	}, [frame, shape]);
}

/** The frame's copy of a key override: it calls whatever run the screen rendered last. */
function latest(action: string | null | undefined, run: {current: (() => void) | undefined}): {action: string; run: () => void} | null | undefined {
	if (action === null || action === undefined) return action;
	return {action, run: () => run.current?.()};
}

/** While `active`, printable keys belong to the caller (a text field): q types a q instead of quitting. */
export function useTextCapture(active: boolean): void {
	const frame = useContext(FrameKeysContext);
	useEffect(() => (frame && active ? frame.captureText() : undefined), [frame, active]);
}
