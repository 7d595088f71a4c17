/**
 * Row changes are replayed as the server's own BINLOG statement: base64 of the events as they are in the
 * file (header to checksum). The server decodes them under the last FORMAT_DESCRIPTION sent on the same
 * connection, so that goes first. Restoring under another database name rewrites the TABLE_MAP's schema
 * and recomputes the event's CRC32.
 */
import {CHECKSUM_LENGTH, ChecksumAlgorithm, EVENT_HEADER_LENGTH, writeChecksum} from '../event/header.ts';
import type {FormatDescriptionEvent} from '../event/decoded.ts';
import {STMT_END_F} from '../event/decoded.ts';
import {tableIdLength} from '../event/table-map.ts';
import {EventType} from '../event/types.ts';

export function binlogStatement(events: readonly Buffer[]): string {
	return `BINLOG '${Buffer.concat(events).toString('base64')}'`;
}

function withChecksum(format: FormatDescriptionEvent): boolean {
	return format.checksum === ChecksumAlgorithm.crc32;
}

/** The TABLE_MAP event with its database name replaced; size and checksum follow. */
export function renameTableMap(event: Buffer, format: FormatDescriptionEvent, schema: string): Buffer {
	const postHeader = format.postHeaderLengths[EventType.TABLE_MAP - 1] ?? 8;
	const nameAt = EVENT_HEADER_LENGTH + postHeader;
	const oldLength = event[nameAt]!;
	const name = Buffer.from(schema, 'utf8');
	if (name.length > 255) throw new Error(`database name ${schema} is longer than a TABLE_MAP can hold`);
	const renamed = Buffer.concat([event.subarray(0, nameAt), Buffer.from([name.length]), name, event.subarray(nameAt + 1 + oldLength)]);
	renamed.writeUInt32LE(renamed.length, 9);
	if (withChecksum(format)) writeChecksum(renamed);
	return renamed;
}

/** A copy of the rows event flagged as its statement's last one (the real last one was filtered out). */
export function withStatementEnd(event: Buffer, format: FormatDescriptionEvent): Buffer {
	const idLength = tableIdLength(format.postHeaderLengths[event[4]! - 1] ?? 10);
	const flagsAt = EVENT_HEADER_LENGTH + idLength;
	const copy = Buffer.from(event);
	copy.writeUInt16LE(copy.readUInt16LE(flagsAt) | STMT_END_F, flagsAt);
	if (withChecksum(format)) writeChecksum(copy);
	return copy;
}

export function rowsFlags(event: Buffer, format: FormatDescriptionEvent): number {
	const idLength = tableIdLength(format.postHeaderLengths[event[4]! - 1] ?? 10);
	return event.readUInt16LE(EVENT_HEADER_LENGTH + idLength);
}

/** What identifies a format description for the server: all but its timestamps, flags and checksum. */
export function formatKey(event: Buffer, format: FormatDescriptionEvent): string {
	const trailer = withChecksum(format) ? CHECKSUM_LENGTH : 0;
	const body = event.subarray(EVENT_HEADER_LENGTH, event.length - trailer);
	// binlog version (2) + server version (50), then the create timestamp (4) is left out
	return Buffer.concat([body.subarray(0, 52), body.subarray(56)]).toString('base64');
}
