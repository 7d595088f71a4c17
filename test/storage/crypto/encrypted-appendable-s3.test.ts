import {GetObjectCommand, ListObjectsV2Command} from '@aws-sdk/client-s3';
import {after} from 'node:test';
import {S3Target} from '../../../source/storage/s3/target.ts';
import type {ArtifactTarget} from '../../../source/storage/target/types.ts';
import {FAST_RETRY, inspector, s3, testConnection, uniquePrefix, useTestCredentials} from '../s3/helpers.ts';
import {encryptedAppendableCases} from './encrypted-appendable-cases.ts';

useTestCredentials();
const look = inspector();
const targets: S3Target[] = [];

after(() => {
	for (const target of targets) target.connection.client.destroy();
	look.destroy();
});

/** Every object under the target's prefix, in any "directory" below it, by key. */
async function objectsUnder(target: S3Target): Promise<Map<string, Buffer>> {
	const found = new Map<string, Buffer>();
	let token: string | undefined;
	do {
		const page = await look.send(new ListObjectsV2Command({Bucket: s3.bucket, Prefix: target.prefix, ContinuationToken: token}));
		for (const object of page.Contents ?? []) {
			const answer = await look.send(new GetObjectCommand({Bucket: s3.bucket, Key: object.Key!}));
			found.set(object.Key!, Buffer.from(await answer.Body!.transformToByteArray()));
		}
		token = page.IsTruncated ? page.NextContinuationToken : undefined;
	} while (token);
	return found;
}

encryptedAppendableCases({
	label: 'the S3 server',
	async fresh() {
		const target = new S3Target(testConnection(), s3.bucket, uniquePrefix('eapp'), {retry: FAST_RETRY});
		targets.push(target);
		return target;
	},
	storedBytes(inner: ArtifactTarget) {
		return objectsUnder(inner as S3Target);
	},
});
