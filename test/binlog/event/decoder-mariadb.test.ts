import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {promisify} from 'node:util';
import type {Connection, ResultSetHeader, RowDataPacket} from 'mysql2/promise';
import {ColumnType} from '../../../source/binlog/event/column-layout.ts';
import {BinlogDecoder} from '../../../source/binlog/event/decoder.ts';
import type {DecodedEvent, RowsAction} from '../../../source/binlog/event/decoded.ts';
import {checksumMatches, ChecksumAlgorithm} from '../../../source/binlog/event/header.ts';
import {mariadbConnection, uniqueName} from '../../harness/db.ts';
import {getTestServers} from '../../harness/servers.ts';
import {mariadbGtidEvent, mariadbGtidListEvent} from './build-events.ts';

const run = promisify(execFile);

interface Coordinates {
	file: string;
	position: number;
}

interface Segment {
	file: string;
	start: number;
	end: number;
}

const range = (count: number) => Array.from({length: count}, (_, index) => index);
const enumMembers = range(300).map((index) => `'m${index}'`).join(',');
const setMembers = (count: number) => range(count).map((index) => `'s${index}'`).join(',');
const fractional = (kind: string, extra = '') => range(7).map((digits) => `${kind.toLowerCase()}${digits} ${kind}(${digits})${extra}`).join(', ');

/** Every column type MariaDB 10.11 has, all nullable, by table. */
const TABLES: Record<string, string> = {
	ints: `id INT PRIMARY KEY, ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT,
		miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED, bo BOOLEAN`,
	nums: `id INT PRIMARY KEY, de DECIMAL(10,2), de65 DECIMAL(65,30), de0 DECIMAL(20,0) UNSIGNED, de1 DECIMAL(1,1),
		f FLOAT, d DOUBLE, b1 BIT(1), b7 BIT(7), b8 BIT(8), b10 BIT(10), b63 BIT(63), b64 BIT(64)`,
	times: `id INT PRIMARY KEY, dt DATE, ${fractional('DATETIME')}, ${fractional('TIMESTAMP', ' NULL DEFAULT NULL')},
		${fractional('TIME')}, y YEAR`,
	strs: `id INT PRIMARY KEY, c_l10 CHAR(10) CHARACTER SET latin1, c_u100 CHAR(100) CHARACTER SET utf8mb4,
		c_l255 CHAR(255) CHARACTER SET latin1, c_u255 CHAR(255) CHARACTER SET utf8mb4,
		v_l100 VARCHAR(100) CHARACTER SET latin1, v_l300 VARCHAR(300) CHARACTER SET latin1,
		v_u63 VARCHAR(63) CHARACTER SET utf8mb4, v_u64 VARCHAR(64) CHARACTER SET utf8mb4, v_u2000 VARCHAR(2000) CHARACTER SET utf8mb4,
		bn BINARY(16), bn255 BINARY(255), vb VARBINARY(300), vb10 VARBINARY(10),
		e_small ENUM('a','b','c'), e_big ENUM(${enumMembers}), s_small SET('x','y','z'), s_mid SET(${setMembers(20)}), s_big SET(${setMembers(64)})`,
	lobs: `id INT PRIMARY KEY, tb TINYBLOB, b BLOB, mb MEDIUMBLOB, lb LONGBLOB, tt TINYTEXT, t TEXT, mt MEDIUMTEXT, lt LONGTEXT,
		js JSON, g GEOMETRY, pt POINT, ls LINESTRING, poly POLYGON`,
	mdb: `id INT PRIMARY KEY, u UUID, i6 INET6, i4 INET4, vcc VARCHAR(200) COMPRESSED, bc BLOB COMPRESSED, tc TEXT COMPRESSED`,
};

const nulls = (table: string, id: number) => {
	const count = TABLES[table]!.split(/,(?![^(]*\))/).length - 1;
	return `(${id}${', NULL'.repeat(count)})`;
};
const timeValues = (datetime: string, time: string) =>
	`'2024-02-29', ${range(7).map(() => `'${datetime}'`).join(', ')}, ${range(7).map(() => `'${datetime}'`).join(', ')}, ${range(7).map(() => `'${time}'`).join(', ')}`;

/** The statements, each run alone (autocommit) unless grouped, with the rows the binlog must show. */
interface Step {
	sql: string[];
	rows: Array<[table: string, action: RowsAction, count: number]>;
}

const STEPS: Step[] = [
	{
		sql: [
			`INSERT INTO ints VALUES (1,-128,255,-32768,65535,-8388608,16777215,-2147483648,4294967295,-9223372036854775808,18446744073709551615,TRUE),
			${nulls('ints', 2)}, (3,0,0,0,0,0,0,0,0,0,0,FALSE), (4,127,0,32767,0,8388607,0,2147483647,0,9223372036854775807,0,NULL)`,
		],
		rows: [['ints', 'insert', 4]],
	},
	{
		sql: [
			`INSERT INTO nums VALUES
			(1, -12345678.99, '-99999999999999999999999999999999999.999999999999999999999999999999', 99999999999999999999, 0.9,
				3.4e38, -1.7976931348623157e308, b'1', b'1111111', b'11111111', b'1111111111', b'1', b'1111111111111111111111111111111111111111111111111111111111111111'),
			${nulls('nums', 2)},
			(3, 0, 0, 0, 0, 0, 0, b'0', b'0', b'0', b'0', b'0', b'0')`,
		],
		rows: [['nums', 'insert', 3]],
	},
	{
		sql: [
			`INSERT INTO times VALUES (1, ${timeValues('2024-02-29 12:34:56.123456', '-838:59:59')}, 2024),
			${nulls('times', 2)}, (3, ${timeValues('1970-01-01 00:00:01.000001', '12:34:56.654321')}, 1901)`,
		],
		rows: [['times', 'insert', 3]],
	},
	{
		sql: [
			`INSERT INTO strs VALUES
			(1, 'abc', REPEAT('é', 100), REPEAT('x', 255), REPEAT('€', 255), 'hello', REPEAT('v', 300), REPEAT('ü', 63),
				REPEAT('😀', 64), REPEAT('ß', 2000), UNHEX(REPEAT('00FF', 8)), UNHEX(REPEAT('AB', 255)), REPEAT('b', 300), 0x00,
				'c', 'm299', 'x,z', 's0,s19', 's0,s63'),
			${nulls('strs', 2)},
			(3, '', '', '', '', '', '', '', '', '', '', '', '', '', 'a', 'm0', '', '', '')`,
		],
		rows: [['strs', 'insert', 3]],
	},
	{
		sql: [
			`INSERT INTO lobs VALUES
			(1, REPEAT('t', 255), REPEAT('b', 65535), REPEAT('m', 70000), REPEAT('l', 100000), 'tiny', REPEAT('ü', 300),
				REPEAT('medium ', 3000), REPEAT('long ', 20000), '{"a": [1, 2.5, "ü"], "b": null}',
				ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'), POINT(1.5, -2.25), ST_GeomFromText('LINESTRING(0 0,10 10,20 25)'),
				ST_GeomFromText('POLYGON((0 0,5 0,5 5,0 0))')),
			${nulls('lobs', 2)},
			(3, '', '', '', '', '', '', '', '', '[]', ST_GeomFromText('POINT(0 0)'), POINT(0, 0), ST_GeomFromText('LINESTRING(0 0,1 1)'),
				ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'))`,
		],
		rows: [['lobs', 'insert', 3]],
	},
	{
		sql: [
			`INSERT INTO mdb VALUES (1, '123e4567-e89b-12d3-a456-426655440000', '2001:db8::ff00:42:8329', '192.0.2.1',
				REPEAT('compress me ', 16), REPEAT('blob ', 5000), REPEAT('text ', 5000)),
			${nulls('mdb', 2)}, (3, UUID(), '::1', '0.0.0.0', '', '', '')`,
		],
		rows: [['mdb', 'insert', 3]],
	},
	{sql: ['UPDATE ints SET ti = ti + 1, bo = NOT bo WHERE id IN (1, 3)'], rows: [['ints', 'update', 2]]},
	{sql: ['UPDATE nums SET de = 1.5, b64 = NULL, f = 2 WHERE id IN (1, 2, 3)'], rows: [['nums', 'update', 3]]},
	{sql: ["UPDATE times SET y = 2000, time6 = '01:02:03.000004', timestamp3 = NOW(3) WHERE id IN (1, 2)"], rows: [['times', 'update', 2]]},
	{sql: ["UPDATE strs SET v_u2000 = REPEAT('ñ', 1500), e_big = 'm150', s_big = 's1,s2' WHERE id IN (1, 2, 3)"], rows: [['strs', 'update', 3]]},
	{sql: ["UPDATE lobs SET mb = REPEAT('n', 80000), js = '{}' WHERE id IN (1, 2)"], rows: [['lobs', 'update', 2]]},
	{sql: ["UPDATE mdb SET i4 = '10.0.0.1', vcc = 'x' WHERE id IN (1, 2, 3)"], rows: [['mdb', 'update', 3]]},
	{sql: ['DELETE FROM ints WHERE id = 4'], rows: [['ints', 'delete', 1]]},
	{sql: ['DELETE FROM lobs WHERE id IN (2, 3)'], rows: [['lobs', 'delete', 2]]},
	{
		sql: [
			'BEGIN',
			`INSERT INTO ints (id, bi) VALUES (10, 1), (11, 2), (12, 3)`,
			`UPDATE strs SET c_l10 = 'in trx' WHERE id IN (1, 3)`,
			'DELETE FROM nums WHERE id = 2',
			'DELETE FROM times',
			'COMMIT',
		],
		rows: [
			['ints', 'insert', 3],
			['strs', 'update', 2],
			['nums', 'delete', 1],
			['times', 'delete', 3],
		],
	},
	{sql: ['DELETE FROM strs', 'DELETE FROM mdb'], rows: [['strs', 'delete', 3], ['mdb', 'delete', 3]]},
];

function rowKey(table: string, action: RowsAction): string {
	return `${table} ${action}`;
}

function addCount(counts: Map<string, number>, key: string, count: number): void {
	counts.set(key, (counts.get(key) ?? 0) + count);
}

async function coordinates(connection: Connection): Promise<Coordinates> {
	const [rows] = await connection.query<RowDataPacket[]>('SHOW MASTER STATUS');
	return {file: rows[0]!.File, position: Number(rows[0]!.Position)};
}

/** The stretch of binlog between two SHOW MASTER STATUS results, across rotations if any happened. */
async function segments(connection: Connection, from: Coordinates, to: Coordinates): Promise<Segment[]> {
	if (from.file === to.file) return [{file: from.file, start: from.position, end: to.position}];
	const [logs] = await connection.query<RowDataPacket[]>('SHOW BINARY LOGS');
	const names = logs.map((row) => row.Log_name as string);
	const result: Segment[] = [];
	for (const name of names.slice(names.indexOf(from.file), names.indexOf(to.file) + 1)) {
		result.push({file: name, start: name === from.file ? from.position : 4, end: name === to.file ? to.position : Number.MAX_SAFE_INTEGER});
	}
	return result;
}

/** Decodes every event of the segment (after the file's FORMAT_DESCRIPTION, which sets up the decoder). */
async function decodeSegment(datadir: string, segment: Segment): Promise<DecodedEvent[]> {
	const bytes = await readFile(join(datadir, segment.file));
	const decoder = new BinlogDecoder();
	const fdeSize = bytes.readUInt32LE(4 + 9);
	const fde = decoder.decode(bytes.subarray(4, 4 + fdeSize));
	assert.equal(fde.kind, 'format-description');
	assert.equal(decoder.checksum, ChecksumAlgorithm.crc32, 'the harness server writes CRC32 checksums');
	const events: DecodedEvent[] = [];
	let pos = Math.max(segment.start, 4 + fdeSize);
	const end = Math.min(segment.end, bytes.length);
	while (pos < end) {
		const size = bytes.readUInt32LE(pos + 9);
		const raw = bytes.subarray(pos, pos + size);
		assert.ok(checksumMatches(raw), `CRC32 of the event at ${segment.file}:${pos}`);
		const event = decoder.decode(raw);
		assert.equal(event.header.logPos, pos + size, `end position of the event at ${segment.file}:${pos}`);
		events.push(event);
		pos += size;
	}
	return events;
}

/** Rows per table and action that `mariadb-binlog -v` prints for the segment. */
async function oracleCounts(datadir: string, segment: Segment, database: string): Promise<Map<string, number>> {
	const args = ['-v', '--base64-output=decode-rows', `--start-position=${segment.start}`];
	if (segment.end !== Number.MAX_SAFE_INTEGER) args.push(`--stop-position=${segment.end}`);
	const {stdout} = await run('mariadb-binlog', [...args, join(datadir, segment.file)], {maxBuffer: 512 * 1024 * 1024});
	const counts = new Map<string, number>();
	const pattern = new RegExp(`^### (INSERT INTO|UPDATE|DELETE FROM) \`${database}\`\\.\`(\\w+)\`$`, 'gm');
	const actions: Record<string, RowsAction> = {'INSERT INTO': 'insert', UPDATE: 'update', 'DELETE FROM': 'delete'};
	for (const match of stdout.matchAll(pattern)) addCount(counts, rowKey(match[2]!, actions[match[1]!]!), 1);
	return counts;
}

async function haveMariadbBinlog(): Promise<boolean> {
	try {
		await run('mariadb-binlog', ['--version']);
		return true;
	} catch {
		return false;
	}
}

describe('decoding the harness MariaDB binlog (real server, every column type)', () => {
	const {mariadb} = getTestServers();
	const database = uniqueName('binlog_decode');
	let connection: Connection;
	const events: DecodedEvent[] = [];
	let segmentsRead: Segment[] = [];
	/** @@last_gtid after each statement that wrote, in order */
	const gtids: string[] = [];
	const expected = new Map<string, number>();
	const collations = new Map<string, number>();

	async function write(sql: string): Promise<ResultSetHeader> {
		const [result] = await connection.query<ResultSetHeader>(sql);
		const [rows] = await connection.query<RowDataPacket[]>('SELECT @@last_gtid AS gtid');
		const gtid = rows[0]!.gtid as string;
		if (gtid !== '' && gtid !== gtids.at(-1)) gtids.push(gtid);
		return result;
	}

	before(async () => {
		connection = await mariadbConnection();
		await connection.query(`CREATE DATABASE ${database}`);
		await connection.query(`USE ${database}`);
		const [names] = await connection.query<RowDataPacket[]>(
			"SELECT COLLATION_NAME AS name, ID AS id FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN ('utf8mb4_general_ci', 'latin1_swedish_ci', @@collation_server)",
		);
		for (const row of names) collations.set(row.name, Number(row.id));
		const [server] = await connection.query<RowDataPacket[]>('SELECT @@collation_server AS name');
		collations.set('server', collations.get(server[0]!.name)!);

		const from = await coordinates(connection);
		// two DDL batches under different sql_mode and character sets, to see them in the QUERY status
		await connection.query("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE', NAMES utf8mb4 COLLATE utf8mb4_general_ci");
		for (const table of ['ints', 'nums', 'times']) await write(`CREATE TABLE ${table} (${TABLES[table]}) ENGINE=InnoDB`);
		await connection.query("SET SESSION sql_mode = 'ANSI_QUOTES', NAMES latin1");
		for (const table of ['strs', 'lobs', 'mdb']) await write(`CREATE TABLE ${table} (${TABLES[table]}) ENGINE=InnoDB`);
		await connection.query("SET SESSION sql_mode = DEFAULT, NAMES utf8mb4");
		for (const step of STEPS) {
			for (const sql of step.sql) await write(sql);
			for (const [table, action, count] of step.rows) addCount(expected, rowKey(table, action), count);
		}
		// an XA transaction: GTID with the XA flags and xid, then XA_PREPARE; then the XA COMMIT group
		await write("XA START 'xa_decoder', 'bq', 7");
		await write('INSERT INTO ints (id) VALUES (20), (21)');
		await write("XA END 'xa_decoder', 'bq', 7");
		await write("XA PREPARE 'xa_decoder', 'bq', 7");
		await write("XA COMMIT 'xa_decoder', 'bq', 7");
		addCount(expected, rowKey('ints', 'insert'), 2);
		const to = await coordinates(connection);

		segmentsRead = await segments(connection, from, to);
		for (const segment of segmentsRead) events.push(...(await decodeSegment(mariadb.datadir, segment)));
	});
	after(async () => {
		await connection.query(`DROP DATABASE IF EXISTS ${database}`);
		await connection.end();
	});

	/** our transactions: the events from each GTID event to the next, kept when any of them is about our database */
	function ourGroups(): DecodedEvent[][] {
		const groups: DecodedEvent[][] = [];
		let current: DecodedEvent[] = [];
		for (const event of events) {
			if (event.kind === 'mariadb-gtid') {
				current = [event];
				groups.push(current);
			} else {
				current.push(event);
			}
		}
		return groups.filter((group) =>
			group.some((event) => (event.kind === 'table-map' || event.kind === 'rows' || event.kind === 'query') && event.schema === database),
		);
	}

	test('rows counted per table and action equal the rows written', () => {
		const counted = new Map<string, number>();
		for (const event of events) {
			if (event.kind === 'rows' && event.schema === database) addCount(counted, rowKey(event.table!, event.action), event.rowCount);
		}
		assert.deepEqual(Object.fromEntries([...counted].sort()), Object.fromEntries([...expected].sort()));
	});

	test('the row counts agree with mariadb-binlog -v', async (context) => {
		if (!(await haveMariadbBinlog())) {
			context.skip('mariadb-binlog is not installed (apt-get install mariadb-client): oracle cross-check skipped');
			return;
		}
		const oracle = new Map<string, number>();
		for (const segment of segmentsRead) {
			for (const [key, count] of await oracleCounts(mariadb.datadir, segment, database)) addCount(oracle, key, count);
		}
		assert.deepEqual(Object.fromEntries([...oracle].sort()), Object.fromEntries([...expected].sort()));
	});

	test('the GTIDs decoded are the @@last_gtid of each statement, in order', () => {
		const decoded = ourGroups().map((group) => (group[0] as Extract<DecodedEvent, {kind: 'mariadb-gtid'}>).gtid);
		assert.deepEqual(decoded, gtids);
		const ddl = ourGroups()[0]![0] as Extract<DecodedEvent, {kind: 'mariadb-gtid'}>;
		assert.equal(ddl.standalone, true, 'a CREATE TABLE is a standalone group');
		assert.equal(ddl.serverId, 1);
	});

	test('the XA transaction: GTID with the xid, XA_PREPARE, then the XA COMMIT group', () => {
		const xaGroups = ourGroups().filter((group) => group[0]!.kind === 'mariadb-gtid' && (group[0] as Extract<DecodedEvent, {kind: 'mariadb-gtid'}>).xid);
		assert.equal(xaGroups.length, 2, 'the prepared part and the commit');
		for (const group of xaGroups) {
			const gtid = group[0] as Extract<DecodedEvent, {kind: 'mariadb-gtid'}>;
			assert.deepEqual({formatId: gtid.xid!.formatId, gtrid: gtid.xid!.gtrid.toString(), bqual: gtid.xid!.bqual.toString()}, {formatId: 7, gtrid: 'xa_decoder', bqual: 'bq'});
		}
		const prepare = xaGroups[0]!.find((event) => event.kind === 'xa-prepare') as Extract<DecodedEvent, {kind: 'xa-prepare'}> | undefined;
		assert.ok(prepare, 'an XA_PREPARE event ends the prepared part');
		assert.deepEqual({onePhase: prepare.onePhase, formatId: prepare.formatId, gtrid: prepare.gtrid.toString(), bqual: prepare.bqual.toString()}, {onePhase: false, formatId: 7, gtrid: 'xa_decoder', bqual: 'bq'});
		const commit = xaGroups[1]!.find((event) => event.kind === 'query') as Extract<DecodedEvent, {kind: 'query'}>;
		assert.match(commit.sql, /^XA COMMIT /);
	});

	test('the table maps name our tables, with MariaDB types as it writes them', () => {
		const maps = events.filter((event): event is Extract<DecodedEvent, {kind: 'table-map'}> => event.kind === 'table-map' && event.schema === database);
		assert.deepEqual([...new Set(maps.map((map) => map.table))].sort(), Object.keys(TABLES).sort());
		const types = (table: string) => maps.find((map) => map.table === table)!.columnTypes;
		assert.ok(types('times').includes(ColumnType.DATETIME2) && types('times').includes(ColumnType.TIME2) && types('times').includes(ColumnType.TIMESTAMP2));
		assert.ok(types('strs').includes(ColumnType.STRING) && types('strs').includes(ColumnType.VARCHAR));
		assert.ok(types('mdb').includes(ColumnType.MARIADB_VARCHAR_COMPRESSED) && types('mdb').includes(ColumnType.MARIADB_BLOB_COMPRESSED));
		assert.ok(types('lobs').includes(ColumnType.GEOMETRY) && types('lobs').includes(ColumnType.BLOB));
		const strs = maps.find((map) => map.table === 'strs')!;
		assert.equal(strs.nullable[0], false, 'the primary key is NOT NULL');
		assert.equal(strs.nullable[1], true);
	});

	test('QUERY events carry sql_mode and the character sets; ANNOTATE_ROWS carries the statement', () => {
		const creates = events.filter((event): event is Extract<DecodedEvent, {kind: 'query'}> => event.kind === 'query' && event.schema === database && /^CREATE TABLE/.test(event.sql));
		assert.equal(creates.length, 6);
		const strict = creates.find((event) => event.sql.startsWith('CREATE TABLE ints'))!;
		assert.ok(strict.status.sqlMode! & (1n << 22n), 'STRICT_ALL_TABLES');
		assert.ok(strict.status.sqlMode! & (1n << 24n), 'NO_ZERO_DATE');
		assert.equal(strict.status.sqlMode! & 4n, 0n);
		const utf8 = collations.get('utf8mb4_general_ci')!;
		assert.deepEqual(strict.status.charset, {client: utf8, connection: utf8, server: collations.get('server')});
		const ansi = creates.find((event) => event.sql.startsWith('CREATE TABLE mdb'))!;
		assert.equal(ansi.status.sqlMode! & (1n << 22n), 0n);
		assert.ok(ansi.status.sqlMode! & 4n, 'ANSI_QUOTES');
		const latin1 = collations.get('latin1_swedish_ci')!;
		assert.deepEqual(ansi.status.charset, {client: latin1, connection: latin1, server: collations.get('server')});
		for (const query of creates) {
			assert.equal(query.status.unparsedFrom, undefined, `every status variable of "${query.sql.slice(0, 30)}" known`);
			assert.equal(typeof query.status.flags2, 'number');
		}
		const statements = events.filter((event) => event.kind === 'annotate-rows').map((event) => (event as {sql: string}).sql);
		assert.ok(statements.some((sql) => sql.startsWith('INSERT INTO strs VALUES')), 'the INSERT is annotated');
	});
});

describe('byte-built MariaDB GTID events (group commit id, XA, list flags)', () => {
	test('commit id, XA fields and the GTID_LIST count/flags split', () => {
		const decoder = new BinlogDecoder();
		const withCommit = decoder.decode(mariadbGtidEvent({sequence: 99n, domainId: 3, serverId: 7, commitId: 12345n, gtidFlags: 4}));
		assert.equal(withCommit.kind, 'mariadb-gtid');
		if (withCommit.kind !== 'mariadb-gtid') return;
		assert.deepEqual(
			{gtid: withCommit.gtid, commitId: withCommit.commitId, standalone: withCommit.standalone, flags: withCommit.flags},
			{gtid: '3-7-99', commitId: 12345n, standalone: false, flags: 6},
		);
		const xa = decoder.decode(mariadbGtidEvent({sequence: 1n, domainId: 0, gtidFlags: 64 | 1, commitId: 5n, xid: {formatId: 1, gtrid: Buffer.from('g'), bqual: Buffer.from('bb')}}));
		assert.ok(xa.kind === 'mariadb-gtid' && xa.xid && xa.standalone);
		assert.deepEqual([xa.xid.gtrid.toString(), xa.xid.bqual.toString(), xa.commitId], ['g', 'bb', 5n]);
		const list = decoder.decode(mariadbGtidListEvent([{domainId: 0, serverId: 1, sequence: 10n}, {domainId: 2, serverId: 3, sequence: 1n << 63n}], 0b1010));
		assert.ok(list.kind === 'mariadb-gtid-list');
		assert.deepEqual(list.gtids, [{domainId: 0, serverId: 1, sequence: 10n}, {domainId: 2, serverId: 3, sequence: 1n << 63n}]);
		assert.equal(list.listFlags, 0b1010);
	});
});
