/**
 * What a clone copies and what it does not: the user databases (for the manifest), and tables of other
 * engines than InnoDB that hold rows — the clone plugin copies InnoDB data only, so MyISAM, CSV, MEMORY
 * and ARCHIVE tables arrive empty.
 */
import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';

const SYSTEM_SCHEMAS = "('mysql', 'sys', 'performance_schema', 'information_schema')";

export async function userDatabases(connection: MysqlConnection): Promise<string[]> {
	const [rows] = await connection.query<RowDataPacket[]>(`SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ${SYSTEM_SCHEMAS} ORDER BY SCHEMA_NAME`);
	return rows.map((row) => String(row.name));
}

function quoteIdentifier(name: string): string {
	return `\`${name.replace(/`/g, '``')}\``;
}

export interface NotCloned {
	/** `db`.`table` (ENGINE) of every non-InnoDB base table with at least one row */
	withRows: string[];
	/**
	 * non-InnoDB tables in a database whose name holds a backtick: MySQL 9.7.4 was seen to stop with "Data
	 * Dictionary initialization failed" when started on a clone holding one
	 */
	unstartable: string[];
}

export async function nonInnodbTables(connection: MysqlConnection): Promise<NotCloned> {
	const [tables] = await connection.query<RowDataPacket[]>(
		`SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND ENGINE IS NOT NULL AND ENGINE NOT IN ('InnoDB', 'BLACKHOLE') AND TABLE_SCHEMA NOT IN ${SYSTEM_SCHEMAS} ORDER BY TABLE_SCHEMA, TABLE_NAME`,
	);
	const found: string[] = [];
	const unstartable: string[] = [];
	for (const table of tables) {
		const qualified = `${quoteIdentifier(String(table.db))}.${quoteIdentifier(String(table.name))}`;
		if (String(table.db).includes('`')) unstartable.push(`${qualified} (${String(table.engine)})`);
		try {
			const [rows] = await connection.query<RowDataPacket[]>(`SELECT 1 FROM ${qualified} LIMIT 1`);
			if (rows.length > 0) found.push(`${qualified} (${String(table.engine)})`);
		} catch {
			// a table this user may not read: it is named all the same, its rows unknown
			found.push(`${qualified} (${String(table.engine)}, rows unknown)`);
		}
	}
	return {withRows: found, unstartable};
}
