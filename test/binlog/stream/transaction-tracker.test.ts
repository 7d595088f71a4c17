import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {BinlogDecoder} from '../../../source/binlog/event/decoder.ts';
import {TransactionTracker} from '../../../source/binlog/stream/transaction-tracker.ts';
import {formatDescriptionEvent, mariadbGtidEvent, mariadbGtidListEvent, mysqlGtidEvent, previousGtidsEvent, queryEvent, xidEvent} from '../event/build-events.ts';

const UUID = '3e11fa47-71ca-11e1-9e33-c80aa9429562';

/** Feeds byte-built events and returns, per event, whether the position after it is a boundary. */
function boundaries(tracker: TransactionTracker, events: Buffer[]): boolean[] {
	const decoder = new BinlogDecoder();
	return events.map((event) => tracker.observe(decoder.decode(event)).boundary);
}

describe('TransactionTracker', () => {
	test('MariaDB: a transaction ends at XID, a standalone GTID (DDL) at its statement; the GTID position advances per domain', () => {
		const tracker = new TransactionTracker('mariadb');
		const marks = boundaries(tracker, [
			formatDescriptionEvent({serverVersion: '10.11.19-MariaDB-log'}),
			mariadbGtidListEvent([{domainId: 0, serverId: 1, sequence: 4n}]),
			mariadbGtidEvent({sequence: 5n, domainId: 0, serverId: 1}),
			queryEvent({sql: 'BEGIN'}),
			queryEvent({sql: 'INSERT INTO t VALUES (1)'}),
			xidEvent(9n),
			mariadbGtidEvent({sequence: 6n, domainId: 0, serverId: 1, gtidFlags: 1}),
			queryEvent({sql: 'CREATE TABLE t2 (id INT)'}),
			mariadbGtidEvent({sequence: 1n, domainId: 2, serverId: 7}),
			queryEvent({sql: 'BEGIN'}),
			queryEvent({sql: 'UPDATE t SET id = 2'}),
			queryEvent({sql: 'COMMIT'}),
		]);
		assert.deepEqual(marks, [true, true, false, false, false, true, false, true, false, false, false, true]);
		assert.equal(tracker.gtidState, '0-1-6,2-7-1');
		assert.equal(tracker.inside, false);
	});

	test('MariaDB: in the middle of a transaction the state is the last committed one', () => {
		const tracker = new TransactionTracker('mariadb', '0-1-10');
		boundaries(tracker, [formatDescriptionEvent({serverVersion: '10.11.19-MariaDB-log'}), mariadbGtidEvent({sequence: 11n, domainId: 0, serverId: 1}), queryEvent({sql: 'BEGIN'})]);
		assert.equal(tracker.inside, true);
		assert.equal(tracker.gtidState, '0-1-10');
	});

	test('MySQL layouts (byte-built, no MySQL server here): GTID + BEGIN … XID, GTID + DDL, previous GTIDs start the set', () => {
		const tracker = new TransactionTracker('mysql');
		const marks = boundaries(tracker, [
			formatDescriptionEvent({serverVersion: '8.0.36'}),
			previousGtidsEvent([{uuid: UUID, intervals: [{start: 1n, end: 5n}]}]),
			mysqlGtidEvent({uuid: UUID, gno: 5n}),
			queryEvent({sql: 'BEGIN'}),
			xidEvent(3n),
			mysqlGtidEvent({uuid: UUID, gno: 6n}),
			queryEvent({sql: 'ALTER TABLE t ADD c INT'}),
		]);
		assert.deepEqual(marks, [true, true, false, false, true, false, true]);
		assert.equal(tracker.gtidState, `${UUID}:1-6`);
	});

	test('ROLLBACK TO SAVEPOINT does not end a transaction; ROLLBACK does', () => {
		const tracker = new TransactionTracker('mariadb');
		const marks = boundaries(tracker, [
			formatDescriptionEvent({serverVersion: '10.11.19-MariaDB-log'}),
			mariadbGtidEvent({sequence: 1n, domainId: 0, serverId: 1}),
			queryEvent({sql: 'BEGIN'}),
			queryEvent({sql: 'ROLLBACK TO SAVEPOINT a'}),
			queryEvent({sql: 'ROLLBACK'}),
		]);
		assert.deepEqual(marks, [true, false, false, false, true]);
	});
});
