/**
 * The snapshot engine's MariaDB archive restored through the CLI, as a user would: `restore ARCHIVE
 * --datadir DIR --verify-start --json --yes` (btrfs-mariadb.test.ts calls the restore function and
 * starts mariadbd itself). A backup under a concurrent write load, on a loop-mounted btrfs; the CLI's
 * throwaway mariadbd recovers the directory, checks every table and finds the manifest's GTID position;
 * a server started on the directory afterwards holds exactly the writer's transactions up to it. And the
 * privileges the availability check asks for on MariaDB are enough, and the one it adds (PROCESS) needed.
 */
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {chmod, mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import type {ConnectionSettings} from '../../../source/core/connection-settings.ts';
import {evaluateMysqlGrants} from '../../../source/core/detect/mysql-privileges.ts';
import {DbBackupError} from '../../../source/core/errors.ts';
import {snapshotEngine} from '../../../source/engines/snapshot/index.ts';
import {startMariadb} from '../../../source/sandbox/mariadb.ts';
import type {RunningMariadb} from '../../../source/sandbox/types.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {jsonLines, runCli} from '../../cli/run-cli.ts';
import {recordingBus} from '../../harness/recording-bus.ts';
import {createBtrfs, notRoot, type BtrfsFixture} from './btrfs-fixture.ts';
import {LOAD_SCHEMA_MARIADB, mariadbChecksums, mariadbLoad, startMariadbOn, waitFor} from './restored-servers.ts';

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const ODD = '`shop`.`odd ``name`` ü`';

describe('snapshot engine: MariaDB archive restored through the CLI with --verify-start', {skip: notRoot}, () => {
	let fixture: BtrfsFixture;
	let server: RunningMariadb;
	let settings: ConnectionSettings;
	let admin: Connection;
	let work: string;

	before(async () => {
		fixture = await createBtrfs(log);
		const subvolume = await fixture.subvolume('mysql');
		server = await startMariadb({log, baseDir: subvolume, noFsync: true});
		assert.ok(server.datadir.startsWith(`${subvolume}/`), `${server.datadir} is in ${subvolume}`);
		settings = {dbType: 'mysql', host: server.host, port: server.port, user: server.user, password: server.password};
		admin = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, charset: 'utf8mb4'});
		await admin.query('CREATE DATABASE shop');
		await admin.query('USE shop');
		for (const statement of LOAD_SCHEMA_MARIADB) await admin.query(statement);
		await admin.query(`CREATE TABLE ${ODD} (id INT PRIMARY KEY, v VARCHAR(40) CHARACTER SET utf8mb4, j JSON, d DECIMAL(20,6)) ENGINE=InnoDB`);
		await admin.query(`INSERT INTO ${ODD} SELECT seq, CONCAT('ünï ', seq), JSON_OBJECT('n', seq), seq / 3 FROM seq_1_to_500`);
		work = await mkdtemp(path.join(os.tmpdir(), 'snapshot-mariadb-cli-'));
		// the mysql OS user, which the restore makes the owner, must reach the restored directory
		await chmod(work, 0o755);
	});

	after(async () => {
		await admin?.end().catch(() => undefined);
		await server?.stop().catch((error: unknown) => log(`stopping mariadb: ${String(error)}`));
		await fixture?.cleanup();
		if (work) await rm(work, {recursive: true, force: true});
	});

	test('under a write load: exit 0, every table checked, the recovered GTID position the manifest\'s, and the rows exactly the writer\'s transactions up to it', async () => {
		const writer = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, database: 'shop'});
		const load = mariadbLoad(writer);
		let restored: Awaited<ReturnType<typeof startMariadbOn>> | undefined;
		try {
			await waitFor(() => load.committed >= 200);
			const before = load.committed;
			const result = await snapshotEngine.backup({settings, databases: [], output: path.join(work, 'load.tar'), workers: 2, format: 'archive', compress: 'zstd'}, recordingBus().bus);
			const during = load.committed - before;
			await load.stop();
			assert.ok(during > 0, 'the writer committed while the backup ran');
			const manifest = (await openArchive(result.artifact)).manifest;
			assert.equal(manifest.options.quiesce, 'backup-stage');
			log(`MariaDB under load: commits held ${String(manifest.options.quiesceMs)} ms`);
			const gtid = String(manifest.coordinates.gtid);
			assert.match(gtid, /^0-1-\d+$/);
			const kAtGtid = load.kBySeq.get(Number(gtid.split('-')[2]));
			assert.ok(kAtGtid !== undefined && kAtGtid >= before, `the recorded GTID ${gtid} is a writer transaction made during the backup`);

			const datadir = path.join(work, 'restored');
			const outcome = await runCli(['restore', result.artifact, '--datadir', datadir, '--verify-start', '--json', '--yes'], {timeoutMs: 300_000, env: {DBBACKUP_FROM_SOURCE: '1'}});
			assert.equal(outcome.code, 0, outcome.stderr + outcome.stdout.slice(-4000));
			const restoredDir = jsonLines(outcome.stdout).find((line) => line.type === 'result' && line.kind === 'restore')?.data.result?.dataDirectory;
			assert.ok(restoredDir, outcome.stdout.slice(-2000));
			assert.equal(restoredDir.path, datadir);
			assert.equal(restoredDir.owner, 'mysql');
			assert.match(restoredDir.startCommand, /^mariadbd --datadir=.* --log-bin=mariadb-bin/);
			const verified = restoredDir.verified;
			assert.match(verified.server, /^MariaDB 10\./);
			assert.equal(verified.port, undefined, 'a private socket only');
			const shop = verified.databases.find((entry: {name: string}) => entry.name === 'shop');
			assert.deepEqual(shop, {name: 'shop', tables: 4, rows: kAtGtid! + 10 + 100 + 500});
			assert.ok(verified.checkedTables >= 4, `checkedTables ${verified.checkedTables}`);
			assert.ok(String(verified.position).includes(`GTID ${gtid}`), `recovered ${verified.position}, the manifest says ${gtid}`);

			restored = await startMariadbOn(datadir, path.join(work, 'run'));
			const [[state]] = await restored.connection.query<RowDataPacket[]>(
				'SELECT @@gtid_binlog_pos AS gtid, (SELECT COUNT(*) FROM shop.events) AS n, (SELECT MAX(k) FROM shop.events) AS k, (SELECT SUM(total) FROM shop.counters) AS total, (SELECT SUM(hits) FROM shop.counters) AS hits',
			);
			assert.equal(state!.gtid, gtid);
			assert.equal(Number(state!.n), kAtGtid);
			assert.equal(Number(state!.k), kAtGtid);
			assert.equal(Number(state!.total), (kAtGtid! * (kAtGtid! + 1)) / 2);
			assert.equal(Number(state!.hits), kAtGtid);
			const untouched = ['shop.notes', ODD];
			assert.deepEqual(await mariadbChecksums(restored.connection, untouched), await mariadbChecksums(admin, untouched));
		} finally {
			await load.stop().catch(() => undefined);
			await writer.end().catch(() => undefined);
			await restored?.stop();
		}
	});

	test('privileges: a user with what the availability check asks for on MariaDB backs up; without PROCESS the check says so and the backup is refused with the reason', async () => {
		const password = 'Snap-priv-1';
		const create = async (user: string, grants: string) => {
			await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
			await admin.query(`GRANT ${grants} ON *.* TO ?@?`, [user, '%']);
			const [rows] = await admin.query<RowDataPacket[]>('SHOW GRANTS FOR ?@?', [user, '%']);
			return evaluateMysqlGrants(rows.map((row) => String(Object.values(row)[0])), 'mariadb', {text: '10.11', major: 10, minor: 11, patch: 0}).perEngine.snapshot;
		};
		const as = (user: string): ConnectionSettings => ({...settings, user, password});
		try {
			assert.deepEqual(await create('snap_least', 'RELOAD, PROCESS, BINLOG MONITOR, SHOW DATABASES'), {ok: true, missing: []});
			const result = await snapshotEngine.backup({settings: as('snap_least'), databases: [], output: path.join(work, 'least.tar'), workers: 2, format: 'archive', compress: 'zstd'}, recordingBus().bus);
			const manifest = (await openArchive(result.artifact)).manifest;
			assert.equal(manifest.options.quiesce, 'backup-stage');
			assert.match(String(manifest.coordinates.gtid), /^0-1-\d+$/);
			assert.ok(manifest.databases.some((database) => database.name === 'shop'), 'SHOW DATABASES listed them');

			assert.deepEqual(await create('snap_no_process', 'RELOAD, BINLOG MONITOR, SHOW DATABASES'), {ok: false, missing: ['PROCESS']});
			await assert.rejects(snapshotEngine.backup({settings: as('snap_no_process'), databases: [], output: path.join(work, 'refused.tar'), workers: 2, format: 'archive', compress: 'zstd'}, recordingBus().bus), (error: unknown) => {
				assert.ok(error instanceof DbBackupError, String(error));
				assert.equal(error.code, 'SNAPSHOT_UNAVAILABLE');
				assert.match(error.hint ?? '', /PROCESS/);
				return true;
			});
		} finally {
			await admin.query('DROP USER IF EXISTS snap_least, snap_no_process');
		}
	});
});
