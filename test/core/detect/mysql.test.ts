import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {realpath} from 'node:fs/promises';
import path from 'node:path';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import {detectMysql} from '../../../source/core/detect/mysql.ts';
import type {ConnectionSummary} from '../../../source/core/detect/types.ts';
import {getTestServers} from '../../harness/servers.ts';

const servers = getTestServers();
const maria = servers.mariadb;
const SCRATCH = `detect_probe_${process.pid}`;
const ROWS = 2000;
const ROW_BYTES = 200;

function summary(user: string, target = `${maria.host}:${maria.port}`): ConnectionSummary {
	return {dbType: 'mysql', target, user};
}

async function one(conn: Connection, sql: string): Promise<RowDataPacket> {
	const [rows] = await conn.query<RowDataPacket[]>(sql);
	return rows[0];
}

/** "0-1-12,1-1-3" → {"0": 12, "1": 3}: the sequence number per replication domain. */
function gtidSequences(position: string): Map<string, number> {
	const map = new Map<string, number>();
	for (const gtid of position.split(',').filter(Boolean)) {
		const [domain, , sequence] = gtid.trim().split('-');
		map.set(domain, Number(sequence));
	}
	return map;
}

describe('detectMysql against the test MariaDB', () => {
	let admin: Connection;
	let full: Connection;
	let limited: Connection;

	before(async () => {
		admin = await mysql.createConnection({host: maria.host, port: maria.port, user: maria.user, password: maria.password});
		await admin.query(`DROP DATABASE IF EXISTS ${SCRATCH}`);
		await admin.query(`CREATE DATABASE ${SCRATCH}`);
		await admin.query(`CREATE TABLE ${SCRATCH}.items (id INT PRIMARY KEY, payload VARCHAR(255) NOT NULL) ENGINE=InnoDB`);
		await admin.query(`CREATE TABLE ${SCRATCH}.notes (id INT PRIMARY KEY) ENGINE=InnoDB`);
		await admin.query(`CREATE VIEW ${SCRATCH}.item_ids AS SELECT id FROM ${SCRATCH}.items`);
		await admin.query(
			// seq_1_to_N: MariaDB's Sequence engine
			`INSERT INTO ${SCRATCH}.items SELECT seq, REPEAT(CHAR(65 + seq % 26), ${ROW_BYTES}) FROM ${SCRATCH}.seq_1_to_${ROWS}`,
		);
		await admin.query(`ANALYZE TABLE ${SCRATCH}.items`);
		full = await mysql.createConnection({host: maria.host, port: maria.port, user: maria.user, password: maria.password});
		limited = await mysql.createConnection({host: maria.host, port: maria.port, user: maria.limitedUser, password: maria.limitedPassword});
	});

	after(async () => {
		await admin?.query(`DROP DATABASE IF EXISTS ${SCRATCH}`);
		await Promise.all([admin?.end(), full?.end(), limited?.end()]);
	});

	test('full user: version, flavor, clone, binlog, GTID, datadir, locality and privileges are the real ones', async () => {
		const before = await one(admin, 'SELECT @@gtid_binlog_pos AS gtid');
		const env = await detectMysql(full, summary(maria.user));
		const afterPos = await one(admin, 'SELECT @@gtid_binlog_pos AS gtid');
		const status = await one(admin, 'SHOW MASTER STATUS');
		const server = await one(admin, 'SELECT @@version AS version, @@datadir AS datadir');

		assert.equal(env.dbType, 'mysql');
		assert.ok(env.version.known);
		assert.equal(env.version.value.text, server.version);
		assert.deepEqual([env.version.value.major, env.version.value.minor], [10, 11]);
		assert.equal(env.version.source, 'SELECT @@version');
		assert.deepEqual(env.flavor.known && env.flavor.value, 'mariadb');
		assert.deepEqual(env.clonePlugin, {known: true, value: 'UNSUPPORTED', source: 'MariaDB has no clone plugin'});

		assert.ok(env.binlog.known);
		assert.equal(env.binlog.value.enabled, true);
		assert.equal(env.binlog.value.format, 'ROW');
		assert.equal(env.binlog.value.checksum, 'CRC32');
		assert.equal(env.binlog.value.coordinatesReason, undefined);
		assert.match(env.binlog.value.file ?? '', /-bin\.\d{6}$/);
		assert.ok(env.binlog.value.file! <= status.File);
		if (env.binlog.value.file === status.File) assert.ok(env.binlog.value.position! <= Number(status.Position));
		assert.ok(env.binlog.value.position! >= 4);

		assert.ok(env.gtid.known);
		assert.equal(env.gtid.value.mode, 'available');
		// other test files may write meanwhile: the detected position lies between the two reads (equal when idle)
		const detected = gtidSequences(env.gtid.value.position);
		const earlier = gtidSequences(String(before.gtid));
		const later = gtidSequences(String(afterPos.gtid));
		if (before.gtid === afterPos.gtid) assert.equal(env.gtid.value.position, before.gtid);
		for (const [domain, sequence] of detected) {
			assert.ok(sequence >= (earlier.get(domain) ?? 0) && sequence <= (later.get(domain) ?? Infinity), `domain ${domain}`);
		}
		assert.ok(detected.size > 0, 'the scratch database DDL was binlogged with a GTID');
		assert.deepEqual(Object.keys(env.gtid.value.detail ?? {}).sort(), ['gtid_current_pos', 'gtid_domain_id', 'gtid_strict_mode']);

		assert.ok(env.datadir.known);
		assert.equal(path.resolve(env.datadir.value), path.resolve(String(server.datadir)));
		assert.equal(path.resolve(env.datadir.value), path.resolve(maria.datadir));
		assert.deepEqual(env.local.known && env.local.value, true);
		assert.ok(env.filesystem.known, JSON.stringify(env.filesystem));
		assert.equal(env.filesystem.value.path, await realpath(maria.datadir));
		assert.ok(env.snapshot.known, JSON.stringify(env.snapshot));

		assert.ok(env.privileges.known);
		assert.ok(env.privileges.value.held.includes('ALL PRIVILEGES'));
		assert.deepEqual(env.privileges.value.perEngine.mysqldump, {ok: true, missing: []});
		assert.deepEqual(env.privileges.value.perEngine.snapshot, {ok: true, missing: []});
		assert.equal(env.privileges.value.perEngine.clone, undefined, 'MariaDB has no clone plugin: no privilege is reported missing for it');
		assert.ok(env.privileges.value.grants.every((line) => !/PASSWORD '\*[0-9A-F]{40}'/.test(line)), 'password hashes are hidden');
	});

	test('a database created with known data appears in dataSize with its tables and bytes', async () => {
		const env = await detectMysql(full, summary(maria.user));
		assert.ok(env.dataSize.known);
		const scratch = env.dataSize.value.databases.find((db) => db.name === SCRATCH);
		assert.ok(scratch, `${SCRATCH} in ${JSON.stringify(env.dataSize.value.databases.map((db) => db.name))}`);
		assert.equal(scratch.tables, 2, 'two tables; the view does not count');
		assert.ok(scratch.bytes >= ROWS * ROW_BYTES, `${scratch.bytes} bytes for ${ROWS} rows of ${ROW_BYTES} bytes`);
		const names = env.dataSize.value.databases.map((db) => db.name);
		assert.ok(names.includes('mysql'));
		for (const excluded of ['information_schema', 'performance_schema', 'sys']) assert.ok(!names.includes(excluded));
		assert.equal(env.dataSize.value.totalBytes, env.dataSize.value.databases.reduce((sum, db) => sum + db.bytes, 0));
	});

	test('limited user (SELECT only): binlog coordinates unknown with why, and the missing privileges named', async () => {
		const env = await detectMysql(limited, summary(maria.limitedUser));
		assert.ok(env.binlog.known);
		assert.equal(env.binlog.value.enabled, true);
		assert.equal(env.binlog.value.file, undefined);
		assert.equal(env.binlog.value.position, undefined);
		assert.match(env.binlog.value.coordinatesReason ?? '', /^SHOW MASTER STATUS failed: Access denied.*BINLOG MONITOR/);

		assert.ok(env.privileges.known);
		assert.deepEqual(env.privileges.value.held.filter((item) => !item.includes(' ON ')), ['SELECT']);
		const dump = env.privileges.value.perEngine.mysqldump;
		assert.equal(dump.ok, false);
		assert.deepEqual(dump.missing, ['SHOW VIEW', 'TRIGGER', 'EVENT', 'LOCK TABLES', 'RELOAD', 'BINLOG MONITOR']);
		assert.deepEqual(env.privileges.value.perEngine.snapshot.missing, ['RELOAD', 'PROCESS', 'BINLOG MONITOR']);
		assert.equal(env.privileges.value.perEngine.clone, undefined);
		// SELECT on *.* lets the limited user see every schema's sizes
		assert.ok(env.dataSize.known && env.dataSize.value.databases.some((db) => db.name === SCRATCH));
	});

	test('through the unix socket: local, said so', async () => {
		const conn = await mysql.createConnection({socketPath: maria.socket, user: maria.user, password: maria.password});
		try {
			const env = await detectMysql(conn, summary(maria.user, `socket ${maria.socket}`));
			assert.ok(env.local.known && env.local.value === true);
			assert.match(env.local.source, /unix socket/);
		} finally {
			await conn.end();
		}
	});

	test('a server on another host: not local, no filesystem facts, and why', async () => {
		const env = await detectMysql(full, summary(maria.user, '192.0.2.10:3306'));
		assert.equal(env.local.known && env.local.value, false);
		assert.deepEqual(env.filesystem, {known: false, reason: 'server is on another host (192.0.2.10:3306): its data directory is not on this machine'});
		assert.equal(env.snapshot.known, false);
		assert.ok(env.datadir.known, 'the datadir is still what the server says');
	});

	test('a failing query makes its item unknown with the server error; detection goes on', async () => {
		const failing = new Proxy(full, {
			get(target, property, receiver) {
				if (property === 'query') {
					return (sql: string, ...rest: unknown[]) =>
						/SHOW GRANTS|information_schema\.TABLES/.test(sql)
							? target.query(`SELECT * FROM ${SCRATCH}.no_such_table`)
							: (target.query as (...args: unknown[]) => unknown).call(target, sql, ...rest);
				}
				return Reflect.get(target, property, receiver);
			},
		});
		const env = await detectMysql(failing, summary(maria.user));
		assert.equal(env.privileges.known, false);
		assert.match(!env.privileges.known ? env.privileges.reason : '', /^SHOW GRANTS failed: Table '.*no_such_table' doesn't exist/);
		assert.equal(env.dataSize.known, false);
		assert.match(!env.dataSize.known ? env.dataSize.reason : '', /^reading information_schema\.TABLES failed: /);
		assert.ok(env.version.known && env.binlog.known && env.gtid.known && env.datadir.known);
	});
});
