/** Messages between zstd-stream.ts and compress-worker.ts. */

export interface CompressWorkerData {
	/** a thread returns at most about this much output before it waits for the reader */
	pieceBytes: number;
}

export type CompressRequest =
	/** gets no answer: a failure to open waits for the session's first request */
	| {id: number; op: 'open'; mode: 'compress' | 'decompress'; level: number}
	| {id: number; op: 'data'; input: Uint8Array}
	| {id: number; op: 'end'}
	/** the reader wants the rest of the output of the request in flight */
	| {id: number; op: 'more'}
	/** gets no answer */
	| {id: number; op: 'close'};

/**
 * Exactly one answer per data, end or more request. `spare`: the buffer of the last data request,
 * handed back for the next batch once the thread is done with it.
 */
export type CompressReply = {id: number; out: Uint8Array; done: boolean; spare?: Uint8Array} | {id: number; error: string};
