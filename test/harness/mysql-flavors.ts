/**
 * The harness's two MySQL-protocol servers, MariaDB 10.11 and MySQL 9, for tests that prove a code path
 * on both: `for (const flavor of mysqlFlavors()) describe(`… on ${flavor.label}`, …)`. MariaDB stays the
 * suite's default server; run a test on both only where MySQL takes another path (locks, GTIDs, auth,
 * binlog events), not everywhere.
 */
import type {Connection} from 'mysql2/promise';
import type {ConnectionSettings} from '../../source/core/connection-settings.ts';
import {mariadbConnection, mariadbSettings, mysqlConnection, mysqlSettings, type MariadbConnectionOptions} from './db.ts';
import {getTestServers, type TestMariadb, type TestMysql} from './servers.ts';

export type MysqlFlavorName = 'mariadb' | 'mysql';

export interface MysqlFlavor {
	name: MysqlFlavorName;
	/** for test names: "MariaDB 10.11", "MySQL 9.7" */
	label: string;
	server: TestMariadb | TestMysql;
	connection(options?: MariadbConnectionOptions): Promise<Connection>;
	settings(): ConnectionSettings;
	/**
	 * A derived table `(…) AS <alias>` with one column `seq` holding 1…count: MariaDB's Sequence engine
	 * (seq_1_to_N), a recursive CTE on MySQL (give the session a cte_max_recursion_depth ≥ count).
	 */
	numbers(count: number, alias?: string): string;
}

function majorMinor(version: string): string {
	return /^\d+\.\d+/.exec(version)?.[0] ?? version;
}

export function mariadbFlavor(): MysqlFlavor {
	const {mariadb} = getTestServers();
	return {
		name: 'mariadb',
		label: `MariaDB ${majorMinor(mariadb.version)}`,
		server: mariadb,
		connection: mariadbConnection,
		settings: mariadbSettings,
		numbers: (count, alias = 'numbers') => `(SELECT seq FROM seq_1_to_${count}) AS ${alias}`,
	};
}

export function mysqlFlavor(): MysqlFlavor {
	const {mysql} = getTestServers();
	return {
		name: 'mysql',
		label: `MySQL ${majorMinor(mysql.version)}`,
		server: mysql,
		connection: mysqlConnection,
		settings: mysqlSettings,
		numbers: (count, alias = 'numbers') => `(WITH RECURSIVE s (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < ${count}) SELECT seq FROM s) AS ${alias}`,
	};
}

/**
 * MariaDB first (the default), then MySQL. DBBACKUP_TEST_FLAVORS=mysql (or mariadb) keeps one of them,
 * to iterate on one server's failures.
 */
export function mysqlFlavors(): MysqlFlavor[] {
	const only = process.env.DBBACKUP_TEST_FLAVORS?.split(',').map((name) => name.trim());
	return [mariadbFlavor(), mysqlFlavor()].filter((flavor) => !only || only.includes(flavor.name));
}
