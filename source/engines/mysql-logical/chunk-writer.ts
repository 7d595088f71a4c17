import type {MysqlConnection} from '../../core/connect.ts';
import type {Chunk} from './chunks.ts';
import {qualifiedName, quoteIdentifier} from './identifiers.ts';
import type {RowChecksum} from '../row-checksum.ts';
import {readRowPackets} from './row-packets.ts';
import {tupleWriter} from './tuple-encoder.ts';
import {columnReader, insertableColumns} from './values.ts';

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
	/** every row read is added to it (the table's checksum in the manifest) */
	checksum?: RowChecksum;
}

/** The SELECT that reads one chunk (one raw field per column), and the INSERT prefix its rows are written under (null: nothing to insert). */
export function chunkStatements(chunk: Chunk): {select: string; insertPrefix: string} | null {
	const columns = insertableColumns(chunk.table.columns);
	if (columns.length === 0) return null;
	const from = qualifiedName(chunk.table.database, chunk.table.name);
	const where = chunk.where ? ` WHERE ${chunk.where}` : '';
	return {
		select: `SELECT ${columns.map((column) => columnReader(column).selectExpression).join(', ')} FROM ${from}${where}`,
		insertPrefix: `INSERT INTO ${quoteIdentifier(chunk.table.name)} (${columns.map((column) => quoteIdentifier(column.name)).join(', ')}) VALUES\n`,
	};
}

/** ",\n" between the tuples of a statement, ";\n" after its last */
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const BETWEEN_BYTES = 2;
const END = Buffer.from(';\n');

/**
 * Streams one chunk's rows from the server (inside the worker's snapshot) into multi-row INSERTs
 * written to `sink`. Each row packet is encoded straight into the statement being built (see
 * tuple-encoder.ts). Memory holds about two statements: when a statement is finished while the one
 * before is still being written, reading from the server pauses until that write is done.
 */
export async function writeChunk(connection: MysqlConnection, chunk: Chunk, sink: ChunkSink, options: ChunkWriteOptions = {}): Promise<ChunkOutput> {
	const statements = chunkStatements(chunk);
	if (!statements) return {rows: 0, bytes: 0};
	const limit = options.maxStatementBytes ?? DEFAULT_MAX_STATEMENT_BYTES;
	const tuples = tupleWriter(insertableColumns(chunk.table.columns));
	const prefix = Buffer.from(statements.insertPrefix, 'utf8');
	const capacity = (rowBound: number) => Math.max(limit, prefix.length + rowBound + BETWEEN_BYTES) + END.length;
	let out = Buffer.allocUnsafe(capacity(0));
	let at = prefix.copy(out, 0);
	let statementRows = 0;
	let rows = 0;
	let bytes = 0;
	let unreported = 0;
	let writesPending = 0;
	let paused = false;
	let sinkFailure: unknown;
	let lastWrite: Promise<unknown> = Promise.resolve();

	const read = readRowPackets(connection, statements.select, (row, start, end) => {
		if (sinkFailure !== undefined) throw sinkFailure;
		const bound = tuples.bound(end - start) + BETWEEN_BYTES;
		if (statementRows > 0 && at + bound + END.length > limit) flush();
		if (at + bound + END.length > out.length) {
			// one row larger than a statement: it gets a statement of its own, in a buffer its size
			out = Buffer.allocUnsafe(capacity(bound));
			at = prefix.copy(out, 0);
		}
		if (statementRows > 0) {
			out[at++] = COMMA;
			out[at++] = NEWLINE;
		}
		at = tuples.write(row, start, end, out, at);
		options.checksum?.addRow(row, start, end);
		statementRows += 1;
		rows += 1;
		unreported += 1;
		if (unreported >= 1000) {
			options.onRows?.(unreported);
			unreported = 0;
		}
	});

	function flush(): void {
		if (statementRows === 0) return;
		at += END.copy(out, at);
		const statement = out.subarray(0, at);
		out = Buffer.allocUnsafe(capacity(0));
		at = prefix.copy(out, 0);
		statementRows = 0;
		if (writesPending > 0 && !paused) {
			paused = true;
			read.pause();
		}
		writesPending += 1;
		// one write at a time, in order: a file handle must not have two writes in flight
		lastWrite = lastWrite.then(() => (sinkFailure === undefined ? sink.write(statement) : undefined)).then(
			() => {
				bytes += statement.length;
				options.onBytes?.(statement.length);
				writesPending -= 1;
				if (writesPending === 0 && paused) {
					paused = false;
					read.resume();
				}
			},
			(error: unknown) => {
				sinkFailure ??= error;
				writesPending -= 1;
				if (paused) {
					paused = false;
					read.resume();
				}
			},
		);
	}

	await read.done;
	flush();
	await lastWrite;
	if (sinkFailure !== undefined) throw sinkFailure;
	if (unreported > 0) options.onRows?.(unreported);
	return {rows, bytes};
}
