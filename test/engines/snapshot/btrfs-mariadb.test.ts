/**
 * The snapshot engine on a real btrfs filesystem (a loop-mounted image) with a MariaDB whose data
 * directory lives in a subvolume: round trips under a concurrent write load and with the writes
 * stopped, the scope refusals, a failure mid-archive, and runs killed with SIGKILL whose snapshots the
 * next run removes by name.
 */
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {chmod, mkdir, mkdtemp, readdir, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import type {ConnectionSettings} from '../../../source/core/connection-settings.ts';
import {DbBackupError} from '../../../source/core/errors.ts';
import type {EventBus} from '../../../source/core/events.ts';
import type {BackupOptions} from '../../../source/engines/types.ts';
import {runSnapshotBackup} from '../../../source/engines/snapshot/backup.ts';
import {restoreSnapshot} from '../../../source/engines/snapshot/restore.ts';
import {startMariadb} from '../../../source/sandbox/mariadb.ts';
import type {RunningMariadb} from '../../../source/sandbox/types.ts';
import {runBackup} from '../../../source/services/backup.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {recordingBus} from '../../harness/recording-bus.ts';
import {createBtrfs, notRoot, run, subvolumesUnder, type BtrfsFixture} from './btrfs-fixture.ts';
import {LOAD_SCHEMA_MARIADB, mariadbChecksums, mariadbLoad, startMariadbOn, waitFor} from './restored-servers.ts';

const log = (line: string) => process.stderr.write(`# ${line}\n`);

describe('snapshot engine: MariaDB on btrfs', {skip: notRoot}, () => {
	let fixture: BtrfsFixture;
	let server: RunningMariadb;
	let settings: ConnectionSettings;
	let admin: Connection;
	let out: string;
	let work: string;

	before(async () => {
		fixture = await createBtrfs(log);
		const subvolume = await fixture.subvolume('mysql');
		server = await startMariadb({log, baseDir: subvolume, noFsync: true});
		assert.ok(server.datadir.startsWith(`${subvolume}/`), `${server.datadir} is in ${subvolume}`);
		settings = {dbType: 'mysql', host: server.host, port: server.port, user: server.user, password: server.password};
		admin = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password});
		await admin.query('CREATE DATABASE shop');
		await admin.query('USE shop');
		for (const statement of LOAD_SCHEMA_MARIADB) await admin.query(statement);
		work = await mkdtemp(path.join(os.tmpdir(), 'snapshot-mariadb-work-'));
		out = path.join(work, 'out');
		await mkdir(out);
	});

	after(async () => {
		await admin?.end().catch(() => undefined);
		await server?.stop().catch((error: unknown) => log(`stopping mariadb: ${String(error)}`));
		await fixture?.cleanup();
		if (work) await rm(work, {recursive: true, force: true});
	});

	const options = (output: string): BackupOptions => ({settings, databases: [], output, workers: 2, format: 'archive', compress: 'zstd'});

	async function ourSnapshots(): Promise<string[]> {
		return (await subvolumesUnder(fixture.mnt)).filter((name) => name.includes('dbbackup-snap-'));
	}

	async function writable(): Promise<void> {
		// the lock is gone: a write commits at once
		const started = performance.now();
		await admin.query('UPDATE shop.notes SET body = body WHERE id = 1');
		assert.ok(performance.now() - started < 2000, 'a write waited: the server is still held');
	}

	async function restoreAndStart(artifact: string, name: string) {
		const datadir = path.join(work, `restored-${name}`);
		const restored = await restoreSnapshot({settings, artifact, dataDirectory: datadir, dataDirectoryOwner: 'root', workers: 2}, recordingBus().bus);
		assert.equal(restored.dataDirectory?.path, datadir);
		return startMariadbOn(datadir, path.join(work, `run-${name}`));
	}

	test('under a concurrent write load: the restored server holds exactly the transactions up to the recorded GTID, and its binlog ends there', async () => {
		const writer = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, database: 'shop'});
		const load = mariadbLoad(writer);
		let restored;
		try {
			await waitFor(() => load.committed >= 300);
			const before = load.committed;
			const {bus, events} = recordingBus();
			const result = await runSnapshotBackup(options(path.join(out, 'under-load.tar')), bus);
			const during = load.committed - before;
			await waitFor(() => load.committed >= before + during + 50);
			await load.stop();
			assert.ok(during > 0, 'the writer committed while the backup ran');

			const manifest = (await openArchive(result.artifact)).manifest;
			assert.equal(manifest.engine, 'snapshot');
			assert.equal(manifest.options.snapshotBackend, 'btrfs');
			assert.equal(manifest.options.quiesce, 'backup-stage');
			const quiesceMs = manifest.options.quiesceMs as number;
			assert.ok(typeof quiesceMs === 'number' && quiesceMs > 0 && quiesceMs < 5000, `quiesceMs ${quiesceMs}`);
			log(`under load: commits held ${quiesceMs} ms, the snapshot took ${String(manifest.options.snapshotMs)} ms`);
			assert.ok(Math.abs((result.lockMs ?? -1) - quiesceMs) < 0.01, 'the result reports the same quiesce time');
			// the commit hold is BLOCK_COMMIT to END: its steps add up to it, and the stages before it are outside
			const steps = manifest.options.quiesceStepsMs as Record<string, number>;
			assert.deepEqual(Object.keys(steps), ['start', 'flush', 'blockDdl', 'blockCommit', 'snapshot', 'coordinates', 'release']);
			const held = steps.blockCommit! + steps.snapshot! + steps.coordinates! + steps.release!;
			assert.ok(held <= quiesceMs + 0.01 && held > quiesceMs - 5, `steps ${JSON.stringify(steps)} against ${quiesceMs} ms`);
			assert.ok((manifest.options.lockMs as number) >= quiesceMs + steps.start! + steps.flush! + steps.blockDdl! - 0.01);
			const gtid = String(manifest.coordinates.gtid);
			assert.match(gtid, /^0-1-\d+$/);
			const kAtGtid = load.kBySeq.get(Number(gtid.split('-')[2]));
			assert.ok(kAtGtid !== undefined && kAtGtid >= before, `the recorded GTID ${gtid} is a writer transaction made during the backup`);
			assert.ok(events.some((event) => event.type === 'stage' && event.name === 'copy'));
			assert.deepEqual(await ourSnapshots(), [], 'the snapshot is removed');

			restored = await restoreAndStart(result.artifact, 'load');
			const [[state]] = await restored.connection.query<RowDataPacket[]>(
				'SELECT @@gtid_binlog_pos AS gtid, (SELECT COUNT(*) FROM shop.events) AS n, (SELECT MAX(k) FROM shop.events) AS k, (SELECT SUM(total) FROM shop.counters) AS total, (SELECT SUM(hits) FROM shop.counters) AS hits, (SELECT COUNT(*) FROM shop.notes) AS notes',
			);
			assert.equal(state!.gtid, gtid, 'the restored binlog ends at the recorded GTID');
			assert.equal(Number(state!.n), kAtGtid);
			assert.equal(Number(state!.k), kAtGtid);
			assert.equal(Number(state!.total), (kAtGtid! * (kAtGtid! + 1)) / 2);
			assert.equal(Number(state!.hits), kAtGtid);
			assert.equal(Number(state!.notes), 100);
			const [checks] = await restored.connection.query<RowDataPacket[]>('CHECK TABLE shop.events, shop.counters, shop.notes');
			for (const row of checks) if (row.Msg_type === 'status') assert.equal(row.Msg_text, 'OK', `${row.Table}: ${row.Msg_text}`);
		} finally {
			await load.stop().catch(() => undefined);
			await writer.end().catch(() => undefined);
			await restored?.stop();
		}
	});

	test('writes stopped: every table of the restored server has the source\'s checksum, and the same GTID position', async () => {
		const tables = ['shop.events', 'shop.counters', 'shop.notes'];
		const source = await mariadbChecksums(admin, tables);
		const [[position]] = await admin.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS gtid');
		const result = await runSnapshotBackup(options(path.join(out, 'quiet.tar')), recordingBus().bus);
		const manifest = (await openArchive(result.artifact)).manifest;
		assert.equal(manifest.coordinates.gtid, position!.gtid);
		const restored = await restoreAndStart(result.artifact, 'quiet');
		try {
			assert.deepEqual(await mariadbChecksums(restored.connection, tables), source);
			const [[after]] = await restored.connection.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS gtid');
			assert.equal(after!.gtid, position!.gtid);
		} finally {
			await restored.stop();
		}
	});

	test('scope: a tablespace outside the subvolume, or in a subvolume nested in it, is refused with the reason; nothing is snapshotted', async () => {
		const outside = await mkdtemp(path.join(os.tmpdir(), 'snapshot-outside-'));
		const nested = path.join(path.dirname(path.dirname(server.datadir)), 'nested');
		await run('btrfs', ['subvolume', 'create', nested]);
		try {
			await chmod(outside, 0o755);
			await admin.query('CREATE DATABASE elsewhere');
			await admin.query(`CREATE TABLE elsewhere.moved (id INT PRIMARY KEY) ENGINE=InnoDB DATA DIRECTORY = '${outside}'`);
			const {bus} = recordingBus();
			await assert.rejects(runSnapshotBackup(options(path.join(out, 'refused.tar')), bus), (error: unknown) => {
				assert.ok(error instanceof DbBackupError);
				assert.equal(error.code, 'SNAPSHOT_OUT_OF_SCOPE');
				assert.equal(error.exitCode, 4);
				assert.match(error.message, new RegExp(`tablespace file ${outside}/elsewhere/moved\\.ibd.* is outside btrfs subvolume ${path.dirname(path.dirname(server.datadir)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
				return true;
			});
			await admin.query('DROP TABLE elsewhere.moved');
			await admin.query(`CREATE TABLE elsewhere.nested (id INT PRIMARY KEY) ENGINE=InnoDB DATA DIRECTORY = '${nested}'`);
			await assert.rejects(runSnapshotBackup(options(path.join(out, 'refused.tar')), bus), (error: unknown) => {
				assert.ok(error instanceof DbBackupError);
				assert.equal(error.code, 'SNAPSHOT_OUT_OF_SCOPE');
				assert.match(error.message, /nested\/elsewhere\/nested\.ibd.*nested subvolume.*does not descend/);
				return true;
			});
			assert.deepEqual(await ourSnapshots(), []);
			assert.deepEqual((await readdir(out)).filter((name) => name.startsWith('refused')), []);
		} finally {
			await admin.query('DROP DATABASE IF EXISTS elsewhere');
			await rm(outside, {recursive: true, force: true});
			await run('btrfs', ['subvolume', 'delete', nested]);
		}
	});

	test('a failure mid-archive: the snapshot is removed, the lock released, and nothing that looks like a backup is left', async () => {
		const {bus} = recordingBus();
		const failing: EventBus = bus;
		failing.on('progress', (event) => {
			if (event.task.startsWith('copy ') && event.done > 0) throw new Error('injected failure while the files are copied');
		});
		await assert.rejects(runSnapshotBackup(options(path.join(out, 'failed.tar')), failing), /injected failure/);
		assert.deepEqual(await ourSnapshots(), []);
		assert.deepEqual((await readdir(out)).filter((name) => name.startsWith('failed')), []);
		await writable();
	});

	test('SIGINT and SIGTERM to the CLI while it copies the files: it removes its snapshot before it exits, and leaves no complete artifact', async () => {
		const interruptedOut = path.join(work, 'interrupted');
		await mkdir(interruptedOut);
		for (const signal of ['SIGINT', 'SIGTERM'] as const) {
			const run = await killAt('copy', interruptedOut, signal);
			assert.ok(run.snapshot);
			assert.notEqual(run.exit, 0, `${signal}: the CLI did not succeed`);
			assert.deepEqual(await ourSnapshots(), [], `${signal}: no snapshot left`);
			assert.deepEqual((await readdir(interruptedOut)).filter((name) => name.endsWith('.tar') || name.endsWith('.meta.json')), []);
			await writable();
		}
	});

	test('kill -9 of the CLI while it holds the server, lists and copies the files: writes go on, no complete artifact, and the next run removes the snapshot by name', async () => {
		const killedOut = path.join(work, 'killed');
		await mkdir(killedOut);
		const noCompleteArtifact = async () => assert.deepEqual((await readdir(killedOut)).filter((name) => name.endsWith('.tar') || name.endsWith('.meta.json')), [], 'no artifact looks complete');

		// killed while it holds the server (or is about to): the connection's end released it
		await killAt('quiesce', killedOut);
		await writable();
		await noCompleteArtifact();

		const listing = await killAt('list', killedOut);
		assert.ok(listing.snapshot);
		assert.ok((await ourSnapshots()).some((entry) => entry.endsWith(listing.snapshot!)), `${listing.snapshot} was left by the run killed while it listed the files`);
		await writable();
		await noCompleteArtifact();

		const copying = await killAt('copy', killedOut);
		assert.ok(copying.snapshot);
		assert.ok(copying.staleRemoved.some((message) => message.includes(listing.snapshot!)), `the next run removed ${listing.snapshot} by name (${copying.staleRemoved.join(' | ')})`);
		assert.deepEqual((await ourSnapshots()).map((entry) => path.basename(entry)), [copying.snapshot], 'only the last killed run\'s snapshot is left');
		await writable();
		await noCompleteArtifact();

		const {bus, events} = recordingBus();
		const outcome = await runBackup({target: settings, databases: [], output: path.join(killedOut, 'after.tar'), engine: 'snapshot', physical: true, format: 'archive', compress: 'zstd', workers: 2}, bus);
		assert.equal(outcome.engine, 'snapshot');
		const removed = events.filter((event) => event.type === 'warning' && event.code === 'SNAPSHOT_STALE_REMOVED').map((event) => (event as {message: string}).message);
		assert.ok(removed.some((message) => message.includes(copying.snapshot!)), `${copying.snapshot} removed with a warning (${removed.join(' | ')})`);
		assert.deepEqual(await ourSnapshots(), []);
		// what the killed runs wrote is named .partial (removed by a later backup once a minute old and unlocked)
		assert.ok((await readdir(killedOut)).every((name) => name.startsWith('after.tar') || name.endsWith('.partial')));
		assert.equal((await openArchive(outcome.result.artifact)).manifest.engine, 'snapshot');
	});

	/** Runs the CLI, signals it (SIGKILL) when it reports `stage`; the snapshot it was making (once it said), the stale ones it removed, its exit. */
	async function killAt(stage: string, output: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<{snapshot?: string; staleRemoved: string[]; exit: number | null}> {
		const cli = path.join(process.cwd(), 'bin', 'dbbackup.js');
		const child = spawn(
			process.execPath,
			[cli, 'physical-backup', '--engine', 'snapshot', '--snapshot-backend', 'btrfs', '--db-type', 'mysql', '--host', server.host, '--port', String(server.port), '--user', server.user, '--output', `${output}/`, '--json', '--yes'],
			{env: {...process.env, MYSQL_PWD: server.password, DBBACKUP_FROM_SOURCE: '1'}, stdio: ['ignore', 'pipe', 'pipe']},
		);
		let text = '';
		let snapshot: string | undefined;
		const staleRemoved: string[] = [];
		const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
		await new Promise<void>((resolve, reject) => {
			child.stdout.on('data', (chunk: Buffer) => {
				text += chunk.toString();
				for (const line of text.split('\n').slice(0, -1)) {
					const event = JSON.parse(line) as {type: string; name?: string; detail?: string; code?: string; message?: string};
					if (event.type === 'warning' && event.code === 'SNAPSHOT_STALE_REMOVED') staleRemoved.push(event.message ?? '');
					if (event.type === 'stage' && event.name === 'snapshot') snapshot = /^(dbbackup-snap-\S+)/.exec(event.detail ?? '')?.[1];
					if (event.type === 'stage' && event.name === stage) {
						child.kill(signal);
						resolve();
						return;
					}
				}
				text = text.slice(text.lastIndexOf('\n') + 1);
			});
			child.once('exit', (code) => reject(new Error(`the CLI ended (${code}) before stage ${stage}`)));
		});
		return {snapshot, staleRemoved, exit: await exited};
	}
});
