import {crc32} from 'node:zlib';

/** Every v4 binlog event starts with this 19-byte header (timestamp, type, server id, size, end position, flags). */
export const EVENT_HEADER_LENGTH = 19;

/** A binlog file starts with these 4 bytes, then the events exactly as the server wrote them. */
export const BINLOG_MAGIC = Buffer.from([0xfe, 0x62, 0x69, 0x6e]);

/** The first event position in every binlog file, right after the magic. */
export const FIRST_EVENT_POSITION = 4;

/**
 * Set in the format description event of the file the server is writing, cleared when it closes the
 * file. The checksum is computed with it cleared, so it can change without the checksum changing.
 */
export const LOG_EVENT_BINLOG_IN_USE_F = 0x1;
/** offset of the flags field in the file: magic + header up to flags */
export const FORMAT_DESCRIPTION_FLAGS_OFFSET = 4 + 17;

/** The server made this event up for the replica (a fake ROTATE or GTID_LIST); it is not in the file. */
export const LOG_EVENT_ARTIFICIAL_F = 0x20;

export interface EventHeader {
	/** seconds since the epoch when the statement began */
	timestamp: number;
	type: number;
	serverId: number;
	/** header + body + checksum */
	eventSize: number;
	/** position just after this event in its file; 0 for artificial events */
	logPos: number;
	flags: number;
}

export function readEventHeader(event: Uint8Array): EventHeader {
	const buffer = Buffer.from(event.buffer, event.byteOffset, event.byteLength);
	return {
		timestamp: buffer.readUInt32LE(0),
		type: buffer[4]!,
		serverId: buffer.readUInt32LE(5),
		eventSize: buffer.readUInt32LE(9),
		logPos: buffer.readUInt32LE(13),
		flags: buffer.readUInt16LE(17),
	};
}

/** Binlog checksum algorithms as the format description event records them. */
export const ChecksumAlgorithm = {off: 0, crc32: 1, undefined: 0xff} as const;
export type ChecksumAlgorithmValue = (typeof ChecksumAlgorithm)[keyof typeof ChecksumAlgorithm];

export const CHECKSUM_LENGTH = 4;

const FORMAT_DESCRIPTION_TYPE = 15;

/** The format description event as the server's open file holds it: with the in-use flag set. */
export function markInUse(formatDescription: Buffer): Buffer {
	const copy = Buffer.from(formatDescription);
	copy[17] = copy[17]! | LOG_EVENT_BINLOG_IN_USE_F;
	return copy;
}

/** True when the event's last 4 bytes are the CRC32 of everything before them. */
export function checksumMatches(event: Buffer): boolean {
	if (event.length < EVENT_HEADER_LENGTH + CHECKSUM_LENGTH) return false;
	const expected = event.readUInt32LE(event.length - CHECKSUM_LENGTH);
	const body = event.subarray(0, event.length - CHECKSUM_LENGTH);
	if (event[4] === FORMAT_DESCRIPTION_TYPE && (event[17]! & LOG_EVENT_BINLOG_IN_USE_F) !== 0) {
		const copy = Buffer.from(body);
		copy[17] = copy[17]! & ~LOG_EVENT_BINLOG_IN_USE_F;
		return crc32(copy) === expected;
	}
	return crc32(body) === expected;
}

/** Writes a fresh CRC32 into the event's last 4 bytes (after its body was rewritten). */
export function writeChecksum(event: Buffer): void {
	event.writeUInt32LE(crc32(event.subarray(0, event.length - CHECKSUM_LENGTH)), event.length - CHECKSUM_LENGTH);
}

/**
 * The checksum algorithm a FORMAT_DESCRIPTION event announces for the events after it (and itself): the
 * byte just before its own 4-byte checksum, from servers that know checksums (MySQL 5.6.1+, MariaDB 5.3+).
 */
export function formatDescriptionChecksum(event: Buffer): ChecksumAlgorithmValue {
	// FDE body: binlog version (2), server version (50), create timestamp (4), header length (1), post-header lengths…
	const serverVersion = event.subarray(EVENT_HEADER_LENGTH + 2, EVENT_HEADER_LENGTH + 52).toString('latin1').replace(/\0.*$/s, '');
	if (!serverKnowsChecksums(serverVersion)) return ChecksumAlgorithm.off;
	const withCrc = event[event.length - CHECKSUM_LENGTH - 1];
	if (withCrc === ChecksumAlgorithm.crc32 && checksumMatches(event)) return ChecksumAlgorithm.crc32;
	const withoutCrc = event[event.length - 1];
	if (withoutCrc === ChecksumAlgorithm.off || withoutCrc === ChecksumAlgorithm.undefined) return ChecksumAlgorithm.off;
	return withCrc as ChecksumAlgorithmValue;
}

function serverKnowsChecksums(version: string): boolean {
	const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
	if (!match) return true;
	const [major, minor, patch] = match.slice(1).map(Number) as [number, number, number];
	if (/mariadb/i.test(version)) return major > 5 || (major === 5 && minor >= 3);
	return major > 5 || (major === 5 && (minor > 6 || (minor === 6 && patch >= 1)));
}
