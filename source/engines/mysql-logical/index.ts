import type {DetectedEnvironment} from '../../core/detect/types.ts';
import {missingPrivileges} from '../facts.ts';
import {notBuiltReason, refuseNotBuilt} from '../not-built.ts';
import {availability, type BackupEngine} from '../types.ts';

const PLANNED = 'MySQL/MariaDB native logical engine';

/** Privileges without which a consistent dump cannot run at all (the rest only degrade it). */
const REQUIRED = new Set(['SELECT']);

export const mysqlLogicalEngine: BackupEngine = {
	name: 'mysqldump',
	aliases: ['logical'],
	description: 'Native logical dump over the MySQL protocol: consistent, parallel, chunked (no mysqldump binary)',
	dbTypes: ['mysql'],
	capabilities: {backup: true, restore: true, incremental: false, streaming: true, kind: 'logical'},

	checkAvailability(env: DetectedEnvironment) {
		if (env.dbType !== 'mysql') {
			return availability([`mysqldump backs up MySQL/MariaDB servers; this server is PostgreSQL`]);
		}
		const reasons: string[] = [];
		const warnings: string[] = [];
		const missing = missingPrivileges(env.privileges, 'mysqldump');
		if (missing === undefined) {
			warnings.push('privileges could not be read; the dump may fail on objects the user cannot see');
		} else {
			const required = missing.filter((privilege) => REQUIRED.has(privilege));
			const optional = missing.filter((privilege) => !REQUIRED.has(privilege));
			if (required.length > 0) reasons.push(`user lacks ${required.join(', ')} on *.*`);
			if (optional.length > 0) {
				warnings.push(
					`user lacks ${optional.join(', ')}: without RELOAD/LOCK TABLES use --no-lock (coordinates are then checked before and after), without SHOW VIEW/TRIGGER/EVENT those objects are left out`,
				);
			}
		}
		reasons.push(notBuiltReason('mysqldump', PLANNED));
		return availability(reasons, warnings, {flavor: env.flavor.known ? env.flavor.value : 'unknown'});
	},

	async backup() {
		refuseNotBuilt('mysqldump', PLANNED);
	},

	async restore() {
		refuseNotBuilt('mysqldump', PLANNED);
	},
};
