import type {RowDataPacket} from 'mysql2/promise';
import {connectMysql} from '../../core/connect.ts';
import type {ConnectionSettings} from '../../core/connection-settings.ts';
import type {DatabaseSummary} from '../types.ts';
import {SYSTEM_DATABASES} from './catalog.ts';

/** The user databases of a MySQL/MariaDB server with their size, largest first. */
export async function listMysqlDatabases(settings: ConnectionSettings): Promise<DatabaseSummary[]> {
	const connection = await connectMysql(settings);
	try {
		const [rows] = await connection.query<RowDataPacket[]>(
			`SELECT s.SCHEMA_NAME AS name, COUNT(t.TABLE_NAME) AS tables, COALESCE(SUM(t.DATA_LENGTH + t.INDEX_LENGTH), 0) AS bytes
			FROM information_schema.SCHEMATA s LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME
			GROUP BY s.SCHEMA_NAME ORDER BY bytes DESC, name`,
		);
		return rows
			.map((row) => ({name: String(row.name), tables: Number(row.tables), bytes: Number(row.bytes)}))
			.filter((database) => !SYSTEM_DATABASES.has(database.name.toLowerCase()));
	} finally {
		await connection.end().catch(() => undefined);
	}
}
