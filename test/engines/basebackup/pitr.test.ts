/**
 * PostgreSQL point-in-time recovery through the CLI: a private server streamed by wal-stream (in process),
 * a base backup of it (the basebackup engine), rows written in three steps (the LSN and a checksum after
 * step 1, a restore point after step 2), then `restore --datadir --wal` to the LSN, to the restore point
 * and to the end of the store, each with --verify-start and the rows compared on a server started on the
 * result; and the refusals (a store of another cluster, an LSN before the backup's end, a missing
 * segment), which leave no directory behind.
 */
import assert from 'node:assert/strict';
import {chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import pg from 'pg';
import {EventBus} from '../../../source/core/events.ts';
import {parseLsn, parseSegmentFileName, segmentOf} from '../../../source/core/pg-replication/lsn.ts';
import {freePort, startPostgres, startPostgresOnDataDirectory, type RunningPostgres} from '../../../source/sandbox/index.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {parseStoredName} from '../../../source/wal/store/layout.ts';
import {streamWal} from '../../../source/wal/stream/streamer.ts';
import {jsonLines, runCli} from '../../cli/run-cli.ts';
import {settingsOf, sqlClient, switchWal, waitFor, waitForCheckpoint} from '../../wal/helpers.ts';
import {giveToPostgres, postgresDir} from '../../wal/private-cluster.ts';

const BIN = '/usr/lib/postgresql/15/bin';
const timeoutMs = 600_000;

function resultOf(stdout: string, kind: string): Record<string, any> {
	const event = jsonLines(stdout).find((line) => line.type === 'result' && line.kind === kind);
	assert.ok(event, `a ${kind} result in ${stdout.slice(0, 2000)}`);
	return event.data;
}

interface Sum {
	rows: number;
	sum: string;
}

async function sumOf(client: pg.Client): Promise<Sum> {
	const {rows: [row]} = await client.query<{n: string; s: string | null}>("SELECT count(*) AS n, md5(string_agg(id || ':' || step || ':' || v, ',' ORDER BY id)) AS s FROM steps");
	return {rows: Number(row!.n), sum: row!.s ?? ''};
}

/** Starts a server on a restored (and recovered) directory, reads the table's sum, stops it. */
async function sumOnRestored(datadir: string): Promise<Sum> {
	const parent = await mkdtemp(path.join(tmpdir(), 'dbbackup-pitr-sock-'));
	await chmod(parent, 0o755);
	const socketDir = await postgresDir('pitr-sock');
	const port = await freePort();
	const server = await startPostgresOnDataDirectory({
		binDir: BIN,
		datadir,
		logFile: path.join(socketDir, 'server.log'),
		workDir: socketDir,
		log: () => undefined,
		settings: {port: String(port), unix_socket_directories: socketDir, listen_addresses: '127.0.0.1', archive_mode: 'off'},
	});
	const client = new pg.Client({host: socketDir, port, user: 'postgres', database: 'postgres'});
	try {
		await client.connect();
		// a directory restored without --verify-start recovers on this first start, then promotes
		await waitFor('recovery to end', async () => (await client.query<{r: boolean}>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r === false, 120_000);
		return await sumOf(client);
	} finally {
		await client.end().catch(() => undefined);
		await server.stop('fast');
		await rm(parent, {recursive: true, force: true});
		await rm(socketDir, {recursive: true, force: true});
	}
}

describe('restore --datadir --wal: PostgreSQL point-in-time recovery from a base backup and a wal-stream store', () => {
	let server: RunningPostgres;
	let work: string;
	let home: string;
	let store: string;
	let archive: string;
	let endLsn: string;
	let startLsn: string;
	let betweenSteps: string;
	let step1Xid: string;
	let afterStep1: string;
	const sums: Sum[] = [];

	before(async () => {
		server = await startPostgres({log: () => undefined, noFsync: true});
		work = await mkdtemp(path.join(tmpdir(), 'dbbackup-pitr-'));
		await chmod(work, 0o755);
		// the CLI's HOME and cwd: the restore_command (run by the server as postgres) starts there too
		home = path.join(work, 'home');
		await mkdir(home, {mode: 0o755});
		store = path.join(await postgresDir('pitr-store'), 'wal');
		const sql = await sqlClient(server);
		const controller = new AbortController();
		const streaming = streamWal({settings: settingsOf(server), outputDir: store, sync: 'interval', checkpointIntervalSeconds: 0.2, statusIntervalSeconds: 0.5, compress: 'zstd'}, new EventBus(), controller.signal);
		try {
			await waitForCheckpoint(store, 1n);
			await sql.query('CREATE TABLE steps (id int PRIMARY KEY, step int, v text)');
			await sql.query("INSERT INTO steps SELECT g, 0, md5(g::text) FROM generate_series(1, 500) g");
			const backup = await runCli(['physical-backup', '--engine', 'basebackup', '--output', `${work}/base.tar`, '--json', '--yes', '--db-type', 'postgres', '--socket', server.socketDir, '--port', String(server.port), '--user', 'postgres'], {timeoutMs, home, cwd: home});
			assert.equal(backup.code, 0, backup.stderr);
			archive = resultOf(backup.stdout, 'backup').result.artifact as string;
			const {manifest} = await openArchive(archive);
			endLsn = manifest.coordinates.endLsn as string;
			startLsn = manifest.coordinates.startLsn as string;
			// step 1
			await sql.query("INSERT INTO steps SELECT g, 1, md5(g::text) FROM generate_series(501, 1500) g");
			// the insert position: the end of step 1's commit record (pg_current_wal_lsn() is where WAL is written to,
			// which lags behind a commit when synchronous_commit is off, as in the sandbox)
			afterStep1 = (await sql.query<{lsn: string}>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn;
			step1Xid = (await sql.query<{xid: string}>('SELECT xmin::text AS xid FROM steps WHERE id = 501')).rows[0]!.xid;
			sums.push(await sumOf(sql));
			await switchWal(sql);
			// a moment between step 1's commit and step 2's (the server's clock, in UTC)
			await new Promise((resolve) => setTimeout(resolve, 50));
			betweenSteps = (await sql.query<{at: string}>(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at`)).rows[0]!.at;
			await new Promise((resolve) => setTimeout(resolve, 50));
			// step 2, then the restore point
			await sql.query("INSERT INTO steps SELECT g, 2, md5(g::text) FROM generate_series(1501, 3000) g");
			await sql.query("UPDATE steps SET v = 'changed in step 2' WHERE id <= 100");
			await sql.query("SELECT pg_create_restore_point('before_step3')");
			sums.push(await sumOf(sql));
			await switchWal(sql);
			// step 3
			await sql.query("INSERT INTO steps SELECT g, 3, md5(g::text) FROM generate_series(3001, 3700) g");
			await sql.query('DELETE FROM steps WHERE id BETWEEN 200 AND 299');
			sums.push(await sumOf(sql));
			const end = await switchWal(sql);
			await waitForCheckpoint(store, end, 60_000);
			controller.abort();
			await streaming;
		} finally {
			controller.abort();
			await streaming.catch(() => undefined);
			await sql.end();
		}
		// the store stays as this root process wrote it (its files 0600): the default restore copies the WAL
		// itself; only --wal-fetch has the server's OS user read the store
	});

	after(async () => {
		await server?.stop();
		await rm(work, {recursive: true, force: true});
		await rm(path.dirname(store), {recursive: true, force: true});
	});

	async function restore(name: string, extra: string[], storeDir = store): Promise<{code: number | null; stdout: string; stderr: string; datadir: string}> {
		const datadir = path.join(work, name);
		const result = await runCli(['restore', archive, '--datadir', datadir, '--wal', storeDir, ...extra, '--json', '--yes'], {timeoutMs, home, cwd: home});
		// with --json an error is a line of stdout
		return {...result, stderr: `${result.stderr}${result.code === 0 ? '' : result.stdout}`, datadir};
	}

	test('the three steps differ', () => {
		assert.equal(sums.length, 3);
		assert.deepEqual(sums.map((sum) => sum.rows), [1500, 3000, 3600]);
		assert.ok(parseLsn(afterStep1) > parseLsn(endLsn), `step 1 (${afterStep1}) after the backup's end (${endLsn})`);
	});

	test('--until-lsn: the rows of step 1 exactly', {timeout: timeoutMs}, async () => {
		const outcome = await restore('to-lsn', ['--until-lsn', afterStep1, '--verify-start']);
		assert.equal(outcome.code, 0, outcome.stderr + outcome.stdout.slice(-3000));
		const restored = resultOf(outcome.stdout, 'restore').result.dataDirectory;
		assert.ok(restored.notes.some((note: string) => /point-in-time recovery set up/.test(note)), restored.notes.join('\n'));
		const checked = restored.verified;
		assert.ok(parseLsn(checked.lsn) >= parseLsn(afterStep1));
		assert.equal(checked.timeline, 2, 'promoted onto a new timeline');
		assert.deepEqual(checked.databases.find((database: {name: string}) => database.name === 'postgres'), {name: 'postgres', tables: 1, rows: 1500});
		const auto = await readFile(path.join(outcome.datadir, 'postgresql.auto.conf'), 'utf8');
		assert.match(auto, new RegExp(`recovery_target_lsn = '${afterStep1.replace('/', '\\/')}'`));
		assert.match(auto, /restore_command = 'cp -- .*\/pg_wal\/dbbackup-recovery\/%f %p'/);
		assert.match(auto, /recovery_end_command = 'rm -rf -- .*\/pg_wal\/dbbackup-recovery'/);
		assert.ok(restored.notes.some((note: string) => /WAL file\(s\) .* copied from .* each checked against the store's index/.test(note)), restored.notes.join('\n'));
		await assert.rejects(stat(path.join(outcome.datadir, 'pg_wal', 'dbbackup-recovery')), 'recovery_end_command removed the copies');
		assert.deepEqual(await sumOnRestored(outcome.datadir), sums[0]);
	});

	test('--wal-fetch: refused while the server\'s user cannot read the store; with a store it can read, wal-fetch serves recovery', {timeout: timeoutMs}, async () => {
		const refused = await restore('fetch-refused', ['--until-lsn', afterStep1, '--wal-fetch']);
		assert.equal(refused.code, 2, refused.stderr);
		assert.match(refused.stderr, /--wal-fetch: the server runs its restore_command as postgres, who cannot read .*wal-index\.json/);
		await assert.rejects(stat(refused.datadir));
		const readable = path.join(await postgresDir('pitr-readable'), 'wal');
		try {
			await cp(store, readable, {recursive: true});
			await giveToPostgres(path.dirname(readable));
			const outcome = await restore('fetch', ['--until-lsn', afterStep1, '--wal-fetch', '--verify-start'], readable);
			assert.equal(outcome.code, 0, outcome.stderr + outcome.stdout.slice(-3000));
			const auto = await readFile(path.join(outcome.datadir, 'postgresql.auto.conf'), 'utf8');
			assert.match(auto, /restore_command = '.*wal-fetch --wal .* %f %p'/);
			assert.doesNotMatch(auto, /recovery_end_command/);
			const checked = resultOf(outcome.stdout, 'restore').result.dataDirectory.verified;
			assert.deepEqual(checked.databases.find((database: {name: string}) => database.name === 'postgres'), {name: 'postgres', tables: 1, rows: 1500});
		} finally {
			await rm(path.dirname(readable), {recursive: true, force: true});
		}
	});

	test('--until-name: the rows of steps 1 and 2', {timeout: timeoutMs}, async () => {
		const outcome = await restore('to-name', ['--until-name', 'before_step3', '--verify-start']);
		assert.equal(outcome.code, 0, outcome.stderr + outcome.stdout.slice(-3000));
		const checked = resultOf(outcome.stdout, 'restore').result.dataDirectory.verified;
		assert.deepEqual(checked.databases.find((database: {name: string}) => database.name === 'postgres'), {name: 'postgres', tables: 1, rows: 3000});
		assert.deepEqual(await sumOnRestored(outcome.datadir), sums[1]);
	});

	test('--until TIME: the rows of step 1, the time written with its UTC offset', {timeout: timeoutMs}, async () => {
		const outcome = await restore('to-time', ['--until', betweenSteps]);
		assert.equal(outcome.code, 0, outcome.stderr + outcome.stdout.slice(-3000));
		const auto = await readFile(path.join(outcome.datadir, 'postgresql.auto.conf'), 'utf8');
		assert.match(auto, new RegExp(`recovery_target_time = '${betweenSteps.slice(0, 10)} ${betweenSteps.slice(11, 23)}\\+00'`));
		assert.ok((await stat(path.join(outcome.datadir, 'recovery.signal'))).isFile());
		// no --verify-start: the first start recovers
		assert.deepEqual(await sumOnRestored(outcome.datadir), sums[0]);
	});

	test('--until-xid: up to step 1\'s transaction', {timeout: timeoutMs}, async () => {
		const outcome = await restore('to-xid', ['--until-xid', step1Xid, '--verify-start']);
		assert.equal(outcome.code, 0, outcome.stderr + outcome.stdout.slice(-3000));
		const checked = resultOf(outcome.stdout, 'restore').result.dataDirectory.verified;
		assert.deepEqual(checked.databases.find((database: {name: string}) => database.name === 'postgres'), {name: 'postgres', tables: 1, rows: 1500});
		assert.match(await readFile(path.join(outcome.datadir, 'postgresql.auto.conf'), 'utf8'), new RegExp(`recovery_target_xid = '${step1Xid}'`));
	});

	test('no target: every row the store holds', {timeout: timeoutMs}, async () => {
		const outcome = await restore('to-end', ['--verify-start']);
		assert.equal(outcome.code, 0, outcome.stderr + outcome.stdout.slice(-3000));
		const checked = resultOf(outcome.stdout, 'restore').result.dataDirectory.verified;
		assert.deepEqual(checked.databases.find((database: {name: string}) => database.name === 'postgres'), {name: 'postgres', tables: 1, rows: 3600});
		assert.deepEqual(await sumOnRestored(outcome.datadir), sums[2]);
	});

	test('a restore point the WAL does not hold: --verify-start says so, with the server log\'s last lines', {timeout: timeoutMs}, async () => {
		const outcome = await restore('to-nowhere', ['--until-name', 'no_such_point', '--verify-start']);
		assert.equal(outcome.code, 1, outcome.stderr);
		assert.match(outcome.stderr, /recovery ended before configured recovery target was reached/);
	});

	test('refused before anything is written: another cluster, an LSN before the backup\'s end or past the store, a missing segment', {timeout: timeoutMs}, async () => {
		// another cluster: the store's checkpoint names another system identifier
		const other = path.join(work, 'other-store');
		await cp(store, other, {recursive: true});
		const checkpointFile = path.join(other, 'wal-stream.checkpoint.json');
		const checkpoint = JSON.parse(await readFile(checkpointFile, 'utf8')) as {systemId: string};
		checkpoint.systemId = checkpoint.systemId === '7000000000000000001' ? '7000000000000000002' : '7000000000000000001';
		await writeFile(checkpointFile, JSON.stringify(checkpoint));
		const otherCluster = await restore('refused-cluster', [], other);
		assert.equal(otherCluster.code, 2, otherCluster.stderr);
		assert.match(otherCluster.stderr, /is of cluster \d+, the WAL store .* of 700000000000000000[12]/);
		await assert.rejects(stat(otherCluster.datadir));

		const early = await restore('refused-early', ['--until-lsn', '0/1000000']);
		assert.equal(early.code, 2, early.stderr);
		assert.match(early.stderr, /--until-lsn 0\/1000000 is before the end of .* \(LSN [0-9A-F]+\/[0-9A-F]+\)/);
		await assert.rejects(stat(early.datadir));

		const late = await restore('refused-late', ['--until-lsn', 'FF/0']);
		assert.equal(late.code, 2, late.stderr);
		assert.match(late.stderr, /--until-lsn FF\/0 is past the WAL the store .* holds/);
		await assert.rejects(stat(late.datadir));

		const beforeBackup = await restore('refused-time', ['--until', '2001-01-01T00:00:00Z']);
		assert.equal(beforeBackup.code, 2, beforeBackup.stderr);
		assert.match(beforeBackup.stderr, /--until 2001-01-01T00:00:00Z is before .* finished/);
		await assert.rejects(stat(beforeBackup.datadir));

		const two = await restore('refused-two', ['--until-lsn', afterStep1, '--until-name', 'before_step3']);
		assert.equal(two.code, 2, two.stderr);
		assert.match(two.stderr, /give one recovery target/);

		// a missing segment: one after the backup's start, before the store's last
		const holed = path.join(work, 'holed-store');
		await cp(store, holed, {recursive: true});
		const start = segmentOf(parseLsn(startLsn), 16 * 1024 * 1024);
		const segments = (await readdir(holed))
			.map((name) => ({name, stored: parseStoredName(name)}))
			.filter((entry) => entry.stored?.kind === 'segment')
			.map((entry) => ({name: entry.name, segment: parseSegmentFileName((entry.stored as {segment: string}).segment, 16 * 1024 * 1024)!.segment}))
			.filter((entry) => entry.segment > start)
			.sort((a, b) => (a.segment < b.segment ? -1 : 1));
		assert.ok(segments.length >= 2, `segments after the start: ${segments.map((entry) => entry.name).join(', ')}`);
		await rm(path.join(holed, segments[0]!.name));
		const missing = await restore('refused-hole', [], holed);
		assert.equal(missing.code, 5, missing.stderr);
		assert.match(missing.stderr, /WAL segments .* are missing from .* after .*'s start/);
		await assert.rejects(stat(missing.datadir));

		// the flags belong together
		const noWal = await runCli(['restore', archive, '--datadir', path.join(work, 'refused-nowal'), '--until-lsn', afterStep1, '--yes'], {timeoutMs, home, cwd: home});
		assert.equal(noWal.code, 2, noWal.stderr);
		assert.match(noWal.stderr, /--until-lsn is a recovery target: give the WAL store/);
		const fetchAlone = await runCli(['restore', archive, '--datadir', path.join(work, 'refused-fetch'), '--wal-fetch', '--yes'], {timeoutMs, home, cwd: home});
		assert.equal(fetchAlone.code, 2, fetchAlone.stderr);
		assert.match(fetchAlone.stderr, /--wal-fetch says how the WAL of --wal is read during recovery: give --wal/);
	});
});
