import type {DetectedEnvironment} from '../core/detect/types.ts';
import {formatBytes} from '../core/format.ts';
import {GiB} from './facts.ts';
import {availabilityRows, ENGINES} from './registry.ts';
import type {EngineAvailabilityRow, EngineSelection} from './selection-types.ts';
import {isObjectStoreUrl} from '../core/object-store-url.ts';
import type {BackupEngine, EngineName, SelectionContext, SelectionState} from './types.ts';

/** Above this much data a physical copy beats a logical dump (the seed tool's rule). */
export const PHYSICAL_THRESHOLD_BYTES = 10 * GiB;

/**
 * Applies the seed's criteria in order — data size here, then each engine's own judgement in its
 * selection order (version and flavor, clone plugin, snapshot capability, destination) — and says in
 * words why each one pointed where it did. No engine is named here: an engine is one folder and one
 * registry line.
 */
export function selectEngine(env: DetectedEnvironment, context: SelectionContext = {}, registered: readonly BackupEngine[] = ENGINES): EngineSelection {
	const reasons: string[] = [];
	let wantPhysical = false;
	if (env.dataSize.known) {
		const size = formatBytes(env.dataSize.value.totalBytes);
		wantPhysical = env.dataSize.value.totalBytes > PHYSICAL_THRESHOLD_BYTES;
		reasons.push(
			wantPhysical
				? `Data size ${size} is above 10 GiB: a physical copy is preferred (a logical dump and its restore grow with every row).`
				: `Data size ${size} is at most 10 GiB: a logical dump is quick at this size, portable across versions and restorable table by table.`,
		);
	} else {
		reasons.push(`Data size is unknown (${env.dataSize.reason}): assuming a small server, a logical dump.`);
	}

	const forType = registered.filter((engine) => engine.dbTypes.includes(env.dbType));
	const engines = [...forType].sort((a, b) => a.selection.order - b.selection.order);
	const state: SelectionState = {wantPhysical};
	for (const engine of engines) {
		const verdict = engine.selection.judge(env, context, state);
		reasons.push(...verdict.reasons);
		if (verdict.prefer) state.preferred = engine.name;
	}
	const preferred: EngineName = state.preferred ?? engines[engines.length - 1]!.name;
	if (isObjectStoreUrl(context.destination)) {
		reasons.push(`Destination ${context.destination} is an object store: the backup streams there as it is taken, without local disk.`);
	}

	const candidates = availabilityRows(env, context, forType);
	const order = [preferred, ...engines.filter((engine) => engine.name !== preferred && engine.selection.fallback).map((engine) => engine.name)];
	const chosen = order
		.map((name) => candidates.find((row) => row.name === name))
		.find((row) => row?.availability.available);

	if (!chosen) {
		const preferredRow = candidates.find((row) => row.name === preferred);
		reasons.push(`No engine can run against this server now; ${preferred} would be the choice: ${preferredRow?.availability.reason ?? 'unavailable'}.`);
	} else if (chosen.name !== preferred) {
		const preferredRow = candidates.find((row) => row.name === preferred);
		reasons.push(`${preferred} is not available (${preferredRow?.availability.reason}); falling back to ${chosen.name}.`);
	}
	return {dbType: env.dbType, engine: chosen?.name ?? null, preferred, reasons, candidates};
}

/** What `physical-backup` may run: the physical engines of the server's type in selection order, each with its availability. */
export interface PhysicalChoice {
	/** the first that can run, or null */
	engine: EngineName | null;
	candidates: EngineAvailabilityRow[];
}

/** The physical engine for a physical backup; never a logical one, which only an explicit --engine gets. */
export function selectPhysical(env: DetectedEnvironment, context: SelectionContext = {}, registered: readonly BackupEngine[] = ENGINES): PhysicalChoice {
	const physical = registered
		.filter((engine) => engine.dbTypes.includes(env.dbType) && engine.capabilities.kind === 'physical')
		.sort((a, b) => a.selection.order - b.selection.order);
	const candidates = availabilityRows(env, context, physical);
	return {engine: candidates.find((row) => row.availability.available)?.name ?? null, candidates};
}
