import type {MysqlConnection} from '../../core/connect.ts';
import type {Chunk} from './chunks.ts';
import {qualifiedName, quoteIdentifier} from './identifiers.ts';
import {tupleEncoder} from './tuple-encoder.ts';
import {columnReader, insertableColumns, rawBytes, rowLiteralExpression} from './values.ts';
import {WorkError} from '../../core/errors.ts';

/** Largest INSERT we write; a single row larger than this gets a statement of its own. */
export const DEFAULT_MAX_STATEMENT_BYTES = 1024 * 1024;

/** Where the INSERTs go: a file, or an archive member's stream (the promise is the backpressure). */
export interface ChunkSink {
	write(buffer: Buffer): Promise<unknown>;
}

export interface ChunkOutput {
	rows: number;
	bytes: number;
}

export interface ChunkWriteOptions {
	maxStatementBytes?: number;
	/** called as rows are read, with how many since the last call */
	onRows?: (rows: number) => void;
	onBytes?: (bytes: number) => void;
}

/**
 * The SELECT that reads one chunk, and the INSERT prefix its rows are written under (null: nothing to
 * insert). `serverFormatted`: the SELECT returns each row as its finished `…` tuple text (see
 * rowLiteralExpression); otherwise one raw field per column, encoded here.
 */
export function chunkStatements(chunk: Chunk): {select: string; insertPrefix: string; serverFormatted: boolean} | null {
	const columns = insertableColumns(chunk.table.columns);
	if (columns.length === 0) return null;
	const from = qualifiedName(chunk.table.database, chunk.table.name);
	const where = chunk.where ? ` WHERE ${chunk.where}` : '';
	const rowLiteral = rowLiteralExpression(columns);
	const list = rowLiteral ?? columns.map(columnReader).map((reader) => reader.selectExpression).join(', ');
	return {
		select: `SELECT ${list} FROM ${from}${where}`,
		insertPrefix: `INSERT INTO ${quoteIdentifier(chunk.table.name)} (${columns.map((column) => quoteIdentifier(column.name)).join(', ')}) VALUES\n`,
		serverFormatted: rowLiteral !== null,
	};
}

const OPEN = Buffer.from('(');
const CLOSE = Buffer.from(')');
const BETWEEN = Buffer.from(',\n');
const END = Buffer.from(';\n');

/**
 * Streams one chunk's rows from the server (inside the worker's snapshot) into multi-row INSERTs
 * written to `sink`. Memory holds one statement at most: the row stream pauses while a write is pending.
 */
export async function writeChunk(connection: MysqlConnection, chunk: Chunk, sink: ChunkSink, options: ChunkWriteOptions = {}): Promise<ChunkOutput> {
	const statements = chunkStatements(chunk);
	if (!statements) return {rows: 0, bytes: 0};
	const limit = options.maxStatementBytes ?? DEFAULT_MAX_STATEMENT_BYTES;
	const encodeTuple = tupleEncoder(insertableColumns(chunk.table.columns));
	const prefix = Buffer.from(statements.insertPrefix, 'utf8');
	let pending: Buffer[] = [];
	let pendingBytes = 0;
	let rows = 0;
	let bytes = 0;
	let unreported = 0;

	const flush = async () => {
		if (pending.length === 0) return;
		const parts: Buffer[] = [prefix];
		for (let index = 0; index < pending.length; index++) {
			if (index > 0) parts.push(BETWEEN);
			parts.push(OPEN, pending[index], CLOSE);
		}
		parts.push(END);
		pending = [];
		pendingBytes = 0;
		const buffer = Buffer.concat(parts);
		await sink.write(buffer);
		bytes += buffer.length;
		options.onBytes?.(buffer.length);
	};

	// the promise wrapper has no streaming API; its underlying connection does, with backpressure
	const core = (connection as unknown as {connection: {query(options: object): {stream(options?: object): AsyncIterable<(Buffer | null)[]>}}}).connection;
	const stream = core.query({sql: statements.select, rowsAsArray: true, typeCast: rawBytes}).stream({highWaterMark: 1024});
	for await (const row of stream) {
		let tuple: Buffer;
		if (statements.serverFormatted) {
			if (row[0] === null) {
				throw new WorkError({
					code: 'ROW_TOO_LARGE',
					message: `a row of ${chunk.table.database}.${chunk.table.name} is larger than the server returns from one expression (max_allowed_packet)`,
					hint: 'Raise max_allowed_packet on the server for the dump.',
				});
			}
			tuple = row[0];
		} else {
			tuple = encodeTuple(row);
		}
		const tupleBytes = tuple.length + 4;
		if (pending.length > 0 && prefix.length + pendingBytes + tupleBytes > limit) await flush();
		pending.push(tuple);
		pendingBytes += tupleBytes;
		rows += 1;
		unreported += 1;
		if (unreported >= 1000) {
			options.onRows?.(unreported);
			unreported = 0;
		}
	}
	await flush();
	if (unreported > 0) options.onRows?.(unreported);
	return {rows, bytes};
}
