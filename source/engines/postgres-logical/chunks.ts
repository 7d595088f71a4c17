import type {DataTable} from './ddl/types.ts';

/** A chunk aims at about this much table storage when --chunk-rows is not given. */
export const ADAPTIVE_CHUNK_BYTES = 16 * 1024 * 1024;
/** TID range scans (ctid >= … AND ctid < …) read only the blocks asked for from PostgreSQL 14 on; before, every chunk would scan the table. */
export const TID_RANGE_SCAN_VERSION = 140000;

const UNANALYZED_ROW_BYTES = 100;

export interface TableChunk {
	index: number;
	/** first block, inclusive; absent: from the start */
	fromBlock?: number;
	/** last block, exclusive; absent: to the end (rows the table grows into are the snapshot's too) */
	toBlock?: number;
}

export interface ChunkPlanInput {
	table: DataTable;
	/** blocks of the main fork when the dump starts */
	blocks: number;
	blockSize: number;
	serverVersionNum: number;
	/** rows per chunk from --chunk-rows; undefined: adaptive; 0: never split */
	chunkRows?: number;
}

/** Splits a table into ctid block ranges so several workers can COPY one big table at once; pg_dump cannot. */
export function planTableChunks(input: ChunkPlanInput): TableChunk[] {
	const {table, blocks, chunkRows} = input;
	if (chunkRows === 0 || blocks <= 1 || input.serverVersionNum < TID_RANGE_SCAN_VERSION) return [{index: 0}];
	let blocksPerChunk: number;
	if (chunkRows === undefined) {
		blocksPerChunk = Math.max(1, Math.floor(ADAPTIVE_CHUNK_BYTES / input.blockSize));
	} else {
		// a table never analyzed has no estimate: assume rows of about 100 bytes
		const rowsPerBlock = table.pages > 0 && table.estimatedRows > 0 ? table.estimatedRows / table.pages : input.blockSize / UNANALYZED_ROW_BYTES;
		blocksPerChunk = Math.max(1, Math.ceil(chunkRows / Math.max(1, rowsPerBlock)));
	}
	if (blocksPerChunk >= blocks) return [{index: 0}];
	const chunks: TableChunk[] = [];
	for (let from = 0; from < blocks; from += blocksPerChunk) {
		const last = from + blocksPerChunk >= blocks;
		chunks.push({index: chunks.length, fromBlock: from === 0 ? undefined : from, toBlock: last ? undefined : from + blocksPerChunk});
	}
	return chunks;
}

/** The COPY that reads one chunk: the whole table, or one range of its blocks. */
export function copyOutStatement(qualifiedTable: string, columns: string[], chunk: TableChunk): string {
	const list = columns.join(', ');
	if (chunk.fromBlock === undefined && chunk.toBlock === undefined) return `COPY ${qualifiedTable}${list ? ` (${list})` : ''} TO STDOUT`;
	const conditions: string[] = [];
	if (chunk.fromBlock !== undefined) conditions.push(`ctid >= '(${chunk.fromBlock},0)'::pg_catalog.tid`);
	if (chunk.toBlock !== undefined) conditions.push(`ctid < '(${chunk.toBlock},0)'::pg_catalog.tid`);
	return `COPY (SELECT ${list} FROM ONLY ${qualifiedTable} WHERE ${conditions.join(' AND ')}) TO STDOUT`;
}
