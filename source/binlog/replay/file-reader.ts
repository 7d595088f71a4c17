/**
 * Reads one binlog file's events in order, decompressing a stored `.zst`/`.gz` copy, checking every
 * event's CRC32 (when the file's format description says the server wrote them) and, for a file the
 * index lists as closed, its size and SHA-256 once it has been read to the end.
 */
import {pipeline} from 'node:stream';
import {IntegrityError} from '../../core/errors.ts';
import {decompressStream} from '../../storage/compression.ts';
import {MeterStream} from '../../storage/hash.ts';
import {ChecksumAlgorithm, checksumMatches, formatDescriptionChecksum, type ChecksumAlgorithmValue} from '../event/header.ts';
import {EventType, eventTypeName} from '../event/types.ts';
import {splitBinlogEvents} from '../file/event-splitter.ts';
import type {LocatedBinlog} from './binlog-files.ts';
import {checksumMismatch, sha256Mismatch, sizeMismatch} from './errors.ts';

export interface FileEvent {
	position: number;
	/** offset just after the event */
	end: number;
	/** the whole event as in the file, header to checksum */
	event: Buffer;
}

export interface FileEnd {
	/** offset after the last whole event */
	end: number;
	/** bytes after it that do not make a whole event (a file still being written) */
	trailingBytes: number;
}

export interface ReadFileOptions {
	/** binlog-index.json, named in messages */
	indexFile: string;
	/** the newest file, maybe still being written: an incomplete last event ends it instead of failing */
	mayBeOpen: boolean;
}

export async function* readBinlogFile(file: LocatedBinlog, options: ReadFileOptions): AsyncGenerator<FileEvent, FileEnd> {
	const meter = new MeterStream({sha256: file.expected !== undefined});
	const bytes = pipeline(file.target.readRange(file.stored, 0), decompressStream(file.compression), meter, () => {
		// errors reach the consumer through `meter`
	});
	const events = splitBinlogEvents(bytes, {file: file.name, onTruncated: options.mayBeOpen && !file.expected ? 'stop' : 'error'});
	try {
		return yield* checkedEvents(file, options, events, meter);
	} finally {
		await events.return({end: 0, trailingBytes: 0});
		bytes.destroy();
	}
}

async function* checkedEvents(
	file: LocatedBinlog,
	options: ReadFileOptions,
	events: AsyncGenerator<{position: number; event: Buffer}, FileEnd>,
	meter: MeterStream,
): AsyncGenerator<FileEvent, FileEnd> {
	let checksum: ChecksumAlgorithmValue | undefined;
	let step = await events.next();
	while (!step.done) {
		const {position, event} = step.value;
		if (checksum === undefined) {
			if (event[4] !== EventType.FORMAT_DESCRIPTION) {
				throw new IntegrityError({
					code: 'BINLOG_NO_FORMAT_DESCRIPTION',
					message: `${file.name}: the first event (position ${position}) is a ${eventTypeName(event[4]!)} event, not the FORMAT_DESCRIPTION every binlog file starts with`,
					hint: 'The file is damaged or not a binlog: replace it with another copy.',
				});
			}
			checksum = formatDescriptionChecksum(event);
			// a damaged FDE must not pass for one that announces no checksums
			if (event[event.length - 5] === ChecksumAlgorithm.crc32 && checksum !== ChecksumAlgorithm.crc32) {
				throw checksumMismatch(file.name, position, eventTypeName(event[4]!));
			}
		}
		if (checksum === ChecksumAlgorithm.crc32 && !checksumMatches(event)) throw checksumMismatch(file.name, position, eventTypeName(event[4]!));
		yield {position, end: position + event.length, event};
		step = await events.next();
	}
	if (file.expected) {
		if (meter.bytes !== file.expected.size) throw sizeMismatch(file.name, file.expected.size, meter.bytes, options.indexFile);
		const actual = meter.sha256();
		if (actual !== file.expected.sha256) throw sha256Mismatch(file.name, file.expected.sha256, actual, options.indexFile);
	}
	return step.value;
}
