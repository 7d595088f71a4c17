/**
 * The snapshot engine on a real btrfs filesystem (a loop-mounted image) with a private MySQL 9.7 whose
 * data directory, binary logs and redo log (#innodb_redo) live in a subvolume: LOCK INSTANCE FOR
 * BACKUP + FLUSH TABLES WITH READ LOCK, coordinates and the InnoDB LSN from
 * performance_schema.log_status. Each backup is restored through the CLI (`restore --datadir
 * --verify-start`), and a mysqld started on the restored directory is compared with the source: under a
 * concurrent write load (exactly the writer's transactions up to the recorded GTID set), with writes
 * stopped (every table's CHECKSUM TABLE, a MyISAM table's rows among them), and with a user holding only
 * the privileges the availability check asks for.
 */
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {chmod, chown, mkdtemp, readdir, rm, stat} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import type {ConnectionSettings} from '../../../source/core/connection-settings.ts';
import {DbBackupError} from '../../../source/core/errors.ts';
import {evaluateMysqlGrants} from '../../../source/core/detect/mysql-privileges.ts';
import {snapshotEngine} from '../../../source/engines/snapshot/index.ts';
import type {BackupOptions} from '../../../source/engines/types.ts';
import {mysqlProgram, mysqlTreeOptions, startMysqldOnDataDirectory} from '../../../source/sandbox/index.ts';
import {startMysql} from '../../../source/sandbox/mysql.ts';
import type {RunningMysql} from '../../../source/sandbox/types.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {jsonLines, runCli} from '../../cli/run-cli.ts';
import {recordingBus} from '../../harness/recording-bus.ts';
import {createBtrfs, notRoot, subvolumesUnder, type BtrfsFixture} from './btrfs-fixture.ts';
import {waitFor} from './restored-servers.ts';

const log = (line: string) => process.stderr.write(`# ${line}\n`);

/** A database and a table whose names need quoting everywhere: a backtick, spaces, non-ASCII. */
const DB = 'snap `odd` db ü';
const ODD_TABLE = 'Mixed `tick` space ü';
/** a MyISAM table in a database of plain name, and one of the same name in DB (clone.test.ts found MySQL 9.7.4 failing to start on a clone with one there) */
const SIDE_DB = 'side_engines';
const MYISAM_TABLE = 'myisam notes';

const q = (name: string) => mysql.escapeId(name, true);
const T = (table: string, db = DB) => `${q(db)}.${q(table)}`;

/** "uuid:1-42" (one source, one interval) → 42; anything else is not what a single writer leaves. */
function lastOfSingleInterval(set: string): number {
	const match = /^[0-9a-f-]{36}:1-(\d+)$/.exec(set.replace(/\s+/g, ''));
	if (!match) throw new Error(`the GTID set ${set} is not one interval of one source`);
	return Number(match[1]);
}

async function gtidExecuted(connection: Connection): Promise<string> {
	const [[row]] = await connection.query<RowDataPacket[]>('SELECT @@GLOBAL.gtid_executed AS gtid');
	return String(row!.gtid).replace(/\s+/g, '');
}

/**
 * MySQL's twin of restored-servers.ts' mariadbLoad: transaction k inserts row k into events and adds k
 * to one of ten counters. MySQL has no @@last_gtid: the writer is the only one writing, so after each
 * commit gtid_executed is one interval that grew by exactly one — its end is the GTID of transaction k
 * (checked on every transaction, so that the mapping cannot be wrong silently).
 */
function mysqlLoad(connection: Connection) {
	let committed = 0;
	let stopping = false;
	const kBySeq = new Map<number, number>();
	const loop = (async () => {
		let last = lastOfSingleInterval(await gtidExecuted(connection));
		while (!stopping) {
			const k = committed + 1;
			await connection.query('BEGIN');
			await connection.query(`INSERT INTO ${T('events')} VALUES (?, ?)`, [k, `event ${k} ${'x'.repeat(k % 150)}`]);
			await connection.query(`UPDATE ${T('counters')} SET total = total + ?, hits = hits + 1 WHERE id = ?`, [k, k % 10]);
			await connection.query('COMMIT');
			const seq = lastOfSingleInterval(await gtidExecuted(connection));
			if (seq !== last + 1) throw new Error(`transaction ${k} moved gtid_executed from ${last} to ${seq}: someone else writes`);
			last = seq;
			kBySeq.set(seq, k);
			committed = k;
		}
	})();
	return {
		get committed() {
			return committed;
		},
		kBySeq,
		async stop() {
			stopping = true;
			await loop;
		},
	};
}

/** Every base table outside the system schemas, as [schema, table]. */
async function userTables(connection: Connection): Promise<Array<[string, string]>> {
	const [rows] = await connection.query<RowDataPacket[]>(
		"SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY TABLE_SCHEMA, TABLE_NAME",
	);
	return rows.map((row) => [String(row.db), String(row.name)]);
}

async function checksums(connection: Connection, tables: Array<[string, string]>): Promise<Record<string, string>> {
	const out: Record<string, string> = {};
	for (const [db, table] of tables) {
		const [[row]] = await connection.query<RowDataPacket[]>(`CHECKSUM TABLE ${T(table, db)} EXTENDED`);
		out[`${db}.${table}`] = String(row!.Checksum);
	}
	return out;
}

describe('snapshot engine: MySQL 9.7 on btrfs', {skip: notRoot}, () => {
	let fixture: BtrfsFixture;
	let subvolume: string;
	let server: RunningMysql;
	let settings: ConnectionSettings;
	let admin: Connection;
	let work: string;

	before(async () => {
		fixture = await createBtrfs(log);
		subvolume = await fixture.subvolume('mysql');
		server = await startMysql({log, baseDir: subvolume, noFsync: true});
		assert.match(server.version, /^9\.7\./);
		settings = {dbType: 'mysql', host: server.host, port: server.port, user: server.user, password: server.password};
		admin = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, charset: 'utf8mb4'});
		// everything the server writes is in the subvolume: the datadir, the binary logs, the redo log
		const [[where]] = await admin.query<RowDataPacket[]>('SELECT @@datadir AS datadir, @@log_bin AS logBin, @@log_bin_basename AS binlog, @@innodb_log_group_home_dir AS redo, @@gtid_mode AS gtid');
		const datadir = path.resolve(String(where!.datadir));
		assert.ok(datadir.startsWith(`${subvolume}/`), `${datadir} is in ${subvolume}`);
		assert.equal(Number(where!.logBin), 1);
		assert.equal(where!.gtid, 'ON');
		assert.ok(path.resolve(datadir, String(where!.binlog)).startsWith(`${datadir}/`), `binlogs ${String(where!.binlog)} are in ${datadir}`);
		const redo = path.resolve(datadir, String(where!.redo), '#innodb_redo');
		assert.ok(redo.startsWith(`${datadir}/`) && (await readdir(redo)).some((name) => name.startsWith('#ib_redo')), `the redo log is in ${redo}`);

		await admin.query(`CREATE DATABASE ${q(DB)} CHARACTER SET utf8mb4`);
		await admin.query(`CREATE TABLE ${T('events')} (k INT PRIMARY KEY, payload VARCHAR(200) NOT NULL) ENGINE=InnoDB`);
		await admin.query(`CREATE TABLE ${T('counters')} (id INT PRIMARY KEY, total BIGINT NOT NULL, hits INT NOT NULL) ENGINE=InnoDB`);
		await admin.query(`INSERT INTO ${T('counters')} VALUES ${Array.from({length: 10}, (_, id) => `(${id}, 0, 0)`).join(', ')}`);
		await admin.query(
			`CREATE TABLE ${T('types')} (id BIGINT UNSIGNED PRIMARY KEY, d DECIMAL(30,10), f DOUBLE, s VARCHAR(100) CHARACTER SET utf8mb4, b BLOB, j JSON, t DATETIME(6), e ENUM('a','b','c'), bits BIT(7), g POINT NULL, n INT NULL, KEY (s)) ENGINE=InnoDB`,
		);
		await admin.query('SET SESSION cte_max_recursion_depth = 5000');
		await admin.query(
			`INSERT INTO ${T('types')} WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 2000)
			 SELECT n + 18446744073709549000, n * 1234.5678901234, n / 7, CONCAT('ünï 😀 ', n, REPEAT('x', n % 50)), UNHEX(SHA2(n, 256)), JSON_OBJECT('n', n, 'a', JSON_ARRAY(n, 'x')),
			        TIMESTAMP('2026-01-01 00:00:00.123456') + INTERVAL n SECOND, ELT(1 + n % 3, 'a', 'b', 'c'), n % 128, IF(n % 3 = 0, ST_PointFromText(CONCAT('POINT(', n, ' ', -n, ')')), NULL), IF(n % 5 = 0, NULL, n) FROM s`,
		);
		await admin.query(`CREATE TABLE ${T(ODD_TABLE)} (k VARCHAR(20) PRIMARY KEY, payload MEDIUMTEXT) ENGINE=InnoDB`);
		await admin.query(`INSERT INTO ${T(ODD_TABLE)} VALUES ('a', REPEAT('α', 70000)), ('b', ''), ('c', NULL)`);
		// MyISAM, empty for the first backups (rows come in the test that checks them): the server's cached
		// table statistics then say "no rows" until they expire, which must not hide the rows from the engine
		await admin.query(`CREATE DATABASE ${q(SIDE_DB)}`);
		await admin.query(`CREATE TABLE ${T(MYISAM_TABLE, SIDE_DB)} (id INT PRIMARY KEY, note VARCHAR(50)) ENGINE=MyISAM`);
		await admin.query(`CREATE TABLE ${T(MYISAM_TABLE)} (id INT PRIMARY KEY, note VARCHAR(50)) ENGINE=MyISAM`);
		await admin.query(`SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_NAME = ?`, [MYISAM_TABLE]);

		work = await mkdtemp(path.join(os.tmpdir(), 'snapshot-mysql-work-'));
		// the mysql OS user, which the restore makes the owner, must reach the restored directories
		await chmod(work, 0o755);
	});

	after(async () => {
		await admin?.end().catch(() => undefined);
		await server?.stop().catch((error: unknown) => log(`stopping mysql: ${String(error)}`));
		await fixture?.cleanup();
		if (work) await rm(work, {recursive: true, force: true});
	});

	const options = (output: string, user = settings): BackupOptions => ({settings: user, databases: [], output, workers: 2, format: 'archive', compress: 'zstd'});

	async function ourSnapshots(): Promise<string[]> {
		return (await subvolumesUnder(fixture.mnt)).filter((name) => name.includes('dbbackup-snap-'));
	}

	/** `restore ARCHIVE --datadir DIR --verify-start --json --yes` through the CLI: its dataDirectory result. */
	async function restoreThroughCli(archive: string, name: string) {
		const datadir = path.join(work, `restored-${name}`);
		const outcome = await runCli(['restore', archive, '--datadir', datadir, '--verify-start', '--json', '--yes'], {timeoutMs: 300_000, env: {DBBACKUP_FROM_SOURCE: '1'}});
		assert.equal(outcome.code, 0, outcome.stderr + outcome.stdout.slice(-4000));
		const result = jsonLines(outcome.stdout).find((line) => line.type === 'result' && line.kind === 'restore')?.data.result;
		assert.ok(result?.dataDirectory, outcome.stdout.slice(-2000));
		assert.equal(result.dataDirectory.path, datadir);
		assert.equal(result.dataDirectory.owner, 'mysql');
		return {datadir, restored: result.dataDirectory};
	}

	/** A mysqld of the same binaries on the restored directory (the product's starter), as its owner, with the source's binary logs and GTIDs. */
	async function startOn(datadir: string, name: string) {
		const workDir = await mkdtemp(path.join(os.tmpdir(), `snapshot-mysql-run-${name}-`));
		const owner = await stat(datadir);
		await chown(workDir, owner.uid, owner.gid);
		try {
			const started = await startMysqldOnDataDirectory({
				flavor: 'mysql',
				program: mysqlProgram(server.root, 'mysqld'),
				programOptions: mysqlTreeOptions(server.root),
				datadir,
				workDir,
				osUser: owner.uid === 0 ? 'root' : 'mysql',
				binlogBasename: 'mysql-bin',
				gtid: true,
				startTimeoutMs: 120_000,
				log: () => undefined,
			});
			const connection = await started.connect();
			await connection.query('SET NAMES utf8mb4');
			return {
				connection,
				async stop() {
					await connection.end().catch(() => undefined);
					await started.stop();
					await rm(workDir, {recursive: true, force: true});
				},
			};
		} catch (error) {
			await rm(workDir, {recursive: true, force: true});
			throw error;
		}
	}

	function verifiedAsExpected(verified: Record<string, any>, gtid: string): void {
		assert.match(verified.server, /^MySQL 9\./);
		// every table went through CHECK TABLE: the five of DB and the MyISAM one of SIDE_DB
		assert.ok(verified.checkedTables >= 6, `checkedTables ${verified.checkedTables}`);
		const database = verified.databases.find((entry: {name: string}) => entry.name === DB);
		assert.ok(database && database.tables === 5, JSON.stringify(verified.databases));
		assert.ok(String(verified.position).includes(`GTID ${gtid}`), `recovered ${verified.position}, the manifest says ${gtid}`);
	}

	test('under a concurrent write load: verify-start recovers the manifest\'s GTID set, and the restored server holds exactly the writer\'s transactions up to it', async () => {
		const writer = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, charset: 'utf8mb4'});
		const load = mysqlLoad(writer);
		let restored: Awaited<ReturnType<typeof startOn>> | undefined;
		try {
			await waitFor(() => load.committed >= 300);
			const before = load.committed;
			const {bus, events} = recordingBus();
			const result = await snapshotEngine.backup(options(path.join(work, 'under-load.tar')), bus);
			const during = load.committed - before;
			await waitFor(() => load.committed >= before + during + 50);
			await load.stop();
			assert.ok(during > 0, 'the writer committed while the backup ran');

			const manifest = (await openArchive(result.artifact)).manifest;
			assert.equal(manifest.engine, 'snapshot');
			assert.equal(manifest.server.flavor, 'mysql');
			assert.equal(manifest.options.snapshotBackend, 'btrfs');
			assert.equal(manifest.options.quiesce, 'lock-instance+ftwrl');
			const quiesceMs = manifest.options.quiesceMs;
			assert.ok(typeof quiesceMs === 'number' && quiesceMs > 0 && quiesceMs < 5000, `quiesceMs ${String(quiesceMs)}`);
			log(`MySQL under load: writes held ${quiesceMs} ms, the snapshot took ${String(manifest.options.snapshotMs)} ms`);
			assert.deepEqual(Object.keys(manifest.options.quiesceStepsMs as object), ['lockInstance', 'ftwrl', 'snapshot', 'coordinates', 'release']);
			const messages = events.filter((event) => event.type === 'log').map((event) => (event as {message: string}).message);
			assert.ok(messages.some((message) => /^FLUSH TABLES WITH READ LOCK as well: the binary log is on/.test(message)), messages.join('\n'));
			const coordinates = manifest.coordinates as {gtid?: string; binlogFile?: string; binlogPosition?: number; innodbLsn?: string};
			const gtid = String(coordinates.gtid);
			assert.match(coordinates.binlogFile ?? '', /^mysql-bin\.\d{6}$/);
			assert.ok(Number(coordinates.binlogPosition) > 0);
			assert.match(coordinates.innodbLsn ?? '', /^\d+$/, 'the InnoDB LSN from performance_schema.log_status');
			const kAtGtid = load.kBySeq.get(lastOfSingleInterval(gtid));
			assert.ok(kAtGtid !== undefined && kAtGtid >= before, `the recorded GTID set ${gtid} ends at a writer transaction made during the backup`);
			assert.deepEqual(await ourSnapshots(), [], 'the snapshot is removed');

			const {datadir, restored: restoredDir} = await restoreThroughCli(result.artifact, 'load');
			verifiedAsExpected(restoredDir.verified, gtid);

			restored = await startOn(datadir, 'load');
			const c = restored.connection;
			assert.equal(await gtidExecuted(c), gtid, 'the restored server is at the recorded GTID set');
			const [[state]] = await c.query<RowDataPacket[]>(
				`SELECT (SELECT COUNT(*) FROM ${T('events')}) AS n, (SELECT MAX(k) FROM ${T('events')}) AS k, (SELECT SUM(total) FROM ${T('counters')}) AS total, (SELECT SUM(hits) FROM ${T('counters')}) AS hits`,
			);
			assert.equal(Number(state!.n), kAtGtid, 'exactly the writer\'s transactions up to the GTID set');
			assert.equal(Number(state!.k), kAtGtid);
			assert.equal(Number(state!.total), (kAtGtid! * (kAtGtid! + 1)) / 2);
			assert.equal(Number(state!.hits), kAtGtid);
			// the tables the writer did not touch are the source's
			const still: Array<[string, string]> = [[DB, 'types'], [DB, ODD_TABLE]];
			assert.deepEqual(await checksums(c, still), await checksums(admin, still));
		} finally {
			await load.stop().catch(() => undefined);
			await writer.end().catch(() => undefined);
			await restored?.stop();
		}
	});

	test('writes stopped, a MyISAM table with rows: FTWRL is taken for it, and every table of the restored server has the source\'s checksum at the source\'s GTID set', async () => {
		await admin.query(`INSERT INTO ${T(MYISAM_TABLE, SIDE_DB)} VALUES (1, 'first'), (2, 'zweite ü'), (3, NULL)`);
		await admin.query(`INSERT INTO ${T(MYISAM_TABLE)} VALUES (7, 'in the odd database')`);
		const tables = await userTables(admin);
		assert.equal(tables.length, 6, JSON.stringify(tables));
		const source = await checksums(admin, tables);
		const position = await gtidExecuted(admin);
		const {bus, events} = recordingBus();
		const result = await snapshotEngine.backup(options(path.join(work, 'quiet.tar')), bus);
		const messages = events.filter((event) => event.type === 'log').map((event) => (event as {message: string}).message);
		const ftwrl = messages.find((message) => message.startsWith('FLUSH TABLES WITH READ LOCK as well'));
		assert.ok(ftwrl !== undefined && ftwrl.startsWith('FLUSH TABLES WITH READ LOCK as well: non-InnoDB tables hold rows ('), `FTWRL is taken for the MyISAM tables: ${ftwrl}`);
		for (const name of [`${SIDE_DB}.${MYISAM_TABLE} (MyISAM)`, `${DB}.${MYISAM_TABLE} (MyISAM)`]) assert.ok(ftwrl.includes(name), `the FTWRL line names ${name}: ${ftwrl}`);
		const manifest = (await openArchive(result.artifact)).manifest;
		assert.equal(manifest.options.quiesce, 'lock-instance+ftwrl');
		assert.equal(typeof manifest.options.quiesceMs, 'number');
		log(`MySQL, writes stopped: writes held ${String(manifest.options.quiesceMs)} ms`);
		assert.equal(manifest.coordinates.gtid, position);

		const {datadir, restored: restoredDir} = await restoreThroughCli(result.artifact, 'quiet');
		verifiedAsExpected(restoredDir.verified, position);
		const side = restoredDir.verified.databases.find((entry: {name: string}) => entry.name === SIDE_DB);
		assert.deepEqual(side, {name: SIDE_DB, tables: 1, rows: 3});

		const restored = await startOn(datadir, 'quiet');
		try {
			assert.deepEqual(await checksums(restored.connection, tables), source);
			assert.equal(await gtidExecuted(restored.connection), position);
			const [rows] = await restored.connection.query<RowDataPacket[]>(`SELECT id, note FROM ${T(MYISAM_TABLE, SIDE_DB)} ORDER BY id`);
			assert.deepEqual(rows.map((row) => [row.id, row.note]), [[1, 'first'], [2, 'zweite ü'], [3, null]]);
			const [odd] = await restored.connection.query<RowDataPacket[]>(`SELECT id, note FROM ${T(MYISAM_TABLE)}`);
			assert.deepEqual(odd.map((row) => [row.id, row.note]), [[7, 'in the odd database']]);
		} finally {
			await restored.stop();
		}
	});

	test('privileges: a user with what the availability check asks for backs up; without BACKUP_ADMIN the check says so and the backup is refused with the reason', async () => {
		const password = 'Snap-priv-1';
		const create = async (user: string, grants: string) => {
			await admin.query('SET SESSION sql_log_bin = 0');
			await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
			await admin.query(`GRANT ${grants} ON *.* TO ?@?`, [user, '%']);
			await admin.query('SET SESSION sql_log_bin = 1');
			const [rows] = await admin.query<RowDataPacket[]>('SHOW GRANTS FOR ?@?', [user, '%']);
			return evaluateMysqlGrants(rows.map((row) => String(Object.values(row)[0])), 'mysql', {text: server.version, major: 9, minor: 7, patch: 0}).perEngine.snapshot;
		};
		const as = (user: string): ConnectionSettings => ({...settings, user, password});
		try {
			const full = await create('snap_full', 'SELECT, RELOAD, PROCESS, BACKUP_ADMIN');
			assert.deepEqual(full, {ok: true, missing: []});
			const result = await snapshotEngine.backup(options(path.join(work, 'least.tar'), as('snap_full')), recordingBus().bus);
			const manifest = (await openArchive(result.artifact)).manifest;
			assert.equal(manifest.options.quiesce, 'lock-instance+ftwrl');
			assert.match(String((manifest.coordinates as {innodbLsn?: string}).innodbLsn), /^\d+$/, 'log_status was readable');

			const without = await create('snap_no_backup_admin', 'SELECT, RELOAD, PROCESS');
			assert.deepEqual(without, {ok: false, missing: ['BACKUP_ADMIN']});
			await assert.rejects(snapshotEngine.backup(options(path.join(work, 'refused.tar'), as('snap_no_backup_admin')), recordingBus().bus), (error: unknown) => {
				assert.ok(error instanceof DbBackupError, String(error));
				assert.equal(error.code, 'SNAPSHOT_QUIESCE_FAILED');
				assert.match(error.message, /BACKUP_ADMIN/);
				return true;
			});

			const noProcess = await create('snap_no_process', 'SELECT, RELOAD, BACKUP_ADMIN');
			assert.deepEqual(noProcess, {ok: false, missing: ['PROCESS']});
			await assert.rejects(snapshotEngine.backup(options(path.join(work, 'refused.tar'), as('snap_no_process')), recordingBus().bus), (error: unknown) => {
				assert.ok(error instanceof DbBackupError, String(error));
				assert.equal(error.code, 'SNAPSHOT_UNAVAILABLE');
				assert.match(error.hint ?? '', /PROCESS/);
				return true;
			});
			assert.deepEqual(await ourSnapshots(), [], 'nothing left behind');
			assert.deepEqual((await readdir(work)).filter((name) => name.startsWith('refused')), [], 'no artifact');
		} finally {
			await admin.query('SET SESSION sql_log_bin = 0');
			await admin.query('DROP USER IF EXISTS snap_full, snap_no_backup_admin, snap_no_process');
			await admin.query('SET SESSION sql_log_bin = 1');
		}
	});
});
