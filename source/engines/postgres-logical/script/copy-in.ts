/** Streams the data of one `COPY … FROM STDIN` in a plain script to the server, through the restore's CopyIn. */
import type pg from 'pg';
import {CopyIn, copyPieces, type CopyPiece} from '../copy-in.ts';

/** Reading the COPY's data failed (a truncated script, an unreadable source): the COPY was aborted. */
export class CopyDataReadError extends Error {
	constructor(readonly reason: unknown) {
		super(reason instanceof Error ? reason.message : String(reason), {cause: reason});
	}
}

/**
 * Runs `sql` (a COPY … FROM STDIN) on `client` with `data` as its input and returns the rows the server
 * reports. A server error rejects with the server's error and leaves the rest of the data unread (the
 * script's splitter skips it). A failure to read the data aborts the COPY (CopyFail), waits until the
 * server has rolled it back, and rejects with a CopyDataReadError: none of the rows sent are committed.
 */
export async function copyIn(client: pg.Client, sql: string, data: AsyncIterable<Buffer>, onChunk?: () => void): Promise<number> {
	const copy = new CopyIn(sql);
	void client.query(copy);
	return copyPieces(copy, scriptPieces(data), () => onChunk?.());
}

/**
 * The script's data as pieces. The next piece is read only once the socket is done with the last one:
 * the data is the splitter's view of its source's chunk, which a source may reuse. It iterates by hand:
 * giving the pieces up after a server error must not end the splitter's iterator.
 */
async function* scriptPieces(data: AsyncIterable<Buffer>): AsyncGenerator<CopyPiece> {
	const iterator = data[Symbol.asyncIterator]();
	for (;;) {
		let next: IteratorResult<Buffer>;
		try {
			next = await iterator.next();
		} catch (error) {
			throw new CopyDataReadError(error);
		}
		if (next.done) return;
		let release!: () => void;
		const sent = new Promise<void>((resolve) => (release = resolve));
		yield {data: next.value, release};
		await sent;
	}
}
