/**
 * The decoder on real MySQL 9 bytes (until the harness had MySQL, GTID_LOG_EVENT and PREVIOUS_GTIDS were
 * tested on bytes built from the documented layouts only): a binlog file of the harness's MySQL, read
 * from its data directory, decoded event by event and checked against what the server said meanwhile.
 */
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {createReadStream} from 'node:fs';
import {join} from 'node:path';
import type {Connection, ResultSetHeader, RowDataPacket} from 'mysql2/promise';
import {BinlogDecoder} from '../../../source/binlog/event/decoder.ts';
import type {DecodedEvent} from '../../../source/binlog/event/decoded.ts';
import {mysqlGtidSetIncludes, parseMysqlGtidSet} from '../../../source/binlog/event/gtid.ts';
import {ChecksumAlgorithm, checksumMatches} from '../../../source/binlog/event/header.ts';
import {splitBinlogEvents, type PositionedEvent} from '../../../source/binlog/file/event-splitter.ts';
import {mysqlConnection, uniqueName} from '../../harness/db.ts';
import {getTestServers} from '../../harness/servers.ts';

interface Decoded extends PositionedEvent {
	decoded: DecodedEvent;
}

async function decodeFile(path: string): Promise<Decoded[]> {
	const decoder = new BinlogDecoder();
	const events: Decoded[] = [];
	// the active file: it may end in the middle of an event being written
	for await (const positioned of splitBinlogEvents(createReadStream(path), {file: path, onTruncated: 'stop'})) {
		events.push({...positioned, decoded: decoder.decode(positioned.event)});
	}
	return events;
}

describe('binlog decoder on a real MySQL 9 binlog', () => {
	const {mysql} = getTestServers();
	const database = uniqueName('decoder_real');
	let connection: Connection;
	let before_: string;
	let after_: string;
	let file: string;
	let serverUuid: string;
	/** our transactions' GTIDs, as the server reported them (session_track_gtids) */
	const ours: string[] = [];
	let events: Decoded[];

	const run = async (sql: string, values: unknown[] = []) => {
		const [result] = await connection.query<ResultSetHeader>(sql, values);
		const gtids = (result as ResultSetHeader & {stateChanges?: {gtids?: string[]}}).stateChanges?.gtids ?? [];
		ours.push(...gtids.filter((gtid) => gtid !== ''));
	};

	before(async () => {
		connection = await mysqlConnection();
		await connection.query('SET SESSION session_track_gtids = OWN_GTID');
		const [[uuid]] = await connection.query<RowDataPacket[]>('SELECT @@server_uuid AS uuid');
		serverUuid = String(uuid!.uuid);
		const [[executed]] = await connection.query<RowDataPacket[]>('SELECT @@global.gtid_executed AS gtid');
		before_ = String(executed!.gtid);
		await connection.query('FLUSH BINARY LOGS');
		const [status] = await connection.query<RowDataPacket[]>('SHOW BINARY LOG STATUS');
		file = String(status[0]!.File);
		await run(`CREATE DATABASE ${database}`);
		await run(`CREATE TABLE ${database}.t (id INT PRIMARY KEY, v VARCHAR(20), j JSON)`);
		await run(`INSERT INTO ${database}.t VALUES (1, 'a', '{"k": 1}'), (2, 'b', NULL), (3, 'c', '[]')`);
		await connection.query('BEGIN');
		await connection.query(`UPDATE ${database}.t SET v = CONCAT(v, '!') WHERE id < 3`);
		await connection.query(`DELETE FROM ${database}.t WHERE id = 3`);
		await run('COMMIT');
		const [[executedAfter]] = await connection.query<RowDataPacket[]>('SELECT @@global.gtid_executed AS gtid');
		after_ = String(executedAfter!.gtid);
		events = await decodeFile(join(mysql.datadir, file));
	});

	after(async () => {
		await connection.query(`DROP DATABASE IF EXISTS ${database}`);
		await connection.end();
	});

	test('every event passes its CRC32; the FORMAT_DESCRIPTION names the server and CRC32', () => {
		assert.ok(events.length > 10, `${events.length} events`);
		for (const {event, position} of events) assert.ok(checksumMatches(event), `the event at ${position} passes its CRC32`);
		const format = events[0]!.decoded;
		assert.equal(format.kind, 'format-description');
		if (format.kind !== 'format-description') return;
		assert.equal(format.serverVersion, mysql.version);
		assert.equal(format.checksum, ChecksumAlgorithm.crc32);
	});

	test('PREVIOUS_GTIDS holds the server\'s GTID set at the rotation', () => {
		const previous = events[1]!.decoded;
		assert.equal(previous.kind, 'previous-gtids');
		if (previous.kind !== 'previous-gtids') return;
		assert.ok(mysqlGtidSetIncludes(previous.set, parseMysqlGtidSet(before_)), `${JSON.stringify(previous.set, (_, value) => (typeof value === 'bigint' ? String(value) : value))} ⊇ ${before_}`);
		assert.ok(mysqlGtidSetIncludes(parseMysqlGtidSet(after_), previous.set));
	});

	test('GTID_LOG_EVENTs: our transactions\' GTIDs in order, their commit timestamps, logical clock and exact transaction length', () => {
		const gtidEvents = events.filter((item) => item.decoded.kind === 'mysql-gtid');
		const byGtid = new Map(gtidEvents.map((item) => [(item.decoded as Extract<DecodedEvent, {kind: 'mysql-gtid'}>).gtid, item]));
		assert.equal(ours.length, 4, `the server reported 4 GTIDs: ${ours.join(' ')}`);
		const positions = ours.map((gtid) => byGtid.get(gtid)?.position);
		assert.ok(positions.every((position) => position !== undefined), `each of ${ours.join(' ')} has its GTID event`);
		assert.deepEqual([...positions].sort((a, b) => a! - b!), positions, 'in the order they committed');
		const now = BigInt(Date.now()) * 1000n;
		for (const [index, item] of gtidEvents.entries()) {
			const gtid = item.decoded as Extract<DecodedEvent, {kind: 'mysql-gtid'}>;
			assert.equal(gtid.anonymous, false);
			assert.equal(gtid.uuid, serverUuid);
			assert.equal(gtid.gtid, `${serverUuid}:${gtid.gno}`);
			assert.ok(gtid.immediateCommitTimestamp !== undefined && now - gtid.immediateCommitTimestamp < 600_000_000n && gtid.immediateCommitTimestamp <= now, 'committed in the last minutes');
			assert.equal(gtid.originalCommitTimestamp, gtid.immediateCommitTimestamp, 'written here, not replicated');
			assert.ok(gtid.sequenceNumber !== undefined && gtid.lastCommitted !== undefined && gtid.lastCommitted < gtid.sequenceNumber);
			// the transaction's bytes: from its GTID event to the next one (or the file's end)
			const end = gtidEvents[index + 1]?.position ?? events.at(-1)!.position + events.at(-1)!.event.length;
			assert.equal(gtid.transactionLength, BigInt(end - item.position), `${gtid.gtid}: transaction_length`);
		}
	});

	test('the row events of our transactions: table, action and row counts', () => {
		const rows = events.flatMap((item) => (item.decoded.kind === 'rows' && item.decoded.schema === database ? [item.decoded] : []));
		assert.deepEqual(
			rows.map((event) => [event.table, event.action, event.rowCount, event.version]),
			[
				['t', 'insert', 3, 2],
				['t', 'update', 2, 2],
				['t', 'delete', 1, 2],
			],
		);
	});
});
