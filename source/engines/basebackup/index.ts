import type {DetectedEnvironment} from '../../core/detect/types.ts';
import type {EventBus} from '../../core/events.ts';
import {missingPrivileges, unknownReason} from '../facts.ts';
import {availability, type BackupEngine, type BackupOptions, type BackupResult, type RestoreOptions, type RestoreResult} from '../types.ts';
import {describeBaseBackupCoordinates} from './coordinates.ts';

/** PostgreSQL 15 sends a base backup in one CopyOut of typed messages; before 15 it is one CopyOut per tablespace, which this engine does not speak. */
export const BASEBACKUP_MIN_MAJOR = 15;

/** Every reason this server cannot give a base backup now; empty when it can. */
export function basebackupBlockers(env: DetectedEnvironment): string[] {
	if (env.dbType !== 'postgres') return ['basebackup copies PostgreSQL clusters; this server is MySQL/MariaDB'];
	const reasons: string[] = [];
	if (env.version.known) {
		if (env.version.value.major < BASEBACKUP_MIN_MAJOR) {
			reasons.push(`PostgreSQL ${env.version.value.text} is older than 15: this version of dbbackup speaks PostgreSQL 15's BASE_BACKUP only (older servers send one COPY per tablespace, which is not built)`);
		}
	} else {
		reasons.push(unknownReason('the server version', env.version)!);
	}
	const missing = missingPrivileges(env.privileges, 'basebackup');
	if (missing === undefined) reasons.push(unknownReason('the role\'s attributes', env.privileges)!);
	else if (missing.length > 0) reasons.push(`role ${env.connection.user} lacks ${missing.join(', ')}`);
	if (env.walLevel.known && env.walLevel.value === 'minimal') {
		reasons.push('wal_level is minimal: the server runs no WAL senders (set wal_level = replica and restart)');
	}
	const senders = env.walSenders;
	if (senders?.known) {
		if (senders.value.max === 0) reasons.push('max_wal_senders is 0: the server takes no replication connection (raise it and restart)');
		else if (senders.value.used >= senders.value.max) reasons.push(`no free WAL sender: ${senders.value.used} of max_wal_senders ${senders.value.max} are in use (raise it, or wait for one to end)`);
	}
	return reasons;
}

// The backup and restore code loads when a command runs them.
export const basebackupEngine: BackupEngine = {
	name: 'basebackup',
	aliases: [],
	description: 'Native PostgreSQL base backup over the replication protocol: the whole cluster, its tablespaces and the WAL it needs (no pg_basebackup binary); restores into a data directory',
	dbTypes: ['postgres'],
	capabilities: {backup: true, restore: true, incremental: false, streaming: true, kind: 'physical'},
	restoreTarget: 'data-directory',
	selection: {
		order: 10,
		fallback: true,
		judge(env, context, state) {
			if (env.dbType !== 'postgres') return {reasons: [], prefer: false};
			const version = env.version.known ? env.version.value.text : 'of unknown version';
			const blocked = basebackupBlockers(env);
			const named = context.databases ?? [];
			const reasons = [
				`Server is PostgreSQL ${version}.`,
				blocked.length === 0
					? 'The role may replicate and a WAL sender is free: basebackup can copy the cluster physically (its files, tablespaces and WAL).'
					: `A base backup cannot be taken: ${blocked.join('; ')}.`,
			];
			if (state.wantPhysical && blocked.length === 0 && named.length > 0) {
				reasons.push(`Databases were named (${named.join(', ')}): a base backup copies the whole cluster, so a logical dump of them it is.`);
			}
			return {reasons, prefer: state.wantPhysical && state.preferred === undefined && blocked.length === 0 && named.length === 0};
		},
	},

	describeCoordinates: describeBaseBackupCoordinates,

	checkAvailability(env) {
		const warnings: string[] = [];
		if (env.dbType === 'postgres') {
			if (env.walSenders && !env.walSenders.known) warnings.push(`free WAL senders could not be counted (${env.walSenders.reason})`);
		}
		const info: Record<string, string> = {};
		if (env.dbType === 'postgres') {
			info.version = env.version.known ? env.version.value.text : 'unknown';
			info.wal_level = env.walLevel.known ? env.walLevel.value : 'unknown';
			if (env.walSenders?.known) info.wal_senders = `${env.walSenders.value.used} of ${env.walSenders.value.max} in use`;
		}
		return availability(basebackupBlockers(env), warnings, info);
	},

	async backup(options: BackupOptions, bus: EventBus): Promise<BackupResult> {
		const {runBaseBackup} = await import('./backup.ts');
		return runBaseBackup(options, bus);
	},

	async restore(options: RestoreOptions, bus: EventBus): Promise<RestoreResult> {
		const {restoreDataDirectory} = await import('./restore.ts');
		return restoreDataDirectory(options, bus);
	},
};
