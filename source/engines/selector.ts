import type {DetectedEnvironment} from '../core/detect/types.ts';
import {describeFlavor} from '../core/detect/describe.ts';
import {formatBytes} from '../core/format.ts';
import {cloneBlockers} from './clone/index.ts';
import {GiB} from './facts.ts';
import {availabilityRows} from './registry.ts';
import type {EngineSelection} from './selection-types.ts';
import {snapshotBlockers} from './snapshot/index.ts';
import {isObjectStoreDestination} from './streaming/index.ts';
import type {EngineName, SelectionContext} from './types.ts';

/** Above this much data a physical copy beats a logical dump (the seed tool's rule). */
export const PHYSICAL_THRESHOLD_BYTES = 10 * GiB;

/**
 * Applies the seed's criteria in order — data size, version and flavor, clone plugin, snapshot capability,
 * cloud destination — and says in words why each one pointed where it did.
 */
export function selectEngine(env: DetectedEnvironment, context: SelectionContext = {}): EngineSelection {
	const reasons: string[] = [];
	const logical: EngineName = env.dbType === 'mysql' ? 'mysqldump' : 'postgres-logical';

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

	const blockedClone = cloneBlockers(env);
	if (env.dbType === 'mysql') {
		const flavor = env.flavor.known ? env.flavor.value : undefined;
		const version = env.version.known ? env.version.value.text : 'unknown version';
		if (flavor === 'mariadb') reasons.push(`Server is MariaDB ${version}: it has no clone plugin, so a physical copy can only come from a filesystem snapshot.`);
		else reasons.push(`Server is ${describeFlavor(flavor ?? 'mysql')} ${version}.`);
		if (flavor !== 'mariadb') {
			reasons.push(blockedClone.length === 0 ? 'Clone plugin is ACTIVE and the user has BACKUP_ADMIN: clone can copy the server physically.' : `Clone cannot be used: ${blockedClone.join('; ')}.`);
		}
	} else {
		const version = env.version.known ? env.version.value.text : 'unknown version';
		reasons.push(`Server is PostgreSQL ${version}: physical copies come from a filesystem snapshot (no clone plugin).`);
	}

	const blockedSnapshot = snapshotBlockers(env);
	reasons.push(
		blockedSnapshot.length === 0
			? `The data directory can be snapshotted (${env.snapshot.known && env.snapshot.value.capable ? `${env.snapshot.value.backend} ${env.snapshot.value.target ?? ''}`.trim() : 'snapshot'}).`
			: `No filesystem snapshot: ${blockedSnapshot.join('; ')}.`,
	);

	let preferred: EngineName = logical;
	if (wantPhysical) {
		if (env.dbType === 'mysql' && blockedClone.length === 0) preferred = 'clone';
		else if (blockedSnapshot.length === 0) preferred = 'snapshot';
		else reasons.push(`No physical engine fits this server, so ${logical} it is despite the size.`);
	}

	if (isObjectStoreDestination(context.destination)) {
		reasons.push(`Destination ${context.destination} is an object store: stream the backup there (no local disk).`);
		preferred = 'streaming';
	} else {
		reasons.push('Destination is local (no s3:// target): no streaming needed.');
	}

	const candidates = availabilityRows(env, context);
	const order: EngineName[] = [preferred, ...(['clone', 'snapshot', logical] as EngineName[]).filter((name) => name !== preferred)];
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
	return {engine: chosen?.name ?? null, preferred, reasons, candidates};
}
