/**
 * The events of a run of binlog files, decoded, in order: from the start of the first file, following
 * each ROTATE to the file it names (or the next number after a server restart), and refusing to skip a
 * file that is missing while later ones are there.
 */
import type {DecodedEvent, FormatDescriptionEvent, RowsAction, RowsEvent} from '../event/decoded.ts';
import {BinlogDecoder} from '../event/decoder.ts';
import {EVENT_HEADER_LENGTH, readEventHeader} from '../event/header.ts';
import {tableIdLength} from '../event/table-map.ts';
import {compareBinlogNames} from '../file/binlog-dir.ts';
import {binlogBase, nextBinlogName, type BinlogCatalog} from './binlog-files.ts';
import {binlogFileMissing} from './errors.ts';
import {readBinlogFile} from './file-reader.ts';

export interface SequencedEvent {
	file: string;
	position: number;
	end: number;
	/** the event as in the file, header to checksum */
	raw: Buffer;
	decoded: DecodedEvent;
	/** the file's format description, which the event is read (and replayed) under */
	format: FormatDescriptionEvent;
}

export interface SequenceEnd {
	/** the last file read and the offset after its last whole event */
	file: string;
	end: number;
	/** bytes of an incomplete event at the end of the newest file */
	trailingBytes: number;
}

/**
 * Rows events the decoder does not walk: MariaDB's compressed ones and MySQL's PARTIAL_UPDATE_ROWS (JSON
 * partial updates). Replayable as they are; their rows are not counted.
 */
const UNWALKED_ROWS = new Set([39, 166, 167, 168, 169, 170, 171]);
const ROWS_ACTIONS = new Map<number, RowsAction>([
	[23, 'insert'], [24, 'update'], [25, 'delete'], [30, 'insert'], [31, 'update'], [32, 'delete'],
	[39, 'update'], [166, 'insert'], [167, 'update'], [168, 'delete'], [169, 'insert'], [170, 'update'], [171, 'delete'],
]);

export async function* readBinlogSequence(catalog: BinlogCatalog, firstFile: string): AsyncGenerator<SequencedEvent, SequenceEnd> {
	let file = firstFile;
	for (;;) {
		const located = catalog.files.get(file)!;
		const newest = !catalog.names.some((name) => binlogBase(name) === binlogBase(file) && compareBinlogNames(name, file) > 0);
		const decoder = new BinlogDecoder();
		let format: FormatDescriptionEvent | undefined;
		let rotateTo: string | undefined;
		const events = readBinlogFile(located, {indexFile: catalog.indexFile, mayBeOpen: newest});
		let step;
		try {
			step = await events.next();
			while (!step.done) {
				const {position, end, event} = step.value;
				const decoded = decodeEvent(decoder, event, format);
				if (decoded.kind === 'format-description') format = decoded;
				if (decoded.kind === 'rotate') rotateTo = decoded.nextFile;
				yield {file, position, end, raw: event, decoded, format: format!};
				step = await events.next();
			}
		} finally {
			if (!step?.done) await events.return({end: 0, trailingBytes: 0});
		}
		const next = rotateTo ?? nextBinlogName(file);
		if (catalog.files.has(next)) {
			file = next;
			continue;
		}
		const later = catalog.names.some((name) => binlogBase(name) === binlogBase(next) && compareBinlogNames(name, next) > 0);
		if (later) throw binlogFileMissing(next, file, catalog.dir);
		return {file, end: step.value.end, trailingBytes: step.value.trailingBytes};
	}
}

/**
 * A rows event the decoder cannot walk (a column type it cannot size, a compressed event) is still
 * replayable byte for byte: it is described from its post-header and its table map, rows uncounted.
 */
function decodeEvent(decoder: BinlogDecoder, event: Buffer, format: FormatDescriptionEvent | undefined): DecodedEvent {
	const type = event[4]!;
	if (format && UNWALKED_ROWS.has(type)) return rowsFromPostHeader(decoder, event, format);
	try {
		return decoder.decode(event);
	} catch (error) {
		if (format && (error as {code?: string}).code === 'BINLOG_COLUMN_TYPE_UNSUPPORTED') return rowsFromPostHeader(decoder, event, format);
		throw error;
	}
}

function rowsFromPostHeader(decoder: BinlogDecoder, event: Buffer, format: FormatDescriptionEvent): RowsEvent {
	const header = readEventHeader(event);
	const idLength = tableIdLength(format.postHeaderLengths[header.type - 1] ?? 10);
	const tableId = BigInt(event.readUIntLE(EVENT_HEADER_LENGTH, idLength));
	const flags = event.readUInt16LE(EVENT_HEADER_LENGTH + idLength);
	const map = decoder.tableMap(tableId);
	return {
		kind: 'rows',
		header,
		action: ROWS_ACTIONS.get(header.type) ?? 'insert',
		version: [30, 31, 32, 39, 169, 170, 171].includes(header.type) ? 2 : 1,
		tableId,
		schema: map?.schema,
		table: map?.table,
		rowCount: 0,
		flags,
	};
}
