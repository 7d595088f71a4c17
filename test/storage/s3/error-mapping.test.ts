import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {ConnectionError, UsageError, WorkError} from '../../../source/core/errors.ts';
import {s3Error} from '../../../source/storage/s3/errors.ts';
import {networkError, s3Answer} from './sdk-errors.ts';

const context = {url: 's3://backups/shop/a.tar', action: 'upload', endpoint: 'https://minio.example.com'};

describe('SDK failures mapped to one-line errors', () => {
	test('an error answer left after the retries is S3_REQUEST_FAILED with its S3 code and HTTP status, on one line', () => {
		const error = s3Error(s3Answer(500, 'InternalError', 'We encountered an internal error.\nPlease try again.'), context);
		assert.ok(error instanceof WorkError);
		assert.equal(error.code, 'S3_REQUEST_FAILED');
		assert.equal(error.message, 'cannot upload s3://backups/shop/a.tar: InternalError, HTTP 500: We encountered an internal error.');
		assert.match(error.hint ?? '', /retried/);
	});

	test('a vanished multipart upload (NoSuchUpload) is a failed request, not a missing object', () => {
		assert.equal(s3Error(s3Answer(404, 'NoSuchUpload'), context).code, 'S3_REQUEST_FAILED');
	});

	test('a bare 404 (a HEAD answer) means the bucket or the object, as the caller says', () => {
		const bucket = s3Error(s3Answer(404, 'NotFound'), {...context, url: 's3://backups/shop/', action: 'use', missing: 'bucket'});
		assert.ok(bucket instanceof UsageError);
		assert.equal(bucket.code, 'S3_BUCKET_NOT_FOUND');
		assert.equal(bucket.message, 'cannot use s3://backups/shop/: bucket backups does not exist at https://minio.example.com');
		const object = s3Error(s3Answer(404, 'NotFound'), {...context, action: 'read'});
		assert.equal(object.code, 'S3_OBJECT_NOT_FOUND');
		assert.equal(object.message, 's3://backups/shop/a.tar does not exist');
	});

	test('timeouts and unknown hosts are S3_UNREACHABLE naming the endpoint; a reset is a failed request', () => {
		const timeout = s3Error(Object.assign(new Error('the request socket timed out after 60000 ms of inactivity'), {name: 'TimeoutError'}), context);
		assert.ok(timeout instanceof ConnectionError);
		assert.equal(timeout.code, 'S3_UNREACHABLE');
		assert.equal(timeout.target, 'https://minio.example.com');
		assert.equal(timeout.message, 'cannot reach https://minio.example.com to upload s3://backups/shop/a.tar: the request socket timed out after 60000 ms of inactivity');
		assert.equal(s3Error(networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND minio.example.com'), context).code, 'S3_UNREACHABLE');
		const reset = s3Error(networkError('ECONNRESET', 'read ECONNRESET'), context);
		assert.equal(reset.code, 'S3_REQUEST_FAILED');
		assert.equal(reset.message, 'cannot upload s3://backups/shop/a.tar: ECONNRESET: read ECONNRESET');
	});

	test('a signature the server refuses is S3_ACCESS_DENIED, exit 3', () => {
		const error = s3Error(s3Answer(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match'), context);
		assert.equal(error.code, 'S3_ACCESS_DENIED');
		assert.equal(error.exitCode, 3);
		assert.equal(error.message, 'cannot upload s3://backups/shop/a.tar: access denied by https://minio.example.com (SignatureDoesNotMatch)');
	});

	test('a DbBackupError passes through as it is', () => {
		const own = new UsageError({code: 'ARTIFACT_EXISTS', message: 'taken'});
		assert.equal(s3Error(own, context), own);
	});
});
