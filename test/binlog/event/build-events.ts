/**
 * Whole binlog events built byte by byte from the documented layouts (MySQL's libbinlogevents and
 * MariaDB's log_event.cc / the MariaDB replication protocol pages), for the paths no server here
 * produces: there is no MySQL server in this environment, so MySQL-only events are tested this way.
 */
import {CHECKSUM_LENGTH, ChecksumAlgorithm, EVENT_HEADER_LENGTH, writeChecksum, type ChecksumAlgorithmValue} from '../../../source/binlog/event/header.ts';
import {EventType} from '../../../source/binlog/event/types.ts';
import type {MysqlGtidSid} from '../../../source/binlog/protocol/commands.ts';

export interface EventOptions {
	timestamp?: number;
	serverId?: number;
	/** end position written in the header (default: 0x1000) */
	logPos?: number;
	flags?: number;
	/** append a CRC32 (default true) */
	checksum?: boolean;
}

/** 19-byte header + body (+ CRC32 computed with writeChecksum). */
export function buildEvent(type: number, body: Buffer, options: EventOptions = {}): Buffer {
	const checksum = options.checksum ?? true;
	const event = Buffer.alloc(EVENT_HEADER_LENGTH + body.length + (checksum ? CHECKSUM_LENGTH : 0));
	event.writeUInt32LE(options.timestamp ?? 1_700_000_000, 0);
	event[4] = type;
	event.writeUInt32LE(options.serverId ?? 1, 5);
	event.writeUInt32LE(event.length, 9);
	event.writeUInt32LE(options.logPos ?? 0x1000, 13);
	event.writeUInt16LE(options.flags ?? 0, 17);
	body.copy(event, EVENT_HEADER_LENGTH);
	if (checksum) writeChecksum(event);
	return event;
}

export function u16(value: number): Buffer {
	const buffer = Buffer.alloc(2);
	buffer.writeUInt16LE(value);
	return buffer;
}

export function u32(value: number): Buffer {
	const buffer = Buffer.alloc(4);
	buffer.writeUInt32LE(value >>> 0);
	return buffer;
}

export function u64(value: bigint | number): Buffer {
	const buffer = Buffer.alloc(8);
	buffer.writeBigUInt64LE(BigInt(value));
	return buffer;
}

export function uintLE(value: number, length: number): Buffer {
	const buffer = Buffer.alloc(length);
	buffer.writeUIntLE(value, 0, length);
	return buffer;
}

/** The protocol's length-encoded integer. */
export function packedInt(value: number | bigint): Buffer {
	const n = BigInt(value);
	if (n < 251n) return Buffer.from([Number(n)]);
	if (n < 0x10000n) return Buffer.concat([Buffer.from([0xfc]), u16(Number(n))]);
	if (n < 0x1000000n) return Buffer.concat([Buffer.from([0xfd]), uintLE(Number(n), 3)]);
	return Buffer.concat([Buffer.from([0xfe]), u64(n)]);
}

/** Post-header lengths a MySQL 8.0 server announces, by event type; `overrides` change some. */
export function mysqlPostHeaderLengths(overrides: Record<number, number> = {}): Buffer {
	const lengths = new Map<number, number>([
		[EventType.START_V3, 56],
		[EventType.QUERY, 13],
		[EventType.ROTATE, 8],
		[EventType.APPEND_BLOCK, 4],
		[EventType.DELETE_FILE, 4],
		[EventType.FORMAT_DESCRIPTION, 98],
		[EventType.BEGIN_LOAD_QUERY, 4],
		[EventType.EXECUTE_LOAD_QUERY, 26],
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
		[EventType.TRANSACTION_CONTEXT, 18],
		[EventType.VIEW_CHANGE, 52],
		[EventType.PARTIAL_UPDATE_ROWS, 10],
		[EventType.TRANSACTION_PAYLOAD, 40],
	]);
	for (const [type, length] of Object.entries(overrides)) lengths.set(Number(type), length);
	const table = Buffer.alloc(41);
	for (const [type, length] of lengths) table[type - 1] = length;
	return table;
}

export interface FormatDescriptionOptions extends EventOptions {
	serverVersion?: string;
	/** the algorithm announced for the events after it */
	algorithm?: ChecksumAlgorithmValue;
	postHeaderLengths?: Buffer;
	createTimestamp?: number;
	/** a server older than MySQL 5.6.1 / MariaDB 5.3: no algorithm byte, no checksum */
	beforeChecksums?: boolean;
}

/**
 * FORMAT_DESCRIPTION: binlog version 2 (= 4), server version 50 (NUL padded), create timestamp 4,
 * header length 1 (= 19), post-header lengths, checksum algorithm 1, and a CRC32 of its own whatever
 * the algorithm (servers before checksums: neither).
 */
export function formatDescriptionEvent(options: FormatDescriptionOptions = {}): Buffer {
	const version = Buffer.alloc(50);
	version.write(options.serverVersion ?? '8.0.36', 'latin1');
	const body = Buffer.concat([
		u16(4),
		version,
		u32(options.createTimestamp ?? 0),
		Buffer.from([EVENT_HEADER_LENGTH]),
		options.postHeaderLengths ?? mysqlPostHeaderLengths(),
		options.beforeChecksums ? Buffer.alloc(0) : Buffer.from([options.algorithm ?? ChecksumAlgorithm.crc32]),
	]);
	return buildEvent(EventType.FORMAT_DESCRIPTION, body, {...options, checksum: !options.beforeChecksums});
}

/** ROTATE: position 8, next file name */
export function rotateEvent(nextFile: string, position: number | bigint, options: EventOptions = {}): Buffer {
	return buildEvent(EventType.ROTATE, Buffer.concat([u64(position), Buffer.from(nextFile)]), options);
}

/** One status variable: code byte then value. */
export function statusVar(code: number, value: Buffer): Buffer {
	return Buffer.concat([Buffer.from([code]), value]);
}

export interface QueryOptions extends EventOptions {
	threadId?: number;
	executionSeconds?: number;
	errorCode?: number;
	schema?: string;
	statusVars?: Buffer[];
	sql: string | Buffer;
}

/** QUERY: thread id 4, exec time 4, schema length 1, error 2, status length 2, status vars, schema, NUL, sql */
export function queryEvent(options: QueryOptions): Buffer {
	const schema = Buffer.from(options.schema ?? '');
	const status = Buffer.concat(options.statusVars ?? []);
	const body = Buffer.concat([
		u32(options.threadId ?? 7),
		u32(options.executionSeconds ?? 0),
		Buffer.from([schema.length]),
		u16(options.errorCode ?? 0),
		u16(status.length),
		status,
		schema,
		Buffer.from([0]),
		typeof options.sql === 'string' ? Buffer.from(options.sql) : options.sql,
	]);
	return buildEvent(EventType.QUERY, body, options);
}

export function xidEvent(xid: bigint, options: EventOptions = {}): Buffer {
	return buildEvent(EventType.XID, u64(xid), options);
}

export interface ColumnDefinition {
	type: number;
	/** the metadata bytes exactly as the TABLE_MAP stores them */
	meta?: Buffer;
	nullable?: boolean;
}

function bitmap(bits: boolean[]): Buffer {
	const bytes = Buffer.alloc((bits.length + 7) >> 3);
	bits.forEach((bit, index) => {
		if (bit) bytes[index >> 3]! |= 1 << (index & 7);
	});
	return bytes;
}

export interface TableMapOptions extends EventOptions {
	tableId: number;
	/** 6 (default) or 4 when the FDE announces a 6-byte TABLE_MAP post-header */
	tableIdLength?: 4 | 6;
	schema: string;
	table: string;
	columns: ColumnDefinition[];
	/** optional metadata (MySQL 8 binlog_row_metadata) appended after the nullable bitmap */
	optionalMetadata?: Buffer;
}

/** TABLE_MAP: table id, flags 2, schema, table, column count, types, metadata length, metadata, nullable bitmap */
export function tableMapEvent(options: TableMapOptions): Buffer {
	const metadata = Buffer.concat(options.columns.map((column) => column.meta ?? Buffer.alloc(0)));
	const body = Buffer.concat([
		uintLE(options.tableId, options.tableIdLength ?? 6),
		u16(1),
		Buffer.from([Buffer.byteLength(options.schema)]),
		Buffer.from(options.schema),
		Buffer.from([0]),
		Buffer.from([Buffer.byteLength(options.table)]),
		Buffer.from(options.table),
		Buffer.from([0]),
		packedInt(options.columns.length),
		Buffer.from(options.columns.map((column) => column.type)),
		packedInt(metadata.length),
		metadata,
		bitmap(options.columns.map((column) => column.nullable ?? true)),
		options.optionalMetadata ?? Buffer.alloc(0),
	]);
	return buildEvent(EventType.TABLE_MAP, body, options);
}

/** One row image: the NULL bitmap over the present columns, then each non-NULL value's stored bytes. */
export function rowImage(values: Array<Buffer | null>): Buffer {
	return Buffer.concat([bitmap(values.map((value) => value === null)), ...values.filter((value): value is Buffer => value !== null)]);
}

/** A value with a little-endian length prefix of `prefixLength` bytes (VARCHAR, CHAR, BLOB, JSON …). */
export function prefixed(data: Buffer | string, prefixLength: number): Buffer {
	const bytes = typeof data === 'string' ? Buffer.from(data) : data;
	return Buffer.concat([uintLE(bytes.length, prefixLength), bytes]);
}

export interface RowsOptions extends EventOptions {
	action: 'insert' | 'update' | 'delete';
	version: 1 | 2;
	tableId: number;
	tableIdLength?: 4 | 6;
	flags?: number;
	/** v2 only: the extra-data payload (its 2-byte length, counting itself, is added) */
	extraData?: Buffer;
	columnCount: number;
	present?: boolean[];
	/** update: the after image's columns (default: same as present) */
	presentAfter?: boolean[];
	/** row images; for update, before and after images alternate */
	images: Buffer[];
	/** rows flags (STMT_END_F = 1) */
	rowsFlags?: number;
}

const ROWS_TYPES = {
	1: {insert: EventType.WRITE_ROWS_V1, update: EventType.UPDATE_ROWS_V1, delete: EventType.DELETE_ROWS_V1},
	2: {insert: EventType.WRITE_ROWS, update: EventType.UPDATE_ROWS, delete: EventType.DELETE_ROWS},
} as const;

/** WRITE/UPDATE/DELETE_ROWS v1 or v2 */
export function rowsEvent(options: RowsOptions): Buffer {
	const present = options.present ?? Array.from({length: options.columnCount}, () => true);
	const parts = [uintLE(options.tableId, options.tableIdLength ?? 6), u16(options.rowsFlags ?? 1)];
	if (options.version === 2) {
		const extra = options.extraData ?? Buffer.alloc(0);
		parts.push(u16(extra.length + 2), extra);
	}
	parts.push(packedInt(options.columnCount), bitmap(present));
	if (options.action === 'update') parts.push(bitmap(options.presentAfter ?? present));
	parts.push(...options.images);
	return buildEvent(ROWS_TYPES[options.version][options.action], Buffer.concat(parts), options);
}

export interface MariadbGtidOptions extends EventOptions {
	sequence: bigint;
	domainId: number;
	gtidFlags?: number;
	commitId?: bigint;
	xid?: {formatId: number; gtrid: Buffer; bqual: Buffer};
}

/** MariaDB GTID: seq 8, domain 4, flags 1, [commit id 8], [XA: format 4, gtrid len 1, bqual len 1, data], padded to 19 */
export function mariadbGtidEvent(options: MariadbGtidOptions): Buffer {
	let flags = options.gtidFlags ?? 0;
	if (options.commitId !== undefined) flags |= 2;
	const parts = [u64(options.sequence), u32(options.domainId), Buffer.from([flags])];
	if (options.commitId !== undefined) parts.push(u64(options.commitId));
	if (options.xid) {
		parts.push(u32(options.xid.formatId), Buffer.from([options.xid.gtrid.length, options.xid.bqual.length]), options.xid.gtrid, options.xid.bqual);
	}
	let body = Buffer.concat(parts);
	if (body.length < 19) body = Buffer.concat([body, Buffer.alloc(19 - body.length)]);
	return buildEvent(EventType.MARIADB_GTID, body, options);
}

/** MariaDB GTID_LIST: count 4 (flags in the high 4 bits), then domain 4, server 4, sequence 8 each */
export function mariadbGtidListEvent(gtids: Array<{domainId: number; serverId: number; sequence: bigint}>, listFlags = 0, options: EventOptions = {}): Buffer {
	const parts = [u32((gtids.length | (listFlags << 28)) >>> 0)];
	for (const gtid of gtids) parts.push(u32(gtid.domainId), u32(gtid.serverId), u64(gtid.sequence));
	return buildEvent(EventType.MARIADB_GTID_LIST, Buffer.concat(parts), options);
}

export interface MysqlGtidOptions extends EventOptions {
	anonymous?: boolean;
	gtidFlags?: number;
	uuid: string;
	gno: bigint;
	/** with sequenceNumber: the logical clock (typecode 2) */
	lastCommitted?: bigint;
	sequenceNumber?: bigint;
	immediateCommitTimestamp?: bigint;
	/** written only when it differs from the immediate one (high bit of the immediate timestamp set) */
	originalCommitTimestamp?: bigint;
	transactionLength?: bigint;
}

/** MySQL GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT: flags 1, sid 16, gno 8, [typecode 2, last_committed 8, sequence_number 8, [timestamps 7/14, [transaction length]]] */
export function mysqlGtidEvent(options: MysqlGtidOptions): Buffer {
	const parts = [Buffer.from([options.gtidFlags ?? 1]), Buffer.from(options.uuid.replaceAll('-', ''), 'hex'), u64(options.gno)];
	if (options.lastCommitted !== undefined) {
		parts.push(Buffer.from([2]), u64(options.lastCommitted), u64(options.sequenceNumber ?? 0n));
		if (options.immediateCommitTimestamp !== undefined) {
			const original = options.originalCommitTimestamp;
			const differs = original !== undefined && original !== options.immediateCommitTimestamp;
			parts.push(u64(options.immediateCommitTimestamp | (differs ? 1n << 55n : 0n)).subarray(0, 7));
			if (differs) parts.push(u64(original).subarray(0, 7));
			if (options.transactionLength !== undefined) parts.push(packedInt(options.transactionLength));
		}
	}
	return buildEvent(options.anonymous ? EventType.ANONYMOUS_GTID : EventType.GTID, Buffer.concat(parts), options);
}

/** MySQL PREVIOUS_GTIDS: n_sids 8, per sid uuid 16, n_intervals 8, intervals (start 8, end 8 exclusive) */
export function previousGtidsEvent(set: MysqlGtidSid[], options: EventOptions = {}): Buffer {
	const parts = [u64(set.length)];
	for (const sid of set) {
		parts.push(Buffer.from(sid.uuid.replaceAll('-', ''), 'hex'), u64(sid.intervals.length));
		for (const interval of sid.intervals) parts.push(u64(interval.start), u64(interval.end));
	}
	return buildEvent(EventType.PREVIOUS_GTIDS, Buffer.concat(parts), options);
}
