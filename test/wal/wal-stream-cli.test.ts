/**
 * `dbbackup wal-stream` as users run it (a child process, from the sources): kill -9 mid-stream and a
 * restart lose nothing and write nothing twice (the segment being filled resumes at the checkpoint),
 * SIGTERM stops with everything durable (exit 0), a second streamer on the store is refused, and the
 * refusals before anything is written: a store of another cluster, a MySQL/MariaDB server, no --output.
 */
import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtemp, readdir, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import {formatLsn, parseLsn, segmentFileName, segmentOf} from '../../source/core/pg-replication/lsn.ts';
import {startPostgres} from '../../source/sandbox/postgres.ts';
import type {RunningPostgres} from '../../source/sandbox/types.ts';
import {readWalCheckpoint} from '../../source/wal/store/checkpoint.ts';
import {readWalIndex} from '../../source/wal/store/segment-index.ts';
import {defaultSlotName} from '../../source/wal/stream/slot.ts';
import {runCli} from '../cli/run-cli.ts';
import {uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {assertPrefixOfServer, assertSameAsServer, completeSegments, currentFlush, dropSlot, harnessPostgres, pinWal, SEGMENT, sqlClient, switchWal, waitFor, waitForCheckpoint, waldump, writeRows} from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/dbbackup.js', import.meta.url));
const timeoutMs = 300_000;
const server = harnessPostgres();
/** the sources, whatever dist/ holds (another build may replace it meanwhile) */
const env = {DBBACKUP_FROM_SOURCE: '1'};

function connection(target: Pick<RunningPostgres, 'socketDir' | 'port' | 'superuser'> = server): string[] {
	return ['--db-type', 'postgres', '--socket', target.socketDir, '--port', String(target.port), '--user', target.superuser];
}

interface Streamer {
	child: ChildProcess;
	stdout(): string;
	stderr(): string;
	closed: Promise<{code: number | null; signal: NodeJS.Signals | null}>;
}

function startStreamer(args: string[]): Streamer {
	const child = spawn(process.execPath, [BIN, 'wal-stream', ...args], {env: {...process.env, ...env, NODE_TEST_CONTEXT: ''}, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (chunk) => (stdout += chunk));
	child.stderr!.on('data', (chunk) => (stderr += chunk));
	const closed = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.on('close', (code, signal) => resolve({code, signal})));
	return {child, stdout: () => stdout, stderr: () => stderr, closed};
}

describe('wal-stream on the command line', () => {
	let sql: pg.Client;
	let dir: string;
	const pin = uniqueName('walclipin');
	let unpin: () => Promise<void>;

	before(async () => {
		sql = await sqlClient();
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-walcli-'));
		unpin = await pinWal(sql, pin);
	});

	after(async () => {
		await unpin();
		await sql.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('kill -9 mid-stream, then a restart: the .partial resumes at the checkpoint, nothing lost, nothing twice; SIGTERM stops cleanly; a second streamer is refused', {timeout: timeoutMs}, async () => {
		const slot = uniqueName('walclislot');
		const out = join(dir, 'killed');
		const table = `wal_cli_${process.pid}`;
		const args = ['--output', out, '--slot', slot, '--checkpoint-interval', '200ms', '--yes', ...connection()];
		let first: Streamer | undefined;
		let second: Streamer | undefined;
		try {
			first = startStreamer(args);
			const started = await waitForCheckpoint(out, 1n, 60_000);
			await writeRows(sql, table, 20_000);
			await switchWal(sql);
			// into the middle of the next segment, durable there
			await writeRows(sql, table, 3000);
			// the harness's server commits without waiting for the flush: wait for the WAL writer to pass the switch point
			const flushed = await waitFor('the flushed WAL past the start of the new segment', async () => {
				const lsn = await currentFlush(sql);
				return lsn % BigInt(SEGMENT) !== 0n ? lsn : undefined;
			});
			const middle = await waitForCheckpoint(out, flushed);
			assert.notEqual(middle % BigInt(SEGMENT), 0n, 'the checkpoint is inside a segment');
			// killed while more arrives: the .partial may hold bytes past the checkpoint
			const load = writeRows(sql, table, 8000);
			await new Promise((resolve) => setTimeout(resolve, 150));
			first.child.kill('SIGKILL');
			assert.equal((await first.closed).signal, 'SIGKILL');
			await load;
			const killedAt = (await readWalCheckpoint(out))!;
			const active = segmentFileName(1, segmentOf(parseLsn(killedAt.flushLsn), SEGMENT), SEGMENT);
			const left = (await stat(join(out, `${active}.partial`))).size;
			assert.ok(BigInt(left) >= parseLsn(killedAt.flushLsn) % BigInt(SEGMENT), 'the .partial holds at least what the checkpoint says');

			second = startStreamer(args);
			const from = await waitFor('the restart to say where it resumes', async () => /through slot \S+ from (\S+) on timeline (\d+)/.exec(second!.stderr()) ?? undefined, 60_000);
			assert.equal(from[1], killedAt.flushLsn, `the restart resumed at the checkpoint (${killedAt.flushLsn}), inside ${active}.partial`);

			// a second streamer on the same store is refused while this one runs
			const rival = await runCli(['wal-stream', ...args], {env});
			assert.equal(rival.code, 2, rival.stderr);
			assert.match(rival.stderr, /another wal-stream \(pid \d+\) holds the lock on .*wal-stream\.lock/);

			await writeRows(sql, table, 20_000);
			const known = await switchWal(sql);
			await waitForCheckpoint(out, known, 60_000);
			second.child.kill('SIGTERM');
			const stopped = await second.closed;
			assert.equal(stopped.code, 0, second.stderr());
			assert.match(second.stdout(), /^WAL stream stopped: .* received, \d+ segments completed/m);
			assert.match(second.stdout(), new RegExp(`Checkpoint: \\S+ on timeline 1`));

			const complete = await completeSegments(out);
			const expected: string[] = [];
			for (let segment = segmentOf(started, SEGMENT); segment < segmentOf(known, SEGMENT); segment++) expected.push(segmentFileName(1, segment, SEGMENT));
			assert.deepEqual(complete.filter((name) => expected.includes(name)), expected, 'every segment from the first to the known LSN, once');
			await assertSameAsServer(server, out, complete);
			const indexed = (await readWalIndex(out)).files.map((file) => file.name);
			assert.equal(new Set(indexed).size, indexed.length, 'no segment indexed twice');
			for (const name of complete) assert.ok(indexed.includes(name), `${name} indexed`);
			const leftovers = (await readdir(out)).filter((name) => name.endsWith('.partial'));
			assert.ok(leftovers.length <= 1, `one .partial at most: ${leftovers.join(', ')}`);
			for (const name of leftovers) {
				assert.ok(!complete.includes(name.slice(0, -'.partial'.length)), `${name} is not a completed segment's leftover`);
				await assertPrefixOfServer(server, name.slice(0, -'.partial'.length), await readFile(join(out, name)));
			}
			await waldump(out, formatLsn(started), formatLsn(known));
			const checkpoint = (await readWalCheckpoint(out))!;
			assert.ok(parseLsn(checkpoint.flushLsn) >= known);
		} finally {
			first?.child.kill('SIGKILL');
			second?.child.kill('SIGKILL');
			await dropSlot(sql, slot);
		}
	});

	describe('refusals', () => {
		let other: RunningPostgres;

		before(async () => {
			other = await startPostgres({log: () => {}, noFsync: true});
		});

		after(async () => {
			await other.stop();
		});

		test('a store of another cluster: refused naming both system identifiers, nothing in it changed', {timeout: timeoutMs}, async () => {
			const out = join(dir, 'other-cluster');
			const made = await runCli(['wal-stream', '--output', out, '--stop-at-end', '--yes', ...connection(other)], {env});
			assert.equal(made.code, 0, made.stderr);
			const before = new Map<string, string>();
			for (const name of await readdir(out)) if (name !== 'wal-stream.lock') before.set(name, (await readFile(join(out, name))).toString('base64'));
			const theirs = (await readWalCheckpoint(out))!.systemId;
			const result = await runCli(['wal-stream', '--output', out, '--stop-at-end', '--yes', ...connection()], {env});
			assert.equal(result.code, 1, result.stderr);
			assert.match(result.stderr, new RegExp(`error: the store ${out} holds the WAL of the cluster with system identifier ${theirs}, but .* is the cluster \\d+; nothing was written`));
			for (const [name, content] of before) assert.equal((await readFile(join(out, name))).toString('base64'), content, `${name} unchanged`);
			// and the harness's server got no slot for it
			const {rows} = await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [defaultSlotName(out)]);
			assert.equal(rows.length, 0, 'no slot was made');
		});

		test('a MySQL/MariaDB server, and no --output: usage errors before any connection; PostgreSQL\'s protocol at a MariaDB port: exit 3', {timeout: timeoutMs}, async () => {
			const {mariadb} = getTestServers();
			const mysql = await runCli(['wal-stream', '--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--output', join(dir, 'x'), '--yes'], {env});
			assert.equal(mysql.code, 2, mysql.stderr);
			assert.match(mysql.stderr, /^error: wal-stream copies a PostgreSQL server's WAL, but the connection is to MySQL\/MariaDB/m);
			const wrongPort = await runCli(['wal-stream', '--db-type', 'postgres', '--host', mariadb.host, '--port', String(mariadb.port), '--user', 'x', '--output', join(dir, 'y'), '--yes'], {env});
			assert.equal(wrongPort.code, 3, wrongPort.stderr);
			assert.match(wrongPort.stderr, /does not speak the PostgreSQL protocol/);
			const noOutput = await runCli(['wal-stream', '--yes', ...connection()], {env});
			assert.equal(noOutput.code, 2, noOutput.stderr);
			assert.match(noOutput.stderr, /^error: wal-stream needs a directory or an s3:\/\/ prefix to write the WAL to/m);
			const badSlot = await runCli(['wal-stream', '--output', join(dir, 'z'), '--slot', 'Bad-Name', '--yes', ...connection()], {env});
			assert.equal(badSlot.code, 2, badSlot.stderr);
			assert.match(badSlot.stderr, /--slot Bad-Name: not a replication slot name/);
			for (const name of ['x', 'z']) await assert.rejects(stat(join(dir, name)), `${name}: nothing was made`);
		});
	});
});
