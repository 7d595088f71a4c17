import {createHash} from 'node:crypto';
import {pipeline} from 'node:stream/promises';
import {IntegrityError} from '../../core/errors.ts';
import {readBytes} from '../../storage/target/read-bytes.ts';
import {BinlogDecoder} from '../event/decoder.ts';
import {BINLOG_MAGIC, ChecksumAlgorithm, checksumMatches, EVENT_HEADER_LENGTH, FIRST_EVENT_POSITION} from '../event/header.ts';
import {EventType} from '../event/types.ts';
import type {BinlogFlavor} from '../flavor.ts';
import type {IndexedBinlog} from './binlog-index.ts';
import {binlogTarget, type BinlogDir} from './dir-file.ts';

/** What the first bytes of a file named like a binlog say about it. */
export type CopyFileKind =
	/** the magic and a whole, valid format description event */
	| {kind: 'binlog'; flavor: BinlogFlavor; crc32: boolean; formatDescription: Buffer}
	/** a file of ours cut at its creation: a prefix of the magic, or the magic and part of a format description */
	| {kind: 'torn-new'};

/** the longest format description event we accept (they are about 100-250 bytes) */
const MAX_FORMAT_DESCRIPTION = 64 * 1024;

/**
 * Checks that `name` in `dir` is a binlog file as the streamer writes them, before anything cuts or
 * removes it: the 4-byte magic `\xfebin`, then a format description event with its checksum. A file
 * that is not (a foreign file that happens to be named like a binlog) is refused with an error naming it.
 */
export async function checkOurBinlog(dir: BinlogDir, name: string): Promise<CopyFileKind> {
	const target = binlogTarget(dir);
	const full = target.describe(name);
	const size = await sizeOf(target, name);
	const head = await readBytes(target, name, 0, Math.min(size, FIRST_EVENT_POSITION + EVENT_HEADER_LENGTH));
	if (size < BINLOG_MAGIC.length) {
		if (head.equals(BINLOG_MAGIC.subarray(0, size))) return {kind: 'torn-new'};
		throw foreign(full, `it is ${size} bytes long and does not start with the binlog magic \\xfebin`);
	}
	if (!head.subarray(0, BINLOG_MAGIC.length).equals(BINLOG_MAGIC)) throw foreign(full, 'it does not start with the binlog magic \\xfebin');
	if (size === FIRST_EVENT_POSITION) return {kind: 'torn-new'};
	// the type byte of the first event: a format description, or not ours
	if (size >= FIRST_EVENT_POSITION + 5 && head[FIRST_EVENT_POSITION + 4] !== EventType.FORMAT_DESCRIPTION) {
		throw foreign(full, 'its first event is not a format description event');
	}
	if (size < FIRST_EVENT_POSITION + EVENT_HEADER_LENGTH) return {kind: 'torn-new'};
	const eventSize = head.readUInt32LE(FIRST_EVENT_POSITION + 9);
	const logPos = head.readUInt32LE(FIRST_EVENT_POSITION + 13);
	if (eventSize < EVENT_HEADER_LENGTH || eventSize > MAX_FORMAT_DESCRIPTION || logPos !== FIRST_EVENT_POSITION + eventSize) {
		throw foreign(full, 'its first event header does not describe a format description event');
	}
	if (size < FIRST_EVENT_POSITION + eventSize) return {kind: 'torn-new'};
	const event = await readBytes(target, name, FIRST_EVENT_POSITION, FIRST_EVENT_POSITION + eventSize);
	const decoder = new BinlogDecoder();
	let decoded;
	try {
		decoded = decoder.decode(event);
	} catch (error) {
		throw foreign(full, `its format description event does not parse (${(error as Error).message})`);
	}
	if (decoded.kind !== 'format-description') throw foreign(full, 'its first event is not a format description event');
	const crc32 = decoder.checksum === ChecksumAlgorithm.crc32;
	if (crc32 && !checksumMatches(event)) throw foreign(full, 'its format description event fails its CRC32 check');
	return {kind: 'binlog', flavor: /mariadb/i.test(decoded.serverVersion) ? 'mariadb' : 'mysql', crc32, formatDescription: event};
}

/** The size of a file of the copy; one that vanished meanwhile is an error naming it. */
export async function sizeOf(dir: BinlogDir, name: string): Promise<number> {
	const target = binlogTarget(dir);
	const info = await target.stat(name);
	if (!info) throw Object.assign(new Error(`${target.describe(name)}: no such file`), {code: 'ENOENT'});
	return info.bytes;
}

/**
 * True when a whole event starts at `position` in the file: its header's size and end position agree,
 * and with checksums on its CRC32 matches. A checkpoint's position is trusted only then.
 */
export async function eventStartsAt(dir: BinlogDir, name: string, position: number, crc32: boolean): Promise<boolean> {
	const target = binlogTarget(dir);
	const size = await sizeOf(target, name);
	if (position + EVENT_HEADER_LENGTH > size) return false;
	const header = await readBytes(target, name, position, position + EVENT_HEADER_LENGTH);
	const eventSize = header.readUInt32LE(9);
	if (eventSize < EVENT_HEADER_LENGTH || header.readUInt32LE(13) !== position + eventSize) return false;
	if (!crc32) return true;
	if (position + eventSize > size) return false;
	return checksumMatches(await readBytes(target, name, position, position + eventSize));
}

const verified = new Map<string, string>();

/**
 * A raw file the index lists as closed must be exactly what was indexed (size and SHA-256); then nothing
 * may cut or remove it. A file that changed since is an integrity error, and it is left as it is.
 * A match is remembered for the file's size and mtime, so a reconnect does not hash it again.
 */
export async function verifyClosedFile(dir: BinlogDir, entry: IndexedBinlog): Promise<void> {
	const target = binlogTarget(dir);
	const full = target.describe(entry.name);
	const info = await target.stat(entry.name);
	const size = info?.bytes ?? -1;
	const key = `${full}\0${size}\0${info?.modifiedAt.getTime() ?? 0}`;
	if (verified.get(full) === key) return;
	let sha256: string | undefined;
	if (size === entry.size) {
		const hash = createHash('sha256');
		await pipeline(target.readRange(entry.name, 0), hash);
		sha256 = hash.digest('hex');
	}
	if (sha256 !== entry.sha256) {
		throw new IntegrityError({
			code: 'BINLOG_CLOSED_FILE_CHANGED',
			message: `${full} is listed in binlog-index.json as closed (${entry.size} bytes, sha256 ${entry.sha256}) but ${size < 0 ? 'is gone' : `now has ${size} bytes`}${sha256 ? `, sha256 ${sha256}` : ''}; it was left as it is`,
			hint: 'A closed binlog is never changed by the streamer. Restore the file from a copy (or the server, if it still has it), or move it away if the server can send it again.',
		});
	}
	verified.set(full, key);
}

function foreign(full: string, why: string): IntegrityError {
	return new IntegrityError({
		code: 'BINLOG_FOREIGN_FILE',
		message: `${full} is named like a binlog but is not one the streamer wrote: ${why}. It was not touched`,
		hint: 'Move that file out of the --output directory (it holds only the streamed copy), then run binlog-stream again.',
	});
}

/** offset of the format description's create timestamp: after the header, the binlog version (2) and the server version (50) */
const CREATED_OFFSET = EVENT_HEADER_LENGTH + 2 + 50;

/**
 * True when the server's format description event of a file is the one at the start of our copy of it:
 * same creation time, server id, server version and layout. A server resending a file from a position
 * zeroes the event's end position and create timestamp and may change its flags, so those (and the CRC
 * over them) are not compared. Another server's file of the same name differs at least in its time.
 */
export function sameFormatDescription(ours: Buffer, theirs: Buffer): boolean {
	if (ours.length !== theirs.length || ours.length < CREATED_OFFSET + 4) return false;
	const same = (from: number, to: number) => ours.subarray(from, to).equals(theirs.subarray(from, to));
	// timestamp, type, server id, size | body before the create timestamp | body after it, without the CRC
	return same(0, 13) && same(EVENT_HEADER_LENGTH, CREATED_OFFSET) && same(CREATED_OFFSET + 4, ours.length - 4);
}
