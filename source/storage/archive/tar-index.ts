import type {ErrorCode} from '../../core/error-codes.ts';
import {IntegrityError} from '../../core/errors.ts';

/*
 * Finds where every member of a POSIX tar file lies by reading only its headers (one 512-byte block
 * each, plus pax or GNU long-name records), so opening a large archive costs one small read per member.
 */

const BLOCK = 512;
/** pax records and GNU long names larger than this are not something dbbackup writes */
const MAX_META_BYTES = 1024 * 1024;

/** What the index reads through: positioned reads, as a FileHandle does them. */
export interface PositionedReader {
	read(buffer: Buffer, offset: number, length: number, position: number): Promise<{bytesRead: number}>;
}

export interface TarEntry {
	name: string;
	/** bytes of the member's data */
	size: number;
	/** where its header starts */
	headerOffset: number;
	/** where its data starts */
	dataOffset: number;
}

export interface TarIndex {
	entries: TarEntry[];
	/** bytes up to and including the end-of-archive marker */
	endOffset: number;
}

function integrity(code: ErrorCode, message: string): IntegrityError {
	return new IntegrityError({code, message, hint: 'The archive is damaged or incomplete; restore from another copy.'});
}

function truncated(archive: string, detail: string): IntegrityError {
	return integrity('ARCHIVE_TRUNCATED', `${archive} is truncated: ${detail}`);
}

function isZeroBlock(block: Buffer): boolean {
	for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
	return true;
}

function headerChecksum(block: Buffer): number {
	let sum = 8 * 0x20; // the checksum field itself counts as eight spaces
	for (let i = 0; i < 148; i++) sum += block[i]!;
	for (let i = 156; i < BLOCK; i++) sum += block[i]!;
	return sum;
}

function readText(block: Buffer, start: number, length: number): string {
	const field = block.subarray(start, start + length);
	const end = field.indexOf(0);
	return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** An octal number field, or a base-256 one (high bit set) as GNU tar and tar-stream write for big sizes. */
function readNumber(block: Buffer, start: number, length: number): number | undefined {
	const field = block.subarray(start, start + length);
	if (field[0]! & 0x80) {
		if (field[0] !== 0x80) return undefined;
		let value = 0;
		for (let i = 1; i < length; i++) value = value * 256 + field[i]!;
		return Number.isSafeInteger(value) ? value : undefined;
	}
	const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
	if (text === '') return 0;
	return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

/** pax extended header records: "<length> <key>=<value>\n" */
function parsePax(data: Buffer): Map<string, string> {
	const records = new Map<string, string>();
	let at = 0;
	while (at < data.length) {
		const space = data.indexOf(0x20, at);
		if (space === -1) break;
		const length = parseInt(data.subarray(at, space).toString('latin1'), 10);
		if (!Number.isSafeInteger(length) || length <= space - at || at + length > data.length) break;
		const record = data.subarray(space + 1, at + length - 1).toString('utf8');
		const equals = record.indexOf('=');
		if (equals > 0) records.set(record.slice(0, equals), record.slice(equals + 1));
		at += length;
	}
	return records;
}

async function readExactly(file: PositionedReader, position: number, length: number): Promise<Buffer> {
	const buffer = Buffer.alloc(length);
	let done = 0;
	while (done < length) {
		const {bytesRead} = await file.read(buffer, done, length - done, position + done);
		if (bytesRead === 0) break;
		done += bytesRead;
	}
	return done === length ? buffer : buffer.subarray(0, done);
}

function padded(size: number): number {
	return Math.ceil(size / BLOCK) * BLOCK;
}

/**
 * Reads the headers of the tar file open as `file` (of `fileSize` bytes). Each way it can be damaged is
 * a distinct IntegrityError naming `archive`: cut short, a corrupt header, not a tar at all, an entry
 * type dbbackup never writes, a member name that appears twice.
 */
export async function indexTar(file: PositionedReader, fileSize: number, archive: string): Promise<TarIndex> {
	if (fileSize === 0) throw truncated(archive, 'the file is empty');
	const entries: TarEntry[] = [];
	const seen = new Set<string>();
	let offset = 0;
	let pax = new Map<string, string>();
	let longName: string | undefined;
	const after = () => (entries.length > 0 ? ` after member ${entries[entries.length - 1]!.name}` : '');

	for (;;) {
		if (offset === fileSize) throw truncated(archive, `the file ends at byte ${offset}${after()}, before the manifest and the end-of-archive marker`);
		if (offset + BLOCK > fileSize) throw truncated(archive, `the file ends inside a tar header at byte ${fileSize}${after()}`);
		const block = await readExactly(file, offset, BLOCK);
		if (block.length < BLOCK) throw truncated(archive, `the file ends inside a tar header at byte ${offset + block.length}`);

		if (isZeroBlock(block)) {
			if (offset + 2 * BLOCK > fileSize) throw truncated(archive, `the end-of-archive marker is cut (the file ends at byte ${fileSize})`);
			const second = await readExactly(file, offset + BLOCK, BLOCK);
			if (!isZeroBlock(second)) throw integrity('ARCHIVE_HEADER_CORRUPT', `${archive}: a zeroed tar header at byte ${offset} is followed by data`);
			return {entries, endOffset: offset + 2 * BLOCK};
		}

		const magic = block.subarray(257, 262).toString('latin1');
		if (magic !== 'ustar') {
			throw offset === 0
				? integrity('ARCHIVE_NOT_TAR', `${archive} is not a tar archive (no ustar header at the start)`)
				: integrity('ARCHIVE_HEADER_CORRUPT', `${archive}: the tar header at byte ${offset}${after()} is corrupt (no ustar magic)`);
		}
		const stored = readNumber(block, 148, 8);
		if (stored !== headerChecksum(block)) {
			throw integrity('ARCHIVE_HEADER_CORRUPT', `${archive}: the tar header at byte ${offset}${after()} is corrupt (checksum mismatch)`);
		}
		let size = readNumber(block, 124, 12);
		if (size === undefined) throw integrity('ARCHIVE_HEADER_CORRUPT', `${archive}: the tar header at byte ${offset} has an unreadable size`);
		const type = String.fromCharCode(block[156]!);
		const dataOffset = offset + BLOCK;
		const next = dataOffset + padded(size);

		if (type === 'x' || type === 'g' || type === 'L') {
			if (size > MAX_META_BYTES) throw integrity('ARCHIVE_HEADER_CORRUPT', `${archive}: the tar header at byte ${offset} announces ${size} bytes of metadata`);
			if (next > fileSize) throw truncated(archive, `the file ends inside tar metadata at byte ${fileSize}${after()}`);
			const data = await readExactly(file, dataOffset, size);
			if (type === 'x') pax = parsePax(data);
			if (type === 'L') longName = readText(data, 0, data.length);
			offset = next;
			continue;
		}
		if (type !== '0' && type !== '\0') {
			throw integrity('ARCHIVE_ENTRY_UNEXPECTED', `${archive}: the entry at byte ${offset} is of tar type "${type}", not a regular file`);
		}

		const prefix = readText(block, 345, 155);
		const shortName = readText(block, 0, 100);
		const name = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${shortName}` : shortName);
		const paxSize = pax.get('size');
		if (paxSize !== undefined) {
			size = Number(paxSize);
			if (!Number.isSafeInteger(size) || size < 0) throw integrity('ARCHIVE_HEADER_CORRUPT', `${archive}: member ${name} has an unreadable pax size`);
		}
		pax = new Map();
		longName = undefined;

		const end = dataOffset + size;
		if (end > fileSize) {
			throw truncated(archive, `member ${name} needs bytes up to ${end} but the file ends at byte ${fileSize}`);
		}
		if (seen.has(name)) throw integrity('ARCHIVE_MEMBER_REPEATED', `${archive}: member ${name} appears twice`);
		seen.add(name);
		entries.push({name, size, headerOffset: offset, dataOffset});
		offset = dataOffset + padded(size);
		if (offset > fileSize) throw truncated(archive, `the padding after member ${name} is cut (the file ends at byte ${fileSize})`);
	}
}
