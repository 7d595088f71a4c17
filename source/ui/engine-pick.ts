import type {EngineSelection} from '../engines/selection-types.ts';

/** The engines that can run on the selection's server, in the selection's order: the only ones to pick from. */
export function pickableEngines(selection: EngineSelection): string[] {
	return selection.candidates.filter((row) => row.availability.available).map((row) => row.name);
}

/** The engine a pick stands at: `picked` while it can run there, else the recommended one, else the first that can run. */
export function pickedEngine(selection: EngineSelection, picked: string | undefined): string | undefined {
	const pickable = pickableEngines(selection);
	if (picked !== undefined && pickable.includes(picked)) return picked;
	return selection.engine ?? pickable[0];
}

/** The engine one place (`step` ±1) from `current` among those that can run, wrapping at the ends. */
export function stepEngine(selection: EngineSelection, current: string | undefined, step: number): string | undefined {
	const pickable = pickableEngines(selection);
	if (pickable.length === 0) return undefined;
	const at = Math.max(0, pickable.indexOf(pickedEngine(selection, current) ?? ''));
	return pickable[(at + step + pickable.length) % pickable.length];
}

/** The engine a run goes with and what the selector said about it, as the form knew it when the run started. */
export interface EngineNote {
	engine: string;
	/** the selector's pick for the server (null: none can run); absent when the selection could not be read */
	recommended?: string | null;
	/** the selector's reasons, in the order its criteria were applied */
	reasons: string[];
}

/** What the run screen says about `engine`: the selector's pick for the server and its reasons (none without a selection). */
export function engineNote(selection: EngineSelection | undefined, engine: string): EngineNote {
	if (!selection) return {engine, reasons: []};
	return {engine, recommended: selection.engine, reasons: selection.reasons};
}
