import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {networkError, s3Answer} from './sdk-errors.ts';
import {backoffDelay, failureKind, isRetryable, withRetries, type FailureKind} from '../../../source/storage/s3/retry.ts';

const FAST = {baseMs: 1, maxMs: 2};

describe('which S3 failures are tried again', () => {
	const cases: [string, unknown, FailureKind | undefined][] = [
		['500 InternalError', s3Answer(500, 'InternalError'), 'server'],
		['503 SlowDown', s3Answer(503, 'SlowDown'), 'throttled'],
		['502 from a proxy, no S3 code', s3Answer(502, 'Unknown'), 'server'],
		['408', s3Answer(408, 'Unknown'), 'timeout'],
		['409 OperationAborted', s3Answer(409, 'OperationAborted'), 'server'],
		['429', s3Answer(429, 'TooManyRequests'), 'throttled'],
		['499 (MinIO: client disconnected)', s3Answer(499, 'Unknown'), 'network'],
		['400 RequestTimeout', s3Answer(400, 'RequestTimeout'), 'timeout'],
		['InternalError inside a 200 answer (CompleteMultipartUpload)', s3Answer(200, 'InternalError'), 'server'],
		['400 BadDigest', s3Answer(400, 'BadDigest'), 'bad-digest'],
		['ECONNRESET', networkError('ECONNRESET', 'read ECONNRESET'), 'network'],
		['EPIPE', networkError('EPIPE', 'write EPIPE'), 'network'],
		['ETIMEDOUT', networkError('ETIMEDOUT'), 'timeout'],
		['socket hang up', new Error('socket hang up'), 'network'],
		["the SDK's TimeoutError", Object.assign(new Error('the request socket timed out'), {name: 'TimeoutError'}), 'timeout'],
		['ECONNREFUSED', networkError('ECONNREFUSED'), 'refused'],
		['EAI_AGAIN', networkError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN'), 'dns'],
		['ENOTFOUND', networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND'), undefined],
		['403 AccessDenied', s3Answer(403, 'AccessDenied'), undefined],
		['404 NoSuchKey', s3Answer(404, 'NoSuchKey'), undefined],
		['404 NoSuchUpload', s3Answer(404, 'NoSuchUpload'), undefined],
		['400 InvalidArgument', s3Answer(400, 'InvalidArgument'), undefined],
		['412 PreconditionFailed', s3Answer(412, 'PreconditionFailed'), undefined],
		['501 NotImplemented (a call the store lacks: it answers the same again)', s3Answer(501, 'NotImplemented'), undefined],
		['501 with no S3 code', s3Answer(501, 'Unknown'), undefined],
		['no credentials', Object.assign(new Error('Could not load credentials from any providers'), {name: 'CredentialsProviderError'}), undefined],
		['an abort', Object.assign(new Error('The operation was aborted'), {name: 'AbortError'}), undefined],
		['not an Error', 'text', undefined],
	];
	for (const [what, error, kind] of cases) {
		test(`${what}: ${kind ?? 'not retried'}`, () => {
			assert.equal(failureKind(error), kind);
			assert.equal(isRetryable(error), kind !== undefined);
		});
	}
});

describe('withRetries', () => {
	test('tries again until the operation succeeds, telling each retry', async () => {
		const retries: {attempt: number; kind: string}[] = [];
		const result = await withRetries(
			async (attempt) => {
				if (attempt < 3) throw s3Answer(503, 'SlowDown');
				return `done on ${attempt}`;
			},
			{...FAST, onRetry: ({attempt, kind}) => retries.push({attempt, kind})},
		);
		assert.equal(result, 'done on 3');
		assert.deepEqual(retries, [
			{attempt: 1, kind: 'throttled'},
			{attempt: 2, kind: 'throttled'},
		]);
	});

	test('gives up after `attempts` tries with the last failure, and at once on one that is not retryable', async () => {
		let calls = 0;
		await assert.rejects(
			withRetries(async () => {
				calls += 1;
				throw s3Answer(500, 'InternalError', `failure ${calls}`);
			}, {...FAST, attempts: 4}),
			{message: 'failure 4'},
		);
		assert.equal(calls, 4);
		calls = 0;
		await assert.rejects(
			withRetries(async () => {
				calls += 1;
				throw s3Answer(403, 'AccessDenied');
			}, FAST),
			{name: 'AccessDenied'},
		);
		assert.equal(calls, 1);
	});

	test('nothing listening is tried twice in all, a BadDigest three times, whatever the attempts', async () => {
		for (const [error, expected] of [
			[networkError('ECONNREFUSED'), 2],
			[s3Answer(400, 'BadDigest'), 3],
		] as const) {
			let calls = 0;
			await assert.rejects(
				withRetries(async () => {
					calls += 1;
					throw error;
				}, {...FAST, attempts: 10}),
			);
			assert.equal(calls, expected);
		}
	});

	test('each kind has its own count: a refused connection after resets is still retried once', async () => {
		const failures = [networkError('ECONNRESET'), networkError('ECONNRESET'), networkError('ECONNREFUSED')];
		let calls = 0;
		const result = await withRetries(async () => {
			const failure = failures[calls];
			calls += 1;
			if (failure) throw failure;
			return 'ok';
		}, FAST);
		assert.equal(result, 'ok');
		assert.equal(calls, 4);
	});

	test('an aborted signal stops the retries, in the backoff too', async () => {
		const controller = new AbortController();
		let calls = 0;
		const running = withRetries(
			async () => {
				calls += 1;
				throw s3Answer(500, 'InternalError');
			},
			{baseMs: 60_000, maxMs: 60_000, signal: controller.signal},
		);
		setImmediate(() => controller.abort());
		await assert.rejects(running, {name: 'InternalError'});
		assert.equal(calls, 1);
	});

	test('backoff is full jitter below the doubling cap, and never above the largest', () => {
		for (let retry = 0; retry < 40; retry++) {
			const delay = backoffDelay(retry, 100, 5_000);
			assert.ok(delay >= 0 && delay < Math.min(5_000, 100 * 2 ** retry), `retry ${retry}: ${delay} ms`);
		}
	});
});
