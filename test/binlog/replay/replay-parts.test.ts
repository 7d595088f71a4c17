/**
 * The replay's pieces that need no server: stop-condition parsing, the session SETs a QUERY event asks
 * for, binary DECIMAL user variables, the TABLE_MAP rename and statement-end flag (on events built from
 * the documented layouts), script-header coordinates and the rename guard.
 */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {BinlogDecoder} from '../../../source/binlog/event/decoder.ts';
import type {FormatDescriptionEvent, QueryEvent} from '../../../source/binlog/event/decoded.ts';
import {checksumMatches} from '../../../source/binlog/event/header.ts';
import {EventType} from '../../../source/binlog/event/types.ts';
import {binlogStatement, renameTableMap, rowsFlags, withStatementEnd} from '../../../source/binlog/replay/binlog-statement.ts';
import {decodeBinaryDecimal} from '../../../source/binlog/replay/context-events.ts';
import {EventSelection, statementKind} from '../../../source/binlog/replay/event-selection.ts';
import {SessionState, sessionValues, sourceVersion} from '../../../source/binlog/replay/session-state.ts';
import {startFromScriptHead} from '../../../source/binlog/replay/start-point.ts';
import {gtidIn, parseReplayTarget, parseUntilTime} from '../../../source/binlog/replay/target.ts';
import {formatDescriptionEvent, queryEvent, rowsEvent, rowImage, statusVar, tableMapEvent, u32, u64} from '../event/build-events.ts';

describe('stop conditions', () => {
	test('one of --until, --until-position, --until-gtid; none replays to the end', () => {
		assert.deepEqual(parseReplayTarget({}), {kind: 'end', text: 'the end of the binlogs'});
		assert.throws(() => parseReplayTarget({until: '2024-01-01 00:00:00', untilGtid: '0-1-2'}), /only one stop condition at a time: got --until and --until-gtid/);
		assert.deepEqual(parseReplayTarget({untilPosition: 'mariadb-bin.000004:1234'}), {kind: 'position', file: 'mariadb-bin.000004', position: 1234, text: '--until-position mariadb-bin.000004:1234'});
		assert.throws(() => parseReplayTarget({untilPosition: 'mariadb-bin.000004'}), /use FILE:POSITION/);
	});

	test('GTIDs: one MariaDB GTID, or a MySQL uuid:n (a range means its last transaction)', () => {
		assert.equal((parseReplayTarget({untilGtid: '0-1-42'}) as {gtid: string}).gtid, '0-1-42');
		const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
		assert.equal((parseReplayTarget({untilGtid: `${uuid}:1-17`}) as {gtid: string}).gtid, `${uuid}:17`);
		assert.throws(() => parseReplayTarget({untilGtid: '0-1-4,1-1-5'}), /name one transaction/);
		assert.equal(gtidIn('0-1-42', '0-1-50,1-2-3'), true);
		assert.equal(gtidIn('0-1-51', '0-1-50,1-2-3'), false);
		assert.equal(gtidIn('2-1-1', '0-1-50'), false);
		assert.equal(gtidIn(`${uuid}:5`, `${uuid}:1-9`), true);
		assert.equal(gtidIn(`${uuid}:10`, `${uuid}:1-9`), false);
	});

	test('times: with a zone as given, without one in local time, anything else refused', () => {
		assert.equal(parseUntilTime('2024-05-01T12:00:00Z'), Date.UTC(2024, 4, 1, 12));
		assert.equal(parseUntilTime('2024-05-01T14:00:00+02:00'), Date.UTC(2024, 4, 1, 12));
		assert.equal(parseUntilTime('2024-05-01 12:30:15'), new Date(2024, 4, 1, 12, 30, 15).getTime());
		assert.equal(parseUntilTime('2024-05-01T12:30'), new Date(2024, 4, 1, 12, 30).getTime());
		assert.equal(parseUntilTime('2024-05-01 12:30:15.25'), new Date(2024, 4, 1, 12, 30, 15, 250).getTime());
		for (const bad of ['yesterday', '2024-02-30 00:00:00', '2024-05-01', '1714564800']) assert.throws(() => parseUntilTime(bad), /not a time/, bad);
	});
});

describe('session state from a QUERY event', () => {
	const decoder = new BinlogDecoder();
	decoder.decode(formatDescriptionEvent({serverVersion: '10.11.6-MariaDB-log'}));
	const query = (flags2: number, extra: Buffer[] = []) =>
		decoder.decode(queryEvent({sql: 'CREATE TABLE t (id INT)', schema: 'db', statusVars: [statusVar(0, u32(flags2)), statusVar(1, u64(1411383304n)), ...extra]})) as QueryEvent;
	const mariadb = sourceVersion('10.11.6-MariaDB-log');

	test('flags2 bits as MariaDB 10.11 writes them (read off a real server)', () => {
		// 0x5000000: explicit_defaults_for_timestamp on (bit 24), foreign_key_checks off (bit 26)
		const values = sessionValues(query(0x5000000), mariadb);
		assert.equal(values.get('foreign_key_checks'), '0');
		assert.equal(values.get('explicit_defaults_for_timestamp'), '1');
		assert.equal(values.get('unique_checks'), '1');
		assert.equal(values.get('autocommit'), '1');
		assert.equal(values.get('check_constraint_checks'), '1');
		assert.equal(values.get('sql_mode'), '1411383304');
		assert.equal(sessionValues(query(0x1008000), mariadb).get('check_constraint_checks'), '0');
		assert.equal(sessionValues(query(0x9000000), mariadb).get('unique_checks'), '0');
		assert.equal(sessionValues(query(0x1004000), mariadb).get('sql_auto_is_null'), '1');
		// MySQL has no such bits: its variables are left alone
		assert.equal(sessionValues(query(0x1008000), sourceVersion('8.0.36')).has('check_constraint_checks'), false);
	});

	test('only what changed is SET again; the timestamp every time', () => {
		const state = new SessionState();
		const first = sessionValues(query(0x1000000), mariadb, 'utf8mb4');
		assert.match(state.changesFor(first, '1700000000.000001')!, /^SET @@session\.timestamp=1700000000\.000001, @@session\.foreign_key_checks=1, .*@@session\.sql_mode=1411383304/);
		state.remember(first);
		assert.equal(state.changesFor(first, '1700000001'), 'SET @@session.timestamp=1700000001');
		const second = sessionValues(query(0x5000000), mariadb, 'utf8mb4');
		assert.equal(state.changesFor(second), 'SET @@session.foreign_key_checks=0');
	});
});

test('binary DECIMAL user variables decode to their exact text', () => {
	// DECIMAL(10,2): 8 integer digits in 4 bytes, 2 fraction digits in 1 byte, sign bit set when positive
	assert.equal(decodeBinaryDecimal(Buffer.from([0x80, 0x00, 0x04, 0xd2, 0x38]), 10, 2), '1234.56');
	assert.equal(decodeBinaryDecimal(Buffer.from([0x7f, 0xff, 0xfb, 0x2d, 0xc7]), 10, 2), '-1234.56');
	// DECIMAL(20,10): 10 integer digits = 1 digit (1 byte) + 9 (4 bytes), 10 fraction digits = 9 (4 bytes) + 1 (1 byte)
	const bytes = Buffer.from([0x81, 0x07, 0x5b, 0xcd, 0x15, 0x00, 0x00, 0x00, 0x05, 0x05]);
	assert.equal(decodeBinaryDecimal(bytes, 20, 10), '1123456789.0000000055');
	assert.equal(decodeBinaryDecimal(Buffer.from([0x80, 0x00]), 2, 0), '0');
});

describe('BINLOG statements', () => {
	const decoder = new BinlogDecoder();
	const fde = decoder.decode(formatDescriptionEvent({serverVersion: '10.11.6-MariaDB-log'})) as FormatDescriptionEvent;
	const map = tableMapEvent({tableId: 42, schema: 'shop', table: 'orders', columns: [{type: 3, nullable: false}]});

	test('a TABLE_MAP renamed to another database keeps table and columns, with a valid CRC32', () => {
		const renamed = renameTableMap(map, fde, 'shop_copy_ü');
		assert.equal(renamed.readUInt32LE(9), renamed.length);
		assert.ok(checksumMatches(renamed));
		const decoded = new BinlogDecoder();
		decoded.decode(formatDescriptionEvent({serverVersion: '10.11.6-MariaDB-log'}));
		const event = decoded.decode(renamed);
		assert.equal(event.kind, 'table-map');
		assert.deepEqual(event.kind === 'table-map' && [event.schema, event.table, event.tableId, event.columnTypes], ['shop_copy_ü', 'orders', 42n, [3]]);
	});

	test('a rows event can be marked as its statement\'s last one', () => {
		const rows = rowsEvent({action: 'insert', version: 2, tableId: 42, columnCount: 1, images: [rowImage([u32(7)])], rowsFlags: 0});
		assert.equal(rowsFlags(rows, fde), 0);
		const ended = withStatementEnd(rows, fde);
		assert.equal(rowsFlags(ended, fde), 1);
		assert.ok(checksumMatches(ended));
		assert.equal(rows[4], EventType.WRITE_ROWS);
	});

	test('the statement is base64 of the events as they are', () => {
		assert.equal(binlogStatement([Buffer.from('ab'), Buffer.from('c')]), `BINLOG '${Buffer.from('abc').toString('base64')}'`);
	});
});

test('coordinates from a script header: ours, mysqldump --master-data, mariadb-dump --gtid', () => {
	assert.deepEqual(startFromScriptHead('-- dbbackup SQL dump of shop\n-- binlog: mariadb-bin.000003 1234\n-- GTID: 0-1-99\n'), {
		file: 'mariadb-bin.000003',
		position: 1234,
		gtid: '0-1-99',
		source: "the script's header",
	});
	assert.deepEqual(startFromScriptHead("-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000012', MASTER_LOG_POS=157;\n"), {file: 'binlog.000012', position: 157, gtid: undefined, source: "the script's header"});
	assert.equal(startFromScriptHead("-- SET GLOBAL gtid_slave_pos='0-1-5';\n")?.gtid, '0-1-5');
	assert.equal(startFromScriptHead('CREATE TABLE t (id INT);\n'), undefined);
});

test('statements that name the renamed database are caught; others are not', () => {
	const decoder = new BinlogDecoder();
	decoder.decode(formatDescriptionEvent({serverVersion: '10.11.6-MariaDB-log'}));
	const selection = new EventSelection({databases: ['shop']}, new Map([['shop', 'copy']]));
	const named = (sql: string) => selection.namedRenamedDatabase(decoder.decode(queryEvent({sql, schema: 'shop'})) as QueryEvent);
	assert.equal(named('ALTER TABLE shop.orders ADD COLUMN x INT'), 'shop');
	assert.equal(named('DROP DATABASE `shop`'), 'shop');
	assert.equal(named('ALTER TABLE orders ADD COLUMN shopper INT'), undefined);
	assert.equal(named('ALTER TABLE workshop.orders ADD x INT'), undefined);
	assert.equal(statementKind('  begin'), 'begin');
	assert.equal(statementKind('ROLLBACK TO SAVEPOINT a'), 'savepoint');
	assert.equal(statementKind('XA START 0x31'), 'xa');
	assert.equal(statementKind('COMMIT'), 'commit');
	assert.equal(statementKind('INSERT INTO t VALUES (1)'), 'statement');
});
