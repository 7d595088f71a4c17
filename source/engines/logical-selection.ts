import type {EngineName, SelectionPlace} from './types.ts';

/**
 * A logical engine's place in selection: judged after the physical engines, it takes the preference
 * when none of them claimed it, and says so when the size asked for a physical copy that nothing here
 * can make.
 */
export function logicalSelection(name: EngineName): SelectionPlace {
	return {
		order: 30,
		fallback: true,
		judge(_env, _context, state) {
			if (state.preferred !== undefined) return {reasons: [], prefer: false};
			return {reasons: state.wantPhysical ? [`No physical engine fits this server, so ${name} it is despite the size.`] : [], prefer: true};
		},
	};
}
