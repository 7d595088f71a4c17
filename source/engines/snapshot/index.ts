import type {DetectedEnvironment} from '../../core/detect/types.ts';
import {describeRecordedCoordinates, missingPrivileges, unknownReason} from '../facts.ts';
import {availability, type BackupEngine, type BackupOptions, type BackupResult, type RestoreOptions, type RestoreResult} from '../types.ts';
import type {EventBus} from '../../core/events.ts';

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
	capabilities: {backup: true, restore: true, incremental: false, streaming: true, kind: 'physical'},
	restoreTarget: 'data-directory',
	selection: {
		order: 20,
		fallback: true,
		// on PostgreSQL it also speaks for the server: a snapshot is its only physical copy here
		judge(env, _context, state) {
			const blocked = snapshotBlockers(env);
			const reasons: string[] = [];
			if (env.dbType === 'postgres') {
				reasons.push(`Server is PostgreSQL ${env.version.known ? env.version.value.text : 'unknown version'}: physical copies come from a filesystem snapshot (no clone plugin).`);
			}
			reasons.push(
				blocked.length === 0
					? `The data directory can be snapshotted (${env.snapshot.known && env.snapshot.value.capable ? `${env.snapshot.value.backend} ${env.snapshot.value.target ?? ''}`.trim() : 'snapshot'}).`
					: `No filesystem snapshot: ${blocked.join('; ')}.`,
			);
			return {reasons, prefer: state.wantPhysical && state.preferred === undefined && blocked.length === 0};
		},
	},

	describeCoordinates: describeRecordedCoordinates,

	checkAvailability(env) {
		const reasons = snapshotBlockers(env);
		const info: Record<string, string> = {};
		if (env.snapshot.known) {
			info.snapshot = env.snapshot.value.capable ? `${env.snapshot.value.backend} ${env.snapshot.value.target ?? ''}`.trim() : 'no';
		}
		if (env.filesystem.known) info.filesystem = env.filesystem.value.fsType;
		return availability(reasons, [], info);
	},

	// the backup and restore code loads when a command runs them
	async backup(options: BackupOptions, bus: EventBus): Promise<BackupResult> {
		const {runSnapshotBackup} = await import('./backup.ts');
		return runSnapshotBackup(options, bus);
	},

	async restore(options: RestoreOptions, bus: EventBus): Promise<RestoreResult> {
		const {restoreSnapshot} = await import('./restore.ts');
		return restoreSnapshot(options, bus);
	},
};
