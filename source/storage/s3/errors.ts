import {ConnectionError, DbBackupError, UsageError, WorkError} from '../../core/errors.ts';
import {errnoOf, failureKind, httpStatusOf, s3CodeOf} from './retry.ts';
import {parseS3Url} from './url.ts';

export interface S3ErrorContext {
	/** the object or prefix the request was about, `s3://bucket/key` */
	url: string;
	/** what was being done, as a verb phrase: 'upload', 'read', 'list', 'complete the upload of' */
	action: string;
	/** the endpoint, for messages about reaching it */
	endpoint: string;
	/** what a bare 404 (HEAD answers have no error code) means: the bucket or the object is missing */
	missing?: 'bucket' | 'object';
}

const ACCESS_DENIED_CODES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AllAccessDisabled', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'Forbidden', 'KMS.AccessDeniedException']);
const UNREACHABLE_ERRNOS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const CREDENTIALS_HINT = 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, write them to ~/.aws/credentials, or choose a profile with AWS_PROFILE.';

/** The first line of a message, without the SDK's trailing detail. */
function oneLine(text: string | undefined): string {
	return (text ?? '').split('\n')[0]!.trim();
}

function bucketOf(url: string): string {
	try {
		return parseS3Url(url).bucket;
	} catch {
		return url;
	}
}

/**
 * The one-line DbBackupError for a failed S3 request (after its retries), naming the URL and what to do.
 * A DbBackupError passes through unchanged.
 */
export function s3Error(error: unknown, context: S3ErrorContext): DbBackupError {
	if (error instanceof DbBackupError) return error;
	const {url, action, endpoint} = context;
	const code = s3CodeOf(error);
	const status = httpStatusOf(error);
	const errno = errnoOf(error);
	// a HEAD answer has no body, so no error code to tell a missing bucket from a missing key
	const bare404 = status === 404 && (code === undefined || code === 'NotFound' || code === 'UnknownError' || code === 'Unknown');

	if (code === 'CredentialsProviderError') {
		return new ConnectionError({code: 'S3_NO_CREDENTIALS', target: endpoint, message: `cannot ${action} ${url}: no AWS credentials were found`, hint: CREDENTIALS_HINT, cause: error});
	}
	if (code === 'NoSuchBucket' || (bare404 && context.missing === 'bucket')) {
		return new UsageError({
			code: 'S3_BUCKET_NOT_FOUND',
			message: `cannot ${action} ${url}: bucket ${bucketOf(url)} does not exist at ${endpoint}`,
			hint: 'Check the bucket name, and the endpoint and region (AWS_ENDPOINT_URL_S3, AWS_REGION) it is looked up in.',
			cause: error,
		});
	}
	if (ACCESS_DENIED_CODES.has(code ?? '') || status === 403) {
		return new ConnectionError({
			code: 'S3_ACCESS_DENIED',
			target: endpoint,
			message: `cannot ${action} ${url}: access denied by ${endpoint} (${code ?? 'HTTP 403'})`,
			hint: `Check the AWS credentials in use and that their policy allows this on the bucket (s3:PutObject, s3:GetObject, s3:ListBucket, s3:AbortMultipartUpload). ${CREDENTIALS_HINT}`,
			cause: error,
		});
	}
	if (code === 'NoSuchKey' || (bare404 && context.missing !== 'bucket')) {
		return new UsageError({code: 'S3_OBJECT_NOT_FOUND', message: `${url} does not exist`, hint: 'Check the name; dbbackup list shows the backups under a prefix.', cause: error});
	}
	if (status === undefined && (UNREACHABLE_ERRNOS.has(errno ?? '') || failureKind(error) === 'timeout')) {
		return new ConnectionError({
			code: 'S3_UNREACHABLE',
			target: endpoint,
			message: `cannot reach ${endpoint} to ${action} ${url}: ${oneLine((error as Error).message) || errno}`,
			hint: 'Check the endpoint (AWS_ENDPOINT_URL_S3, the endpoint setting), the network, and that the server is running.',
			cause: error,
		});
	}
	const what = [code && code !== 'Error' ? code : errno, status === undefined ? undefined : `HTTP ${status}`].filter(Boolean).join(', ');
	const detail = oneLine((error as Error | undefined)?.message);
	return new WorkError({
		code: 'S3_REQUEST_FAILED',
		message: `cannot ${action} ${url}: ${what ? `${what}: ` : ''}${detail || 'the request failed'}`,
		hint:
			failureKind(error) === undefined
				? 'The server refused the request: check the S3 settings (region, storage class, encryption) against what the bucket allows.'
				: 'The request was retried with backoff: try again later, or check the server.',
		cause: error,
	});
}

/** `run`, its failure turned into the one-line error naming the URL (s3Error). */
export async function withS3Error<T>(run: () => Promise<T>, context: S3ErrorContext): Promise<T> {
	try {
		return await run();
	} catch (error) {
		throw s3Error(error, context);
	}
}
