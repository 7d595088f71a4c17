import {UsageError} from '../../core/errors.ts';

/** Where an object or a prefix is: `s3://bucket/key`; key is '' for the whole bucket and ends in '/' for a prefix. */
export interface S3Location {
	bucket: string;
	key: string;
}

const S3_URL = /^s3:\/\/([^/]*)(?:\/(.*))?$/is;
/** Also the legacy names of us-east-1 (capitals, underscores); the server refuses what it does not know. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/i;
const MAX_KEY_BYTES = 1024;

function invalid(url: string, problem: string): UsageError {
	return new UsageError({
		code: 'S3_URL_INVALID',
		message: `${url}: ${problem}`,
		hint: 'Write an S3 location as s3://BUCKET/PATH (for example s3://backups/shop/).',
	});
}

/** Splits `s3://bucket/key-or-prefix`; a missing bucket or anything but that shape is a UsageError naming the URL. */
export function parseS3Url(url: string): S3Location {
	const match = S3_URL.exec(url);
	if (!match) throw invalid(url, 'not an s3:// URL');
	const bucket = match[1]!;
	const key = match[2] ?? '';
	if (bucket === '') throw invalid(url, 'no bucket name after s3://');
	if (!BUCKET_NAME.test(bucket)) throw invalid(url, `"${bucket}" is not a bucket name (3 to 63 letters, digits, dots and hyphens)`);
	if (/[\u0000-\u001f\u007f]/.test(key)) throw invalid(url, 'the path holds a control character');
	if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw invalid(url, `the path is longer than S3's ${MAX_KEY_BYTES} bytes`);
	return {bucket, key};
}

export function formatS3Url(bucket: string, key: string): string {
	return `s3://${bucket}/${key}`;
}
