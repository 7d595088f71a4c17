import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import type {ServerVersion as CoreServerVersion} from '../../core/detect/types.ts';
import {parseMysqlVersion} from '../../core/detect/version.ts';

/** The server's version, and whether it is MariaDB (whose version numbers mean other features). */
export interface ServerVersion extends CoreServerVersion {
	mariadb: boolean;
}

export function parseServerVersion(text: string): ServerVersion {
	const version = parseMysqlVersion(text) ?? {text, major: 0, minor: 0, patch: 0};
	return {...version, text, mariadb: /mariadb/i.test(text)};
}

export {atLeast} from '../../core/detect/version.ts';

export async function readServerVersion(connection: MysqlConnection): Promise<ServerVersion> {
	const [rows] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS version');
	return parseServerVersion(String(rows[0].version));
}
