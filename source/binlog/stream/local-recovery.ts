import {createReadStream} from 'node:fs';
import {open, rm, stat, truncate} from 'node:fs/promises';
import path from 'node:path';
import type {EventBus} from '../../core/events.ts';
import {BinlogDecoder} from '../event/decoder.ts';
import {ChecksumAlgorithm, checksumMatches, EVENT_HEADER_LENGTH, FIRST_EVENT_POSITION} from '../event/header.ts';
import {EventType} from '../event/types.ts';
import {listRawBinlogs, compareBinlogNames} from '../file/binlog-dir.ts';
import {splitBinlogEvents} from '../file/event-splitter.ts';
import type {BinlogFlavor} from '../protocol/replica-session.ts';
import {readCheckpoint, type StreamCheckpoint} from './checkpoint.ts';
import {TransactionTracker} from './transaction-tracker.ts';

/** Where streaming continues: the end of the last complete transaction found in the copy. */
export interface ResumePoint {
	file: string;
	position: number;
	gtid: string;
	flavor?: BinlogFlavor;
	/** the raw file is in the directory at exactly `position` bytes (false: it is created when its first event comes) */
	fileOnDisk: boolean;
	checkpoint?: StreamCheckpoint;
}

/**
 * Rebuilds the resume point after any stop, clean or not: starts at the checkpoint (or the oldest raw
 * file), walks forward over every whole, checksum-valid transaction in the copy, cuts the file after
 * the last one and removes raw files past it. What was cut is sent again by the server.
 */
export async function recoverLocalCopy(dir: string, bus: EventBus): Promise<ResumePoint | undefined> {
	const checkpoint = await readCheckpoint(dir);
	const raw = await listRawBinlogs(dir);
	if (!checkpoint && raw.length === 0) return undefined;

	let file = checkpoint?.file ?? raw[0]!;
	let position = checkpoint?.position ?? FIRST_EVENT_POSITION;
	let tracker: TransactionTracker | undefined = checkpoint ? new TransactionTracker(checkpoint.source.flavor, checkpoint.gtid) : undefined;
	let flavor = checkpoint?.source.flavor;

	if (!raw.includes(file)) {
		// the checkpoint's file was closed (and maybe compressed) after it was written: the server goes on from there
		const later = raw.filter((name) => compareBinlogNames(name, file) > 0);
		await removeFiles(dir, later, bus);
		return {file, position, gtid: checkpoint?.gtid ?? '', flavor, fileOnDisk: false, checkpoint};
	}

	for (;;) {
		const scan = await scanFile(dir, file, position, tracker);
		tracker = scan.tracker;
		flavor = scan.flavor ?? flavor;
		const full = path.join(dir, file);
		if ((await stat(full)).size > scan.boundary) {
			bus.warn(`${file}: cut after position ${scan.boundary}, the end of the last complete transaction; the server sends the rest again`, {code: 'BINLOG_COPY_TRUNCATED'});
			await truncate(full, scan.boundary);
		}
		const next = scan.next ?? (scan.endedWithStop ? raw.find((name) => compareBinlogNames(name, file) > 0) : undefined);
		if (scan.clean && next !== undefined) {
			if (raw.includes(next)) {
				file = next;
				position = FIRST_EVENT_POSITION;
				continue;
			}
			await removeFiles(dir, raw.filter((name) => compareBinlogNames(name, file) > 0), bus);
			return {file: next, position: FIRST_EVENT_POSITION, gtid: tracker?.gtidState ?? '', flavor, fileOnDisk: false, checkpoint};
		}
		await removeFiles(dir, raw.filter((name) => compareBinlogNames(name, file) > 0), bus);
		return {file, position: scan.boundary, gtid: tracker?.gtidState ?? '', flavor, fileOnDisk: true, checkpoint};
	}
}

interface FileScan {
	/** end of the last complete transaction */
	boundary: number;
	/** every byte up to the end of the file was whole, valid events */
	clean: boolean;
	/** the file ended with a ROTATE naming this file */
	next?: string;
	endedWithStop: boolean;
	tracker?: TransactionTracker;
	flavor?: BinlogFlavor;
}

async function scanFile(dir: string, file: string, from: number, tracker: TransactionTracker | undefined): Promise<FileScan> {
	const full = path.join(dir, file);
	const size = (await stat(full)).size;
	const decoder = new BinlogDecoder();
	let flavor: BinlogFlavor | undefined;
	// the file's format description event comes first; it says whether events carry a CRC32
	const description = await readFirstEvent(full);
	if (description) {
		const decoded = decoder.decode(description);
		if (decoded.kind === 'format-description') flavor = /mariadb/i.test(decoded.serverVersion) ? 'mariadb' : 'mysql';
	}
	if (!flavor || (decoder.checksum === ChecksumAlgorithm.crc32 && !checksumMatches(description!))) {
		return {boundary: FIRST_EVENT_POSITION, clean: false, endedWithStop: false, tracker, flavor};
	}
	tracker ??= new TransactionTracker(flavor);
	let boundary = from;
	let next: string | undefined;
	let endedWithStop = false;
	let clean = true;
	const stream = from === FIRST_EVENT_POSITION ? createReadStream(full) : createReadStream(full, {start: from});
	const events = splitBinlogEvents(stream, {file, startOffset: from === FIRST_EVENT_POSITION ? 0 : from, onTruncated: 'stop'});
	try {
		for (;;) {
			const step = await events.next();
			if (step.done) {
				clean = step.value.trailingBytes === 0;
				break;
			}
			const {event} = step.value;
			if (decoder.checksum === ChecksumAlgorithm.crc32 && !checksumMatches(event)) {
				clean = false;
				break;
			}
			const decoded = decoder.decode(event);
			const verdict = tracker.observe(decoded);
			next = decoded.kind === 'rotate' ? decoded.nextFile : undefined;
			endedWithStop = decoded.header.type === EventType.STOP;
			if (verdict.boundary) boundary = step.value.position + event.length;
		}
	} catch {
		clean = false;
	} finally {
		stream.destroy();
	}
	if (boundary !== size || !clean) {
		next = undefined;
		endedWithStop = false;
	}
	return {boundary, clean, next, endedWithStop, tracker, flavor};
}

/** The event at position 4 (the format description), or undefined when the file is shorter than one. */
async function readFirstEvent(full: string): Promise<Buffer | undefined> {
	const handle = await open(full, 'r');
	try {
		const header = Buffer.alloc(EVENT_HEADER_LENGTH);
		const {bytesRead} = await handle.read(header, 0, EVENT_HEADER_LENGTH, FIRST_EVENT_POSITION);
		if (bytesRead < EVENT_HEADER_LENGTH) return undefined;
		const size = header.readUInt32LE(9);
		if (size < EVENT_HEADER_LENGTH || size > 64 * 1024) return undefined;
		const event = Buffer.alloc(size);
		const read = await handle.read(event, 0, size, FIRST_EVENT_POSITION);
		return read.bytesRead === size ? event : undefined;
	} finally {
		await handle.close();
	}
}

async function removeFiles(dir: string, names: string[], bus: EventBus): Promise<void> {
	for (const name of names) {
		bus.warn(`${name}: removed, it comes after the resume point and the server sends it again`, {code: 'BINLOG_COPY_TRUNCATED'});
		await rm(path.join(dir, name), {force: true});
	}
}
