import {createHash} from 'node:crypto';
import {HeadObjectCommand, PutObjectCommand, type StorageClass} from '@aws-sdk/client-s3';
import {UsageError} from '../../core/errors.ts';
import type {S3Connection} from './client.ts';
import {s3CodeOf, withRetries, type RetryOptions} from './retry.ts';
import {formatS3Url} from './url.ts';

export interface PutObjectOptions {
	contentType?: string;
	/** refuse (UsageError ARTIFACT_EXISTS) when an object of that key exists: If-None-Match where the server has it */
	ifAbsent?: boolean;
	retry?: RetryOptions;
	abortSignal?: AbortSignal;
}

export function md5Base64(bytes: Uint8Array): string {
	return createHash('md5').update(bytes).digest('base64');
}

export function sha256Of(bytes: Uint8Array): Buffer {
	return createHash('sha256').update(bytes).digest();
}

/** What every object is written with: the settings' storage class and server-side encryption. */
export function objectSettings(connection: S3Connection) {
	const {settings} = connection;
	return {
		StorageClass: settings.storageClass as StorageClass | undefined,
		ServerSideEncryption: settings.serverSideEncryption,
		SSEKMSKeyId: settings.sseKmsKeyId,
	};
}

/**
 * The object at `url` exists (`when`: already, or it appeared while this backup was written): ARTIFACT_EXISTS,
 * exit 2. `objects` says what the user would move away when the name is held by other objects than `url`
 * (an appendable artifact's segments).
 */
export function nameTaken(url: string, when: 'already' | 'meanwhile', objects = 'the existing object'): UsageError {
	const what = when === 'already' ? 'already exists' : 'appeared while this backup was written; it was left as it is';
	return new UsageError({code: 'ARTIFACT_EXISTS', message: `${url} ${what}; dbbackup does not overwrite a backup`, hint: `Choose another output name, or move ${objects} away first.`});
}

/**
 * Writes a whole object in one PutObject with its Content-MD5 (and x-amz-checksum-sha256 when the settings
 * say so), retried with the same bytes. Errors are the SDK's, for the caller to map (s3Error).
 */
export async function putObject(connection: S3Connection, bucket: string, key: string, body: Uint8Array, options: PutObjectOptions = {}): Promise<void> {
	const contentMd5 = md5Base64(body);
	const checksum = connection.settings.checksum ? sha256Of(body).toString('base64') : undefined;
	let conditional = options.ifAbsent ?? false;
	const send = () =>
		connection.client.send(
			new PutObjectCommand({
				Bucket: bucket,
				Key: key,
				Body: body,
				ContentLength: body.length,
				ContentMD5: contentMd5,
				ChecksumSHA256: checksum,
				ContentType: options.contentType,
				IfNoneMatch: conditional ? '*' : undefined,
				...objectSettings(connection),
			}),
			{abortSignal: options.abortSignal},
		);
	await withRetries(async (attempt) => {
		try {
			await send();
		} catch (error) {
			if (conditional && s3CodeOf(error) === 'NotImplemented') {
				// a server without conditional writes; the caller looked for the name just before
				conditional = false;
				await send();
				return;
			}
			if (!conditional || s3CodeOf(error) !== 'PreconditionFailed') throw error;
			// an earlier try of ours may have written it before its answer was lost
			if (attempt > 1) {
				const head = await connection.client.send(new HeadObjectCommand({Bucket: bucket, Key: key})).catch(() => undefined);
				if (head?.ContentLength === body.length) return;
			}
			throw nameTaken(formatS3Url(bucket, key), 'meanwhile');
		}
	}, options.retry);
}
