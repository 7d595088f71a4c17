import type {DetectedEnvironment} from '../../core/detect/types.ts';
import {missingPrivileges} from '../facts.ts';
import {notBuiltReason, refuseNotBuilt} from '../not-built.ts';
import {availability, type BackupEngine} from '../types.ts';

const PLANNED = 'PostgreSQL native logical engine';

export const postgresLogicalEngine: BackupEngine = {
	name: 'postgres-logical',
	aliases: ['pgdump', 'logical'],
	description: 'Native logical dump over the PostgreSQL protocol: exported snapshot, parallel COPY, full DDL (no pg_dump binary)',
	dbTypes: ['postgres'],
	capabilities: {backup: true, restore: true, incremental: false, streaming: true, kind: 'logical'},

	checkAvailability(env: DetectedEnvironment) {
		if (env.dbType !== 'postgres') {
			return availability(['postgres-logical backs up PostgreSQL servers; this server is MySQL/MariaDB']);
		}
		const warnings: string[] = [];
		const missing = missingPrivileges(env.privileges, 'postgres-logical');
		if (missing === undefined) warnings.push('privileges could not be read; tables the role cannot SELECT would fail the dump');
		else if (missing.length > 0) warnings.push(`role lacks ${missing.join(', ')}: those tables would fail the dump`);
		return availability([notBuiltReason('postgres-logical', PLANNED)], warnings);
	},

	async backup() {
		refuseNotBuilt('postgres-logical', PLANNED);
	},

	async restore() {
		refuseNotBuilt('postgres-logical', PLANNED);
	},
};
