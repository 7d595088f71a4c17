import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';

export interface ServerVersion {
	mariadb: boolean;
	major: number;
	minor: number;
	patch: number;
	/** as SELECT VERSION() gives it */
	text: string;
}

export function parseServerVersion(text: string): ServerVersion {
	const match = /^(\d+)\.(\d+)\.(\d+)/.exec(text);
	const [major, minor, patch] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
	return {mariadb: /mariadb/i.test(text), major, minor, patch, text};
}

/** true when the server's version is at least major.minor */
export function atLeast(version: ServerVersion, major: number, minor: number): boolean {
	return version.major > major || (version.major === major && version.minor >= minor);
}

export async function readServerVersion(connection: MysqlConnection): Promise<ServerVersion> {
	const [rows] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS version');
	return parseServerVersion(String(rows[0].version));
}
