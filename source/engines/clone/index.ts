import {describeFlavor} from '../../core/detect/describe.ts';
import type {DetectedEnvironment} from '../../core/detect/types.ts';
import {atLeast} from '../../core/detect/version.ts';
import type {EventBus} from '../../core/events.ts';
import {missingPrivileges, unknownReason} from '../facts.ts';
import {availability, type BackupEngine, type BackupOptions, type BackupResult, type RestoreOptions, type RestoreResult} from '../types.ts';
import {describeCloneCoordinates} from './coordinates.ts';

/** The clone plugin exists from MySQL 8.0.17 on. */
export const CLONE_MIN_VERSION = {major: 8, minor: 0, patch: 17};


/** Every reason the clone plugin cannot serve this server; empty when it can. */
export function cloneBlockers(env: DetectedEnvironment): string[] {
	if (env.dbType !== 'mysql') return ['clone is a MySQL plugin; this server is PostgreSQL'];
	const reasons: string[] = [];
	if (env.flavor.known && env.flavor.value === 'mariadb') {
		return ['MariaDB has no clone plugin (clone needs MySQL ≥ 8.0.17 or Percona Server ≥ 8.0.17)'];
	}
	const flavorUnknown = unknownReason('the server flavor', env.flavor);
	if (flavorUnknown) reasons.push(flavorUnknown);
	if (env.version.known) {
		if (!atLeast(env.version.value, CLONE_MIN_VERSION.major, CLONE_MIN_VERSION.minor, CLONE_MIN_VERSION.patch)) {
			reasons.push(`server version ${env.version.value.text} is older than 8.0.17, the first with the clone plugin`);
		}
	} else {
		reasons.push(unknownReason('the server version', env.version)!);
	}
	if (env.clonePlugin.known) {
		const state = env.clonePlugin.value;
		if (state === 'NOT_INSTALLED') reasons.push("clone plugin is not installed (INSTALL PLUGIN clone SONAME 'mysql_clone.so')");
		else if (state !== 'ACTIVE') reasons.push(`clone plugin is ${state}, not ACTIVE`);
	} else {
		reasons.push(unknownReason('the clone plugin state', env.clonePlugin)!);
	}
	const missing = missingPrivileges(env.privileges, 'clone');
	if (missing === undefined) reasons.push(unknownReason('the user\'s privileges', env.privileges)!);
	else if (missing.length > 0) reasons.push(`user lacks ${missing.join(', ')} (GRANT BACKUP_ADMIN ON *.* TO …)`);
	return reasons;
}

export const cloneEngine: BackupEngine = {
	name: 'clone',
	aliases: [],
	description: 'Physical copy through the MySQL clone plugin (local or from a remote donor)',
	dbTypes: ['mysql'],
	// the clone is written beside the datadir first; its archive then streams to any target, S3 included
	capabilities: {backup: true, restore: true, incremental: false, streaming: true, kind: 'physical'},
	restoreTarget: 'data-directory',
	selection: {
		order: 10,
		fallback: true,
		// speaks for the MySQL server's version and flavor too: clone is what they decide
		judge(env, _context, state) {
			if (env.dbType !== 'mysql') return {reasons: [], prefer: false};
			const blocked = cloneBlockers(env);
			const flavor = env.flavor.known ? env.flavor.value : undefined;
			const version = env.version.known ? env.version.value.text : 'unknown version';
			if (flavor === 'mariadb') {
				return {reasons: [`Server is MariaDB ${version}: it has no clone plugin, so a physical copy can only come from a filesystem snapshot.`], prefer: false};
			}
			return {
				reasons: [
					`Server is ${describeFlavor(flavor ?? 'mysql')} ${version}.`,
					blocked.length === 0 ? 'Clone plugin is ACTIVE and the user has BACKUP_ADMIN: clone can copy the server physically.' : `Clone cannot be used: ${blocked.join('; ')}.`,
				],
				prefer: state.wantPhysical && state.preferred === undefined && blocked.length === 0,
			};
		},
	},

	describeCoordinates: describeCloneCoordinates,

	checkAvailability(env) {
		return availability(cloneBlockers(env), [], {
			version: env.version.known ? env.version.value.text : 'unknown',
			clonePlugin: env.dbType === 'mysql' && env.clonePlugin.known ? env.clonePlugin.value : 'unknown',
			// the server writes the copy on its host and dbbackup reads it there
			runsOn: "the server's host, with room for a copy of the InnoDB data beside the datadir (or in backup.clone.data_dir)",
		});
	},

	// the backup and restore code loads when a command runs them
	async backup(options: BackupOptions, bus: EventBus): Promise<BackupResult> {
		const {runCloneBackup} = await import('./backup.ts');
		return runCloneBackup(options, bus);
	},

	async restore(options: RestoreOptions, bus: EventBus): Promise<RestoreResult> {
		const {restoreMysqlDataDirectory} = await import('../physical/mysql-datadir.ts');
		return restoreMysqlDataDirectory(options, bus);
	},
};
