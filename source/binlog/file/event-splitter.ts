import type {Readable} from 'node:stream';
import {IntegrityError} from '../../core/errors.ts';
import {BINLOG_MAGIC, EVENT_HEADER_LENGTH, FIRST_EVENT_POSITION} from './../event/header.ts';

export interface PositionedEvent {
	/** offset of the event's first byte in its file */
	position: number;
	/** the whole event, header to checksum */
	event: Buffer;
}

export interface SplitOptions {
	/** file name for messages */
	file: string;
	/** offset in the file of the stream's first byte: 0 means the stream starts with the magic */
	startOffset?: number;
	/**
	 * What the stream's end in the middle of an event means: 'error' (a damaged file: IntegrityError)
	 * or 'stop' (the file is being written or was cut by a crash: the caller learns `trailingBytes`).
	 */
	onTruncated?: 'error' | 'stop';
}

export interface SplitResult {
	/** offset just after the last whole event */
	end: number;
	/** bytes after `end` that do not make a whole event */
	trailingBytes: number;
}

/**
 * Splits a binlog byte stream into events using each header's size, without concatenating more than one
 * event's bytes at a time (a row event can be hundreds of MiB).
 */
export async function* splitBinlogEvents(stream: Readable, options: SplitOptions): AsyncGenerator<PositionedEvent, SplitResult> {
	const chunks: Buffer[] = [];
	let buffered = 0;
	let offset = options.startOffset ?? 0;
	const take = (length: number): Buffer => {
		const out = Buffer.allocUnsafe(length);
		let filled = 0;
		while (filled < length) {
			const head = chunks[0]!;
			const need = length - filled;
			if (head.length <= need) {
				head.copy(out, filled);
				filled += head.length;
				chunks.shift();
			} else {
				head.copy(out, filled, 0, need);
				chunks[0] = head.subarray(need);
				filled += need;
			}
		}
		buffered -= length;
		return out;
	};
	const peekHeader = (): Buffer => {
		if (chunks[0]!.length >= EVENT_HEADER_LENGTH) return chunks[0]!;
		const joined = Buffer.concat(chunks);
		chunks.length = 0;
		chunks.push(joined);
		return joined;
	};

	for await (const chunk of stream) {
		chunks.push(chunk as Buffer);
		buffered += (chunk as Buffer).length;
		if (offset === 0 && buffered >= FIRST_EVENT_POSITION) {
			const magic = take(FIRST_EVENT_POSITION);
			if (!magic.equals(BINLOG_MAGIC)) {
				throw new IntegrityError({
					code: 'BINLOG_NOT_A_BINLOG',
					message: `${options.file} is not a binary log: it does not start with the binlog magic bytes`,
					hint: 'Point at a directory of binlog files written by the server or by `dbbackup binlog-stream`.',
				});
			}
			offset = FIRST_EVENT_POSITION;
		}
		while (offset > 0 && buffered >= EVENT_HEADER_LENGTH) {
			const size = peekHeader().readUInt32LE(9);
			if (size < EVENT_HEADER_LENGTH) {
				throw new IntegrityError({
					code: 'BINLOG_EVENT_SIZE',
					message: `${options.file}: the event at position ${offset} claims a size of ${size} bytes, less than its own header`,
					hint: 'The file is damaged at that position.',
				});
			}
			if (buffered < size) break;
			const event = take(size);
			yield {position: offset, event};
			offset += size;
		}
	}
	if (buffered > 0 && (options.onTruncated ?? 'error') === 'error') {
		throw new IntegrityError({
			code: 'BINLOG_TRUNCATED',
			message: `${options.file} ends in the middle of an event: ${buffered} bytes after position ${offset}`,
			hint: 'The file was cut short; copy it again from the server or from the streamer output.',
		});
	}
	return {end: offset, trailingBytes: buffered};
}
