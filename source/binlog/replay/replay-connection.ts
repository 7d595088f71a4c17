import mysql, {type RowDataPacket} from 'mysql2/promise';
import {connectionFailure} from '../../core/connect.ts';
import type {ConnectionSettings} from '../../core/connection-settings.ts';
import {WorkError} from '../../core/errors.ts';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * One connection for the replay, in the `binary` character set: the driver then writes each character
 * of a query as one byte (see binary-text.ts), which is what lets statements go out byte for byte;
 * each statement's own character set is set with SET character_set_client before it runs.
 * multipleStatements stays off: one statement per query, as the binlog has them.
 */
export async function connectForReplay(settings: ConnectionSettings): Promise<mysql.Connection> {
	let connection: mysql.Connection;
	try {
		connection = await mysql.createConnection({
			host: settings.socket && !settings.host ? undefined : (settings.host ?? 'localhost'),
			port: settings.port ?? 3306,
			socketPath: settings.host ? undefined : settings.socket,
			user: settings.user,
			password: settings.password,
			connectTimeout: CONNECT_TIMEOUT_MS,
			charset: 'BINARY',
			supportBigNumbers: true,
			bigNumberStrings: true,
			dateStrings: true,
			multipleStatements: false,
		});
	} catch (error) {
		throw connectionFailure(settings, error);
	}
	try {
		await keepBinary(connection);
		return connection;
	} catch (error) {
		await connection.end().catch(() => connection.destroy());
		throw error;
	}
}

/**
 * mysql2 follows the server's session tracking: when it reports a new character_set_client, the driver
 * starts encoding queries in it. The replay sets character_set_client per statement, so tracking is
 * turned off for the session; a probe then checks that bytes still go out as they are.
 */
async function keepBinary(connection: mysql.Connection): Promise<void> {
	await connection.query("SET @@session.session_track_system_variables = ''").catch(() => undefined);
	await connection.query('SET @@session.character_set_client = utf8mb4');
	const probe = Buffer.from([0xc3, 0xbc]);
	const [rows] = await connection.query<RowDataPacket[]>(`SELECT HEX(_binary'${probe.toString('latin1')}') AS hex`);
	const hex = rows[0]?.hex;
	const text = Buffer.isBuffer(hex) ? hex.toString('latin1') : String(hex);
	if (text !== 'C3BC') {
		throw new WorkError({
			code: 'REPLAY_DRIVER_NOT_BINARY',
			message: `the replay connection does not send bytes as they are (a probe of C3BC arrived as ${text})`,
			hint: 'The mysql2 driver changed how it encodes queries; pin the version dbbackup was tested with.',
		});
	}
}
