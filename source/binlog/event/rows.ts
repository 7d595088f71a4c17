/**
 * WRITE/UPDATE/DELETE_ROWS v1 (23–25) and v2 (30–32): post-header table id and flags (v2 adds the
 * extra-data length, which counts its own 2 bytes, and the extra data follows), then the column count,
 * the columns-present bitmap (UPDATE: a second one for the after image), then the row images. Each image
 * is a NULL bitmap over the present columns and the non-NULL present columns' values.
 *
 * Rows are counted by walking every image with the sizes from the TABLE_MAP: this is per event on a
 * busy server, so the walk reads the buffer in place and allocates nothing per row or per column.
 */
import {WorkError} from '../../core/errors.ts';
import {BodyReader, describeEvent, malformedEvent} from './body-reader.ts';
import type {RowsAction, RowsEvent, TableMapEvent} from './decoded.ts';
import type {EventHeader} from './header.ts';
import {tableIdLength, type TableLayout} from './table-map.ts';
import {EventType} from './types.ts';

export interface RememberedTable {
	map: TableMapEvent;
	layout: TableLayout;
}

const SHAPES = new Map<number, {action: RowsAction; version: 1 | 2}>([
	[EventType.WRITE_ROWS_V1, {action: 'insert', version: 1}],
	[EventType.UPDATE_ROWS_V1, {action: 'update', version: 1}],
	[EventType.DELETE_ROWS_V1, {action: 'delete', version: 1}],
	[EventType.WRITE_ROWS, {action: 'insert', version: 2}],
	[EventType.UPDATE_ROWS, {action: 'update', version: 2}],
	[EventType.DELETE_ROWS, {action: 'delete', version: 2}],
]);

export function isRowsEventType(type: number): boolean {
	return SHAPES.has(type);
}

export function decodeRows(
	header: EventHeader,
	body: Buffer,
	postHeaderLength: number,
	lookup: (tableId: bigint) => RememberedTable | undefined,
): RowsEvent {
	const shape = SHAPES.get(header.type)!;
	const reader = new BodyReader(body, header);
	const idLength = tableIdLength(postHeaderLength);
	const rawTableId = reader.uint(idLength, 'table id');
	const tableId = BigInt(rawTableId);
	const flags = reader.u16('rows flags');
	let extraLength = 0;
	if (shape.version === 2) {
		extraLength = reader.u16('extra data length');
		if (extraLength < 2) throw malformedEvent(header, `extra data length ${extraLength} is below its own 2 bytes`);
	}
	if (postHeaderLength > reader.pos) reader.skip(postHeaderLength - reader.pos, 'post-header');
	if (extraLength > 2) reader.skip(extraLength - 2, 'extra data');
	const base = {kind: 'rows' as const, header, action: shape.action, version: shape.version, tableId, flags};

	const remembered = lookup(tableId);
	if (!remembered) {
		// the servers' "dummy" rows event (table id all ones) closes a statement that changed no row
		if (rawTableId === 2 ** (idLength * 8) - 1) return {...base, rowCount: 0};
		throw new WorkError({
			code: 'BINLOG_TABLE_MAP_MISSING',
			message: `${describeEvent(header)}: no TABLE_MAP seen for table id ${tableId}`,
			hint:
				'Rows events follow the TABLE_MAP of their table in the same transaction: start decoding at a ' +
				'transaction boundary (a GTID or BEGIN event), not in the middle of one.',
		});
	}
	const {map, layout} = remembered;
	const columnCount = reader.packedInt('column count');
	if (columnCount > layout.sizes.length) {
		throw malformedEvent(header, `${columnCount} columns for ${map.schema}.${map.table}, whose TABLE_MAP has ${layout.sizes.length}`);
	}
	if (layout.unsupported) {
		throw new WorkError({
			code: 'BINLOG_COLUMN_TYPE_UNSUPPORTED',
			message: `${describeEvent(header)}: column ${layout.unsupported.column + 1} of ${map.schema}.${map.table} has binlog type ${layout.unsupported.type}, which this decoder cannot size`,
			hint: 'This server writes a column type the decoder does not know yet: report the server version and the table definition.',
		});
	}
	const bitmapLength = (columnCount + 7) >> 3;
	const before = reader.pos;
	reader.skip(bitmapLength, 'columns-present bitmap');
	let after = before;
	if (shape.action === 'update') {
		after = reader.pos;
		reader.skip(bitmapLength, 'after-image columns-present bitmap');
	}
	const rowCount = countRows(header, body, reader.pos, layout, columnCount, before, after, shape.action === 'update');
	return {...base, schema: map.schema, table: map.table, rowCount};
}

/** Lists the present columns' indexes into `present`; returns how many. */
function presentColumns(body: Buffer, bitmapOffset: number, columnCount: number, present: Int32Array): number {
	let count = 0;
	for (let column = 0; column < columnCount; column++) {
		if (body[bitmapOffset + (column >> 3)]! & (1 << (column & 7))) present[count++] = column;
	}
	return count;
}

/** Walks one row image from `position`; returns the position after it. */
function skipImage(header: EventHeader, body: Buffer, position: number, sizes: Int32Array, present: Int32Array, presentCount: number): number {
	const end = body.length;
	const nullBitmap = position;
	let pos = position + ((presentCount + 7) >> 3);
	for (let index = 0; index < presentCount; index++) {
		if (body[nullBitmap + (index >> 3)]! & (1 << (index & 7))) continue;
		const size = sizes[present[index]!]!;
		if (size >= 0) {
			pos += size;
			continue;
		}
		const prefix = -size;
		if (pos + prefix > end) break;
		pos += prefix + body.readUIntLE(pos, prefix);
	}
	if (pos > end) throw malformedEvent(header, `a row image starting at body offset ${position} runs past the end of the body (${end} bytes)`);
	return pos;
}

function countRows(
	header: EventHeader,
	body: Buffer,
	start: number,
	layout: TableLayout,
	columnCount: number,
	beforeBitmap: number,
	afterBitmap: number,
	isUpdate: boolean,
): number {
	const {sizes, present, presentAfter} = layout;
	const beforeCount = presentColumns(body, beforeBitmap, columnCount, present);
	const afterCount = isUpdate ? presentColumns(body, afterBitmap, columnCount, presentAfter) : 0;
	let rows = 0;
	let pos = start;
	while (pos < body.length) {
		const rowStart = pos;
		pos = skipImage(header, body, pos, sizes, present, beforeCount);
		if (isUpdate) pos = skipImage(header, body, pos, sizes, presentAfter, afterCount);
		if (pos === rowStart) throw malformedEvent(header, `a row at body offset ${rowStart} has no bytes`);
		rows++;
	}
	return rows;
}
