/** The GTID events: MariaDB GTID (162) and GTID_LIST (163); MySQL GTID (33), ANONYMOUS_GTID (34), PREVIOUS_GTIDS (35). */
import type {MysqlGtidSid} from '../protocol/commands.ts';
import {BodyReader, malformedEvent} from './body-reader.ts';
import type {DecodedEvent, MariadbGtid, MariadbGtidEvent, MariadbGtidListEvent, MysqlGtidEvent} from './decoded.ts';
import type {EventHeader} from './header.ts';
import {formatUuid} from './gtid.ts';
import {EventType, eventTypeName} from './types.ts';

/** MariaDB Gtid_log_event flags2 */
export const MariadbGtidFlag = {
	STANDALONE: 1,
	GROUP_COMMIT_ID: 2,
	TRANSACTIONAL: 4,
	ALLOW_PARALLEL: 8,
	WAITED: 16,
	DDL: 32,
	PREPARED_XA: 64,
	COMPLETED_XA: 128,
} as const;

/** MariaDB flags_extra */
const EXTRA_MULTI_ENGINE = 1;
const EXTRA_ALTER_SEQUENCE = 4 | 8;

/**
 * seq_no 8, domain_id 4, flags2 1, then commit_id 8 (GROUP_COMMIT_ID); XA groups carry format id 4,
 * gtrid length 1, bqual length 1 and the xid data; MariaDB 10.5+ may add flags_extra and its fields; zero
 * padding makes the body at least 19 bytes. Read as MariaDB's own reader does.
 */
export function decodeMariadbGtid(header: EventHeader, body: Buffer): MariadbGtidEvent {
	const reader = new BodyReader(body, header);
	const sequence = reader.u64('sequence number');
	const domainId = reader.u32('domain id');
	const flags = reader.u8('flags');
	const event: MariadbGtidEvent = {
		kind: 'mariadb-gtid',
		header,
		domainId,
		serverId: header.serverId,
		sequence,
		flags,
		standalone: (flags & MariadbGtidFlag.STANDALONE) !== 0,
		gtid: `${domainId}-${header.serverId}-${sequence}`,
	};
	if (flags & MariadbGtidFlag.GROUP_COMMIT_ID) event.commitId = reader.u64('commit id');
	if (flags & (MariadbGtidFlag.PREPARED_XA | MariadbGtidFlag.COMPLETED_XA)) {
		const formatId = reader.u32('XA format id');
		const gtridLength = reader.u8('XA gtrid length');
		const bqualLength = reader.u8('XA bqual length');
		event.xid = {formatId, gtrid: reader.bytes(gtridLength, 'XA gtrid'), bqual: reader.bytes(bqualLength, 'XA bqual')};
	}
	// then flags_extra and its fields, or the zero padding up to 19 bytes
	if (reader.remaining > 0) {
		const flagsExtra = reader.u8('extra flags');
		if (flagsExtra !== 0) event.flagsExtra = flagsExtra;
		if (flagsExtra & EXTRA_MULTI_ENGINE) reader.skip(1, 'extra engines');
		if (flagsExtra & EXTRA_ALTER_SEQUENCE) reader.skip(8, 'START ALTER sequence');
	}
	return event;
}

/** count 4 (low 28 bits; the high 4 are flags), then per GTID domain 4, server 4, sequence 8. */
export function decodeMariadbGtidList(header: EventHeader, body: Buffer): MariadbGtidListEvent {
	const reader = new BodyReader(body, header);
	const countField = reader.u32('GTID count');
	const count = countField & 0x0fffffff;
	reader.need(count * 16, `${count} GTIDs`);
	const gtids: MariadbGtid[] = [];
	for (let index = 0; index < count; index++) {
		gtids.push({domainId: reader.u32('domain id'), serverId: reader.u32('server id'), sequence: reader.u64('sequence number')});
	}
	return {kind: 'mariadb-gtid-list', header, gtids, listFlags: countField >>> 28};
}

/** LOGICAL_TIMESTAMP_TYPECODE: last_committed and sequence_number follow */
const LOGICAL_CLOCK_TYPECODE = 2;
/** bit 55 of the 7-byte immediate commit timestamp: the original commit timestamp follows */
const ORIGINAL_TIMESTAMP_FOLLOWS = 1n << 55n;

/**
 * flags 1, sid 16, gno 8, then optional: typecode 1 (= 2) with last_committed 8 and sequence_number 8,
 * immediate commit timestamp 7 (high bit: original commit timestamp 7 follows), transaction length
 * (packed integer). The later server-version fields are not decoded.
 */
export function decodeMysqlGtid(header: EventHeader, body: Buffer): MysqlGtidEvent {
	const reader = new BodyReader(body, header);
	const flags = reader.u8('flags');
	reader.need(16, 'server UUID');
	const uuid = formatUuid(body, reader.pos);
	reader.pos += 16;
	const gno = reader.u64('transaction number');
	const event: MysqlGtidEvent = {
		kind: 'mysql-gtid',
		header,
		anonymous: header.type === EventType.ANONYMOUS_GTID,
		flags,
		uuid,
		gno,
		gtid: `${uuid}:${gno}`,
	};
	if (reader.remaining >= 17 && body[reader.pos] === LOGICAL_CLOCK_TYPECODE) {
		reader.pos += 1;
		event.lastCommitted = reader.u64('last_committed');
		event.sequenceNumber = reader.u64('sequence_number');
		if (reader.remaining >= 7) {
			const immediate = BigInt(reader.uint(6, 'immediate commit timestamp')) | (BigInt(reader.u8('immediate commit timestamp')) << 48n);
			if (immediate & ORIGINAL_TIMESTAMP_FOLLOWS) {
				event.immediateCommitTimestamp = immediate & ~ORIGINAL_TIMESTAMP_FOLLOWS;
				event.originalCommitTimestamp = BigInt(reader.uint(6, 'original commit timestamp')) | (BigInt(reader.u8('original commit timestamp')) << 48n);
			} else {
				event.immediateCommitTimestamp = immediate;
				event.originalCommitTimestamp = immediate;
			}
			if (reader.remaining > 0) event.transactionLength = reader.packedBigInt('transaction length');
		}
	}
	return event;
}

/**
 * n_sids 8, per sid: uuid 16, n_intervals 8, intervals of start 8 and end 8 (exclusive). MySQL 8.3+
 * writes a tagged-GTID format (first and last byte of the count field set to 1) that is left undecoded.
 */
export function decodePreviousGtids(header: EventHeader, body: Buffer): DecodedEvent {
	const reader = new BodyReader(body, header);
	reader.need(8, 'number of sids');
	if (body[0] === 1 && body[7] === 1) return {kind: 'other', header, typeName: `${eventTypeName(header.type)} (tagged GTID format)`};
	const sidCount = reader.u64('number of sids');
	// each sid takes at least 24 bytes: a count beyond that is corruption, not a reason to loop
	if (sidCount > BigInt(reader.remaining)) throw malformedEvent(header, `${sidCount} sids cannot fit in ${reader.remaining} bytes`);
	const set: MysqlGtidSid[] = [];
	for (let index = 0n; index < sidCount; index++) {
		reader.need(16, 'server UUID');
		const uuid = formatUuid(body, reader.pos);
		reader.pos += 16;
		const intervalCount = reader.u64('number of intervals');
		if (intervalCount * 16n > BigInt(reader.remaining)) throw malformedEvent(header, `${intervalCount} intervals of ${uuid} cannot fit in ${reader.remaining} bytes`);
		const intervals: MysqlGtidSid['intervals'] = [];
		for (let interval = 0n; interval < intervalCount; interval++) {
			intervals.push({start: reader.u64('interval start'), end: reader.u64('interval end')});
		}
		set.push({uuid, intervals});
	}
	return {kind: 'previous-gtids', header, set};
}
