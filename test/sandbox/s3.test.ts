import {after, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client} from '@aws-sdk/client-s3';
import {getTestServers} from '../harness/servers.ts';
import {uniqueName} from '../harness/db.ts';

describe('sandbox S3 (s3rver, started by the harness)', () => {
	const {s3} = getTestServers();
	const client = new S3Client({
		endpoint: s3.endpoint,
		region: s3.region,
		forcePathStyle: true,
		credentials: {accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey},
	});
	const prefix = `${uniqueName('s3test')}/`;

	after(() => client.destroy());

	test('an object put into the bucket comes back byte-identical', async () => {
		const body = randomBytes(256 * 1024);
		await client.send(new PutObjectCommand({Bucket: s3.bucket, Key: `${prefix}blob.bin`, Body: body}));
		const got = await client.send(new GetObjectCommand({Bucket: s3.bucket, Key: `${prefix}blob.bin`}));
		assert.ok(got.Body);
		assert.deepEqual(Buffer.from(await got.Body.transformToByteArray()), body);
	});

	test('a listing truncated by MaxKeys=1 continues to the next page', async () => {
		for (const name of ['a', 'b', 'c']) {
			await client.send(new PutObjectCommand({Bucket: s3.bucket, Key: `${prefix}list/${name}`, Body: name}));
		}
		const keys: string[] = [];
		let token: string | undefined;
		let pages = 0;
		do {
			const page = await client.send(
				new ListObjectsV2Command({Bucket: s3.bucket, Prefix: `${prefix}list/`, MaxKeys: 1, ContinuationToken: token}),
			);
			pages += 1;
			keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
			if (pages < 3) assert.equal(page.IsTruncated, true);
			token = page.NextContinuationToken;
		} while (token && pages < 10);
		assert.deepEqual(keys, ['a', 'b', 'c'].map((name) => `${prefix}list/${name}`));
		assert.equal(pages, 3);
	});
});
