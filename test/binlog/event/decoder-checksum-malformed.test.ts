import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {ColumnType} from '../../../source/binlog/event/column-layout.ts';
import {BinlogDecoder} from '../../../source/binlog/event/decoder.ts';
import type {DecodedEvent} from '../../../source/binlog/event/decoded.ts';
import {ChecksumAlgorithm, writeChecksum} from '../../../source/binlog/event/header.ts';
import {EventType} from '../../../source/binlog/event/types.ts';
import {WorkError} from '../../../source/core/errors.ts';
import {
	buildEvent,
	formatDescriptionEvent,
	mariadbGtidEvent,
	prefixed,
	queryEvent,
	rotateEvent,
	rowImage,
	rowsEvent,
	statusVar,
	tableMapEvent,
	u16,
	u32,
	xidEvent,
} from './build-events.ts';

function expectKind<K extends DecodedEvent['kind']>(event: DecodedEvent, kind: K): Extract<DecodedEvent, {kind: K}> {
	assert.equal(event.kind, kind);
	return event as Extract<DecodedEvent, {kind: K}>;
}

function malformed(pattern: RegExp) {
	return (error: unknown) => {
		assert.ok(error instanceof WorkError, `not a WorkError: ${String(error)}`);
		assert.equal(error.code, 'BINLOG_EVENT_MALFORMED');
		assert.match(error.message, pattern);
		return true;
	};
}

/** The same event with its body cut to `bodyLength` bytes, header size and CRC32 made right again. */
function truncated(event: Buffer, bodyLength: number): Buffer {
	const withChecksum = Buffer.concat([event.subarray(0, 19 + bodyLength), Buffer.alloc(4)]);
	withChecksum.writeUInt32LE(withChecksum.length, 9);
	writeChecksum(withChecksum);
	return withChecksum;
}

describe('checksum stripping (byte-built events)', () => {
	test('after a CRC32 FORMAT_DESCRIPTION the 4 checksum bytes never reach a body', () => {
		const decoder = new BinlogDecoder();
		decoder.decode(formatDescriptionEvent({algorithm: ChecksumAlgorithm.crc32}));
		assert.equal(decoder.checksum, ChecksumAlgorithm.crc32);
		assert.equal(expectKind(decoder.decode(queryEvent({schema: 'db', sql: 'COMMIT'})), 'query').sql, 'COMMIT');
		assert.equal(expectKind(decoder.decode(rotateEvent('mariadb-bin.000007', 4)), 'rotate').nextFile, 'mariadb-bin.000007');
		assert.equal(expectKind(decoder.decode(xidEvent(5n)), 'xid').xid, 5n);
	});

	test('checksum off: the FORMAT_DESCRIPTION keeps its own CRC, the events after it have none', () => {
		const decoder = new BinlogDecoder();
		const fde = expectKind(decoder.decode(formatDescriptionEvent({algorithm: ChecksumAlgorithm.off})), 'format-description');
		assert.equal(fde.checksum, ChecksumAlgorithm.off);
		assert.equal(decoder.checksum, ChecksumAlgorithm.off);
		const query = expectKind(decoder.decode(queryEvent({schema: 'db', sql: 'COMMIT', checksum: false})), 'query');
		assert.equal(query.sql, 'COMMIT');
		assert.equal(expectKind(decoder.decode(rotateEvent('b.000002', 4, {checksum: false})), 'rotate').nextFile, 'b.000002');
	});

	test('before any FORMAT_DESCRIPTION (the fake ROTATE of a replication stream) a matching CRC32 is stripped', () => {
		assert.equal(expectKind(new BinlogDecoder().decode(rotateEvent('mariadb-bin.000001', 4)), 'rotate').nextFile, 'mariadb-bin.000001');
		assert.equal(expectKind(new BinlogDecoder().decode(rotateEvent('mariadb-bin.000001', 4, {checksum: false})), 'rotate').nextFile, 'mariadb-bin.000001');
		const told = new BinlogDecoder({checksum: ChecksumAlgorithm.crc32});
		assert.equal(told.checksum, ChecksumAlgorithm.crc32);
		assert.equal(expectKind(told.decode(rotateEvent('x.000003', 4)), 'rotate').nextFile, 'x.000003');
	});

	test('the FORMAT_DESCRIPTION of a file the server has open (in-use flag set after its CRC) still says CRC32', () => {
		// the server computes the FDE's checksum with LOG_EVENT_BINLOG_IN_USE_F cleared, then sets it in the file
		for (let timestamp = 1; timestamp <= 64; timestamp++) {
			const event = formatDescriptionEvent({algorithm: ChecksumAlgorithm.crc32, timestamp});
			event[17]! |= 0x01;
			const decoder = new BinlogDecoder();
			assert.equal(expectKind(decoder.decode(event), 'format-description').checksum, ChecksumAlgorithm.crc32, `timestamp ${timestamp}`);
			assert.equal(expectKind(decoder.decode(xidEvent(9n)), 'xid').xid, 9n);
		}
	});
});

describe('malformed and short bodies (byte-built events)', () => {
	function decoder(): BinlogDecoder {
		const result = new BinlogDecoder();
		result.decode(formatDescriptionEvent());
		return result;
	}

	test('an event shorter than its header, or not the size its header says', () => {
		assert.throws(() => decoder().decode(Buffer.alloc(10)), malformed(/10 bytes is shorter than the 19-byte event header/));
		const event = xidEvent(1n);
		assert.throws(() => decoder().decode(event.subarray(0, event.length - 1)), malformed(/XID event .*header says 31 bytes but the event is 30/));
	});

	test('a TABLE_MAP cut inside its names or metadata names the event and the field', () => {
		const map = tableMapEvent({tableId: 3, schema: 'shop', table: 'orders', columns: [{type: ColumnType.VARCHAR, meta: u16(10)}, {type: ColumnType.LONG}]});
		assert.throws(() => decoder().decode(truncated(map, 12)), malformed(/^TABLE_MAP event ending at position 4096: schema name needs 4 byte/));
		assert.throws(() => decoder().decode(truncated(map, 26)), malformed(/^TABLE_MAP event .*: column metadata needs 2 byte/));
		assert.throws(() => decoder().decode(truncated(map, 28)), malformed(/^TABLE_MAP event .*: nullable-columns bitmap needs 1 byte/));
	});

	test('a QUERY whose status block is longer than the body', () => {
		const query = queryEvent({schema: 'db', statusVars: [statusVar(0, u32(0)), statusVar(1, Buffer.alloc(8))], sql: ''});
		assert.throws(() => decoder().decode(truncated(query, 20)), malformed(/^QUERY event .*: status variables block needs 14 byte/));
		const cutVariable = queryEvent({schema: '', statusVars: [statusVar(1, Buffer.alloc(4))], sql: ''});
		assert.throws(() => decoder().decode(cutVariable), malformed(/^QUERY event .*: status variable 1 needs 8 byte/));
	});

	test('a row whose values run past the end of the rows event', () => {
		const d = decoder();
		d.decode(tableMapEvent({tableId: 4, schema: 's', table: 't', columns: [{type: ColumnType.LONG}, {type: ColumnType.VARCHAR, meta: u16(100)}]}));
		const lying = rowImage([u32(1), Buffer.concat([Buffer.from([50]), Buffer.from('only ten b')])]);
		assert.throws(
			() => d.decode(rowsEvent({action: 'insert', version: 2, tableId: 4, columnCount: 2, images: [rowImage([u32(1), prefixed('ok', 1)]), lying]})),
			malformed(/^WRITE_ROWS event .*: a row image starting at body offset \d+ runs past the end of the body/),
		);
		assert.throws(
			() => d.decode(rowsEvent({action: 'update', version: 1, tableId: 4, columnCount: 2, images: [rowImage([u32(1), prefixed('ok', 1)])]})),
			malformed(/^UPDATE_ROWS_V1 event .*runs past the end/),
			'an update with a before image and no after image',
		);
		assert.throws(() => d.decode(truncated(rowsEvent({action: 'delete', version: 2, tableId: 4, columnCount: 2, images: []}), 9)), malformed(/^DELETE_ROWS event .*: extra data length needs 2 byte/));
	});

	test('short GTID, XID and INTVAR bodies', () => {
		const gtid = mariadbGtidEvent({sequence: 1n, domainId: 0});
		assert.throws(() => decoder().decode(truncated(gtid, 10)), malformed(/^MARIADB_GTID event .*: domain id needs 4 byte/));
		assert.throws(() => decoder().decode(truncated(xidEvent(1n), 4)), malformed(/^XID event .*: xid needs 8 byte/));
		assert.throws(() => decoder().decode(buildEvent(EventType.INTVAR, Buffer.from([2, 1, 0]))), malformed(/^INTVAR event .*: intvar value needs 8 byte/));
	});
});
