import type {MysqlFlavor, ServerVersion} from './types.ts';

/**
 * "10.11.6-MariaDB-0+deb12u1", "8.0.36", "8.0.36-28" (Percona), "5.5.5-10.11.6-MariaDB" (MariaDB's
 * replication-compatibility prefix, seen in handshakes) → numbers; undefined when no x.y[.z] is found.
 */
export function parseMysqlVersion(text: string): ServerVersion | undefined {
	const trimmed = text.trim();
	const withoutPrefix = /^5\.5\.5-\d+\.\d+/.test(trimmed) && /mariadb/i.test(trimmed) ? trimmed.slice('5.5.5-'.length) : trimmed;
	const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(withoutPrefix);
	if (!match) return undefined;
	return {text: trimmed, major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0)};
}

/** MariaDB says so in @@version (or its comment); Percona Server only in @@version_comment. */
export function mysqlFlavor(version: string, versionComment: string | undefined): MysqlFlavor {
	if (/mariadb/i.test(version) || /mariadb/i.test(versionComment ?? '')) return 'mariadb';
	if (/percona/i.test(versionComment ?? '')) return 'percona';
	return 'mysql';
}

/**
 * server_version_num: from PostgreSQL 10 on major * 10000 + minor (150018 → 15.18), before that
 * major * 10000 + minor * 100 + patch (90624 → 9.6.24). The text is the server_version setting.
 */
export function parsePostgresVersion(versionNum: number, versionText: string): ServerVersion {
	const text = versionText.trim();
	if (versionNum >= 100000) return {text, major: Math.floor(versionNum / 10000), minor: versionNum % 10000, patch: 0};
	return {text, major: Math.floor(versionNum / 10000), minor: Math.floor(versionNum / 100) % 100, patch: versionNum % 100};
}

export function atLeast(version: ServerVersion, major: number, minor = 0, patch = 0): boolean {
	if (version.major !== major) return version.major > major;
	if (version.minor !== minor) return version.minor > minor;
	return version.patch >= patch;
}
