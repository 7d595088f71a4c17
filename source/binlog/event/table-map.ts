/**
 * TABLE_MAP_EVENT: post-header table id (6 bytes, 4 when the post-header is 6 bytes) and flags (2); body
 * schema and table (length byte, name, NUL), column count (packed), one type byte per column, packed
 * metadata length, the metadata, the nullable bitmap. MySQL 8 / MariaDB 10.5+ may append optional
 * metadata (binlog_row_metadata), which is not needed to size the rows and is left unread.
 */
import {BodyReader, malformedEvent} from './body-reader.ts';
import {metadataLength, readMetadata, storedSize} from './column-layout.ts';
import type {TableMapEvent} from './decoded.ts';
import type {EventHeader} from './header.ts';

/** What a rows event needs to walk its row images, worked out once per TABLE_MAP. */
export interface TableLayout {
	/** per column: fixed size ≥ 0, or −k for a k-byte length prefix (see storedSize) */
	sizes: Int32Array;
	/** the first column whose type this decoder cannot size, if any */
	unsupported?: {column: number; type: number};
	/** scratch space for the indexes of the columns present in an image (update: its after image), reused across events */
	present: Int32Array;
	presentAfter: Int32Array;
}

export function tableIdLength(postHeaderLength: number): 4 | 6 {
	return postHeaderLength === 6 ? 4 : 6;
}

export function decodeTableMap(header: EventHeader, body: Buffer, postHeaderLength: number): TableMapEvent {
	const reader = new BodyReader(body, header);
	const idLength = tableIdLength(postHeaderLength);
	const tableId = BigInt(reader.uint(idLength, 'table id'));
	const flags = reader.u16('table map flags');
	if (postHeaderLength > reader.pos) reader.skip(postHeaderLength - reader.pos, 'post-header');
	const schema = reader.string(reader.u8('schema name length'), 'schema name');
	reader.skip(1, 'NUL after the schema name');
	const table = reader.string(reader.u8('table name length'), 'table name');
	reader.skip(1, 'NUL after the table name');
	const columnCount = reader.packedInt('column count');
	const types = reader.bytes(columnCount, 'column types');
	const metadataSize = reader.packedInt('column metadata length');
	const metadata = reader.bytes(metadataSize, 'column metadata');
	const nullBitmap = reader.bytes((columnCount + 7) >> 3, 'nullable-columns bitmap');

	const columnTypes = new Array<number>(columnCount);
	const columnMeta = new Array<number>(columnCount);
	const nullable = new Array<boolean>(columnCount);
	let offset = 0;
	let metadataKnown = true;
	for (let column = 0; column < columnCount; column++) {
		const type = types[column]!;
		columnTypes[column] = type;
		nullable[column] = (nullBitmap[column >> 3]! & (1 << (column & 7))) !== 0;
		const length = metadataLength(type);
		// after a type of unknown metadata size, the later columns' metadata cannot be placed
		if (length === undefined) metadataKnown = false;
		if (!metadataKnown || length === undefined || length === 0) {
			columnMeta[column] = 0;
			continue;
		}
		if (offset + length > metadata.length) {
			throw malformedEvent(header, `column metadata is ${metadata.length} bytes, too short for column ${column + 1} of ${schema}.${table}`);
		}
		columnMeta[column] = readMetadata(type, metadata, offset);
		offset += length;
	}
	return {kind: 'table-map', header, tableId, schema, table, columnTypes, columnMeta, nullable, flags};
}

export function tableLayout(map: TableMapEvent): TableLayout {
	const count = map.columnTypes.length;
	const sizes = new Int32Array(count);
	let unsupported: TableLayout['unsupported'];
	for (let column = 0; column < count; column++) {
		const size = storedSize(map.columnTypes[column]!, map.columnMeta[column]!);
		if (size === undefined) {
			unsupported ??= {column, type: map.columnTypes[column]!};
			continue;
		}
		sizes[column] = size;
	}
	return {sizes, unsupported, present: new Int32Array(count), presentAfter: new Int32Array(count)};
}
