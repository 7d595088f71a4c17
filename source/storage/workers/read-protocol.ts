/** Messages between archive/reader-threads.ts and read-worker.ts. */

export interface ReadWorkerData {
	/** stored bytes read at a time */
	inputBytes: number;
}

/** What the thread found wrong with a member, for the reader to word as an error naming member and archive. */
export type MemberProblem =
	| {kind: 'stored-size'; bytes: number}
	| {kind: 'sha256'; sha256: string}
	| {kind: 'raw-size'; bytes: number}
	| {kind: 'corrupt'; message: string}
	| {kind: 'read'; message: string; code?: string};

export interface PieceRequest {
	path: string;
	/** where the member's stored bytes start in the file, and how many there are */
	start: number;
	size: number;
	compression: 'zstd' | 'none';
	/** bytes after decompression */
	rawBytes: number;
	/** when given, the stored bytes must hash to it */
	sha256?: string;
}

export interface ByteRange {
	start: number;
	size: number;
}

export interface RangeHash {
	/** bytes read: fewer than the range's size when the file ends first */
	bytes: number;
	sha256: string;
}

export type ReadRequest =
	/** the thread fills the slots of `slots` (slotCount × slotBytes) and answers each filled one */
	| ({id: number; op: 'open'; slots: SharedArrayBuffer; slotBytes: number; slotCount: number} & PieceRequest)
	/** the consumer is done with a slot: the thread may fill it again */
	| {id: number; op: 'release'; slot: number}
	/** the consumer stopped early; gets no answer */
	| {id: number; op: 'close'}
	| ({id: number; op: 'hash'; path: string} & ByteRange);

export type ReadReply =
	| {id: number; slot: number; length: number; end?: boolean}
	| {id: number; hashed: RangeHash}
	/** in place of the end: the member is bad, or could not be read */
	| {id: number; problem: MemberProblem};
