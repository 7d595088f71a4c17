import assert from 'node:assert/strict';
import {test} from 'node:test';
import {WorkerPool, WorkerThreadError, type JobListener} from '../../source/storage/workers/pool.ts';
import type {ReadReply, ReadRequest} from '../../source/storage/workers/read-protocol.ts';

/** Listens for one job's failure; a reply is a test failure. */
function failureListener(): JobListener<ReadReply> & {failures: Promise<WorkerThreadError>[]} {
	const failures: Promise<WorkerThreadError>[] = [];
	let next: (error: WorkerThreadError) => void = () => undefined;
	const expect = () => failures.push(new Promise((resolve) => (next = resolve)));
	expect();
	return {
		failures,
		onReply: (reply) => assert.fail(`unexpected reply ${JSON.stringify(reply)}`),
		onFailure: (error) => {
			next(error);
			expect();
		},
	};
}

test('a thread that dies fails its jobs with a WorkerThreadError, and later requests get the same failure', async () => {
	// a negative buffer size makes the read thread throw outside its handlers when asked to hash
	const pool = new WorkerPool<ReadRequest, ReadReply>({entry: 'read-worker', name: 'test', limit: () => 1, workerData: {inputBytes: -1}});
	const listener = failureListener();
	const job = pool.open(listener);
	job.awaitReplies(true);
	job.send({op: 'hash', path: import.meta.filename, start: 0, size: 10});
	const failure = await listener.failures[0]!;
	assert.ok(failure instanceof WorkerThreadError);
	assert.equal(failure.code, 'WORKER_THREAD_FAILED');
	assert.match(failure.message, /^the test thread (failed|exited)/);

	job.send({op: 'hash', path: import.meta.filename, start: 0, size: 10});
	assert.equal(await listener.failures[1]!, failure);
	job.end();

	// the dead thread left the pool: the next job starts a new one (which dies the same way)
	const second = failureListener();
	const again = pool.open(second);
	again.awaitReplies(true);
	again.send({op: 'hash', path: import.meta.filename, start: 0, size: 10});
	assert.notEqual(await second.failures[0]!, failure);
	again.end();
});
