import {createHash, randomBytes} from 'node:crypto';
import {GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client} from '@aws-sdk/client-s3';
import {createS3Connection, type S3Connection} from '../../../source/storage/s3/client.ts';
import {resolveS3Settings, type S3Settings, type S3SettingsInput} from '../../../source/storage/s3/settings.ts';
import {uniqueName} from '../../harness/db.ts';
import {getTestServers, type TestS3} from '../../harness/servers.ts';

export const MIB = 1024 * 1024;
/** backoff of a few milliseconds: the tests retry for real, without waiting for it */
export const FAST_RETRY = {baseMs: 5, maxMs: 40};

export const s3: TestS3 = getTestServers().s3;

/**
 * s3rver's fixed keys, given the way a user gives theirs: through the environment the SDK's default
 * credential chain reads (never a setting).
 */
export function useTestCredentials(): void {
	process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
	process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
}

/** Settings for the test server, or for a proxy in front of it; the real environment is left out. */
export function testSettings(endpoint = s3.endpoint, overrides: S3SettingsInput = {}): S3Settings {
	return resolveS3Settings({endpoint, region: s3.region, ...overrides}, {});
}

export function testConnection(endpoint = s3.endpoint, overrides: S3SettingsInput = {}): S3Connection {
	return createS3Connection(testSettings(endpoint, overrides));
}

/** A key prefix no other test uses, ending in '/'. */
export function uniquePrefix(label: string): string {
	return `${uniqueName(label)}/`;
}

/** A client straight to s3rver, to look at what the code under test left. */
export function inspector(): S3Client {
	return new S3Client({endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: {accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey}});
}

export async function objectBytes(client: S3Client, key: string): Promise<Buffer> {
	const answer = await client.send(new GetObjectCommand({Bucket: s3.bucket, Key: key}));
	return Buffer.from(await answer.Body!.transformToByteArray());
}

/** Every key under `prefix` (without it), sorted, as the server has them. */
export async function keysUnderPrefix(client: S3Client, prefix: string): Promise<string[]> {
	const keys: string[] = [];
	let token: string | undefined;
	do {
		const page = await client.send(new ListObjectsV2Command({Bucket: s3.bucket, Prefix: prefix, ContinuationToken: token}));
		keys.push(...(page.Contents ?? []).map((object) => object.Key!.slice(prefix.length)));
		token = page.IsTruncated ? page.NextContinuationToken : undefined;
	} while (token);
	return keys.sort();
}

export async function objectExists(client: S3Client, key: string): Promise<boolean> {
	try {
		await client.send(new HeadObjectCommand({Bucket: s3.bucket, Key: key}));
		return true;
	} catch (error) {
		if ((error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode === 404) return false;
		throw error;
	}
}

export function sha256(bytes: Uint8Array): string {
	return createHash('sha256').update(bytes).digest('hex');
}

/** Random bytes, and the same bytes cut into chunks of awkward sizes, as a dump would write them. */
export function randomStream(bytes: number, chunkBytes = MIB + 7): {data: Buffer; chunks: Buffer[]} {
	const data = randomBytes(bytes);
	const chunks: Buffer[] = [];
	for (let offset = 0; offset < bytes; offset += chunkBytes) chunks.push(data.subarray(offset, offset + chunkBytes));
	return {data, chunks};
}
