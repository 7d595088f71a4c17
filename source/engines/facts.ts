import type {Fact} from '../core/detect/types.ts';

/** Small readers the availability checks share: a Fact's value, or a reason naming what is unknown. */
export function factValue<T>(fact: Fact<T>): T | undefined {
	return fact.known ? fact.value : undefined;
}

export function unknownReason(what: string, fact: Fact<unknown>): string | undefined {
	return fact.known ? undefined : `${what} is unknown (${fact.reason})`;
}

export function missingPrivileges(
	privileges: Fact<{perEngine: Record<string, {ok: boolean; missing: string[]}>}>,
	engine: string,
): string[] | undefined {
	if (!privileges.known) return undefined;
	const entry = privileges.value.perEngine[engine];
	return entry && !entry.ok ? entry.missing : [];
}

export const GiB = 1024 ** 3;

/** Coordinates as a manifest records them, for an engine with no words of its own for them: `key value, …`. */
export function describeRecordedCoordinates(coordinates: Record<string, unknown>): string {
	return Object.entries(coordinates).map(([key, value]) => `${key} ${String(value)}`).join(', ') || 'no coordinates recorded';
}
