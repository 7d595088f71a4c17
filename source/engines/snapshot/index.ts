import type {DetectedEnvironment} from '../../core/detect/types.ts';
import {missingPrivileges, unknownReason} from '../facts.ts';
import {notBuiltReason, refuseNotBuilt} from '../not-built.ts';
import {availability, type BackupEngine} from '../types.ts';

const PLANNED = 'filesystem snapshot engine';

/** Every reason a filesystem snapshot of the data directory cannot be taken; empty when it can. */
export function snapshotBlockers(env: DetectedEnvironment): string[] {
	const reasons: string[] = [];
	if (env.local.known && !env.local.value) {
		return ['the server is not on this machine: a filesystem snapshot must run where the data directory is'];
	}
	const localUnknown = unknownReason('whether the server is on this machine', env.local);
	if (localUnknown) reasons.push(localUnknown);
	if (env.snapshot.known) {
		if (!env.snapshot.value.capable) reasons.push(env.snapshot.value.reason);
	} else {
		reasons.push(unknownReason('snapshot capability of the data directory', env.snapshot)!);
	}
	if (env.dbType === 'mysql') {
		const missing = missingPrivileges(env.privileges, 'snapshot');
		if (missing && missing.length > 0) reasons.push(`user lacks ${missing.join(', ')} to hold writes while the snapshot is taken`);
	}
	return reasons;
}

export const snapshotEngine: BackupEngine = {
	name: 'snapshot',
	aliases: [],
	description: 'Physical copy from a btrfs, LVM or ZFS snapshot of the data directory, taken under a brief write lock',
	dbTypes: ['mysql', 'postgres'],
	capabilities: {backup: true, restore: true, incremental: false, streaming: false, kind: 'physical'},

	checkAvailability(env) {
		const reasons = snapshotBlockers(env);
		if (reasons.length === 0) reasons.push(notBuiltReason('snapshot', PLANNED));
		const info: Record<string, string> = {};
		if (env.snapshot.known) {
			info.snapshot = env.snapshot.value.capable ? `${env.snapshot.value.backend} ${env.snapshot.value.target ?? ''}`.trim() : 'no';
		}
		if (env.filesystem.known) info.filesystem = env.filesystem.value.fsType;
		return availability(reasons, [], info);
	},

	async backup() {
		refuseNotBuilt('snapshot', PLANNED);
	},

	async restore() {
		refuseNotBuilt('snapshot', PLANNED);
	},
};
