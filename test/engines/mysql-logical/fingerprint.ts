/** What must be equal between a database and its restored copy: every object's definition and every row. */
import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import {open} from 'node:fs/promises';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {getTestServers} from '../../harness/servers.ts';

const q = (name: string) => '`' + name.replaceAll('`', '``') + '`';

type Row = RowDataPacket & Record<string, unknown>;

async function all(connection: Connection, sql: string, values: unknown[] = []): Promise<Row[]> {
	const [rows] = await connection.query<Row[]>(sql, values);
	return rows;
}

/** SHOW CREATE rows minus the creation time, which a re-created object cannot keep. */
function definition(row: Row): Record<string, unknown> {
	const {Created: _created, ...rest} = row;
	return rest;
}

/** sha256 over every row's columns (invisible ones included), each as the hex of its exact text. */
async function rowsHash(connection: Connection, database: string, table: string): Promise<{rows: number; sha256: string}> {
	const columns = await all(
		connection,
		'SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
		[database, table],
	);
	const parts = columns.map((column) => {
		const expression = column.type === 'float' ? `CAST(${q(String(column.name))} AS DOUBLE)` : q(String(column.name));
		return `COALESCE(HEX(CONCAT(${expression})), 'NULL')`;
	});
	const rows = await all(connection, `SELECT SHA2(CONCAT_WS('|', ${parts.join(', ')}), 256) AS h FROM ${q(database)}.${q(table)}`);
	const hashes = rows.map((row) => String(row.h)).sort();
	return {rows: hashes.length, sha256: createHash('sha256').update(hashes.join(',')).digest('hex')};
}

export async function fingerprint(connection: Connection, database: string): Promise<Record<string, unknown>> {
	await connection.query("SET NAMES utf8mb4, time_zone = '+00:00'");
	// SHOW CREATE VIEW output depends on the current database
	await connection.query(`USE ${q(database)}`);
	const result: Record<string, unknown> = {};
	result.database = definition((await all(connection, `SHOW CREATE DATABASE ${q(database)}`))[0]);
	const tables = await all(
		connection,
		'SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
		[database],
	);
	for (const table of tables) {
		const name = String(table.name);
		const qualified = `${q(database)}.${q(name)}`;
		if (table.type === 'VIEW') {
			result[`view ${name}`] = definition((await all(connection, `SHOW CREATE VIEW ${qualified}`))[0]);
			continue;
		}
		result[`table ${name}`] = definition((await all(connection, `SHOW CREATE TABLE ${qualified}`))[0]);
		// MariaDB's CHECKSUM TABLE reads VIRTUAL columns uncomputed, so it varies run to run on such a
		// table (seen on 10.11: the same rows gave different sums); the row hash covers those tables
		const [{virtuals}] = await all(
			connection,
			"SELECT COUNT(*) AS virtuals FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND EXTRA LIKE 'VIRTUAL%'",
			[database, name],
		);
		if (Number(virtuals) === 0) result[`checksum ${name}`] = (await all(connection, `CHECKSUM TABLE ${qualified}`))[0].Checksum;
		result[`rows ${name}`] = await rowsHash(connection, database, name);
	}
	const routines = await all(connection, 'SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 1, 2', [database]);
	for (const routine of routines) {
		result[`${routine.type} ${routine.name}`] = definition((await all(connection, `SHOW CREATE ${routine.type} ${q(database)}.${q(String(routine.name))}`))[0]);
	}
	const triggers = await all(connection, 'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1', [database]);
	for (const trigger of triggers) {
		result[`trigger ${trigger.name}`] = definition((await all(connection, `SHOW CREATE TRIGGER ${q(database)}.${q(String(trigger.name))}`))[0]);
	}
	const events = await all(connection, 'SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1', [database]);
	for (const event of events) {
		result[`event ${event.name}`] = definition((await all(connection, `SHOW CREATE EVENT ${q(database)}.${q(String(event.name))}`))[0]);
	}
	return result;
}

/** Runs a script with the stock `mariadb` client over TCP; the password goes through MYSQL_PWD, never argv. */
export async function runWithMariadbClient(script: string): Promise<void> {
	const {mariadb} = getTestServers();
	const input = await open(script, 'r');
	try {
		await new Promise<void>((resolve, reject) => {
			const child = spawn(
				'mariadb',
				['--no-defaults', '-h', mariadb.host, '-P', String(mariadb.port), '-u', mariadb.user, '--default-character-set=utf8mb4', '--batch'],
				{stdio: [input.fd, 'ignore', 'pipe'], env: {...process.env, MYSQL_PWD: mariadb.password}},
			);
			let stderr = '';
			child.stderr?.on('data', (data) => (stderr += String(data)));
			child.on('error', reject);
			child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mariadb client exited ${code}: ${stderr}`))));
		});
	} finally {
		await input.close();
	}
}
