/**
 * What the target interface does not list in an S3 location: the prefixes directly under it (a
 * binlog stream beside the backups) and the multipart uploads in progress there. Loaded only for s3://
 * locations, so a local catalog does not load the SDK.
 */
import {ListMultipartUploadsCommand, ListObjectsV2Command} from '@aws-sdk/client-s3';
import {s3Error} from '../../storage/s3/errors.ts';
import {httpStatusOf, s3CodeOf, withRetries} from '../../storage/s3/retry.ts';
import type {S3Target} from '../../storage/s3/target.ts';
import {formatS3Url} from '../../storage/s3/url.ts';
import type {ArtifactTarget} from '../../storage/target/types.ts';

/** An appendable artifact's segments (storage/s3/appendable.ts): part of an artifact, not a directory. */
const SEGMENTS_SUFFIX = '.segments/';

/** The S3 target under an encryption stage (or the target itself). */
export function s3TargetOf(target: ArtifactTarget): S3Target {
	return ((target as {inner?: ArtifactTarget}).inner ?? target) as S3Target;
}

/** The URLs (ending in '/') of the prefixes directly under the target's: ListObjectsV2 with Delimiter '/', its CommonPrefixes. */
export async function subPrefixes(target: S3Target): Promise<string[]> {
	const found: string[] = [];
	let token: string | undefined;
	do {
		const page = await withRetries(() => target.connection.client.send(new ListObjectsV2Command({Bucket: target.bucket, Prefix: target.prefix, Delimiter: '/', ContinuationToken: token}))).catch((error: unknown) => {
			throw s3Error(error, {url: target.url, action: 'list', endpoint: target.connection.endpoint});
		});
		for (const common of page.CommonPrefixes ?? []) {
			const prefix = common.Prefix ?? '';
			const name = prefix.slice(target.prefix.length);
			if (name === '' || name.endsWith(SEGMENTS_SUFFIX) || name.startsWith('.')) continue;
			found.push(formatS3Url(target.bucket, prefix));
		}
		token = page.IsTruncated ? page.NextContinuationToken : undefined;
	} while (token);
	return found.sort();
}

export interface S3Upload {
	name: string;
	url: string;
	initiated?: Date;
}

/**
 * The multipart uploads in progress directly under the prefix (a backup being written, or one a dead run
 * left); undefined where the server cannot list them (s3rver answers NotImplemented).
 */
export async function unfinishedUploads(target: S3Target): Promise<S3Upload[] | undefined> {
	const uploads: S3Upload[] = [];
	let keyMarker: string | undefined;
	let uploadIdMarker: string | undefined;
	try {
		do {
			const page = await withRetries(() =>
				target.connection.client.send(new ListMultipartUploadsCommand({Bucket: target.bucket, Prefix: target.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker})),
			);
			for (const upload of page.Uploads ?? []) {
				const key = upload.Key ?? '';
				const name = key.slice(target.prefix.length);
				if (!key.startsWith(target.prefix) || name === '' || name.includes('/')) continue;
				uploads.push({name, url: target.describe(name), ...(upload.Initiated ? {initiated: upload.Initiated} : {})});
			}
			keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
			uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
		} while (keyMarker !== undefined);
	} catch (error) {
		if (s3CodeOf(error) === 'NotImplemented' || httpStatusOf(error) === 501) return undefined;
		throw s3Error(error, {url: target.url, action: 'list the unfinished uploads under', endpoint: target.connection.endpoint});
	}
	return uploads;
}
