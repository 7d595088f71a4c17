import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {chmod, mkdtemp, readdir, rm} from 'node:fs/promises';
import {createServer, type Server} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {DbBackupError, WorkError} from '../../source/core/errors.ts';
import {freePort} from '../../source/sandbox/free-port.ts';
import {SandboxStartError, startSandbox, type RunningS3} from '../../source/sandbox/index.ts';
import {startMariadb} from '../../source/sandbox/mariadb.ts';
import {startPostgres} from '../../source/sandbox/postgres.ts';
import {isProcessAlive} from '../../source/sandbox/process-exit.ts';
import {startS3} from '../../source/sandbox/s3.ts';

// These start servers of their own (not the harness's) to check startup failures and cleanup.
describe('sandbox lifecycle', () => {
	let base: string;
	let blocker: Server;
	let busyPort: number;
	const log = () => {};

	before(async () => {
		base = await mkdtemp(join(tmpdir(), 'dbbackup-lifecycle-test-'));
		// as root, postgres runs as the postgres OS user, which must be able to enter the base dir
		await chmod(base, 0o755);
		blocker = createServer();
		await new Promise<void>((resolve) => blocker.listen({host: '127.0.0.1', port: 0}, resolve));
		busyPort = (blocker.address() as {port: number}).port;
	});
	after(async () => {
		blocker.close();
		await rm(base, {recursive: true, force: true});
	});

	test('freePort gives a port that can be listened on', async () => {
		const port = await freePort();
		const server = createServer();
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen({host: '127.0.0.1', port}, resolve);
		});
		server.close();
	});

	test('s3: stop ends the process and removes the temp dir, and may be called twice', async () => {
		const s3 = await startS3({log, baseDir: base});
		assert.equal((await readdir(base)).length, 1);
		assert.ok(isProcessAlive(s3.pid));
		await s3.stop();
		await s3.stop();
		assert.equal(isProcessAlive(s3.pid), false);
		assert.deepEqual(await readdir(base), []);
	});

	test('mariadb: a port in use fails the start with the error log tail, leaving nothing behind', async () => {
		const error = await startMariadb({log, baseDir: base, port: busyPort}).then(
			() => assert.fail('expected a rejection'),
			(caught: unknown) => caught,
		);
		assert.ok(error instanceof DbBackupError);
		assert.equal(error.code, 'SANDBOX_START_FAILED');
		assert.match(error.message, /Address already in use/);
		assert.deepEqual(await readdir(base), []);
	});

	test('postgres: a port in use fails the start with the server log tail, leaving nothing behind', async () => {
		const error = await startPostgres({log, baseDir: base, port: busyPort}).then(
			() => assert.fail('expected a rejection'),
			(caught: unknown) => caught,
		);
		assert.ok(error instanceof DbBackupError);
		assert.equal(error.code, 'SANDBOX_START_FAILED');
		assert.match(error.message, /could not bind IPv4 address "127\.0\.0\.1": Address already in use/);
		assert.deepEqual(await readdir(base), []);
	});

	test('startSandbox stops the servers that started when another fails, and reports the failure', async () => {
		let s3: RunningS3 | undefined;
		const failure = new WorkError({code: 'SANDBOX_START_FAILED', message: 'mariadbd exploded', hint: 'look at it'});
		const error = await startSandbox(
			{mariadb: true, postgres: false, s3: true, log, baseDir: base, ensurePackages: false},
			{
				mariadb: async () => {
					// fail only once s3 is up, so there is something to clean up
					while (!s3) await new Promise((resolve) => setTimeout(resolve, 20));
					throw failure;
				},
				postgres: () => assert.fail('postgres was not requested'),
				s3: async (options) => (s3 = await startS3(options)),
			},
		).then(
			() => assert.fail('expected a rejection'),
			(caught: unknown) => caught,
		);
		assert.ok(error instanceof SandboxStartError);
		assert.deepEqual(error.errors, [failure]);
		assert.match(error.message, /mariadbd exploded/);
		assert.equal(error.hint, 'look at it');
		assert.ok(s3);
		assert.equal(isProcessAlive(s3.pid), false);
		assert.deepEqual(await readdir(base), []);
	});
});
