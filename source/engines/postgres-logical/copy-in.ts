import type {Duplex} from 'node:stream';
import type pg from 'pg';

/*
 * `COPY … FROM STDIN` as a pg submittable that writes each piece of data to the socket as it is, behind
 * a five-byte CopyData header, and releases the piece once the socket is done with its bytes. Unlike
 * pg-copy-streams it never holds on to a piece after the socket has taken it, so a piece can be memory
 * its producer reuses (see storage/archive/reader-threads.ts).
 */

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4]); // 'c', length 4

export interface CopyPiece {
	data: Buffer;
	release(): void;
}

interface CopyConnection {
	readonly stream: Duplex;
	query(text: string): void;
	sendCopyFail(message: string): void;
}

function deferred<T>(): {promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void} {
	let resolve!: (value: T) => void;
	let reject!: (error: unknown) => void;
	const promise = new Promise<T>((yes, no) => {
		resolve = yes;
		reject = no;
	});
	// a failure is read where it matters (send, finish); an unread one must not end the process
	promise.catch(() => undefined);
	return {promise, resolve, reject};
}

/** One `COPY … FROM STDIN`: queue it with `client.query(copy)`, then send() the pieces and finish(), or abandon(). */
export class CopyIn implements pg.Submittable {
	private connection: CopyConnection | undefined;
	/** the server is in COPY mode (CopyInResponse), or refused the statement */
	private readonly started = deferred<void>();
	/** the server has answered CommandComplete and ReadyForQuery with the rows copied, or an error */
	private readonly done = deferred<number>();
	private failure: {error: unknown} | undefined;
	private rowCount = 0;

	constructor(readonly text: string) {}

	/** @internal pg calls this when the query's turn comes */
	submit(connection: pg.Connection): void {
		this.connection = connection as unknown as CopyConnection;
		this.connection.query(this.text);
	}

	/**
	 * Sends one piece; resolves when the socket can take more. Rejects with the server's error once there
	 * is one (the piece is released either way).
	 */
	async send(piece: CopyPiece): Promise<void> {
		try {
			await this.started.promise;
		} catch (error) {
			piece.release();
			throw error;
		}
		if (this.failure) {
			piece.release();
			throw this.failure.error;
		}
		const {stream} = this.connection!;
		const header = Buffer.allocUnsafe(5);
		header[0] = COPY_DATA;
		header.writeUInt32BE(piece.data.length + 4, 1);
		// corked, the header and the piece leave in one writev
		stream.cork();
		stream.write(header);
		const more = stream.write(piece.data, () => piece.release());
		stream.uncork();
		if (more) return;
		await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), this.done.promise]);
	}

	/** Ends the data; resolves with the number of rows the server copied, or rejects with its error. */
	async finish(): Promise<number> {
		await this.started.promise;
		if (!this.failure) this.connection!.stream.write(COPY_DONE);
		return this.done.promise;
	}

	/** Makes the server give the COPY up (nothing of it stays) and waits until the connection is usable again. */
	async abandon(reason: string): Promise<void> {
		try {
			await this.started.promise;
		} catch {
			return;
		}
		if (!this.failure) this.connection!.sendCopyFail(reason);
		await this.done.promise.catch(() => undefined);
	}

	/** @internal */
	handleCopyInResponse(): void {
		this.started.resolve();
	}

	/** @internal */
	handleCommandComplete(message: {text?: string}): void {
		const match = /^COPY (\d+)/.exec(message.text ?? '');
		if (match) this.rowCount = Number(match[1]);
	}

	/** @internal after CommandComplete; not called after an error */
	handleReadyForQuery(): void {
		this.done.resolve(this.rowCount);
	}

	/** @internal the server's ErrorResponse, or a dead connection */
	handleError(error: unknown): void {
		this.failure ??= {error};
		this.started.reject(error);
		this.done.reject(error);
	}
}

/**
 * Feeds `pieces` to `copy` (already queued on its connection) and resolves with the rows copied. When
 * the pieces fail instead of ending (a member found bad on the way), the COPY is given up, so the server
 * keeps none of it, and their error is thrown; the server's own refusal is thrown as it comes.
 */
export async function copyPieces(copy: CopyIn, pieces: AsyncIterable<CopyPiece>, progress: (bytes: number) => void = () => undefined): Promise<number> {
	const iterator = pieces[Symbol.asyncIterator]();
	for (;;) {
		let next: IteratorResult<CopyPiece>;
		try {
			next = await iterator.next();
		} catch (error) {
			await copy.abandon(error instanceof Error ? error.message : String(error));
			throw error;
		}
		if (next.done) break;
		progress(next.value.data.length);
		try {
			await copy.send(next.value);
		} catch (error) {
			await iterator.return?.();
			throw error;
		}
	}
	return copy.finish();
}
