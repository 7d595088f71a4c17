/**
 * Attacks and faults on the copy in a binlog-stream directory (issue 14 item 6): each test states what
 * an earlier version did wrong, and is run against real MariaDB servers.
 */
import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {appendFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {after, before, describe, test} from 'node:test';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import {readBinlogIndex} from '../../../source/binlog/stream/binlog-index.ts';
import {streamBinlogs, type BinlogStreamOptions} from '../../../source/binlog/stream/streamer.ts';
import {EventBus, type BusEvent} from '../../../source/core/events.ts';
import {startMariadb} from '../../../source/sandbox/mariadb.ts';
import type {RunningMariadb} from '../../../source/sandbox/types.ts';
import {assertByteIdentical, serverBinlogs} from './server-copy.ts';

const run = promisify(execFile);
const cli = join(process.cwd(), 'bin', 'dbbackup.js');

let server: RunningMariadb;
let admin: Connection;
const dirs: string[] = [];

async function connect(target: RunningMariadb = server): Promise<Connection> {
	return mysql.createConnection({host: target.host, port: target.port, user: target.user, password: target.password, multipleStatements: true});
}

async function tempDir(): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'dbbackup-binlog-integrity-'));
	dirs.push(dir);
	return dir;
}

function options(outputDir: string, extra: Partial<BinlogStreamOptions> = {}, target: RunningMariadb = server): BinlogStreamOptions {
	return {
		settings: {dbType: 'mysql', host: target.host, port: target.port, user: target.user, password: target.password},
		outputDir,
		serverId: 4343,
		useGtid: true,
		sync: 'always',
		checkpointIntervalSeconds: 0.5,
		compress: 'none',
		stopAtEnd: true,
		...extra,
	};
}

function recordingBus(): {bus: EventBus; events: BusEvent[]} {
	const bus = new EventBus();
	const events: BusEvent[] = [];
	bus.onAny((event) => events.push(event));
	return {bus, events};
}

function cliArgs(dir: string, target: RunningMariadb = server): string[] {
	return ['binlog-stream', '--output', dir, '--host', target.host, '--port', String(target.port), '--user', target.user, '--server-id', '778', '--yes', '--json'];
}

function cliEnv(target: RunningMariadb = server): NodeJS.ProcessEnv {
	return {...process.env, MYSQL_PWD: target.password};
}

/** The CLI to its end: exit code and output, whatever the code. */
async function runCli(args: string[], target: RunningMariadb = server): Promise<{code: number; stdout: string; stderr: string}> {
	try {
		const {stdout, stderr} = await run(process.execPath, [cli, ...args], {env: cliEnv(target), maxBuffer: 256 * 1024 * 1024});
		return {code: 0, stdout, stderr};
	} catch (error) {
		const failed = error as {code: number; stdout: string; stderr: string};
		return {code: failed.code, stdout: failed.stdout, stderr: failed.stderr};
	}
}

async function sha256(file: string): Promise<string> {
	return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function snapshot(dir: string): Promise<Record<string, string>> {
	const result: Record<string, string> = {};
	for (const name of (await readdir(dir)).sort()) if (/\.\d+$/.test(name)) result[name] = await sha256(join(dir, name));
	return result;
}

async function waitFor(check: () => boolean, what: string, timeout = 30_000): Promise<void> {
	const deadline = Date.now() + timeout;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

before(async () => {
	server = await startMariadb({log: () => {}});
	admin = await connect();
	await admin.query('CREATE DATABASE attack; CREATE TABLE attack.t (id INT PRIMARY KEY AUTO_INCREMENT, v LONGTEXT)');
});

after(async () => {
	await admin?.end();
	await server?.stop();
	for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});

describe('binlog-stream directory integrity (attacks and faults)', {timeout: 300_000}, () => {
	test('finding 1: kill -9, then FLUSH BINARY LOGS twice while it is down: the GTID resume re-fetches the files that hold no transaction', async () => {
		const dir = await tempDir();
		// interval sync with a long interval: the checkpoint stays where the first run left it
		const args = [...cliArgs(dir), '--sync', 'interval', '--checkpoint-interval', '60s'];
		const child = spawn(process.execPath, [cli, ...args], {env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe']});
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
		await admin.query('INSERT INTO attack.t (v) VALUES ("before the kill")');
		await waitFor(() => output.includes('"XID"'), 'the streamer has the insert');
		child.kill('SIGKILL');
		await new Promise((resolve) => child.once('exit', resolve));
		await admin.query('FLUSH BINARY LOGS');
		await admin.query('FLUSH BINARY LOGS');
		await admin.query('INSERT INTO attack.t (v) VALUES ("after the flushes")');
		const again = await runCli([...cliArgs(dir), '--stop-at-end']);
		assert.equal(again.code, 0, again.stderr);
		const names = await assertByteIdentical(admin, server.datadir, dir);
		assert.ok(names.length >= 3, 'the copy spans the flushed files');
		const index = await readBinlogIndex(dir);
		assert.deepEqual(index.files.map((file) => file.name), names.slice(0, -1), 'every closed file is indexed');
	});

	test('finding 1: a clean stop, then FLUSH BINARY LOGS twice and a transaction: the GTID resume re-fetches every file whole', async () => {
		const dir = await tempDir();
		await admin.query('INSERT INTO attack.t (v) VALUES ("before the stop")');
		await streamBinlogs(options(dir), recordingBus().bus, new AbortController().signal);
		const stoppedAt = (await serverBinlogs(admin)).at(-1)!;
		await admin.query('FLUSH BINARY LOGS');
		await admin.query('FLUSH BINARY LOGS');
		await admin.query('INSERT INTO attack.t (v) VALUES ("after the flushes")');
		await streamBinlogs(options(dir), recordingBus().bus, new AbortController().signal);
		const names = await assertByteIdentical(admin, server.datadir, dir, {from: stoppedAt});
		assert.equal(names.length, 3);
		const index = await readBinlogIndex(dir);
		for (const name of names.slice(0, -1)) assert.ok(index.files.some((file) => file.name === name), `${name} is indexed`);
	});

	test('finding 6: a clean server shutdown between two runs: the STOP event and the cleared in-use flag are kept, and that file is indexed', async () => {
		const dir = await tempDir();
		await admin.query('INSERT INTO attack.t (v) VALUES ("before the restart")');
		await streamBinlogs(options(dir), recordingBus().bus, new AbortController().signal);
		const stoppedFile = (await serverBinlogs(admin)).at(-1)!;
		await admin.end();
		await server.restart();
		admin = await connect();
		await admin.query('INSERT INTO attack.t (v) VALUES ("after the restart")');
		await streamBinlogs(options(dir), recordingBus().bus, new AbortController().signal);
		const names = await assertByteIdentical(admin, server.datadir, dir, {from: stoppedFile});
		assert.ok(names.length >= 2);
		const index = await readBinlogIndex(dir);
		assert.ok(index.files.some((file) => file.name === stoppedFile), `${stoppedFile} (ended by STOP) is indexed as closed`);
	});

	test('finding 6: a live streamer across a server restart closes and indexes the file the STOP event ends', async () => {
		const dir = await tempDir();
		const {bus, events} = recordingBus();
		const controller = new AbortController();
		const streaming = streamBinlogs(options(dir, {stopAtEnd: false, maxBackoffSeconds: 1}), bus, controller.signal);
		await admin.query('INSERT INTO attack.t (v) VALUES ("live before the restart")');
		const stoppedFile = (await serverBinlogs(admin)).at(-1)!;
		await waitFor(() => events.some((event) => event.type === 'binlog-durable'), 'streaming');
		await admin.end();
		await server.restart();
		admin = await connect();
		await admin.query('INSERT INTO attack.t (v) VALUES ("live after the restart")');
		const [rows] = await admin.query<RowDataPacket[]>('SELECT @@global.gtid_binlog_pos AS gtid');
		const target = String(rows[0]!.gtid);
		await waitFor(() => events.some((event) => event.type === 'binlog-durable' && event.gtid === target), 'the write after the restart is durable', 60_000);
		controller.abort();
		await streaming;
		await assertByteIdentical(admin, server.datadir, dir, {from: stoppedFile});
		const index = await readBinlogIndex(dir);
		assert.ok(index.files.some((file) => file.name === stoppedFile), `${stoppedFile} is indexed as closed`);
	});

	test('finding 2: a checkpoint that is valid JSON but wrong neither cuts a closed, indexed file nor removes the next one', async () => {
		const dir = await tempDir();
		await admin.query('INSERT INTO attack.t (v) VALUES (REPEAT("c", 3000000))');
		const closedFile = (await serverBinlogs(admin)).at(-1)!;
		await admin.query('FLUSH BINARY LOGS');
		await admin.query('INSERT INTO attack.t (v) VALUES ("in the next file")');
		await streamBinlogs(options(dir, {start: {file: closedFile, position: 4}}), recordingBus().bus, new AbortController().signal);
		const index = await readBinlogIndex(dir);
		assert.ok(index.files.some((file) => file.name === closedFile), 'the first file is closed and indexed');
		const before = await snapshot(dir);
		const checkpointFile = join(dir, 'binlog-stream.checkpoint.json');
		const checkpoint = JSON.parse(await readFile(checkpointFile, 'utf8')) as Record<string, unknown>;
		for (const wrong of [{file: closedFile, position: 1000}, {file: checkpoint.file as string, position: 1001}]) {
			await writeFile(checkpointFile, JSON.stringify({...checkpoint, ...wrong, gtid: '0-1-1'}));
			const {bus, events} = recordingBus();
			await streamBinlogs(options(dir), bus, new AbortController().signal);
			assert.ok(!events.some((event) => event.type === 'warning' && event.code === 'BINLOG_COPY_TRUNCATED'), `${JSON.stringify(wrong)}: nothing was cut or removed`);
			assert.deepEqual(Object.keys(await snapshot(dir)).slice(0, 2), Object.keys(before).slice(0, 2));
			assert.equal(await sha256(join(dir, closedFile)), before[closedFile], 'the closed file is untouched');
			await assertByteIdentical(admin, server.datadir, dir, {from: closedFile});
		}
	});

	test('finding 2: a torn tail is not cut before the server has been reached (an unreachable server leaves the copy as it is)', async () => {
		const dir = await tempDir();
		await streamBinlogs(options(dir, {start: {file: (await serverBinlogs(admin)).at(-1)!, position: 4}}), recordingBus().bus, new AbortController().signal);
		const current = Object.keys(await snapshot(dir)).at(-1)!;
		await appendFile(join(dir, current), Buffer.from([1, 2, 3, 4, 5, 6, 7]));
		const before = await snapshot(dir);
		const nowhere = {...options(dir, {retries: 1, maxBackoffSeconds: 0.1}), settings: {dbType: 'mysql' as const, host: '127.0.0.1', port: 1, user: 'x', password: 'y'}};
		await assert.rejects(streamBinlogs(nowhere, recordingBus().bus, new AbortController().signal));
		assert.deepEqual(await snapshot(dir), before, 'the torn tail is still there: nothing is cut until the server confirms it sends it again');
	});

	test('a .partial left by kill -9 in the middle of a checkpoint or index write does not stop later writes', async () => {
		const dir = await tempDir();
		await streamBinlogs(options(dir, {start: {file: (await serverBinlogs(admin)).at(-1)!, position: 4}}), recordingBus().bus, new AbortController().signal);
		await writeFile(join(dir, 'binlog-stream.checkpoint.json.partial'), '{"torn');
		await writeFile(join(dir, 'binlog-index.json.partial'), '{"torn');
		await admin.query('INSERT INTO attack.t (v) VALUES ("before the flush")');
		await admin.query('FLUSH BINARY LOGS');
		await admin.query('INSERT INTO attack.t (v) VALUES ("after the flush")');
		const {bus, events} = recordingBus();
		await streamBinlogs(options(dir), bus, new AbortController().signal);
		const warnings = events.filter((event) => event.type === 'warning').map((event) => (event as {code?: string}).code);
		assert.ok(!warnings.includes('BINLOG_CHECKPOINT_FAILED') && !warnings.includes('BINLOG_INDEX_FAILED'), `no failed writes: ${warnings.join(', ')}`);
		const names = await serverBinlogs(admin);
		const checkpoint = JSON.parse(await readFile(join(dir, 'binlog-stream.checkpoint.json'), 'utf8')) as {file: string};
		assert.equal(checkpoint.file, names.at(-1));
		assert.ok((await readBinlogIndex(dir)).files.some((file) => file.name === names.at(-2)), 'the file closed by the flush is indexed');
	});

	test('finding 3: a foreign file named like a binlog is refused with its name, and not touched', async () => {
		for (const withCopy of [false, true]) {
			const dir = await tempDir();
			if (withCopy) await streamBinlogs(options(dir, {start: {file: (await serverBinlogs(admin)).at(-1)!, position: 4}}), recordingBus().bus, new AbortController().signal);
			const name = withCopy ? 'mariadb-bin.999999' : 'mariadb-bin.000001';
			const foreign = randomBytes(5000);
			await writeFile(join(dir, name), foreign);
			const result = await runCli([...cliArgs(dir), '--stop-at-end']);
			assert.notEqual(result.code, 0, 'exits non-zero');
			assert.match(result.stderr + result.stdout, new RegExp(`${name.replace('.', '\\.')}.*not one the streamer wrote`));
			assert.doesNotMatch(result.stderr, /This is a bug/);
			assert.ok((await readFile(join(dir, name))).equals(foreign), `${name} is byte for byte what it was`);
		}
	});

	test('finding 5: a lock file holding garbage or a dead pid does not block; a live holder is refused with its pid; two at once: one runs', async () => {
		const dir = await tempDir();
		await writeFile(join(dir, 'binlog-stream.lock'), '1\n');
		await streamBinlogs(options(dir, {start: {file: (await serverBinlogs(admin)).at(-1)!, position: 4}}), recordingBus().bus, new AbortController().signal);

		// a process holding the lock with flock(1), as another streamer does
		const holder = spawn('flock', ['--close', join(dir, 'binlog-stream.lock'), 'sleep', '30'], {stdio: 'ignore'});
		await new Promise((resolve) => setTimeout(resolve, 300));
		try {
			await assert.rejects(streamBinlogs(options(dir), recordingBus().bus, new AbortController().signal), {code: 'BINLOG_OUTPUT_LOCKED'});
		} finally {
			holder.kill('SIGKILL');
			await new Promise((resolve) => holder.once('exit', resolve));
		}

		const children = [0, 1].map(() => {
			const child = spawn(process.execPath, [cli, ...cliArgs(dir)], {env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe']});
			const state = {child, output: '', code: undefined as number | null | undefined};
			child.stdout.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
			child.stderr.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
			child.once('exit', (code) => (state.code = code));
			return state;
		});
		try {
			await waitFor(() => children.some((state) => state.code !== undefined), 'one of the two streamers gave up', 20_000);
			await new Promise((resolve) => setTimeout(resolve, 1000));
			const refused = children.filter((state) => state.code !== undefined);
			const running = children.filter((state) => state.code === undefined);
			assert.equal(refused.length, 1, `exactly one streamer was refused: ${children.map((state) => `${state.code}: ${state.output.slice(-500)}`).join('\n')}`);
			assert.equal(refused[0]!.code, 2);
			assert.match(refused[0]!.output, new RegExp(`BINLOG_OUTPUT_LOCKED.*pid ${running[0]!.child.pid}`), 'the refusal names the holder pid');
		} finally {
			for (const state of children) {
				if (state.code !== undefined) continue;
				state.child.kill('SIGTERM');
				await new Promise((resolve) => state.child.once('exit', resolve));
			}
		}
		// the holder has gone: the lock is free again
		await streamBinlogs(options(dir), recordingBus().bus, new AbortController().signal);
	});

	test('finding 7: every file written to the directory is 0600 (binlogs, compressed copies, index, checkpoint, identity, lock)', async () => {
		const dir = await tempDir();
		const first = (await serverBinlogs(admin)).at(-1)!;
		await admin.query("INSERT INTO attack.t (v) VALUES ('ALTER USER would be here in plain text')");
		await admin.query('FLUSH BINARY LOGS');
		await admin.query("INSERT INTO attack.t (v) VALUES ('more')");
		const mask = process.umask(0o022);
		try {
			await streamBinlogs(options(dir, {start: {file: first, position: 4}, compress: 'zstd'}), recordingBus().bus, new AbortController().signal);
		} finally {
			process.umask(mask);
		}
		const names = await readdir(dir);
		assert.ok(names.some((name) => name.endsWith('.zst')), 'a compressed copy is there');
		for (const name of names) {
			const mode = (await stat(join(dir, name))).mode & 0o777;
			assert.equal(mode.toString(8), '600', `${name} is 0600`);
		}
	});

	test('finding 8: a regular file or a read-only filesystem as --output is one clear line naming the path, no stack, no "bug"', async () => {
		const dir = await tempDir();
		const file = join(dir, 'a-file');
		await writeFile(file, 'x');
		const cases: string[] = [file, join(file, 'below')];
		const readOnly = join(dir, 'ro');
		await mkdir(readOnly);
		const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly]).then(
			() => true,
			() => false,
		);
		if (mounted) cases.push(join(readOnly, 'binlogs'), readOnly);
		try {
			for (const output of cases) {
				const result = await runCli([...cliArgs(output).filter((arg) => arg !== '--json'), '--stop-at-end']);
				assert.equal(result.code, 2, `${output}: ${result.stderr}`);
				assert.match(result.stderr, new RegExp(`cannot write binlogs to --output ${output.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
				assert.doesNotMatch(result.stderr, /This is a bug|\n\s+at /);
			}
		} finally {
			if (mounted) await run('umount', [readOnly]);
		}
		assert.ok(mounted || process.getuid?.() !== 0, 'as root the read-only case runs');
	});

	describe('against a second server', () => {
		let other: RunningMariadb;
		let otherAdmin: Connection;
		before(async () => {
			other = await startMariadb({log: () => {}});
			otherAdmin = await connect(other);
			await otherAdmin.query('SET GLOBAL server_id = 2');
			await otherAdmin.query('CREATE DATABASE other; CREATE TABLE other.t (id INT PRIMARY KEY)');
			await otherAdmin.query('INSERT INTO other.t VALUES (1), (2)');
		});
		after(async () => {
			await otherAdmin?.end();
			await other?.stop();
		});

		test('finding 4: a directory of another server is refused, naming the identity file and both servers', async () => {
			const dir = await tempDir();
			await streamBinlogs(options(dir), recordingBus().bus, new AbortController().signal);
			// no checkpoint to compare with: the directory must describe itself
			await rm(join(dir, 'binlog-stream.checkpoint.json'));
			const before = await snapshot(dir);
			await assert.rejects(streamBinlogs(options(dir, {}, other), recordingBus().bus, new AbortController().signal), (error: Error & {code?: string; hint?: string}) => {
				assert.equal(error.code, 'BINLOG_SOURCE_CHANGED');
				assert.match(error.message, /binlog-stream\.source\.json/);
				assert.match(error.message, /server_id 1\b.*server_id 2\b/);
				assert.match(error.hint ?? '', /own --output directory/);
				return true;
			});
			assert.deepEqual(await snapshot(dir), before, 'nothing in the directory was changed');
		});

		test('finding 4: another server with the same server_id and file names is refused by the file\'s format description, nothing written', async () => {
			await admin.query('FLUSH BINARY LOGS');
			const newest = (await serverBinlogs(admin)).at(-1)!;
			// the two files of that name are created in different seconds
			await new Promise((resolve) => setTimeout(resolve, 1100));
			await otherAdmin.query('SET GLOBAL server_id = 1');
			try {
				while ((await serverBinlogs(otherAdmin)).at(-1)! !== newest) await otherAdmin.query('FLUSH BINARY LOGS');
				await otherAdmin.query('INSERT INTO other.t VALUES (10)');
				const dir = await tempDir();
				await streamBinlogs(options(dir, {start: {file: newest, position: 4}}, other), recordingBus().bus, new AbortController().signal);
				// the first server's file of that name is longer than the copy: only its content can tell them apart
				await admin.query('INSERT INTO attack.t (v) VALUES (REPEAT("s", 100000))');
				const before = await snapshot(dir);
				await assert.rejects(streamBinlogs(options(dir, {useGtid: false, retries: 1}), recordingBus().bus, new AbortController().signal), (error: Error & {code?: string}) => {
					assert.equal(error.code, 'BINLOG_SOURCE_CHANGED', error.message);
					assert.match(error.message, new RegExp(`${newest.replace('.', '\\.')} is not the file copied`));
					return true;
				});
				assert.deepEqual(await snapshot(dir), before, 'nothing was written');
			} finally {
				await otherAdmin.query('SET GLOBAL server_id = 2');
			}
		});

		test('finding 9: binlogs reset on the server, or a GTID position the server never had, are named as such, not as purged', async () => {
			const dir = await tempDir();
			await otherAdmin.query('FLUSH BINARY LOGS');
			await otherAdmin.query('INSERT INTO other.t VALUES (3)');
			await streamBinlogs(options(dir, {}, other), recordingBus().bus, new AbortController().signal);

			// a GTID position ahead of everything the server has
			const checkpointFile = join(dir, 'binlog-stream.checkpoint.json');
			const original = await readFile(checkpointFile, 'utf8');
			await writeFile(checkpointFile, JSON.stringify({...JSON.parse(original), gtid: '0-2-999999'}));
			await assert.rejects(streamBinlogs(options(dir, {retries: 1}, other), recordingBus().bus, new AbortController().signal), (error: Error & {code?: string}) => {
				assert.equal(error.code, 'BINLOG_GTID_NOT_ON_SERVER');
				assert.doesNotMatch(error.message, /purge/i);
				assert.match(error.message, /0-2-999999/);
				return true;
			});
			await writeFile(checkpointFile, original);

			await otherAdmin.query('RESET MASTER');
			await otherAdmin.query('INSERT INTO other.t VALUES (4)');
			for (const useGtid of [false, true]) {
				await assert.rejects(streamBinlogs(options(dir, {useGtid, retries: 1}, other), recordingBus().bus, new AbortController().signal), (error: Error & {code?: string}) => {
					assert.equal(error.code, 'BINLOG_SOURCE_RESET', `useGtid ${useGtid}: ${error.message}`);
					assert.match(error.message, /reset/);
					return true;
				});
			}
		});
	});
});
