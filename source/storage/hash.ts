import {createHash, type Hash} from 'node:crypto';
import {Transform, type TransformCallback} from 'node:stream';

/** A pass-through that counts the bytes going through it and, unless told not to, hashes them with SHA-256. */
export class MeterStream extends Transform {
	bytes = 0;
	private readonly hash: Hash | null;
	private digest: string | null = null;

	constructor(options: {sha256?: boolean} = {}) {
		super();
		this.hash = options.sha256 === false ? null : createHash('sha256');
	}

	override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
		this.bytes += chunk.length;
		this.hash?.update(chunk);
		callback(null, chunk);
	}

	/** Hex SHA-256 of everything that went through; only once the stream has ended. */
	sha256(): string {
		if (!this.hash) throw new Error('this meter does not hash');
		if (!this.writableFinished) throw new Error('the SHA-256 is known only once the stream has ended');
		this.digest ??= this.hash.digest('hex');
		return this.digest;
	}
}
