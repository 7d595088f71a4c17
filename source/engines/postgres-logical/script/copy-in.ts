/** Streams the data of one `COPY … FROM STDIN` to the server with pg-copy-streams. */
import type pg from 'pg';
import pgCopyStreams from 'pg-copy-streams';

/** Reading the COPY's data failed (a truncated script, an unreadable source): the COPY was aborted. */
export class CopyDataReadError extends Error {
	constructor(readonly reason: unknown) {
		super(reason instanceof Error ? reason.message : String(reason), {cause: reason});
	}
}

type CopyStream = ReturnType<typeof pgCopyStreams.from>;

/**
 * Runs `sql` (a COPY … FROM STDIN) on `client` with `data` as its input and returns the rows the server
 * reports. Each chunk is written once the previous one has gone to the socket: that is the backpressure,
 * and it keeps pg-copy-streams from ever holding queued chunks, which it would try to flush on a
 * connection an error has already released. A server error rejects with the server's error (the rest of
 * the data is left unread). A failure to read the data aborts the COPY (CopyFail), waits until the server
 * has rolled it back, and rejects with a CopyDataReadError: none of the rows sent are committed.
 */
export async function copyIn(client: pg.Client, sql: string, data: AsyncIterable<Buffer>, onChunk?: () => void): Promise<number> {
	const stream: CopyStream = pgCopyStreams.from(sql);
	let failure: unknown;
	const failed = new Promise<never>((_, reject) => {
		stream.on('error', (error) => {
			failure ??= error;
			reject(failure);
		});
	});
	failed.catch(() => {});
	const finished = new Promise<void>((resolve) => stream.on('finish', resolve));
	client.query(stream);

	const iterator = data[Symbol.asyncIterator]();
	for (;;) {
		let next: IteratorResult<Buffer>;
		try {
			next = await iterator.next();
		} catch (error) {
			if (failure === undefined) await abort(stream, error);
			throw new CopyDataReadError(error);
		}
		if (failure !== undefined) throw failure;
		if (next.done) break;
		const chunk = next.value;
		await Promise.race([new Promise<void>((resolve, reject) => stream.write(chunk, (error) => (error ? reject(error) : resolve()))), failed]);
		onChunk?.();
	}
	stream.end();
	await Promise.race([finished, failed]);
	return stream.rowCount;
}

/** Sends CopyFail and waits for the server's answer, after which the COPY has been rolled back. */
async function abort(stream: CopyStream, reason: unknown): Promise<void> {
	const closed = new Promise<void>((resolve) => stream.once('close', resolve));
	stream.destroy(reason instanceof Error ? reason : new Error(String(reason)));
	await closed;
}
