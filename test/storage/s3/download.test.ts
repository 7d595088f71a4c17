import assert from 'node:assert/strict';
import {PutObjectCommand} from '@aws-sdk/client-s3';
import {after, before, describe, test} from 'node:test';
import {setTimeout as sleep} from 'node:timers/promises';
import type {S3Connection} from '../../../source/storage/s3/client.ts';
import {downloadRange} from '../../../source/storage/s3/download.ts';
import {startS3FaultProxy, type S3FaultProxy} from '../../harness/s3-fault-proxy.ts';
import {collect} from '../helpers.ts';
import {FAST_RETRY, inspector, MIB, randomStream, s3, sha256, testConnection, uniquePrefix, useTestCredentials} from './helpers.ts';

useTestCredentials();
const look = inspector();
let proxy: S3FaultProxy;
let direct: S3Connection;
let proxied: S3Connection;
const prefix = uniquePrefix('down');
const key = `${prefix}object.bin`;
const {data} = randomStream(12 * MIB + 333);

before(async () => {
	proxy = await startS3FaultProxy(s3.endpoint);
	direct = testConnection();
	proxied = testConnection(proxy.endpoint);
	await look.send(new PutObjectCommand({Bucket: s3.bucket, Key: key, Body: data}));
});

after(async () => {
	direct.client.destroy();
	proxied.client.destroy();
	look.destroy();
	await proxy.close();
});

function gets(): {range: string | undefined; ifMatch: string | undefined; responseBytes: number}[] {
	return proxy
		.requestsOf('GetObject')
		.filter((request) => request.path.endsWith(key))
		.map((request) => ({range: request.headers.range, ifMatch: request.headers['if-match'] as string | undefined, responseBytes: request.responseBytes}));
}

describe('ranged downloads', () => {
	test('give the bytes from start up to end, or to the end of the object, like a file', async () => {
		assert.equal(sha256(await collect(downloadRange(direct, s3.bucket, key, 0))), sha256(data));
		assert.deepEqual(await collect(downloadRange(direct, s3.bucket, key, 1000, 2_000_017)), data.subarray(1000, 2_000_017));
		assert.deepEqual(await collect(downloadRange(direct, s3.bucket, key, data.length - 10)), data.subarray(data.length - 10));
		// past the end: what there is, and nothing from the end on
		assert.deepEqual(await collect(downloadRange(direct, s3.bucket, key, data.length - 5, data.length + 100)), data.subarray(data.length - 5));
		assert.equal((await collect(downloadRange(direct, s3.bucket, key, data.length))).length, 0);
		assert.equal((await collect(downloadRange(direct, s3.bucket, key, 500, 500))).length, 0);
	});

	test('an empty object reads as nothing', async () => {
		await look.send(new PutObjectCommand({Bucket: s3.bucket, Key: `${prefix}empty.bin`, Body: ''}));
		assert.equal((await collect(downloadRange(direct, s3.bucket, `${prefix}empty.bin`, 0))).length, 0);
	});

	test('a body cut off twice mid-way is resumed from the next byte of the same version, and the bytes are identical (truncated by our proxy)', async () => {
		proxy.addRule({operation: 'GetObject', match: (request) => request.path.endsWith(key), times: 2, fault: {kind: 'truncate-response', afterBytes: 3 * MIB + 5}});
		const before = gets().length;
		const bytes = await collect(downloadRange(proxied, s3.bucket, key, 100, undefined, FAST_RETRY));
		assert.equal(sha256(bytes), sha256(data.subarray(100)));
		const requests = gets().slice(before);
		assert.deepEqual(
			requests.map((request) => request.range),
			[`bytes=100-`, `bytes=${100 + 3 * MIB + 5}-${data.length - 1}`, `bytes=${100 + 2 * (3 * MIB + 5)}-${data.length - 1}`],
		);
		assert.equal(requests[0]!.ifMatch, undefined);
		assert.match(requests[1]!.ifMatch ?? '', /^"[0-9a-f]+"$/);
	});

	test('a paused reader holds the download back instead of buffering the object (bytes counted by our proxy)', async () => {
		const large = `${prefix}large.bin`;
		const {data: largeData} = randomStream(48 * MIB);
		await look.send(new PutObjectCommand({Bucket: s3.bucket, Key: large, Body: largeData}));
		const stream = downloadRange(proxied, s3.bucket, large, 0);
		const iterator = stream[Symbol.asyncIterator]();
		await iterator.next();
		await sleep(300);
		const request = proxy.requestsOf('GetObject').find((candidate) => candidate.path.endsWith(large))!;
		// what the sockets' buffers hold on the way is all that may have gone out
		assert.ok(request.responseBytes < largeData.length / 2, `${request.responseBytes} of ${largeData.length} bytes went out to a reader that took one chunk`);
		await iterator.return!();
		assert.ok(stream.destroyed);
	});

	test('a missing object is S3_OBJECT_NOT_FOUND naming its URL, exit 2', async () => {
		await assert.rejects(collect(downloadRange(direct, s3.bucket, `${prefix}missing.bin`, 0)), {
			name: 'UsageError',
			code: 'S3_OBJECT_NOT_FOUND',
			exitCode: 2,
			message: `s3://${s3.bucket}/${prefix}missing.bin does not exist`,
		});
	});
});
