/**
 * The snapshot engine on a real btrfs filesystem with a PostgreSQL 15 whose data directory (pg_wal
 * included) lives in a subvolume: crash-consistent snapshots after a CHECKPOINT, restored with the
 * base backup restore and started with --verify-start, under a write load and with the writes stopped;
 * and the scope refusal of a tablespace outside the subvolume.
 */
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {chmod, chown, mkdir, mkdtemp, readdir, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type {ConnectionSettings} from '../../../source/core/connection-settings.ts';
import {DbBackupError} from '../../../source/core/errors.ts';
import type {BackupOptions} from '../../../source/engines/types.ts';
import {runSnapshotBackup} from '../../../source/engines/snapshot/backup.ts';
import {locateBinary} from '../../../source/sandbox/debian-packages.ts';
import {freePort} from '../../../source/sandbox/free-port.ts';
import {startPostgres, startPostgresOnDataDirectory} from '../../../source/sandbox/postgres.ts';
import type {RunningPostgres} from '../../../source/sandbox/types.ts';
import {runDataDirectoryRestore} from '../../../source/services/datadir-restore.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {recordingBus} from '../../harness/recording-bus.ts';
import {createBtrfs, notRoot, subvolumesUnder, type BtrfsFixture} from './btrfs-fixture.ts';
import {postgresLoad, waitFor} from './restored-servers.ts';

const log = (line: string) => process.stderr.write(`# ${line}\n`);

const TABLES = ['events', 'counters', 'notes'];

async function tableChecksums(client: pg.Client): Promise<Record<string, string>> {
	const sums: Record<string, string> = {};
	for (const table of TABLES) {
		const result = await client.query<{sum: string}>(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS sum FROM ${table} t`);
		sums[table] = result.rows[0]!.sum;
	}
	return sums;
}

describe('snapshot engine: PostgreSQL on btrfs', {skip: notRoot}, () => {
	let fixture: BtrfsFixture;
	let server: RunningPostgres;
	let settings: ConnectionSettings;
	let superuser: pg.Client;
	let work: string;
	let out: string;
	let postgresUid: number;
	let postgresGid: number;

	before(async () => {
		fixture = await createBtrfs(log);
		const subvolume = await fixture.subvolume('pg');
		server = await startPostgres({log, baseDir: subvolume, noFsync: true});
		assert.ok(server.datadir.startsWith(`${subvolume}/`), `${server.datadir} is in ${subvolume}`);
		superuser = new pg.Client({host: server.socketDir, port: server.port, user: server.superuser, database: 'postgres'});
		await superuser.connect();
		// what the engine needs, short of SUPERUSER: the data directory's path, CHECKPOINT, pg_control_*()
		await superuser.query(`GRANT pg_read_all_settings, pg_checkpoint, pg_monitor TO ${server.user}`);
		await superuser.query('CREATE DATABASE shop');
		const shop = new pg.Client({host: server.socketDir, port: server.port, user: server.superuser, database: 'shop'});
		await shop.connect();
		await shop.query('CREATE TABLE events (k int PRIMARY KEY, payload text NOT NULL)');
		await shop.query('CREATE TABLE counters (id int PRIMARY KEY, total bigint NOT NULL, hits int NOT NULL)');
		await shop.query('INSERT INTO counters SELECT g, 0, 0 FROM generate_series(0, 9) g');
		await shop.query("CREATE TABLE notes AS SELECT g AS id, 'note ' || g AS body FROM generate_series(1, 100) g");
		await shop.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${server.user}`);
		await shop.end();
		settings = {dbType: 'postgres', host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres'};
		postgresUid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
		postgresGid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
		work = await mkdtemp(path.join(os.tmpdir(), 'snapshot-pg-work-'));
		await chmod(work, 0o755);
		out = path.join(work, 'out');
		await mkdir(out);
	});

	after(async () => {
		await superuser?.end().catch(() => undefined);
		await server?.stop().catch((error: unknown) => log(`stopping postgres: ${String(error)}`));
		await fixture?.cleanup();
		if (work) await rm(work, {recursive: true, force: true});
	});

	const options = (output: string): BackupOptions => ({settings, databases: [], output, workers: 2, format: 'archive', compress: 'zstd'});

	/** restore --datadir --verify-start, then a server of our own on the directory: the shop database's client and its stop. */
	async function restoreAndStart(artifact: string, name: string) {
		const datadir = path.join(work, `restored-${name}`);
		const restored = await runDataDirectoryRestore({target: settings, artifact, dataDirectory: datadir, workers: 2, verifyStart: true}, recordingBus().bus);
		assert.ok(restored.dataDirectory?.verified, 'verify-start ran');
		const shop = restored.dataDirectory.verified.databases.find((database) => database.name === 'shop');
		assert.ok(shop && shop.tables === 3, `verify-start saw the shop tables (${JSON.stringify(restored.dataDirectory.verified.databases)})`);
		const socketDir = path.join(work, `socket-${name}`);
		await mkdir(socketDir);
		await chown(socketDir, postgresUid, postgresGid);
		const port = await freePort();
		const started = await startPostgresOnDataDirectory({
			binDir: path.dirname(locateBinary('pg_ctl')!),
			datadir,
			logFile: path.join(socketDir, 'server.log'),
			workDir: socketDir,
			settings: {port: String(port), unix_socket_directories: socketDir, listen_addresses: '127.0.0.1'},
			log,
		});
		const client = new pg.Client({host: socketDir, port, user: server.superuser, database: 'shop'});
		await client.connect();
		return {
			client,
			verifiedLsn: restored.dataDirectory.verified.lsn,
			async stop() {
				await client.end().catch(() => undefined);
				await started.stop('fast');
			},
		};
	}

	test('under a concurrent write load: the restored cluster holds a whole prefix of the transactions, every one committed before the backup began, and recovery passed the recorded end', async () => {
		const writer = new pg.Client({host: server.socketDir, port: server.port, user: server.superuser, database: 'shop'});
		await writer.connect();
		const load = postgresLoad(writer);
		let restored;
		try {
			await waitFor(() => load.committed >= 300);
			const before = load.committed;
			const result = await runSnapshotBackup(options(path.join(out, 'under-load.tar')), recordingBus().bus);
			const afterBackup = load.committed;
			await waitFor(() => load.committed >= afterBackup + 50);
			await load.stop();
			assert.ok(afterBackup > before, 'the writer committed while the backup ran');

			const manifest = (await openArchive(result.artifact)).manifest;
			assert.equal(manifest.engine, 'snapshot');
			assert.equal(manifest.dbType, 'postgres');
			assert.equal(manifest.options.quiesceMs, 0);
			assert.equal(manifest.options.checkpoint, true);
			const coordinates = manifest.coordinates as {startLsn: string; endLsn: string; timeline: number; systemId: string; superuser: string};
			assert.match(coordinates.startLsn, /^[0-9A-F]+\/[0-9A-F]+$/);
			assert.match(coordinates.endLsn, /^[0-9A-F]+\/[0-9A-F]+$/);
			assert.equal(coordinates.timeline, 1);
			assert.match(coordinates.systemId, /^\d+$/);
			assert.equal(coordinates.superuser, 'postgres');
			const entries = manifest.physical!.archives[0]!.entries.map((entry) => entry.path);
			assert.ok(!entries.includes('postmaster.pid') && !entries.includes('postmaster.opts'), 'the running server\'s pid and options are left out');
			assert.ok(entries.some((entry) => entry.startsWith('pg_wal/0000')), 'pg_wal\'s segments are in it: crash recovery replays them');
			assert.ok(entries.includes('pg_replslot') && !entries.some((entry) => entry.startsWith('pg_replslot/')), 'pg_replslot is there, empty');
			assert.deepEqual((await subvolumesUnder(fixture.mnt)).filter((entry) => entry.includes('dbbackup-snap-')), [], 'the snapshot is removed');

			restored = await restoreAndStart(result.artifact, 'load');
			const state = await restored.client.query<{n: string; k: string; total: string; hits: string; notes: string}>(
				'SELECT (SELECT count(*) FROM events) AS n, (SELECT max(k) FROM events) AS k, (SELECT sum(total) FROM counters) AS total, (SELECT sum(hits) FROM counters) AS hits, (SELECT count(*) FROM notes) AS notes',
			);
			const row = state.rows[0]!;
			const k = Number(row.k);
			assert.equal(Number(row.n), k, 'no transaction is missing from the prefix');
			assert.equal(Number(row.total), (k * (k + 1)) / 2);
			assert.equal(Number(row.hits), k);
			assert.equal(Number(row.notes), 100);
			assert.ok(k >= before, `every transaction committed before the backup began is there (${k} >= ${before})`);
			assert.ok(k <= afterBackup, `nothing committed after the backup ended is there (${k} <= ${afterBackup})`);
		} finally {
			await load.stop().catch(() => undefined);
			await writer.end().catch(() => undefined);
			await restored?.stop();
		}
	});

	test('writes stopped: every table of the restored cluster has the source\'s checksum', async () => {
		const shop = new pg.Client({host: server.socketDir, port: server.port, user: server.superuser, database: 'shop'});
		await shop.connect();
		let restored;
		try {
			const source = await tableChecksums(shop);
			const result = await runSnapshotBackup(options(path.join(out, 'quiet.tar')), recordingBus().bus);
			restored = await restoreAndStart(result.artifact, 'quiet');
			assert.deepEqual(await tableChecksums(restored.client), source);
		} finally {
			await shop.end();
			await restored?.stop();
		}
	});

	test('scope: a tablespace outside the subvolume is refused with the reason; nothing is snapshotted or written', async () => {
		const location = await mkdtemp(path.join(os.tmpdir(), 'snapshot-tablespace-'));
		await chown(location, postgresUid, postgresGid);
		try {
			await superuser.query(`CREATE TABLESPACE faraway LOCATION '${location}'`);
			await assert.rejects(runSnapshotBackup(options(path.join(out, 'refused.tar')), recordingBus().bus), (error: unknown) => {
				assert.ok(error instanceof DbBackupError);
				assert.equal(error.code, 'SNAPSHOT_OUT_OF_SCOPE');
				assert.equal(error.exitCode, 4);
				assert.match(error.message, new RegExp(`tablespace faraway at ${location} is outside btrfs subvolume`));
				return true;
			});
			assert.deepEqual((await subvolumesUnder(fixture.mnt)).filter((entry) => entry.includes('dbbackup-snap-')), []);
			assert.deepEqual((await readdir(out)).filter((name) => name.startsWith('refused')), []);
		} finally {
			await superuser.query('DROP TABLESPACE IF EXISTS faraway');
			await rm(location, {recursive: true, force: true});
		}
	});
});
