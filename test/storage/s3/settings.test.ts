import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {DEFAULT_PART_SIZE, DEFAULT_WORKERS, resolveS3Settings} from '../../../source/storage/s3/settings.ts';

const MIB = 1024 * 1024;

describe('S3 settings', () => {
	test('default to AWS, 10 MiB parts, 4 workers and SHA-256 checksums, the region left to the SDK', () => {
		assert.deepEqual(resolveS3Settings({}, {}), {
			endpoint: undefined,
			region: undefined,
			forcePathStyle: false,
			storageClass: undefined,
			serverSideEncryption: undefined,
			sseKmsKeyId: undefined,
			partSize: DEFAULT_PART_SIZE,
			workers: DEFAULT_WORKERS,
			checksum: true,
		});
		assert.equal(DEFAULT_PART_SIZE, 10 * MIB);
	});

	test('the endpoint: the setting, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL', () => {
		const env = {AWS_ENDPOINT_URL_S3: 'https://s3.example.com', AWS_ENDPOINT_URL: 'https://all.example.com'};
		assert.equal(resolveS3Settings({endpoint: 'https://mine.example.com/'}, env).endpoint, 'https://mine.example.com');
		assert.equal(resolveS3Settings({}, env).endpoint, 'https://s3.example.com');
		assert.equal(resolveS3Settings({}, {AWS_ENDPOINT_URL: 'https://all.example.com'}).endpoint, 'https://all.example.com');
	});

	test('the region: the setting, else AWS_REGION, else AWS_DEFAULT_REGION', () => {
		const env = {AWS_REGION: 'eu-west-3', AWS_DEFAULT_REGION: 'eu-central-1'};
		assert.equal(resolveS3Settings({region: 'us-west-2'}, env).region, 'us-west-2');
		assert.equal(resolveS3Settings({}, env).region, 'eu-west-3');
		assert.equal(resolveS3Settings({}, {AWS_DEFAULT_REGION: 'eu-central-1'}).region, 'eu-central-1');
	});

	test('path-style URLs: always for an IP address or localhost endpoint, else when asked for', () => {
		for (const endpoint of ['http://127.0.0.1:9000', 'http://[::1]:9000', 'http://localhost:9000', 'http://10.0.0.5']) {
			assert.equal(resolveS3Settings({endpoint, forcePathStyle: false}, {}).forcePathStyle, true, endpoint);
		}
		assert.equal(resolveS3Settings({endpoint: 'https://minio.example.com'}, {}).forcePathStyle, false);
		assert.equal(resolveS3Settings({endpoint: 'https://minio.example.com', forcePathStyle: true}, {}).forcePathStyle, true);
		assert.equal(resolveS3Settings({endpoint: 'https://minio.example.com'}, {DBBACKUP_S3_FORCE_PATH_STYLE: 'true'}).forcePathStyle, true);
	});

	for (const [input, message] of [
		[{endpoint: 'minio:9000'}, 'S3 setting endpoint: "minio:9000" does not start with http:// or https://'],
		[{endpoint: 'ftp://minio'}, 'S3 setting endpoint: "ftp://minio" does not start with http:// or https://'],
		[{endpoint: 'http://exa mple.com'}, 'S3 setting endpoint: "http://exa mple.com" is not a URL'],
		[{partSize: 4 * MIB}, 'S3 setting partSize: 4194304 bytes: S3 takes parts of 5.0 MiB to 5.0 GiB (whole bytes)'],
		[{partSize: 6 * 1024 * MIB}, 'S3 setting partSize: 6442450944 bytes: S3 takes parts of 5.0 MiB to 5.0 GiB (whole bytes)'],
		[{workers: 0}, 'S3 setting workers: 0: use a whole number from 1 to 64'],
		[{workers: 2.5}, 'S3 setting workers: 2.5: use a whole number from 1 to 64'],
		[{serverSideEncryption: 'aws:kms:dsse' as 'aws:kms'}, 'S3 setting serverSideEncryption: "aws:kms:dsse": use AES256 or aws:kms'],
		[{serverSideEncryption: 'AES256' as const, sseKmsKeyId: 'key'}, 'S3 setting sseKmsKeyId: a KMS key is only used with serverSideEncryption aws:kms'],
	] as const) {
		test(`refused: ${message}`, () => {
			assert.throws(() => resolveS3Settings(input, {}), {name: 'UsageError', code: 'S3_SETTING_INVALID', exitCode: 2, message});
		});
	}

	test('an endpoint with a password in it is refused without repeating it', () => {
		assert.throws(() => resolveS3Settings({}, {AWS_ENDPOINT_URL_S3: 'https://user:hunter2-secret@minio.example.com'}), (error: Error & {code?: string}) => {
			assert.equal(error.code, 'S3_SETTING_INVALID');
			assert.equal(error.message, 'S3 setting AWS_ENDPOINT_URL_S3: the endpoint holds a user name or password');
			return true;
		});
	});
});
