/**
 * Decodes whole binlog events (19-byte header … checksum) of one stream or file, in order. It keeps what
 * later events depend on: the last FORMAT_DESCRIPTION (checksum algorithm, post-header lengths) and the
 * TABLE_MAPs by table id, which rows events need to be walked.
 */
import {WorkError} from '../../core/errors.ts';
import {malformedEvent} from './body-reader.ts';
import {
	decodeAnnotateRows,
	decodeBinlogCheckpoint,
	decodeFormatDescription,
	decodeHeartbeat,
	decodeIncident,
	decodeRotate,
	decodeRowsQuery,
	decodeXaPrepare,
	decodeXid,
} from './control-events.ts';
import type {DecodedEvent, TableMapEvent} from './decoded.ts';
import {decodeMariadbGtid, decodeMariadbGtidList, decodeMysqlGtid, decodePreviousGtids} from './gtid-events.ts';
import {
	CHECKSUM_LENGTH,
	ChecksumAlgorithm,
	checksumMatches,
	EVENT_HEADER_LENGTH,
	formatDescriptionChecksum,
	readEventHeader,
	type ChecksumAlgorithmValue,
	type EventHeader,
} from './header.ts';
import {decodeRows, isRowsEventType, type RememberedTable} from './rows.ts';
import {decodeIntvar, decodeQuery, decodeRand, decodeUserVar} from './statement-events.ts';
import {decodeTableMap, tableLayout} from './table-map.ts';
import {EventType, eventTypeName} from './types.ts';

/** Post-header lengths of MySQL 5.6+ / MariaDB 10+, for events before any FORMAT_DESCRIPTION. */
const DEFAULT_POST_HEADER_LENGTHS = new Map<number, number>([
	[EventType.QUERY, 13],
	[EventType.ROTATE, 8],
	[EventType.TABLE_MAP, 8],
	[EventType.WRITE_ROWS_V1, 8],
	[EventType.UPDATE_ROWS_V1, 8],
	[EventType.DELETE_ROWS_V1, 8],
	[EventType.INCIDENT, 2],
	[EventType.WRITE_ROWS, 10],
	[EventType.UPDATE_ROWS, 10],
	[EventType.DELETE_ROWS, 10],
	[EventType.GTID, 42],
	[EventType.ANONYMOUS_GTID, 42],
	[EventType.MARIADB_BINLOG_CHECKPOINT, 4],
	[EventType.MARIADB_GTID, 19],
	[EventType.MARIADB_GTID_LIST, 4],
]);

/** Events whose post-header this decoder does not read: their payload starts after it (normally 0 bytes). */
const SKIPS_POST_HEADER = new Set<number>([
	EventType.XID,
	EventType.INTVAR,
	EventType.RAND,
	EventType.USER_VAR,
	EventType.XA_PREPARE,
	EventType.ROWS_QUERY,
	EventType.HEARTBEAT,
	EventType.MARIADB_ANNOTATE_ROWS,
	EventType.PREVIOUS_GTIDS,
]);

export interface BinlogDecoderOptions {
	/**
	 * Checksum algorithm of the events before the first FORMAT_DESCRIPTION (a replication stream starts
	 * with a fake ROTATE). Default: strip a trailing CRC32 from those events when it matches.
	 */
	checksum?: ChecksumAlgorithmValue;
}

export class BinlogDecoder {
	#checksum: ChecksumAlgorithmValue;
	#postHeaderLengths: Uint8Array | undefined;
	readonly #tables = new Map<bigint, RememberedTable>();

	constructor(options: BinlogDecoderOptions = {}) {
		this.#checksum = options.checksum ?? ChecksumAlgorithm.undefined;
	}

	/** The checksum algorithm of the events being decoded; `undefined` (0xff) until a FORMAT_DESCRIPTION says. */
	get checksum(): ChecksumAlgorithmValue {
		return this.#checksum;
	}

	/** The last TABLE_MAP seen for this table id since the last FORMAT_DESCRIPTION. */
	tableMap(tableId: bigint): TableMapEvent | undefined {
		return this.#tables.get(tableId)?.map;
	}

	decode(event: Buffer): DecodedEvent {
		if (event.length < EVENT_HEADER_LENGTH) {
			throw new WorkError({
				code: 'BINLOG_EVENT_MALFORMED',
				message: `binlog event of ${event.length} bytes is shorter than the ${EVENT_HEADER_LENGTH}-byte event header`,
				hint: 'The event was cut short: check the binlog file with `mariadb-binlog` / `mysqlbinlog`, or fetch it again.',
			});
		}
		const header = readEventHeader(event);
		if (header.eventSize !== event.length) {
			throw malformedEvent(header, `the header says ${header.eventSize} bytes but the event is ${event.length}`);
		}
		if (header.type === EventType.FORMAT_DESCRIPTION) return this.#formatDescription(header, event);

		const checksumLength = this.#hasChecksum(event) ? CHECKSUM_LENGTH : 0;
		if (event.length < EVENT_HEADER_LENGTH + checksumLength) {
			throw malformedEvent(header, `the event is ${event.length} bytes, too short for the header and the CRC32 checksum`);
		}
		const body = event.subarray(EVENT_HEADER_LENGTH, event.length - checksumLength);
		const postHeaderLength = this.#postHeaderLength(header.type);
		if (SKIPS_POST_HEADER.has(header.type)) {
			if (body.length < postHeaderLength) throw malformedEvent(header, `body of ${body.length} bytes is shorter than its ${postHeaderLength}-byte post-header`);
			return this.#decodeBody(header, body.subarray(postHeaderLength), postHeaderLength);
		}
		return this.#decodeBody(header, body, postHeaderLength);
	}

	#decodeBody(header: EventHeader, body: Buffer, postHeaderLength: number): DecodedEvent {
		switch (header.type) {
			case EventType.QUERY:
				return decodeQuery(header, body, postHeaderLength);
			case EventType.ROTATE:
				return decodeRotate(header, body, postHeaderLength);
			case EventType.XID:
				return decodeXid(header, body);
			case EventType.TABLE_MAP: {
				const map = decodeTableMap(header, body, postHeaderLength);
				this.#tables.set(map.tableId, {map, layout: tableLayout(map)});
				return map;
			}
			case EventType.MARIADB_GTID:
				return decodeMariadbGtid(header, body);
			case EventType.MARIADB_GTID_LIST:
				return decodeMariadbGtidList(header, body);
			case EventType.MARIADB_BINLOG_CHECKPOINT:
				return decodeBinlogCheckpoint(header, body);
			case EventType.MARIADB_ANNOTATE_ROWS:
				return decodeAnnotateRows(header, body);
			case EventType.GTID:
			case EventType.ANONYMOUS_GTID:
				return decodeMysqlGtid(header, body);
			case EventType.PREVIOUS_GTIDS:
				return decodePreviousGtids(header, body);
			case EventType.ROWS_QUERY:
				return decodeRowsQuery(header, body);
			case EventType.HEARTBEAT:
				return decodeHeartbeat(header, body);
			case EventType.INTVAR:
				return decodeIntvar(header, body);
			case EventType.RAND:
				return decodeRand(header, body);
			case EventType.USER_VAR:
				return decodeUserVar(header, body);
			case EventType.XA_PREPARE:
				return decodeXaPrepare(header, body);
			case EventType.STOP:
				return {kind: 'stop', header};
			case EventType.INCIDENT:
				return decodeIncident(header, body);
			default:
				if (isRowsEventType(header.type)) return decodeRows(header, body, postHeaderLength, (id) => this.#tables.get(id));
				return {kind: 'other', header, typeName: eventTypeName(header.type)};
		}
	}

	#formatDescription(header: EventHeader, event: Buffer): DecodedEvent {
		// the in-use flag of an open file's FDE is not covered by its CRC: formatDescriptionChecksum knows
		const decoded = decodeFormatDescription(header, event, formatDescriptionChecksum(event));
		this.#checksum = decoded.checksum;
		this.#postHeaderLengths = decoded.postHeaderLengths;
		this.#tables.clear();
		return decoded;
	}

	#hasChecksum(event: Buffer): boolean {
		if (this.#checksum === ChecksumAlgorithm.crc32) return true;
		if (this.#checksum === ChecksumAlgorithm.undefined) return checksumMatches(event);
		return false;
	}

	#postHeaderLength(type: number): number {
		const fromFormatDescription = this.#postHeaderLengths?.[type - 1];
		return fromFormatDescription ?? DEFAULT_POST_HEADER_LENGTHS.get(type) ?? 0;
	}
}
