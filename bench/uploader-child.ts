/**
 * One upload of the uploader comparison, in a process of its own so that its peak RSS is its own:
 * a generated stream of `--bytes` (a 64 MiB pseudo-random block, repeated) sent to S3 by our
 * MultipartUploader or by @aws-sdk/lib-storage's Upload, with the same part size, concurrency and S3
 * client settings. Prints one line `UPLOAD_RESULT {json}`. Started by uploader-compare.ts:
 *
 *   node --import tsx bench/uploader-child.ts --impl ours|ours-md5-only|lib-storage --endpoint URL --region R
 *     --bucket B --key K --bytes N --part-size N --workers N     (credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)
 */
import {Readable} from 'node:stream';
import {parseArgs} from 'node:util';
import {HeadBucketCommand, HeadObjectCommand} from '@aws-sdk/client-s3';
import {createS3Connection} from '../source/storage/s3/client.ts';
import {resolveS3Settings} from '../source/storage/s3/settings.ts';
import {MultipartUploader} from '../source/storage/s3/uploader.ts';
import {readMemory} from './process-sampler.ts';

// uploader-compare.ts imports only this file's types: importing it runs an upload
const UPLOADER_IMPLEMENTATIONS = ['ours', 'ours-md5-only', 'lib-storage'] as const;
export type UploaderImplementation = (typeof UPLOADER_IMPLEMENTATIONS)[number];

export interface UploadResult {
	impl: UploaderImplementation;
	bytes: number;
	/** from the first byte handed to the uploader until the object is complete */
	seconds: number;
	mibPerSecond: number;
	/** VmRSS just before the upload: node, tsx, the SDK (after one request) and the 64 MiB source block */
	rssBeforeMb: number;
	/** VmHWM at the end: the process's peak */
	peakRssMb: number;
	/** ours only: the largest total of part buffers the uploader held */
	peakBufferedMb?: number;
	parts?: number;
}

const MIB = 1024 * 1024;
const BLOCK_BYTES = 64 * MIB;
/** what the uploaders are handed at a time: a dump's writes are smaller, a file stream's 64 KiB */
const CHUNK_BYTES = MIB;

/** 64 MiB of xorshift32 output from a fixed seed: incompressible, the same every run, ~0.1 s, no garbage. */
function sourceBlock(): Buffer {
	const block = Buffer.allocUnsafe(BLOCK_BYTES);
	const words = new Uint32Array(block.buffer, block.byteOffset, BLOCK_BYTES / 4);
	let state = 0x9e3779b9;
	for (let index = 0; index < words.length; index++) {
		state ^= state << 13;
		state ^= state >>> 17;
		state ^= state << 5;
		words[index] = state >>> 0;
	}
	return block;
}

/** `total` bytes as 1 MiB views of the block, repeated (no copy: both uploaders copy what they keep). */
function* chunks(block: Buffer, total: number): Generator<Buffer> {
	for (let sent = 0; sent < total; ) {
		const offset = sent % BLOCK_BYTES;
		const length = Math.min(CHUNK_BYTES, BLOCK_BYTES - offset, total - sent);
		yield block.subarray(offset, offset + length);
		sent += length;
	}
}

async function main(): Promise<void> {
	const {values} = parseArgs({
		args: process.argv.slice(2),
		strict: true,
		options: {
			impl: {type: 'string'},
			endpoint: {type: 'string'},
			region: {type: 'string'},
			bucket: {type: 'string'},
			key: {type: 'string'},
			bytes: {type: 'string'},
			'part-size': {type: 'string'},
			workers: {type: 'string'},
		},
	});
	const impl = values.impl as UploaderImplementation;
	if (!UPLOADER_IMPLEMENTATIONS.includes(impl)) throw new Error(`--impl must be one of ${UPLOADER_IMPLEMENTATIONS.join(', ')}`);
	const bucket = values.bucket!;
	const key = values.key!;
	const total = Number(values.bytes);
	const partSize = Number(values['part-size']);
	const workers = Number(values.workers);
	// the same client for both: our connection's (keep-alive agent with workers + 2 sockets, no SDK
	// retries, checksums only where an operation requires one); ours-md5-only turns off our SHA-256
	const checksum = impl !== 'ours-md5-only';
	const connection = createS3Connection(resolveS3Settings({endpoint: values.endpoint, region: values.region, partSize, workers, checksum}, {}));
	const Upload = impl === 'lib-storage' ? (await import('@aws-sdk/lib-storage')).Upload : undefined;

	const block = sourceBlock();
	// one request first, so that the SDK's lazily loaded parts are in the baseline, not in the upload's peak
	await connection.client.send(new HeadBucketCommand({Bucket: bucket}));
	const rssBeforeMb = (await readMemory(process.pid)).rssMb;

	const began = performance.now();
	let peakBufferedMb: number | undefined;
	let parts: number | undefined;
	if (Upload === undefined) {
		const uploader = new MultipartUploader({connection, bucket, key, contentType: 'application/octet-stream'});
		for (const chunk of chunks(block, total)) await uploader.write(chunk);
		parts = (await uploader.complete()).parts;
		peakBufferedMb = uploader.stats().peakBufferedBytes / MIB;
	} else {
		const upload = new Upload({
			client: connection.client,
			params: {Bucket: bucket, Key: key, Body: Readable.from(chunks(block, total)), ContentType: 'application/octet-stream'},
			queueSize: workers,
			partSize,
			leavePartsOnError: false,
		});
		await upload.done();
	}
	const seconds = (performance.now() - began) / 1000;

	const head = await connection.client.send(new HeadObjectCommand({Bucket: bucket, Key: key}));
	if (head.ContentLength !== total) throw new Error(`${impl}: the object has ${head.ContentLength} bytes, not ${total}`);
	const result: UploadResult = {
		impl,
		bytes: total,
		seconds,
		mibPerSecond: total / MIB / seconds,
		rssBeforeMb,
		peakRssMb: (await readMemory(process.pid)).peakRssMb,
		peakBufferedMb,
		parts,
	};
	connection.client.destroy();
	process.stdout.write(`UPLOAD_RESULT ${JSON.stringify(result)}\n`);
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		process.stderr.write(`upload failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
		process.exit(1);
	},
);
