/**
 * The physical layer the clone and snapshot engines share, on a real MariaDB: a private server's data
 * directory (shut down cleanly, so the copy is consistent without a snapshot) archived by
 * writeDirectoryBackup, restored by restoreMysqlDataDirectory into a new directory owned by the mysql
 * user, started by --verify-start (crash recovery, CHECK TABLE, counts, the GTID compared with the
 * manifest's), and compared table by table (CHECKSUM TABLE) with the source. Then the refusals: a
 * non-empty directory, a live server's directory, and a GTID that does not match the manifest's.
 */
import assert from 'node:assert/strict';
import {chmod, chown, mkdir, mkdtemp, readdir, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import mysql, {type RowDataPacket} from 'mysql2/promise';
import type {ConnectionSettings} from '../../../source/core/connection-settings.ts';
import {DbBackupError} from '../../../source/core/errors.ts';
import {writeDirectoryBackup} from '../../../source/engines/physical/directory-backup.ts';
import {restoreMysqlDataDirectory} from '../../../source/engines/physical/mysql-datadir.ts';
import type {BackupOptions, RestoreOptions} from '../../../source/engines/types.ts';
import {startMariadb, type RunningMariadb} from '../../../source/sandbox/index.ts';
import {startMysqldOnDataDirectory} from '../../../source/sandbox/mysqld-on-datadir.ts';
import {chooseMysqld, verifyMysqlStart} from '../../../source/services/verify-start-mysql.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {getTestServers} from '../../harness/servers.ts';
import {recordingBus} from '../../harness/recording-bus.ts';

const timeoutMs = 300_000;
// the shared servers run meanwhile; this test starts its own MariaDB, whose directory it copies
getTestServers();

const HOSTILE_DB = 'phys.`db` ☃';
const HOSTILE_TABLE = "t'name \"x\"";

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

async function checksums(connection: mysql.Connection, database: string): Promise<Record<string, string>> {
	const [tables] = await connection.query<RowDataPacket[]>("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", [database]);
	const result: Record<string, string> = {};
	for (const {name} of tables) {
		const [[row]] = await connection.query<RowDataPacket[]>(`CHECKSUM TABLE ${mysql.escapeId(database, true)}.${mysql.escapeId(String(name), true)} EXTENDED`);
		result[String(name)] = String(row?.Checksum);
	}
	return result;
}

describe('physical MySQL-family data directory: archive, restore, verify-start (MariaDB)', {timeout: timeoutMs}, () => {
	let server: RunningMariadb;
	let work: string;
	let archivePath: string;
	let source: Record<string, string>;
	let gtid: string;
	let binlog: {file: string; position: number};
	let version: string;

	before(async () => {
		work = await mkdtemp(path.join(tmpdir(), 'dbbackup-physical-'));
		// the mysql OS user, who owns the restored directories, must be able to reach them
		await chmod(work, 0o755);
		server = await startMariadb({log: () => undefined, noFsync: true});
		version = server.version;
		const connection = await mysql.createConnection({socketPath: server.socket, user: server.user, password: server.password, multipleStatements: true});
		await connection.query(`CREATE DATABASE ${mysql.escapeId(HOSTILE_DB, true)} CHARACTER SET utf8mb4`);
		await connection.query(`USE ${mysql.escapeId(HOSTILE_DB, true)}`);
		await connection.query(`CREATE TABLE ${mysql.escapeId(HOSTILE_TABLE, true)} (id INT PRIMARY KEY, body LONGBLOB, note VARCHAR(40), at DATETIME(6), amount DECIMAL(30,10), doc JSON) ENGINE=InnoDB`);
		await connection.query('CREATE TABLE plain (id BIGINT AUTO_INCREMENT PRIMARY KEY, v DOUBLE, s TEXT) ENGINE=InnoDB');
		await connection.query('CREATE TABLE mine (id INT PRIMARY KEY, s VARCHAR(10)) ENGINE=MyISAM');
		for (let batch = 0; batch < 20; batch++) {
			const values = Array.from({length: 500}, (_, index) => {
				const id = batch * 500 + index;
				return `(${id}, REPEAT(CHAR(${id % 256}), ${id % 700}), 'n${id}☃', '2026-12-07 10:00:${String(id % 60).padStart(2, '0')}.123456', ${id}.0000000001, '{"k": ${id}}')`;
			});
			await connection.query(`INSERT INTO ${mysql.escapeId(HOSTILE_TABLE, true)} VALUES ${values.join(',')}`);
			await connection.query(`INSERT INTO plain (v, s) VALUES ${Array.from({length: 500}, (_, index) => `(${batch * 500 + index} / 7, REPEAT('x', ${index}))`).join(',')}`);
		}
		await connection.query("INSERT INTO mine VALUES (1, 'a'), (2, 'b')");
		source = await checksums(connection, HOSTILE_DB);
		const [[status]] = await connection.query<RowDataPacket[]>('SHOW MASTER STATUS');
		binlog = {file: String(status?.File), position: Number(status?.Position)};
		const [[gtidRow]] = await connection.query<RowDataPacket[]>('SELECT @@GLOBAL.gtid_binlog_pos AS gtid');
		gtid = String(gtidRow?.gtid);
		// a clean shutdown leaves a directory any copy of which is consistent (the snapshot engine freezes one instead)
		await connection.query('SHUTDOWN').catch(() => undefined);
		await connection.end().catch(() => undefined);
		for (let waited = 0; waited < 600 && alive(server.pid); waited++) await new Promise((resolve) => setTimeout(resolve, 100));
		assert.ok(!alive(server.pid), 'the source server has shut down');
		archivePath = path.join(work, 'mariadb-physical.dbb');
		const options: BackupOptions = {settings: {} as ConnectionSettings, databases: [], output: archivePath, workers: 2, format: 'archive', compress: 'zstd'};
		const {bus} = recordingBus();
		const written = await writeDirectoryBackup(
			options,
			{root: server.datadir, exclude: (relative) => relative.endsWith('.pid')},
			{engine: 'snapshot', dbType: 'mysql', server: {version, flavor: 'mariadb', host: 'localhost'}, databases: [HOSTILE_DB], coordinates: {binlogFile: binlog.file, binlogPosition: binlog.position, gtid}, options: {test: true}, startedAt: new Date().toISOString()},
			bus,
		);
		assert.ok(written.files > 10, `${written.files} files archived`);
		assert.equal(written.artifact, archivePath);
	});

	after(async () => {
		await server?.stop();
		await rm(work, {recursive: true, force: true});
	});

	function restoreOptions(dataDirectory: string, extra: Partial<RestoreOptions> = {}): RestoreOptions {
		return {settings: {} as ConnectionSettings, artifact: archivePath, dataDirectory, workers: 2, ...extra};
	}

	test('the archive verifies and lists every file of the data directory with its mode', async () => {
		const archive = await openArchive(archivePath);
		const verified = await archive.verify();
		assert.ok(verified.members >= 1);
		const entries = archive.manifest.physical!.archives[0]!.entries;
		assert.ok(entries.some((entry) => entry.path === 'ibdata1' && entry.type === 'file'));
		assert.ok(entries.some((entry) => entry.path === binlog.file), 'the binary log is in the copy');
		assert.ok(!entries.some((entry) => entry.path.endsWith('.pid')), 'the excluded pid file is left out');
		assert.ok(entries.some((entry) => entry.type === 'directory' && entry.path === 'mysql'));
	});

	test('restore into a new directory, --verify-start recovers it, every table equals the source', async () => {
		const target = path.join(work, 'restored');
		const {bus, events} = recordingBus();
		const result = await restoreMysqlDataDirectory(restoreOptions(target), bus);
		const restored = result.dataDirectory!;
		if (process.getuid?.() === 0) assert.equal(restored.owner, 'mysql');
		assert.match(restored.startCommand, /^mariadbd --datadir=/);
		assert.ok(!(await readdir(target)).includes('.dbbackup-restore-incomplete'));
		const archive = await openArchive(archivePath);
		const choice = await chooseMysqld(archive.manifest, () => undefined);
		const verified = await verifyMysqlStart(restored, archive.manifest, choice, bus);
		assert.equal(verified.position.includes(`GTID ${gtid}`), true, verified.position);
		const database = verified.databases.find((entry) => entry.name === HOSTILE_DB);
		assert.deepEqual(database, {name: HOSTILE_DB, tables: 3, rows: 20_002});
		assert.equal(verified.checkedTables, 3);
		assert.ok(events.some((event) => event.type === 'stage' && event.name === 'verify-start'));

		// the server's socket and logs: inside the test's own directory, removed with it
		const sockets = path.join(work, 'check-server');
		await mkdir(sockets);
		const owner = await stat(target);
		await chown(sockets, owner.uid, owner.gid);
		const started = await startMysqldOnDataDirectory({flavor: 'mariadb', program: choice.program, datadir: target, workDir: sockets, osUser: restored.owner, startTimeoutMs: 120_000, log: () => undefined});
		try {
			const connection = await started.connect();
			try {
				assert.deepEqual(await checksums(connection, HOSTILE_DB), source);
			} finally {
				await connection.end();
			}
		} finally {
			await started.stop();
		}
	});

	test('a non-empty directory is refused, and a live server\'s even with --drop-existing', async () => {
		const target = path.join(work, 'busy');
		await mkdir(target);
		await writeFile(path.join(target, 'keep.txt'), 'mine');
		const {bus} = recordingBus();
		await assert.rejects(restoreMysqlDataDirectory(restoreOptions(target), bus), (error: unknown) => error instanceof DbBackupError && error.code === 'DATADIR_NOT_EMPTY' && /keep\.txt/.test(error.message));
		await writeFile(path.join(target, 'host.pid'), `${process.pid}\n`);
		await assert.rejects(restoreMysqlDataDirectory(restoreOptions(target, {dropExisting: true}), bus), (error: unknown) => error instanceof DbBackupError && error.code === 'DATADIR_IN_USE' && /host\.pid/.test(error.message));
		assert.deepEqual((await readdir(target)).sort(), ['host.pid', 'keep.txt'], 'nothing was touched');
	});

	test('verify-start fails when the recovered GTID set is not the manifest\'s', async () => {
		const target = path.join(work, 'other-gtid');
		const {bus} = recordingBus();
		const result = await restoreMysqlDataDirectory(restoreOptions(target), bus);
		const archive = await openArchive(archivePath);
		const manifest = {...archive.manifest, coordinates: {...archive.manifest.coordinates, gtid: '0-1-999999'}};
		const choice = await chooseMysqld(manifest, () => undefined);
		await assert.rejects(verifyMysqlStart(result.dataDirectory!, manifest, choice, bus), (error: unknown) => error instanceof DbBackupError && error.code === 'VERIFY_START_FAILED' && /0-1-999999/.test(error.message));
	});
});
