/** Which replication protocol and event dialect a server speaks: MariaDB's or MySQL's (Percona's is MySQL's). */
export type BinlogFlavor = 'mariadb' | 'mysql';

/** The flavor a version string (and, for MySQL-compatible builds, its comment) says. */
export function binlogFlavorOf(versionText: string): BinlogFlavor {
	return /mariadb/i.test(versionText) ? 'mariadb' : 'mysql';
}
