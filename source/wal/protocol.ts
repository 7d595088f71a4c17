/**
 * The messages of physical streaming replication inside START_REPLICATION's CopyBoth, and the bits of
 * WAL itself the streamer reads (a segment's long page header). Integers are big-endian on the wire;
 * the WAL bytes are the server's own, in its byte order (little-endian on every platform built here).
 */

/** 'w': a run of WAL bytes starting at `start` */
export interface XLogData {
	kind: 'data';
	start: bigint;
	/** the server's WAL end when it sent this */
	serverEnd: bigint;
	/** when it was sent, ms since the Unix epoch */
	sentAt: number;
	bytes: Buffer;
}

/** 'k': the server's keepalive; `replyRequested` wants a standby status update now */
export interface PrimaryKeepalive {
	kind: 'keepalive';
	serverEnd: bigint;
	sentAt: number;
	replyRequested: boolean;
}

const XLOG_DATA = 0x77; // w
const KEEPALIVE = 0x6b; // k
const STANDBY_STATUS = 0x72; // r

/** 2000-01-01T00:00:00Z, PostgreSQL's epoch, in ms since the Unix epoch */
const PG_EPOCH_MS = 946_684_800_000;

function fromPgMicros(micros: bigint): number {
	return Number(micros / 1000n) + PG_EPOCH_MS;
}

function toPgMicros(ms: number): bigint {
	return BigInt(Math.round(ms - PG_EPOCH_MS)) * 1000n;
}

/** One CopyData payload of the server; undefined for a kind this client does not know (ignored, as the server's future messages). */
export function parseCopyData(payload: Buffer): XLogData | PrimaryKeepalive | undefined {
	if (payload[0] === XLOG_DATA) {
		if (payload.length < 25) throw new Error(`an XLogData message of ${payload.length} bytes (a header is 25)`);
		return {kind: 'data', start: payload.readBigUInt64BE(1), serverEnd: payload.readBigUInt64BE(9), sentAt: fromPgMicros(payload.readBigInt64BE(17)), bytes: payload.subarray(25)};
	}
	if (payload[0] === KEEPALIVE) {
		if (payload.length < 18) throw new Error(`a keepalive message of ${payload.length} bytes (it is 18)`);
		return {kind: 'keepalive', serverEnd: payload.readBigUInt64BE(1), sentAt: fromPgMicros(payload.readBigInt64BE(9)), replyRequested: payload[17] !== 0};
	}
	return undefined;
}

/**
 * 'r': the standby status update. `flush` is what the server may forget (a physical slot's restart_lsn
 * moves to it), so it is only ever what is durably stored; apply is not ours to report (0).
 */
export function standbyStatus(write: bigint, flush: bigint, replyRequested: boolean, now = Date.now()): Buffer {
	const message = Buffer.alloc(34);
	message[0] = STANDBY_STATUS;
	message.writeBigUInt64BE(write, 1);
	message.writeBigUInt64BE(flush, 9);
	message.writeBigUInt64BE(0n, 17);
	message.writeBigInt64BE(toPgMicros(now), 25);
	message[33] = replyRequested ? 1 : 0;
	return message;
}

/** `SHOW wal_segment_size` (`16MB`, `1GB`, `64MB`) in bytes; a power of two from 1 MiB to 1 GiB. */
export function parseSegmentSize(text: string): number {
	const match = /^(\d+)\s*(kB|MB|GB)?$/.exec(text.trim());
	const unit = {kB: 1024, MB: 1024 * 1024, GB: 1024 * 1024 * 1024}[match?.[2] ?? ''] ?? 1;
	const bytes = match ? Number(match[1]) * unit : Number.NaN;
	if (!Number.isSafeInteger(bytes) || bytes < 1024 * 1024 || bytes > 1024 * 1024 * 1024 || (bytes & (bytes - 1)) !== 0) {
		throw new RangeError(`wal_segment_size ${JSON.stringify(text)} is not a power of two from 1MB to 1GB`);
	}
	return bytes;
}

/** XLogLongPageHeaderData: the short header (24 bytes with its padding), system id, segment size, block size */
const LONG_HEADER_BYTES = 40;
const XLP_LONG_HEADER = 0x0002;

/** The long page header at the start of every WAL segment: whose WAL it is and how its segments are cut. */
export interface SegmentHeader {
	magic: number;
	timeline: number;
	/** the LSN of the segment's first byte */
	pageAddress: bigint;
	systemId: string;
	segmentBytes: number;
	blockBytes: number;
}

/**
 * The long page header of a segment's first page (XLogLongPageHeaderData: magic, info, timeline,
 * page address, remaining length, then system id, segment size and block size), or undefined when the
 * bytes are too few or the page does not say it has one.
 */
export function readSegmentHeader(bytes: Buffer): SegmentHeader | undefined {
	if (bytes.length < LONG_HEADER_BYTES) return undefined;
	const info = bytes.readUInt16LE(2);
	if ((info & XLP_LONG_HEADER) === 0) return undefined;
	return {
		magic: bytes.readUInt16LE(0),
		timeline: bytes.readUInt32LE(4),
		pageAddress: bytes.readBigUInt64LE(8),
		systemId: bytes.readBigUInt64LE(24).toString(),
		segmentBytes: bytes.readUInt32LE(32),
		blockBytes: bytes.readUInt32LE(36),
	};
}
