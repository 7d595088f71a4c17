import {REDACTED} from '../redact.ts';
import {atLeast} from './version.ts';
import type {MysqlFlavor, PrivilegeInfo, ServerVersion} from './types.ts';

export interface ParsedGrant {
	privileges: string[];
	/** "*.*", "`db`.*", "`db`.`table`", "PROCEDURE `db`.`p`"... */
	object: string;
	global: boolean;
}

/** One line of SHOW GRANTS; undefined for role grants ("GRANT `r`@`%` TO ...") and other lines without ON. */
export function parseGrant(line: string): ParsedGrant | undefined {
	const match = /^GRANT\s+(.+?)\s+ON\s+(.+?)\s+TO\s+/is.exec(line.trim());
	if (!match) return undefined;
	const object = match[2].trim();
	const privileges = splitPrivileges(match[1]).map(normalizePrivilege);
	if (/\bWITH\b.*\bGRANT\s+OPTION\b/i.test(line)) privileges.push('GRANT OPTION');
	return {privileges, object, global: object === '*.*'};
}

/** "SELECT (`a`, `b`), INSERT" → ["SELECT", "INSERT"]: commas inside column lists do not separate privileges. */
function splitPrivileges(list: string): string[] {
	const parts: string[] = [];
	let depth = 0;
	let current = '';
	for (const char of list) {
		if (char === '(') depth++;
		if (char === ')') depth--;
		if (char === ',' && depth === 0) {
			parts.push(current);
			current = '';
		} else if (depth === 0 && char !== ')') {
			current += char;
		}
	}
	parts.push(current);
	return parts.map((part) => part.trim()).filter(Boolean);
}

function normalizePrivilege(privilege: string): string {
	const upper = privilege.replace(/\s+/g, ' ').trim().toUpperCase();
	return upper === 'ALL' ? 'ALL PRIVILEGES' : upper;
}

/** Grant lines of MariaDB can carry the account's password hash; it never leaves detection. */
export function hidePasswordHashes(line: string): string {
	return line.replace(
		/(IDENTIFIED\s+(?:BY\s+PASSWORD|VIA\s+\S+\s+USING|WITH\s+\S+\s+(?:AS|BY)))\s+'(?:[^'\\]|\\.)*'/gi,
		`$1 '${REDACTED}'`,
	);
}

interface Requirement {
	/** the name reported as missing */
	name: string;
	/** any of these, held globally, satisfies it */
	satisfiedBy: string[];
}

/** Privileges that exist only in some servers: ALL PRIVILEGES cannot include one the server does not have. */
function privilegeExists(privilege: string, flavor: MysqlFlavor, version: ServerVersion | undefined): boolean {
	if (privilege === 'BACKUP_ADMIN') return flavor !== 'mariadb' && (!version || version.major >= 8);
	if (privilege === 'BINLOG MONITOR') return flavor === 'mariadb';
	return true;
}

function requirement(name: string, ...alternatives: string[]): Requirement {
	return {name, satisfiedBy: [name, ...alternatives]};
}

/**
 * The snapshot engine (engines/snapshot/mysql.ts), statement by statement, as the servers check them:
 * - both: PROCESS for the tablespace files the scope check reads (information_schema.FILES and
 *   INNODB_DATAFILES on MySQL, INNODB_SYS_TABLESPACES on MariaDB: "Access denied; you need PROCESS");
 * - MySQL: BACKUP_ADMIN for LOCK INSTANCE FOR BACKUP and performance_schema.log_status, which also needs
 *   SELECT; RELOAD (or MySQL 8's FLUSH_TABLES) for FLUSH TABLES WITH READ LOCK; SELECT as well so that
 *   information_schema.TABLES shows every table (a MyISAM table the user cannot see would not be held);
 * - MariaDB: RELOAD for BACKUP STAGE; the coordinates' privilege for SHOW MASTER STATUS (BINLOG MONITOR);
 *   SELECT or SHOW DATABASES to list the databases the manifest records.
 */
function snapshotRequirements(flavor: MysqlFlavor, version: ServerVersion | undefined, coordinates: Requirement): Requirement[] {
	if (flavor === 'mariadb') return [requirement('SELECT', 'SHOW DATABASES'), requirement('RELOAD'), requirement('PROCESS'), coordinates];
	// before 8.0 there is no LOCK INSTANCE FOR BACKUP (and no BACKUP_ADMIN): the engine refuses such a server by its version
	const backupAdmin = !version || version.major >= 8 ? [requirement('BACKUP_ADMIN')] : [];
	return [requirement('SELECT'), requirement('RELOAD', 'FLUSH_TABLES'), requirement('PROCESS'), ...backupAdmin];
}

/** What each engine needs, in the names this server uses. */
export function mysqlEngineRequirements(flavor: MysqlFlavor, version: ServerVersion | undefined): Record<string, Requirement[]> {
	// SHOW MASTER STATUS (coordinates): MariaDB ≥ 10.5.2 checks BINLOG MONITOR, of which REPLICATION CLIENT is now an alias.
	const coordinates =
		flavor === 'mariadb' && (!version || atLeast(version, 10, 5, 2))
			? requirement('BINLOG MONITOR', 'REPLICATION CLIENT', 'SUPER')
			: requirement('REPLICATION CLIENT', 'SUPER');
	const logical = [
		requirement('SELECT'),
		requirement('SHOW VIEW'),
		requirement('TRIGGER'),
		requirement('EVENT'),
		requirement('LOCK TABLES'),
		// BACKUP STAGE (MariaDB) and FLUSH TABLES WITH READ LOCK both need RELOAD
		requirement('RELOAD'),
		coordinates,
	];
	return {
		mysqldump: logical,
		// MariaDB has no clone plugin: no privilege makes clone possible there, so none is reported missing
		...(flavor === 'mariadb' ? {} : {clone: [requirement('BACKUP_ADMIN')]}),
		snapshot: snapshotRequirements(flavor, version, coordinates),
	};
}

/** SHOW GRANTS lines → held privileges and, per engine, what is missing. Only grants on *.* count for global privileges. */
export function evaluateMysqlGrants(lines: string[], flavor: MysqlFlavor, version: ServerVersion | undefined): PrivilegeInfo {
	const global = new Set<string>();
	const scoped: string[] = [];
	for (const line of lines) {
		const grant = parseGrant(line);
		if (!grant) continue;
		for (const privilege of grant.privileges) {
			if (privilege === 'USAGE') continue;
			if (grant.global) global.add(privilege);
			else scoped.push(`${privilege} ON ${grant.object}`);
		}
	}
	const hasAll = global.has('ALL PRIVILEGES');
	const perEngine: PrivilegeInfo['perEngine'] = {};
	for (const [engine, requirements] of Object.entries(mysqlEngineRequirements(flavor, version))) {
		const missing = requirements
			.filter(
				(req) =>
					!req.satisfiedBy.some((name) => global.has(name)) && !(hasAll && privilegeExists(req.name, flavor, version)),
			)
			.map((req) => req.name);
		perEngine[engine] = {ok: missing.length === 0, missing};
	}
	return {grants: lines.map(hidePasswordHashes), held: [...global, ...new Set(scoped)], perEngine};
}
