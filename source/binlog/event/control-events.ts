/** The small events: format description, rotate, xid, XA prepare, incident, heartbeat, and the text-only ones. */
import {BodyReader} from './body-reader.ts';
import type {
	AnnotateRowsEvent,
	FormatDescriptionEvent,
	HeartbeatEvent,
	IncidentEvent,
	MariadbBinlogCheckpointEvent,
	RotateEvent,
	RowsQueryEvent,
	XaPrepareEvent,
	XidEvent,
} from './decoded.ts';
import {CHECKSUM_LENGTH, EVENT_HEADER_LENGTH, type ChecksumAlgorithmValue, type EventHeader} from './header.ts';

const SERVER_VERSION_LENGTH = 50;
/** Servers from MySQL 5.6.1 / MariaDB 5.3 end the FDE with the algorithm byte and a 4-byte checksum slot. */
function writesChecksumAlgorithm(serverVersion: string): boolean {
	const match = /^(\d+)\.(\d+)\.(\d+)/.exec(serverVersion);
	if (!match) return true;
	const [major, minor, patch] = match.slice(1).map(Number) as [number, number, number];
	if (/mariadb/i.test(serverVersion)) return major > 5 || (major === 5 && minor >= 3);
	return major > 5 || (major === 5 && (minor > 6 || (minor === 6 && patch >= 1)));
}

/**
 * `event` is the whole FORMAT_DESCRIPTION event: its body is binlog version, server version, create
 * timestamp, common header length, one post-header length per event type, then (servers that know
 * checksums) the algorithm byte and the checksum (or room for it), whatever the algorithm.
 */
export function decodeFormatDescription(header: EventHeader, event: Buffer, checksum: ChecksumAlgorithmValue): FormatDescriptionEvent {
	const reader = new BodyReader(event.subarray(EVENT_HEADER_LENGTH), header);
	const binlogVersion = reader.u16('binlog version');
	const serverVersion = reader.string(SERVER_VERSION_LENGTH, 'server version', 'latin1').replace(/\0.*$/s, '');
	const createTimestamp = reader.u32('create timestamp');
	const headerLength = reader.u8('common header length');
	const trailer = writesChecksumAlgorithm(serverVersion) ? 1 + CHECKSUM_LENGTH : 0;
	reader.need(trailer, 'checksum algorithm and checksum');
	const postHeaderLengths = new Uint8Array(reader.bytes(reader.remaining - trailer, 'post-header lengths'));
	return {kind: 'format-description', header, binlogVersion, serverVersion, createTimestamp, headerLength, checksum, postHeaderLengths};
}

/** position 8 (when the post-header has it), then the next file's name to the end. */
export function decodeRotate(header: EventHeader, body: Buffer, postHeaderLength: number): RotateEvent {
	const reader = new BodyReader(body, header);
	let position = 4;
	if (postHeaderLength >= 8) {
		position = Number(reader.u64('position'));
		reader.skip(postHeaderLength - 8, 'post-header');
	}
	return {kind: 'rotate', header, position, nextFile: reader.rest().toString('utf8')};
}

export function decodeXid(header: EventHeader, body: Buffer): XidEvent {
	return {kind: 'xid', header, xid: new BodyReader(body, header).u64('xid')};
}

/** one-phase 1, format id 4, gtrid length 4, bqual length 4, gtrid, bqual */
export function decodeXaPrepare(header: EventHeader, body: Buffer): XaPrepareEvent {
	const reader = new BodyReader(body, header);
	const onePhase = reader.u8('one-phase flag') !== 0;
	const formatId = reader.i32('format id');
	const gtridLength = reader.u32('gtrid length');
	const bqualLength = reader.u32('bqual length');
	return {kind: 'xa-prepare', header, onePhase, formatId, gtrid: reader.bytes(gtridLength, 'gtrid'), bqual: reader.bytes(bqualLength, 'bqual')};
}

/** incident type 2, message length 1, message */
export function decodeIncident(header: EventHeader, body: Buffer): IncidentEvent {
	const reader = new BodyReader(body, header);
	const incidentType = reader.u16('incident type');
	const message = reader.remaining > 0 ? reader.string(reader.u8('message length'), 'message') : '';
	return {kind: 'incident', header, incidentType, message};
}

/** the body is the name of the binlog file the server is sending */
export function decodeHeartbeat(header: EventHeader, body: Buffer): HeartbeatEvent {
	return {kind: 'heartbeat', header, file: body.toString('utf8')};
}

/** file name length 4, file name */
export function decodeBinlogCheckpoint(header: EventHeader, body: Buffer): MariadbBinlogCheckpointEvent {
	const reader = new BodyReader(body, header);
	return {kind: 'mariadb-binlog-checkpoint', header, file: reader.string(reader.u32('file name length'), 'file name')};
}

/** MariaDB ANNOTATE_ROWS: the statement behind the rows events that follow, the whole body */
export function decodeAnnotateRows(header: EventHeader, body: Buffer): AnnotateRowsEvent {
	return {kind: 'annotate-rows', header, sql: body.toString('utf8')};
}

/** MySQL ROWS_QUERY: a length byte (not trusted: it overflows above 255), then the statement */
export function decodeRowsQuery(header: EventHeader, body: Buffer): RowsQueryEvent {
	const reader = new BodyReader(body, header);
	reader.skip(1, 'length byte');
	return {kind: 'rows-query', header, sql: reader.rest().toString('utf8')};
}
