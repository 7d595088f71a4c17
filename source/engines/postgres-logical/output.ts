import type {Readable} from 'node:stream';
import type {DatabaseToc, DataTable} from './ddl/types.ts';
import type {PostgresCoordinates} from './snapshot.ts';
import type {TableChunk} from './chunks.ts';
import type {RowChecksum} from '../row-checksum.ts';

/** One database as the dump hands it to an output. */
export interface DumpedDatabase {
	name: string;
	encoding: string;
	toc: DatabaseToc;
	coordinates: PostgresCoordinates;
	/** large objects' oids, in order */
	largeObjects: number[];
}

/** Where a dump goes: the archive (members in parallel) or one plain script psql can run (in order). */
export interface PostgresDumpOutput {
	/** a plain script takes chunks one at a time, in table and chunk order */
	readonly sequential: boolean;
	beginDatabase(database: DumpedDatabase): Promise<void>;
	/**
	 * Takes one chunk's COPY text; resolves once `rows` has been consumed (the connection is then free for
	 * the next COPY), while an archive member may still be compressing.
	 */
	writeChunk(database: DumpedDatabase, table: DataTable, chunk: TableChunk, chunks: number, rows: Readable, rowCount: () => number): Promise<void>;
	writeLargeObject(database: DumpedDatabase, oid: number, content: AsyncIterable<Buffer>): Promise<void>;
	endDatabase(database: DumpedDatabase): Promise<void>;
	/** completes the artifact; returns its size in bytes */
	finish(fields: {startedAt: string; serverVersion: string; tables: Map<DataTable, number>; checksums: Map<DataTable, RowChecksum>}): Promise<number>;
	abort(): Promise<void>;
}
