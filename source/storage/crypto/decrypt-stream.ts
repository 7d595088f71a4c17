import {Transform} from 'node:stream';
import {ByteQueue} from './byte-queue.ts';
import {deriveKeys, HEADER_BYTES, parseHeader} from './header.ts';
import type {EncryptionKeySource} from './key.ts';
import {plaintextSize, segmentCount, SegmentDecryptor} from './layout.ts';

export interface DecryptStreamOptions {
	/** the artifact as the user reads its name, for messages */
	name: string;
	/** the artifact's stored size when known: bytes past it, or missing, are caught as they stream */
	ciphertextSize?: number;
}

/**
 * A whole encrypted artifact in, its plaintext out, segment by segment as each authenticates. A wrong
 * key fails at the header, before any output; damage fails at the segment it is in, with none of that
 * segment's bytes given out.
 */
export function createDecryptStream(source: EncryptionKeySource, options: DecryptStreamOptions): Transform {
	const head = new ByteQueue();
	let decryptor: SegmentDecryptor | undefined;

	async function start(): Promise<SegmentDecryptor> {
		const header = parseHeader(head.take(Math.min(head.length, HEADER_BYTES)), options.name);
		const keys = await deriveKeys(source, header, options.name);
		const last = options.ciphertextSize === undefined ? undefined : segmentCount(plaintextSize(options.ciphertextSize, header, options.name), header) - 1;
		return new SegmentDecryptor(keys, options.name, 0, last);
	}

	/** the bytes that came with the header */
	function afterHeader(stream: Transform, started: SegmentDecryptor): void {
		decryptor = started;
		for (const plain of started.push(head.take(head.length))) stream.push(plain);
	}

	return new Transform({
		transform(chunk: Buffer, _encoding, callback) {
			if (decryptor) {
				try {
					for (const plain of decryptor.push(chunk)) this.push(plain);
					callback();
				} catch (error) {
					callback(error as Error);
				}
				return;
			}
			head.push(chunk);
			if (head.length < HEADER_BYTES) {
				callback();
				return;
			}
			start()
				.then((started) => afterHeader(this, started))
				.then(
					() => callback(),
					(error: unknown) => callback(error as Error),
				);
		},
		flush(callback) {
			const finish = async () => {
				if (!decryptor) afterHeader(this, await start());
				for (const plain of decryptor!.end()) this.push(plain);
			};
			finish().then(
				() => callback(),
				(error: unknown) => callback(error as Error),
			);
		},
	});
}
