import type {PrivilegeInfo} from './types.ts';

/** What the role is, as read from pg_roles and the catalogs of the current database. */
export interface PostgresRoleFacts {
	role: string;
	superuser: boolean;
	replication: boolean;
	createdb: boolean;
	bypassRls: boolean;
	/** predefined roles whose privileges this role has (pg_has_role ... 'USAGE') */
	memberOf: string[];
	/** databases (not templates, connections allowed) this role may not CONNECT to */
	noConnect: string[];
	/** tables and sequences of the current database this role cannot read (schema USAGE + SELECT), "schema.name" */
	unreadable: string[];
	/** tables with row-level security enabled that this role neither owns nor bypasses */
	rowSecured: string[];
	database: string;
	/** EXECUTE on pg_backup_start (pg_start_backup before 15) */
	canStartBackup: boolean;
	backupFunction: string;
}

const EXAMPLES = 3;

function sample(names: string[]): string {
	const shown = names.slice(0, EXAMPLES).join(', ');
	return names.length > EXAMPLES ? `${shown}, …` : shown;
}

function plural(count: number, one: string, many: string): string {
	return `${count} ${count === 1 ? one : many}`;
}

export function evaluatePostgresRole(facts: PostgresRoleFacts): PrivilegeInfo {
	const attributes = [
		facts.superuser && 'SUPERUSER',
		facts.replication && 'REPLICATION',
		facts.createdb && 'CREATEDB',
		facts.bypassRls && 'BYPASSRLS',
	].filter((item): item is string => typeof item === 'string');
	const grants = [`role ${facts.role}: ${attributes.length > 0 ? attributes.join(', ') : 'no special attributes'}`];
	for (const role of facts.memberOf) grants.push(`has the privileges of ${role}`);

	const logicalMissing: string[] = [];
	if (facts.noConnect.length > 0) logicalMissing.push(`CONNECT on ${plural(facts.noConnect.length, 'database', 'databases')}: ${sample(facts.noConnect)}`);
	if (!facts.superuser) {
		if (!facts.memberOf.includes('pg_read_all_data') && facts.unreadable.length > 0) {
			logicalMissing.push(
				`SELECT on ${plural(facts.unreadable.length, 'table', 'tables')} in database ${facts.database} (${sample(facts.unreadable)}); grant pg_read_all_data or SELECT`,
			);
		}
		// pg_read_all_data does not bypass row-level security: rows hidden by a policy would be missing from the dump
		if (!facts.bypassRls && facts.rowSecured.length > 0) {
			logicalMissing.push(
				`BYPASSRLS (or ownership) for ${plural(facts.rowSecured.length, 'table', 'tables')} with row-level security in database ${facts.database} (${sample(facts.rowSecured)})`,
			);
		}
	}
	const snapshotMissing = facts.superuser || facts.canStartBackup ? [] : [`EXECUTE on ${facts.backupFunction} (or SUPERUSER)`];
	const basebackupMissing = facts.superuser || facts.replication ? [] : [`the REPLICATION attribute (ALTER ROLE ${facts.role} REPLICATION) or SUPERUSER`];
	return {
		grants,
		held: [...attributes, ...facts.memberOf],
		perEngine: {
			'postgres-logical': {ok: logicalMissing.length === 0, missing: logicalMissing},
			snapshot: {ok: snapshotMissing.length === 0, missing: snapshotMissing},
			basebackup: {ok: basebackupMissing.length === 0, missing: basebackupMissing},
		},
	};
}
