import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {after, before, describe, test} from 'node:test';
import {WorkError} from '../../../source/core/errors.ts';
import type {S3Connection} from '../../../source/storage/s3/client.ts';
import {MultipartUploader, type MultipartUploaderOptions, type UploadedPart} from '../../../source/storage/s3/uploader.ts';
import {startS3FaultProxy, type S3FaultProxy} from '../../harness/s3-fault-proxy.ts';
import {FAST_RETRY, inspector, MIB, objectBytes, objectExists, randomStream, s3, sha256, testConnection, uniquePrefix, useTestCredentials} from './helpers.ts';

const PART = 5 * MIB;
const WORKERS = 3;

useTestCredentials();
const look = inspector();
let proxy: S3FaultProxy;
let direct: S3Connection;
let proxied: S3Connection;

before(async () => {
	proxy = await startS3FaultProxy(s3.endpoint);
	direct = testConnection();
	proxied = testConnection(proxy.endpoint);
});

after(async () => {
	direct.client.destroy();
	proxied.client.destroy();
	look.destroy();
	await proxy.close();
});

function uploader(connection: S3Connection, key: string, options: Partial<MultipartUploaderOptions> = {}): MultipartUploader {
	return new MultipartUploader({connection, bucket: s3.bucket, key, partSize: PART, workers: WORKERS, retry: FAST_RETRY, ...options});
}

async function writeAll(upload: MultipartUploader, chunks: Buffer[]): Promise<void> {
	for (const chunk of chunks) await upload.write(chunk);
}

/** The requests the proxy saw for one key. */
function requestsFor(key: string) {
	return proxy.requests.filter((request) => request.path === `/${s3.bucket}/${key}`);
}

describe('the multipart uploader against s3rver', () => {
	test('40 MiB of random bytes in 5 MiB parts by 3 workers arrive byte-identical, every part reported once', async () => {
		const key = `${uniquePrefix('up')}big.bin`;
		const {data, chunks} = randomStream(40 * MIB + 123);
		const parts: UploadedPart[] = [];
		const upload = uploader(direct, key, {onPart: (part) => parts.push(part)});
		await writeAll(upload, chunks);
		const result = await upload.complete();
		assert.deepEqual(result, {bytes: data.length, parts: 9});
		assert.equal(sha256(await objectBytes(look, key)), sha256(data));
		assert.deepEqual(parts.map((part) => part.partNumber).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
		assert.equal(parts.reduce((sum, part) => sum + part.size, 0), data.length);
		const first = parts.find((part) => part.partNumber === 1)!;
		assert.equal(first.sha256, sha256(data.subarray(0, PART)));
		const stats = upload.stats();
		assert.equal(stats.bytesSent, data.length);
		assert.equal(stats.partsDone, 9);
		assert.equal(stats.partsInFlight, 0);
		assert.equal(stats.bufferedBytes, 0);
		assert.ok(stats.peakBufferedBytes <= (WORKERS + 1) * PART, `peak ${stats.peakBufferedBytes}`);
	});

	test('every part carries its Content-MD5 and x-amz-checksum-sha256; SHA256 is declared at Create and each checksum listed at Complete (requests recorded by our proxy)', async () => {
		const key = `${uniquePrefix('up')}sums.bin`;
		const {data, chunks} = randomStream(11 * MIB);
		const upload = uploader(proxied, key);
		await writeAll(upload, chunks);
		await upload.complete();
		assert.equal(sha256(await objectBytes(look, key)), sha256(data));
		const seen = requestsFor(key);
		const create = seen.filter((request) => request.operation === 'CreateMultipartUpload');
		assert.equal(create.length, 1);
		assert.equal(create[0]!.headers['x-amz-checksum-algorithm'], 'SHA256');
		const partRequests = seen.filter((request) => request.operation === 'UploadPart');
		assert.deepEqual(partRequests.map((request) => request.partNumber).sort(), [1, 2, 3]);
		for (const request of partRequests) {
			const start = (request.partNumber! - 1) * PART;
			const bytes = data.subarray(start, start + PART);
			assert.equal(request.headers['content-md5'], createHashBase64('md5', bytes));
			assert.equal(request.headers['x-amz-checksum-sha256'], createHashBase64('sha256', bytes));
			// no aws-chunked trailers: S3-compatible servers refuse them
			assert.equal(request.headers['content-encoding'], undefined);
			assert.equal(request.headers['x-amz-trailer'], undefined);
		}
		const complete = seen.filter((request) => request.operation === 'CompleteMultipartUpload');
		assert.equal(complete.length, 1);
		assert.equal(complete[0]!.body!.match(/<ChecksumSHA256>/g)?.length, 3);
	});

	test('a stream smaller than one part goes as one PutObject with its Content-MD5, and an empty one as an empty object (requests recorded by our proxy)', async () => {
		const prefix = uniquePrefix('up');
		const {data, chunks} = randomStream(300_000, 65_536);
		const small = uploader(proxied, `${prefix}small.bin`);
		await writeAll(small, chunks);
		assert.deepEqual(await small.complete(), {bytes: data.length, parts: 0});
		assert.deepEqual(await objectBytes(look, `${prefix}small.bin`), data);
		const seen = requestsFor(`${prefix}small.bin`);
		assert.deepEqual(
			seen.map((request) => request.operation),
			['PutObject'],
		);
		assert.equal(seen[0]!.headers['content-md5'], createHashBase64('md5', data));
		assert.equal(small.stats().bufferedBytes, 0);

		const empty = uploader(proxied, `${prefix}empty.bin`);
		await empty.complete();
		assert.equal((await objectBytes(look, `${prefix}empty.bin`)).length, 0);
	});

	test('memory stays within (workers + 1) × part size while uploads lag behind the writer (slow parts injected by our proxy)', async () => {
		const key = `${uniquePrefix('up')}slow-all.bin`;
		proxy.addRule({operation: 'UploadPart', match: (request) => request.path.endsWith(key), fault: {kind: 'delay', ms: 150}});
		const {data, chunks} = randomStream(30 * MIB, 256 * 1024);
		const upload = uploader(proxied, key);
		let mostInFlight = 0;
		for (const chunk of chunks) {
			await upload.write(chunk);
			mostInFlight = Math.max(mostInFlight, upload.stats().partsInFlight);
		}
		await upload.complete();
		const {peakBufferedBytes} = upload.stats();
		assert.ok(peakBufferedBytes <= (WORKERS + 1) * PART, `peak ${peakBufferedBytes} bytes`);
		// the writer did get ahead, so the bound was what held it back
		assert.equal(mostInFlight, WORKERS);
		assert.equal(peakBufferedBytes, (WORKERS + 1) * PART);
		assert.equal(sha256(await objectBytes(look, key)), sha256(data));
	});

	test('parts answered 503 SlowDown and 500 are re-sent from memory: the object is identical, the retries counted (faults injected by our proxy)', async () => {
		const key = `${uniquePrefix('up')}5xx.bin`;
		const ours = (request: {path: string}) => request.path.endsWith(key);
		proxy.addRule({operation: 'UploadPart', partNumber: 2, match: ours, times: 2, fault: {kind: 'error', status: 503, code: 'SlowDown'}});
		proxy.addRule({operation: 'UploadPart', partNumber: 5, match: ours, times: 1, fault: {kind: 'error', status: 500, code: 'InternalError'}});
		const {data, chunks} = randomStream(26 * MIB);
		const upload = uploader(proxied, key);
		await writeAll(upload, chunks);
		await upload.complete();
		assert.equal(sha256(await objectBytes(look, key)), sha256(data));
		assert.equal(upload.stats().retries, 3);
		const partTwo = requestsFor(key).filter((request) => request.partNumber === 2);
		assert.equal(partTwo.length, 3);
	});

	test('a connection reset in the middle of a part body is retried and the upload completes (fault injected by our proxy)', async () => {
		const key = `${uniquePrefix('up')}reset.bin`;
		proxy.addRule({operation: 'UploadPart', partNumber: 3, match: (request) => request.path.endsWith(key), times: 1, fault: {kind: 'reset-request', afterBytes: MIB}});
		const {data, chunks} = randomStream(16 * MIB);
		const upload = uploader(proxied, key);
		await writeAll(upload, chunks);
		await upload.complete();
		assert.equal(sha256(await objectBytes(look, key)), sha256(data));
		assert.equal(upload.stats().retries, 1);
	});

	test('a part answered 3 s late and the upload completes (slow part injected by our proxy)', async () => {
		const key = `${uniquePrefix('up')}slow.bin`;
		proxy.addRule({operation: 'UploadPart', partNumber: 1, match: (request) => request.path.endsWith(key), times: 1, fault: {kind: 'delay', ms: 3000}});
		const {data, chunks} = randomStream(16 * MIB);
		const upload = uploader(proxied, key);
		await writeAll(upload, chunks);
		await upload.complete();
		assert.equal(sha256(await objectBytes(look, key)), sha256(data));
		assert.equal(upload.stats().retries, 0);
	});

	test('a CompleteMultipartUpload answered 500 is retried and the object appears (fault injected by our proxy)', async () => {
		const key = `${uniquePrefix('up')}complete.bin`;
		proxy.addRule({operation: 'CompleteMultipartUpload', match: (request) => request.path.endsWith(key), times: 1, fault: {kind: 'error', status: 500, code: 'InternalError'}});
		const {data, chunks} = randomStream(7 * MIB);
		const upload = uploader(proxied, key);
		await writeAll(upload, chunks);
		await upload.complete();
		assert.equal(sha256(await objectBytes(look, key)), sha256(data));
		assert.equal(requestsFor(key).filter((request) => request.operation === 'CompleteMultipartUpload').length, 2);
	});

	test('a Complete whose answer was lost, retried and answered NoSuchUpload, succeeded when the object has our size (faults injected by our proxy, NoSuchUpload as AWS answers)', async () => {
		const key = `${uniquePrefix('up')}lost.bin`;
		const ours = (request: {path: string}) => request.path.endsWith(key);
		proxy.addRule({operation: 'CompleteMultipartUpload', match: ours, times: 1, fault: {kind: 'lose-response'}});
		proxy.addRule({operation: 'CompleteMultipartUpload', match: ours, times: 1, fault: {kind: 'error', status: 404, code: 'NoSuchUpload'}});
		const {data, chunks} = randomStream(7 * MIB);
		const upload = uploader(proxied, key);
		await writeAll(upload, chunks);
		await upload.complete();
		assert.equal(sha256(await objectBytes(look, key)), sha256(data));
		assert.deepEqual(
			requestsFor(key)
				.map((request) => request.operation)
				.filter((operation) => operation !== 'UploadPart'),
			['CreateMultipartUpload', 'CompleteMultipartUpload', 'CompleteMultipartUpload', 'HeadObject'],
		);
	});

	test('a part that keeps failing ends the upload: S3_REQUEST_FAILED naming the part and URL, the upload aborted, no object (fault injected by our proxy)', async () => {
		const key = `${uniquePrefix('up')}doomed.bin`;
		proxy.addRule({operation: 'UploadPart', partNumber: 2, match: (request) => request.path.endsWith(key), fault: {kind: 'error', status: 500, code: 'InternalError'}});
		const {chunks} = randomStream(30 * MIB);
		const upload = uploader(proxied, key, {retry: {...FAST_RETRY, attempts: 3}});
		const failed = await (async () => {
			try {
				await writeAll(upload, chunks);
				await upload.complete();
			} catch (error) {
				return error;
			}
			return undefined;
		})();
		assert.ok(failed instanceof WorkError, `expected a WorkError, got ${String(failed)}`);
		assert.equal(failed.code, 'S3_REQUEST_FAILED');
		assert.equal(failed.exitCode, 1);
		assert.match(failed.message, new RegExp(`^cannot upload part 2 of s3://${s3.bucket}/${key}: InternalError, HTTP 500`));
		assert.equal(requestsFor(key).filter((request) => request.partNumber === 2).length, 3);
		// s3rver lacks AbortMultipartUpload (405), so the request is what can be checked
		assert.equal(requestsFor(key).filter((request) => request.operation === 'AbortMultipartUpload').length, 1);
		assert.equal(await objectExists(look, key), false);
		await assert.rejects(upload.write(Buffer.from('more')), {code: 'S3_REQUEST_FAILED'});
		await upload.abort();
		assert.equal(upload.stats().bufferedBytes, 0);
	});

	test('a part refused with BadDigest is re-sent at most twice (fault injected by our proxy)', async () => {
		const key = `${uniquePrefix('up')}digest.bin`;
		proxy.addRule({operation: 'UploadPart', partNumber: 1, match: (request) => request.path.endsWith(key), fault: {kind: 'error', status: 400, code: 'BadDigest'}});
		const upload = uploader(proxied, key);
		const {chunks} = randomStream(6 * MIB);
		await assert.rejects(
			(async () => {
				await writeAll(upload, chunks);
				await upload.complete();
			})(),
			{code: 'S3_REQUEST_FAILED', message: /BadDigest, HTTP 400/},
		);
		assert.equal(requestsFor(key).filter((request) => request.partNumber === 1).length, 3);
	});

	test('abort stops the upload, aborts it, and refuses later writes; an AbortSignal does the same (requests recorded by our proxy)', async () => {
		const prefix = uniquePrefix('up');
		const {chunks} = randomStream(12 * MIB);
		const upload = uploader(proxied, `${prefix}stopped.bin`);
		await writeAll(upload, chunks);
		await upload.abort();
		await upload.abort();
		await assert.rejects(upload.write(Buffer.from('x')), {code: 'S3_UPLOAD_ABORTED'});
		await assert.rejects(upload.complete(), {code: 'S3_UPLOAD_ABORTED'});
		assert.equal(requestsFor(`${prefix}stopped.bin`).filter((request) => request.operation === 'AbortMultipartUpload').length, 1);
		assert.equal(await objectExists(look, `${prefix}stopped.bin`), false);

		const controller = new AbortController();
		const signalled = uploader(proxied, `${prefix}signalled.bin`, {signal: controller.signal});
		await writeAll(signalled, chunks);
		controller.abort(new Error('Ctrl+C'));
		await assert.rejects(signalled.complete(), {code: 'S3_UPLOAD_ABORTED'});
		assert.equal(requestsFor(`${prefix}signalled.bin`).filter((request) => request.operation === 'AbortMultipartUpload').length, 1);
		assert.equal(await objectExists(look, `${prefix}signalled.bin`), false);
	});
});

function createHashBase64(algorithm: 'md5' | 'sha256', bytes: Uint8Array): string {
	return createHash(algorithm).update(bytes).digest('base64');
}
