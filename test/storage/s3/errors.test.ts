import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {ConnectionError, type DbBackupError, UsageError} from '../../../source/core/errors.ts';
import {S3Target} from '../../../source/storage/s3/target.ts';
import {startS3FaultProxy, type S3FaultProxy} from '../../harness/s3-fault-proxy.ts';
import {collect} from '../helpers.ts';
import {FAST_RETRY, MIB, randomStream, s3, testConnection, uniquePrefix, useTestCredentials} from './helpers.ts';

useTestCredentials();
let proxy: S3FaultProxy;
const targets: S3Target[] = [];

before(async () => {
	proxy = await startS3FaultProxy(s3.endpoint);
});

after(async () => {
	for (const target of targets) target.connection.client.destroy();
	await proxy.close();
});

function targetAt(endpoint: string, bucket = s3.bucket): S3Target {
	const target = new S3Target(testConnection(endpoint), bucket, uniquePrefix('err'), {partSize: 5 * MIB, retry: FAST_RETRY});
	targets.push(target);
	return target;
}

/** The DbBackupError `action` fails with, checked for its class, code and exit code. */
async function failure<T extends DbBackupError>(action: () => Promise<unknown>, kind: new (...args: any[]) => T, code: string, exitCode: number): Promise<T> {
	try {
		await action();
	} catch (error) {
		assert.ok(error instanceof kind, `expected a ${kind.name}, got ${String(error)}`);
		assert.equal(error.code, code, error.message);
		assert.equal(error.exitCode, exitCode);
		assert.doesNotMatch(`${error.message} ${error.hint}`, /\n/);
		return error;
	}
	assert.fail(`expected ${code}`);
}

/** Runs `action` with the environment changed as given (undefined removes a variable), then puts it back. */
async function withEnvironment<T>(changes: Record<string, string | undefined>, action: () => Promise<T>): Promise<T> {
	const saved = {...process.env};
	for (const [name, value] of Object.entries(changes)) {
		if (value === undefined) delete process.env[name];
		else process.env[name] = value;
	}
	try {
		return await action();
	} finally {
		for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
		Object.assign(process.env, saved);
	}
}

describe('S3 failures as one-line errors', () => {
	test('a bucket that does not exist is S3_BUCKET_NOT_FOUND, exit 2, naming the URL and the endpoint: at the check, at an upload, at a listing', async () => {
		const target = targetAt(s3.endpoint, 'no-such-bucket-here');
		const checked = await failure(() => target.checkBucket(), UsageError, 'S3_BUCKET_NOT_FOUND', 2);
		assert.equal(checked.message, `cannot use s3://no-such-bucket-here/${target.prefix}: bucket no-such-bucket-here does not exist at ${s3.endpoint}`);
		assert.match(checked.hint ?? '', /bucket name/);

		const small = await target.openPartial('a.tar');
		await small.write(Buffer.from('bytes'));
		const committed = await failure(() => small.commit(), UsageError, 'S3_BUCKET_NOT_FOUND', 2);
		assert.match(committed.message, new RegExp(`s3://no-such-bucket-here/${target.prefix}a\\.tar: bucket no-such-bucket-here does not exist`));

		const large = await target.openPartial('b.tar');
		const written = await failure(
			async () => {
				for (const chunk of randomStream(11 * MIB).chunks) await large.write(chunk);
				await large.commit();
			},
			UsageError,
			'S3_BUCKET_NOT_FOUND',
			2,
		);
		assert.match(written.message, /b\.tar: bucket no-such-bucket-here does not exist/);
		await failure(() => target.list(), UsageError, 'S3_BUCKET_NOT_FOUND', 2);
	});

	test('an access key id s3rver does not know is S3_ACCESS_DENIED, exit 3, and the keys are in neither message nor hint', async () => {
		const keyId = 'NOT-S3RVER-KEY-ID';
		const secret = 'not-the-s3rver-secret';
		const error = await withEnvironment({AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret}, () => failure(() => targetAt(s3.endpoint).put('a.tar.meta.json', Buffer.from('{}')), ConnectionError, 'S3_ACCESS_DENIED', 3));
		assert.match(error.message, new RegExp(`^cannot upload s3://${s3.bucket}/err_[^ ]+/a\\.tar\\.meta\\.json: access denied by ${s3.endpoint} \\(InvalidAccessKeyId\\)$`));
		assert.match(error.hint ?? '', /AWS_ACCESS_KEY_ID/);
		assert.doesNotMatch(`${error.message} ${error.hint}`, new RegExp(`${keyId}|${secret}`));
	});

	test('403 AccessDenied is S3_ACCESS_DENIED, exit 3, naming the URL (s3rver checks no policy: answered by our proxy)', async () => {
		const target = targetAt(proxy.endpoint);
		proxy.addRule({operation: 'GetObject', match: (request) => request.path.includes(target.prefix), fault: {kind: 'error', status: 403, code: 'AccessDenied', message: 'Access Denied'}});
		const error = await failure(() => collect(target.readRange('a.tar', 0)), ConnectionError, 'S3_ACCESS_DENIED', 3);
		assert.equal(error.message, `cannot read s3://${s3.bucket}/${target.prefix}a.tar: access denied by ${proxy.endpoint} (AccessDenied)`);
		assert.equal(error.target, proxy.endpoint);
	});

	test('an endpoint with nothing listening is S3_UNREACHABLE, exit 3, naming the endpoint', async () => {
		const port = await new Promise<number>((resolve) => {
			const server = createServer();
			server.listen(0, '127.0.0.1', () => {
				const {port: free} = server.address() as {port: number};
				server.close(() => resolve(free));
			});
		});
		const endpoint = `http://127.0.0.1:${port}`;
		const target = targetAt(endpoint);
		const error = await failure(() => target.checkBucket(), ConnectionError, 'S3_UNREACHABLE', 3);
		assert.equal(error.message, `cannot reach ${endpoint} to use s3://${s3.bucket}/${target.prefix}: connect ECONNREFUSED 127.0.0.1:${port}`);
		assert.equal(error.target, endpoint);
		assert.match(error.hint ?? '', /endpoint/);
	});

	test('no credentials anywhere (no AWS variables, an empty home) is S3_NO_CREDENTIALS, exit 3, saying where to put them', async () => {
		const home = mkdtempSync(path.join(os.tmpdir(), 'dbbackup-s3-home-'));
		const awsVariables = Object.fromEntries(Object.keys(process.env).filter((name) => name.startsWith('AWS_') && name !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED').map((name) => [name, undefined]));
		try {
			const error = await withEnvironment({...awsVariables, HOME: home}, () => failure(() => targetAt(s3.endpoint).checkBucket(), ConnectionError, 'S3_NO_CREDENTIALS', 3));
			assert.match(error.message, new RegExp(`^cannot use s3://${s3.bucket}/err_[^ ]+/: no AWS credentials were found$`));
			assert.equal(error.hint, 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, write them to ~/.aws/credentials, or choose a profile with AWS_PROFILE.');
		} finally {
			rmSync(home, {recursive: true, force: true});
		}
	});
});
