import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {ColumnType} from '../../../source/binlog/event/column-layout.ts';
import {BinlogDecoder} from '../../../source/binlog/event/decoder.ts';
import type {DecodedEvent} from '../../../source/binlog/event/decoded.ts';
import {formatMysqlGtidSet} from '../../../source/binlog/event/gtid.ts';
import {ChecksumAlgorithm} from '../../../source/binlog/event/header.ts';
import {EventType} from '../../../source/binlog/event/types.ts';
import {encodeMysqlGtidSet} from '../../../source/binlog/protocol/commands.ts';
import {
	buildEvent,
	formatDescriptionEvent,
	mysqlGtidEvent,
	mysqlPostHeaderLengths,
	prefixed,
	previousGtidsEvent,
	queryEvent,
	rotateEvent,
	rowImage,
	rowsEvent,
	statusVar,
	tableMapEvent,
	u16,
	u32,
	u64,
	uintLE,
	xidEvent,
	type ColumnDefinition,
} from './build-events.ts';

const UUID = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const UUID2 = 'a1b2c3d4-0000-4000-8000-00000000beef';

function expectKind<K extends DecodedEvent['kind']>(event: DecodedEvent, kind: K): Extract<DecodedEvent, {kind: K}> {
	assert.equal(event.kind, kind);
	return event as Extract<DecodedEvent, {kind: K}>;
}

function mysqlDecoder(options: Parameters<typeof formatDescriptionEvent>[0] = {}): BinlogDecoder {
	const decoder = new BinlogDecoder();
	decoder.decode(formatDescriptionEvent(options));
	return decoder;
}

/** Every MySQL 8 column type, with its TABLE_MAP metadata as written and one stored value. */
const ZOO: Array<ColumnDefinition & {value: Buffer}> = [
	{type: ColumnType.NEWDECIMAL, meta: Buffer.from([10, 2]), value: Buffer.alloc(5, 0x80)}, // DECIMAL(10,2): 4 + 1 bytes
	{type: ColumnType.NEWDECIMAL, meta: Buffer.from([65, 30]), value: Buffer.alloc(30, 1)}, // (65,30): 35 digits → 16, 30 → 14
	{type: ColumnType.TINY, value: Buffer.from([0xff])},
	{type: ColumnType.SHORT, value: u16(65535)},
	{type: ColumnType.LONG, value: u32(7)},
	{type: ColumnType.FLOAT, meta: Buffer.from([4]), value: Buffer.alloc(4, 2)},
	{type: ColumnType.DOUBLE, meta: Buffer.from([8]), value: Buffer.alloc(8, 3)},
	{type: ColumnType.NULL, value: Buffer.alloc(0)},
	{type: ColumnType.TIMESTAMP, value: u32(1)},
	{type: ColumnType.LONGLONG, value: u64(1n)},
	{type: ColumnType.INT24, value: uintLE(5, 3)},
	{type: ColumnType.DATE, value: uintLE(5, 3)},
	{type: ColumnType.TIME, value: uintLE(5, 3)},
	{type: ColumnType.DATETIME, value: u64(20240229123456n)},
	{type: ColumnType.YEAR, value: Buffer.from([124])},
	{type: ColumnType.NEWDATE, value: uintLE(5, 3)},
	{type: ColumnType.VARCHAR, meta: u16(40), value: prefixed('short', 1)},
	{type: ColumnType.VARCHAR, meta: u16(1200), value: prefixed('x'.repeat(300), 2)},
	{type: ColumnType.BIT, meta: Buffer.from([2, 1]), value: Buffer.from([3, 0xff])}, // BIT(10): 1 byte + 2 bits
	{type: ColumnType.BIT, meta: Buffer.from([0, 8]), value: Buffer.alloc(8, 0xaa)}, // BIT(64)
	{type: ColumnType.TIMESTAMP2, meta: Buffer.from([3]), value: Buffer.alloc(6, 1)},
	{type: ColumnType.DATETIME2, meta: Buffer.from([6]), value: Buffer.alloc(8, 1)},
	{type: ColumnType.TIME2, meta: Buffer.from([0]), value: Buffer.alloc(3, 1)},
	{type: ColumnType.JSON, meta: Buffer.from([4]), value: prefixed(Buffer.from([0, 1, 0, 12, 0]), 4)},
	{type: ColumnType.STRING, meta: Buffer.from([ColumnType.ENUM, 2]), value: u16(300)}, // ENUM, 2-byte index
	{type: ColumnType.STRING, meta: Buffer.from([ColumnType.SET, 8]), value: u64(0xffn)}, // SET of 64 members
	{type: ColumnType.TINY_BLOB, meta: Buffer.from([1]), value: prefixed('tiny', 1)},
	{type: ColumnType.BLOB, meta: Buffer.from([2]), value: prefixed('b'.repeat(1000), 2)},
	{type: ColumnType.MEDIUM_BLOB, meta: Buffer.from([3]), value: prefixed('m', 3)},
	{type: ColumnType.LONG_BLOB, meta: Buffer.from([4]), value: prefixed('l', 4)},
	{type: ColumnType.STRING, meta: Buffer.from([0xfe, 10]), value: prefixed('char', 1)}, // CHAR(10) latin1
	// CHAR(200) utf8mb4 = 800 bytes: the high bits of the length are folded into the real-type byte
	{type: ColumnType.STRING, meta: Buffer.from([0xfe ^ ((800 >> 4) & 0x30), 800 & 0xff]), value: prefixed('é'.repeat(150), 2)},
	{type: ColumnType.GEOMETRY, meta: Buffer.from([4]), value: prefixed(Buffer.alloc(25, 1), 4)},
];

describe('byte-built MySQL events (MySQL-only paths: no MySQL server here)', () => {
	test('FORMAT_DESCRIPTION with CRC32 sets the checksum and post-header lengths', () => {
		const decoder = new BinlogDecoder();
		assert.equal(decoder.checksum, ChecksumAlgorithm.undefined);
		const event = expectKind(decoder.decode(formatDescriptionEvent({serverVersion: '8.0.36-log', createTimestamp: 99})), 'format-description');
		assert.equal(event.binlogVersion, 4);
		assert.equal(event.serverVersion, '8.0.36-log');
		assert.equal(event.createTimestamp, 99);
		assert.equal(event.headerLength, 19);
		assert.equal(event.checksum, ChecksumAlgorithm.crc32);
		assert.equal(event.postHeaderLengths[EventType.QUERY - 1], 13);
		assert.equal(event.postHeaderLengths.length, 41);
		assert.equal(decoder.checksum, ChecksumAlgorithm.crc32);
	});

	test('GTID_LOG_EVENT with logical clock, both commit timestamps and transaction length', () => {
		const decoder = mysqlDecoder();
		const event = expectKind(
			decoder.decode(
				mysqlGtidEvent({
					uuid: UUID,
					gno: 42n,
					lastCommitted: 5n,
					sequenceNumber: 6n,
					immediateCommitTimestamp: 1_700_000_000_123_456n,
					originalCommitTimestamp: 1_699_999_999_000_001n,
					transactionLength: 70_000n,
				}),
			),
			'mysql-gtid',
		);
		assert.equal(event.anonymous, false);
		assert.equal(event.uuid, UUID);
		assert.equal(event.gno, 42n);
		assert.equal(event.gtid, `${UUID}:42`);
		assert.equal(event.lastCommitted, 5n);
		assert.equal(event.sequenceNumber, 6n);
		assert.equal(event.immediateCommitTimestamp, 1_700_000_000_123_456n);
		assert.equal(event.originalCommitTimestamp, 1_699_999_999_000_001n);
		assert.equal(event.transactionLength, 70_000n);
	});

	test('GTID_LOG_EVENT in the 5.6 layout (no logical clock) and ANONYMOUS_GTID', () => {
		const decoder = mysqlDecoder();
		const old = expectKind(decoder.decode(mysqlGtidEvent({uuid: UUID.toUpperCase(), gno: 1n})), 'mysql-gtid');
		assert.equal(old.uuid, UUID);
		assert.equal(old.lastCommitted, undefined);
		assert.equal(old.sequenceNumber, undefined);
		const anonymous = expectKind(decoder.decode(mysqlGtidEvent({anonymous: true, uuid: '00000000-0000-0000-0000-000000000000', gno: 0n, lastCommitted: 3n, sequenceNumber: 4n})), 'mysql-gtid');
		assert.equal(anonymous.anonymous, true);
		assert.equal(anonymous.gno, 0n);
		assert.equal(anonymous.sequenceNumber, 4n);
		assert.equal(anonymous.immediateCommitTimestamp, undefined);
	});

	test('PREVIOUS_GTIDS decodes to the set encodeMysqlGtidSet writes', () => {
		const set = [
			{uuid: UUID, intervals: [{start: 1n, end: 6n}, {start: 7n, end: 8n}]},
			{uuid: UUID2, intervals: [{start: 1n, end: 4n}]},
		];
		const event = previousGtidsEvent(set);
		// the event body (header and CRC off) is the same binary set COM_BINLOG_DUMP_GTID sends
		assert.deepEqual(event.subarray(19, event.length - 4), encodeMysqlGtidSet(set));
		const decoded = expectKind(mysqlDecoder().decode(event), 'previous-gtids');
		assert.deepEqual(decoded.set, set);
		assert.equal(formatMysqlGtidSet(decoded.set), `${UUID}:1-5:7,${UUID2}:1-3`);
		assert.deepEqual(expectKind(mysqlDecoder().decode(previousGtidsEvent([])), 'previous-gtids').set, []);
	});

	test('rows v2 with extra data: every MySQL column type, NULLs, insert/update/delete row counts', () => {
		const decoder = mysqlDecoder();
		// MySQL 8's optional metadata (binlog_row_metadata: here SIGNEDNESS) follows the nullable bitmap and is skipped
		const optionalMetadata = Buffer.from([1, 1, 0x80]);
		const map = expectKind(decoder.decode(tableMapEvent({tableId: 91, schema: 'shop', table: 'zoo', columns: ZOO, optionalMetadata})), 'table-map');
		assert.equal(map.tableId, 91n);
		assert.deepEqual([map.schema, map.table], ['shop', 'zoo']);
		assert.deepEqual(map.columnTypes, ZOO.map((column) => column.type));
		assert.equal(map.columnMeta[0], (10 << 8) | 2);
		assert.equal(map.columnMeta[17], 1200);
		assert.equal(map.columnMeta[18], 2 | (1 << 8));
		assert.equal(decoder.tableMap(91n), map);

		const full = rowImage(ZOO.map((column) => column.value));
		const allNull = rowImage(ZOO.map(() => null));
		const someNull = rowImage(ZOO.map((column, index) => (index % 3 === 0 ? null : column.value)));
		// extra data as MySQL 8 writes for a partitioned table: type 1 (partition id), then the id
		const extraData = Buffer.concat([Buffer.from([1]), u16(3)]);
		const columnCount = ZOO.length;
		const insert = expectKind(
			decoder.decode(rowsEvent({action: 'insert', version: 2, tableId: 91, columnCount, extraData, images: [full, allNull, someNull]})),
			'rows',
		);
		assert.deepEqual(
			{action: insert.action, version: insert.version, tableId: insert.tableId, schema: insert.schema, table: insert.table, rowCount: insert.rowCount, flags: insert.flags},
			{action: 'insert', version: 2, tableId: 91n, schema: 'shop', table: 'zoo', rowCount: 3, flags: 1},
		);
		const update = expectKind(decoder.decode(rowsEvent({action: 'update', version: 2, tableId: 91, columnCount, images: [full, someNull, allNull, full]})), 'rows');
		assert.equal(update.rowCount, 2);
		const remove = expectKind(decoder.decode(rowsEvent({action: 'delete', version: 2, tableId: 91, columnCount, images: [someNull]})), 'rows');
		assert.equal(remove.rowCount, 1);
	});

	test('update with a minimal image: different before and after columns', () => {
		const decoder = mysqlDecoder();
		const columns = [
			{type: ColumnType.LONG, nullable: false},
			{type: ColumnType.VARCHAR, meta: u16(300)},
			{type: ColumnType.BLOB, meta: Buffer.from([2])},
		];
		decoder.decode(tableMapEvent({tableId: 5, schema: 's', table: 't', columns}));
		// before image: the key only; after image: the two changed columns
		const images = [rowImage([u32(1)]), rowImage([prefixed('a'.repeat(280), 2), null]), rowImage([u32(2)]), rowImage([null, prefixed('blob', 2)])];
		const event = rowsEvent({action: 'update', version: 2, tableId: 5, columnCount: 3, present: [true, false, false], presentAfter: [false, true, true], images});
		assert.equal(expectKind(decoder.decode(event), 'rows').rowCount, 2);
	});

	test('table ids: 6 bytes by default (above 2^32), 4 bytes when the FDE gives a 6-byte post-header', () => {
		const wide = mysqlDecoder();
		const bigId = 2 ** 40 + 5;
		const columns = [{type: ColumnType.LONG}];
		assert.equal(expectKind(wide.decode(tableMapEvent({tableId: bigId, schema: 'a', table: 'b', columns})), 'table-map').tableId, BigInt(bigId));
		assert.equal(expectKind(wide.decode(rowsEvent({action: 'insert', version: 1, tableId: bigId, columnCount: 1, images: [rowImage([u32(1)])]})), 'rows').rowCount, 1);

		const narrow = new BinlogDecoder();
		const oldServer = formatDescriptionEvent({
			serverVersion: '5.1.73',
			beforeChecksums: true,
			postHeaderLengths: mysqlPostHeaderLengths({[EventType.TABLE_MAP]: 6, [EventType.WRITE_ROWS_V1]: 6, [EventType.DELETE_ROWS_V1]: 6}),
		});
		assert.equal(expectKind(narrow.decode(oldServer), 'format-description').postHeaderLengths.length, 41);
		assert.equal(narrow.checksum, ChecksumAlgorithm.off, 'a 5.1 server writes no checksums');
		const map = narrow.decode(tableMapEvent({tableId: 0xfffffff0, tableIdLength: 4, schema: 'a', table: 'b', columns, checksum: false}));
		assert.equal(expectKind(map, 'table-map').tableId, 0xfffffff0n);
		const rows = narrow.decode(rowsEvent({action: 'delete', version: 1, tableId: 0xfffffff0, tableIdLength: 4, columnCount: 1, images: [rowImage([u32(1)]), rowImage([null])], checksum: false}));
		assert.deepEqual([expectKind(rows, 'rows').rowCount, expectKind(rows, 'rows').table], [2, 'b']);
	});

	test('a table id seen again replaces its map; a new FORMAT_DESCRIPTION forgets all maps', () => {
		const decoder = mysqlDecoder();
		decoder.decode(tableMapEvent({tableId: 9, schema: 'a', table: 'old', columns: [{type: ColumnType.LONG}]}));
		decoder.decode(tableMapEvent({tableId: 9, schema: 'a', table: 'new', columns: [{type: ColumnType.TINY}, {type: ColumnType.TINY}]}));
		const rows = expectKind(decoder.decode(rowsEvent({action: 'insert', version: 2, tableId: 9, columnCount: 2, images: [rowImage([Buffer.from([1]), Buffer.from([2])])]})), 'rows');
		assert.deepEqual([rows.table, rows.rowCount], ['new', 1]);
		decoder.decode(formatDescriptionEvent());
		assert.equal(decoder.tableMap(9n), undefined);
		assert.throws(
			() => decoder.decode(rowsEvent({action: 'insert', version: 2, tableId: 9, columnCount: 2, images: [rowImage([Buffer.from([1]), Buffer.from([2])])]})),
			(error: Error & {code?: string}) => error.code === 'BINLOG_TABLE_MAP_MISSING' && /table id 9\b/.test(error.message),
		);
	});

	test('QUERY with MySQL 8 status variables; an unknown code (Q_COMMIT_TS) stops the block, the SQL is still found', () => {
		const decoder = mysqlDecoder();
		const status = [
			statusVar(0, u32(0x00080000)),
			statusVar(1, u64(0x1000_0000_0000_0001n)),
			statusVar(3, Buffer.concat([u16(2), u16(1)])),
			statusVar(4, Buffer.concat([u16(255), u16(255), u16(33)])),
			statusVar(5, Buffer.concat([Buffer.from([6]), Buffer.from('+02:00')])),
			statusVar(6, Buffer.concat([Buffer.from([3]), Buffer.from('std')])),
			statusVar(11, Buffer.concat([Buffer.from([4]), Buffer.from('root'), Buffer.from([9]), Buffer.from('localhost')])),
			statusVar(12, Buffer.concat([Buffer.from([2]), Buffer.from('db1\0db2\0')])),
			statusVar(13, uintLE(123456, 3)),
			statusVar(16, Buffer.from([1])),
			statusVar(17, u64(77n)),
			statusVar(18, u16(255)),
			statusVar(19, Buffer.from([1])),
			statusVar(20, Buffer.from([0])),
		];
		const event = expectKind(decoder.decode(queryEvent({schema: 'db1', statusVars: status, sql: 'CREATE TABLE t (a INT)', threadId: 12, errorCode: 0})), 'query');
		assert.equal(event.threadId, 12);
		assert.equal(event.schema, 'db1');
		assert.equal(event.sql, 'CREATE TABLE t (a INT)');
		assert.deepEqual(event.status, {
			flags2: 0x00080000,
			sqlMode: 0x1000_0000_0000_0001n,
			autoIncrement: {increment: 2, offset: 1},
			charset: {client: 255, connection: 255, server: 33},
			timeZone: '+02:00',
			catalog: 'std',
			invoker: {user: 'root', host: 'localhost'},
			updatedDbNames: ['db1', 'db2'],
			microseconds: 123456,
			explicitDefaultsForTimestamp: true,
			ddlLoggedWithXid: 77n,
			defaultCollationForUtf8mb4: 255,
			sqlRequirePrimaryKey: 1,
			defaultTableEncryption: 0,
		});
		const cut = expectKind(
			decoder.decode(queryEvent({schema: 'x', statusVars: [statusVar(0, u32(1)), statusVar(14, u64(5n)), statusVar(16, Buffer.from([1]))], sql: 'BEGIN'})),
			'query',
		);
		assert.deepEqual(cut.status, {flags2: 1, unparsedFrom: 14});
		assert.equal(cut.sql, 'BEGIN');
		const overMax = expectKind(decoder.decode(queryEvent({statusVars: [statusVar(12, Buffer.from([254]))], sql: 'DROP DATABASE a'})), 'query');
		assert.equal(overMax.status.updatedDbNames, 'OVER_MAX_DBS');
	});

	test('ROTATE, XID and an unknown event type (kind other, never a throw)', () => {
		const decoder = mysqlDecoder();
		assert.deepEqual(
			(({position, nextFile}) => ({position, nextFile}))(expectKind(decoder.decode(rotateEvent('binlog.000002', 4)), 'rotate')),
			{position: 4, nextFile: 'binlog.000002'},
		);
		assert.equal(expectKind(decoder.decode(xidEvent(0xfedcba9876543210n)), 'xid').xid, 0xfedcba9876543210n);
		assert.equal(expectKind(decoder.decode(buildEvent(200, Buffer.from('whatever'))), 'other').typeName, 'UNKNOWN_200');
		assert.equal(expectKind(decoder.decode(buildEvent(EventType.TRANSACTION_PAYLOAD, Buffer.alloc(30))), 'other').typeName, 'TRANSACTION_PAYLOAD');
	});

	test('statement context and small events: INTVAR, RAND, USER_VAR, XA_PREPARE, INCIDENT, ROWS_QUERY, HEARTBEAT, STOP', () => {
		const decoder = mysqlDecoder();
		const intvar = expectKind(decoder.decode(buildEvent(EventType.INTVAR, Buffer.concat([Buffer.from([2]), u64(1234n)]))), 'intvar');
		assert.deepEqual([intvar.subtype, intvar.value], [2, 1234n]);
		const rand = expectKind(decoder.decode(buildEvent(EventType.RAND, Buffer.concat([u64(11n), u64(22n)]))), 'rand');
		assert.deepEqual([rand.seed1, rand.seed2], [11n, 22n]);

		const userVarBody = Buffer.concat([u32(3), Buffer.from('foo'), Buffer.from([0, 2]), u32(63), u32(8), u64(42n), Buffer.from([1])]);
		const userVar = expectKind(decoder.decode(buildEvent(EventType.USER_VAR, userVarBody)), 'user-var');
		assert.deepEqual(
			{name: userVar.name, isNull: userVar.isNull, valueType: userVar.valueType, charset: userVar.charset, value: userVar.value, valueFlags: userVar.valueFlags},
			{name: 'foo', isNull: false, valueType: 2, charset: 63, value: u64(42n), valueFlags: 1},
		);
		assert.deepEqual(userVar.raw, userVarBody, 'the whole body, to replay the event');
		const nullVar = expectKind(decoder.decode(buildEvent(EventType.USER_VAR, Buffer.concat([u32(1), Buffer.from('n'), Buffer.from([1])]))), 'user-var');
		assert.deepEqual([nullVar.name, nullVar.isNull, nullVar.value], ['n', true, undefined]);

		const xaBody = Buffer.concat([Buffer.from([1]), u32(1), u32(3), u32(2), Buffer.from('gtrbq')]);
		const xa = expectKind(decoder.decode(buildEvent(EventType.XA_PREPARE, xaBody)), 'xa-prepare');
		assert.deepEqual([xa.onePhase, xa.formatId, xa.gtrid.toString(), xa.bqual.toString()], [true, 1, 'gtr', 'bq']);

		const incident = expectKind(decoder.decode(buildEvent(EventType.INCIDENT, Buffer.concat([u16(1), Buffer.from([11]), Buffer.from('LOST_EVENTS')]))), 'incident');
		assert.deepEqual([incident.incidentType, incident.message], [1, 'LOST_EVENTS']);
		assert.equal(expectKind(decoder.decode(buildEvent(EventType.ROWS_QUERY, Buffer.concat([Buffer.from([12]), Buffer.from('INSERT INTO t VALUES (1)')]))), 'rows-query').sql, 'INSERT INTO t VALUES (1)');
		assert.equal(expectKind(decoder.decode(buildEvent(EventType.HEARTBEAT, Buffer.from('binlog.000009'), {logPos: 0})), 'heartbeat').file, 'binlog.000009');
		assert.equal(decoder.decode(buildEvent(EventType.STOP, Buffer.alloc(0))).kind, 'stop');
		assert.equal(expectKind(decoder.decode(buildEvent(EventType.HEARTBEAT_V2, Buffer.alloc(12))), 'other').typeName, 'HEARTBEAT_V2');
	});

	test('MariaDB-only small events built from their layouts: BINLOG_CHECKPOINT, ANNOTATE_ROWS, compressed rows', () => {
		const decoder = mysqlDecoder({serverVersion: '10.11.6-MariaDB-log'});
		const checkpoint = Buffer.concat([u32(18), Buffer.from('mariadb-bin.000003')]);
		assert.equal(expectKind(decoder.decode(buildEvent(EventType.MARIADB_BINLOG_CHECKPOINT, checkpoint)), 'mariadb-binlog-checkpoint').file, 'mariadb-bin.000003');
		assert.equal(expectKind(decoder.decode(buildEvent(EventType.MARIADB_ANNOTATE_ROWS, Buffer.from('UPDATE t SET a = 1'))), 'annotate-rows').sql, 'UPDATE t SET a = 1');
		assert.equal(expectKind(decoder.decode(buildEvent(EventType.MARIADB_UPDATE_ROWS_COMPRESSED, Buffer.alloc(20, 7))), 'other').typeName, 'MARIADB_UPDATE_ROWS_COMPRESSED');
	});
});
