/**
 * The clone engine against real MySQL 9 servers: two of our own, started with the clone plugin loaded
 * (the harness's MySQL stays without it: the detection tests expect NOT_INSTALLED there, and it serves as
 * the server without the plugin). A local clone and a remote clone each go into an archive, are restored
 * into a new data directory, and a mysqld started on it holds what the source held at the recorded GTID
 * set, table by table (CHECKSUM TABLE).
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import {chmod, mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {setTimeout as sleep} from 'node:timers/promises';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import type {ConnectionSettings} from '../../../source/core/connection-settings.ts';
import {DbBackupError} from '../../../source/core/errors.ts';
import type {BusEvent} from '../../../source/core/events.ts';
import {cloneOptionsFrom, DONOR_PASSWORD_ENV} from '../../../source/engines/clone/donor-credentials.ts';
import {cloneEngine} from '../../../source/engines/clone/index.ts';
import type {BackupOptions, BackupResult, CloneBackupOptions} from '../../../source/engines/types.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {startMysql} from '../../../source/sandbox/mysql.ts';
import type {RunningMysql} from '../../../source/sandbox/types.ts';
import {mysqlFlavor} from '../../harness/mysql-flavors.ts';
import {getTestServers} from '../../harness/servers.ts';
import {recordingBus} from '../../harness/recording-bus.ts';
import {startMysqldOn} from './mysqld-on-datadir.ts';
import {jsonLines, runCli} from '../../cli/run-cli.ts';

const log = () => undefined;
const DB = 'clone `odd` db ü';
const TABLES = ['plain', 'types', 'Mixed Case-and space'];
const MYISAM_DB = 'other_engines';

let donor: RunningMysql;
let recipient: RunningMysql;
let work: string;

function settingsOf(server: RunningMysql, user = server.user, password = server.password): ConnectionSettings {
	return {dbType: 'mysql', host: server.host, port: server.port, user, password};
}

function connect(server: RunningMysql, options: {user?: string; password?: string} = {}): Promise<Connection> {
	return mysql.createConnection({host: server.host, port: server.port, user: options.user ?? server.user, password: options.password ?? (options.user ? undefined : server.password), multipleStatements: true});
}

const q = (name: string) => `\`${name.replace(/`/g, '``')}\``;

async function createData(server: RunningMysql): Promise<void> {
	const c = await connect(server);
	try {
		await c.query('SET SESSION cte_max_recursion_depth = 5000');
		await c.query(`CREATE DATABASE ${q(DB)} CHARACTER SET utf8mb4`);
		await c.query(`CREATE TABLE ${q(DB)}.${q('plain')} (id INT PRIMARY KEY, v VARCHAR(40))`);
		await c.query(
			`CREATE TABLE ${q(DB)}.${q('types')} (id BIGINT UNSIGNED PRIMARY KEY, d DECIMAL(30,10), f DOUBLE, s VARCHAR(100) CHARACTER SET utf8mb4, b BLOB, j JSON, t DATETIME(6), e ENUM('a','b','c'), bits BIT(7), n INT NULL, KEY (s))`,
		);
		await c.query(`CREATE TABLE ${q(DB)}.${q('Mixed Case-and space')} (k VARCHAR(20) PRIMARY KEY, payload MEDIUMTEXT) ENGINE=InnoDB`);
		// in a database without a backtick in its name: MySQL 9.7.4 does not start on a clone holding a
		// non-InnoDB table in such a database ("Data Dictionary initialization failed"; the engine warns)
		await c.query(`CREATE DATABASE ${MYISAM_DB}`);
		await c.query(`CREATE TABLE ${MYISAM_DB}.${q('myisam rows')} (id INT) ENGINE=MyISAM`);
		await c.query(`INSERT INTO ${MYISAM_DB}.${q('myisam rows')} VALUES (1), (2)`);
		await c.query(
			`INSERT INTO ${q(DB)}.${q('plain')} WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 3000) SELECT n, CONCAT('row ', n) FROM s`,
		);
		await c.query(
			`INSERT INTO ${q(DB)}.${q('types')} WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 2000)
			 SELECT n + 18446744073709549000, n * 1234.5678901234, n / 7, CONCAT('ünï 😀 ', n, REPEAT('x', n % 50)), UNHEX(SHA2(n, 256)), JSON_OBJECT('n', n, 'a', JSON_ARRAY(n, 'x')), TIMESTAMP('2026-01-01 00:00:00.123456') + INTERVAL n SECOND, ELT(1 + n % 3, 'a', 'b', 'c'), n % 128, IF(n % 5 = 0, NULL, n) FROM s`,
		);
		await c.query(`INSERT INTO ${q(DB)}.${q('Mixed Case-and space')} VALUES ('a', REPEAT('α', 70000)), ('b', ''), ('c', NULL)`);
	} finally {
		await c.end();
	}
}

async function checksums(c: Connection, db: string, tables: string[]): Promise<Record<string, string>> {
	const out: Record<string, string> = {};
	for (const table of tables) {
		const [rows] = await c.query<RowDataPacket[]>(`CHECKSUM TABLE ${q(db)}.${q(table)}`);
		out[table] = String(rows[0]?.Checksum);
	}
	return out;
}

async function gtidExecuted(c: Connection): Promise<string> {
	const [rows] = await c.query<RowDataPacket[]>('SELECT @@GLOBAL.gtid_executed AS g');
	return String(rows[0]?.g).replace(/\s+/g, '');
}

function backupOptions(server: RunningMysql, output: string, clone?: CloneBackupOptions, settings = settingsOf(server)): BackupOptions {
	return {settings, databases: [], output, workers: 2, format: 'archive', compress: 'zstd', ...(clone ? {clone} : {})};
}

async function cloneDirectoriesIn(dir: string): Promise<string[]> {
	return (await readdir(dir)).filter((name) => name.startsWith('dbbackup-clone-'));
}

async function expectFailure(work: Promise<unknown>, code: string, message?: RegExp): Promise<DbBackupError> {
	try {
		await work;
	} catch (error) {
		assert.ok(error instanceof DbBackupError, `expected a DbBackupError, got ${String(error)}`);
		assert.equal(error.code, code, `${error.code}: ${error.message}`);
		if (message) assert.match(`${error.message}\n${error.hint}`, message);
		return error;
	}
	assert.fail(`expected ${code}, but it succeeded`);
}

/** Restores the archive into a fresh directory, starts mysqld on it, and returns what it holds. */
async function restoreAndRead(artifact: string, name: string): Promise<{gtid: string; sums: Record<string, string>; myisamRows: number; dir: string}> {
	const dir = path.join(work, name);
	const {bus} = recordingBus();
	const restored = await cloneEngine.restore({settings: settingsOf(donor), artifact, workers: 2, dataDirectory: dir, dataDirectoryOwner: process.getuid?.() === 0 ? 'root' : undefined}, bus);
	assert.equal(restored.dataDirectory?.path, dir);
	assert.ok((restored.dataDirectory?.files ?? 0) > 0);
	const server = await startMysqldOn(donor.root, dir);
	try {
		const c = await server.connect();
		try {
			const [myisam] = await c.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${MYISAM_DB}.${q('myisam rows')}`);
			return {gtid: await gtidExecuted(c), sums: await checksums(c, DB, TABLES), myisamRows: Number(myisam[0]?.n), dir};
		} finally {
			await c.end();
		}
	} finally {
		await server.stop();
	}
}

function assertNoSecret(events: BusEvent[], secret: string): void {
	assert.ok(!JSON.stringify(events).includes(secret), 'a password reached the event stream');
}

before(async () => {
	work = await mkdtemp(path.join(tmpdir(), 'dbbackup-clone-test-'));
	[donor, recipient] = await Promise.all([startMysql({log, plugins: ['mysql_clone.so'], noFsync: true}), startMysql({log, plugins: ['mysql_clone.so'], noFsync: true})]);
	await createData(donor);
});

after(async () => {
	await Promise.all([donor?.stop(), recipient?.stop()]);
	if (work) await rm(work, {recursive: true, force: true});
});

describe('clone engine on MySQL 9 (servers with the clone plugin)', () => {
	test('local clone: archive, restore, a server on the copy holds the source\'s tables at the recorded GTID set', async () => {
		const c = await connect(donor);
		const sourceSums = await checksums(c, DB, TABLES);
		const sourceGtid = await gtidExecuted(c);
		await c.end();
		const {bus, events} = recordingBus();
		const result: BackupResult = await cloneEngine.backup(backupOptions(donor, path.join(work, 'local.tar')), bus);

		assert.equal(result.artifact, path.join(work, 'local.tar'));
		assert.ok((result.files ?? 0) > 5, `files: ${result.files}`);
		assert.ok(result.databases.includes(DB));
		const manifest = (await openArchive(result.artifact)).manifest;
		assert.equal(manifest.engine, 'clone');
		assert.equal(manifest.dbType, 'mysql');
		assert.deepEqual(manifest.options.mode, 'local');
		// nothing committed during the clone: the coordinates are the source's, exactly
		assert.equal(manifest.coordinates.exact, true);
		assert.equal(manifest.coordinates.gtid, sourceGtid);
		assert.match(String(manifest.coordinates.binlogFile), /^mysql-bin\.\d+$/);
		assert.match(result.coordinates ?? '', new RegExp(`GTID ${sourceGtid.replace(/[-:]/g, '.')}`));
		// the clone's stages and bytes reached the bus, and the MyISAM table's rows were warned about by name
		const stages = events.filter((event) => event.type === 'stage').map((event) => (event as {name: string}).name);
		assert.ok(stages.includes('clone') && stages.includes('copy') && stages.includes('cleanup'), stages.join(','));
		const cloneProgress = events.filter((event) => event.type === 'progress' && event.task === 'clone');
		assert.ok(cloneProgress.length > 0, 'no clone progress');
		const last = cloneProgress.at(-1) as {done: number; total?: number};
		assert.ok(last.done > 10 * 1024 * 1024, `clone bytes: ${last.done}`);
		const warning = events.find((event) => event.type === 'warning' && event.code === 'CLONE_NON_INNODB_ROWS') as {message: string} | undefined;
		assert.ok(warning, 'no warning about the MyISAM table');
		assert.match(warning.message, /myisam rows/);
		assert.doesNotMatch(warning.message, /`plain`/);
		// the clone directory is gone
		assert.deepEqual(await cloneDirectoriesIn(path.dirname(donor.datadir)), []);

		const restored = await restoreAndRead(result.artifact, 'restored-local');
		assert.deepEqual(restored.sums, sourceSums);
		assert.equal(restored.gtid, sourceGtid);
		assert.equal(restored.myisamRows, 0, 'MyISAM rows are not cloned (which is what the warning said)');
		await rm(restored.dir, {recursive: true, force: true});
	});

	test('restore --datadir --verify-start of the local clone through the CLI: owned by mysql, recovered, every table checked, the GTID set the manifest\'s', async () => {
		const archive = path.join(work, 'local.tar');
		const manifest = (await openArchive(archive)).manifest;
		const parent = await mkdtemp(path.join(tmpdir(), 'dbbackup-clone-cli-'));
		// the mysql OS user must reach the restored directory
		await chmod(parent, 0o755);
		try {
			const datadir = path.join(parent, 'restored');
			const outcome = await runCli(['restore', archive, '--datadir', datadir, '--verify-start', '--json', '--yes'], {timeoutMs: 300_000});
			assert.equal(outcome.code, 0, outcome.stderr + outcome.stdout.slice(-3000));
			const result = jsonLines(outcome.stdout).find((line) => line.type === 'result' && line.kind === 'restore')?.data.result;
			const restored = result.dataDirectory;
			if (process.getuid?.() === 0) assert.equal(restored.owner, 'mysql');
			assert.match(restored.startCommand, /^mysqld --datadir=.* --user=/);
			assert.ok(restored.notes.some((note: string) => /clone plugin copies InnoDB only/.test(note)), restored.notes.join('\n'));
			const verified = restored.verified;
			assert.match(verified.server, /^MySQL 9\./);
			assert.equal(verified.port, undefined, 'a private socket only');
			assert.match(verified.position, new RegExp(`GTID ${String(manifest.coordinates.gtid).replace(/[-:]/g, '.')}`));
			const database = verified.databases.find((entry: {name: string}) => entry.name === DB);
			assert.ok(database && database.tables === TABLES.length, JSON.stringify(verified.databases));
			assert.ok(verified.checkedTables >= TABLES.length);
		} finally {
			await rm(parent, {recursive: true, force: true});
		}
	});

	test('to S3 through the CLI: the archive streams to s3://, and restores from there with --verify-start', async () => {
		const {s3} = getTestServers();
		const awsEnv = {AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: s3.region};
		const prefix = `clone-s3-${process.pid}-${Date.now()}/`;
		const backup = await runCli(
			['physical-backup', '--engine', 'clone', '--compress', 'zstd', '--output', `s3://${s3.bucket}/${prefix}`, '--json', '--yes', '--db-type', 'mysql', '--host', donor.host, '--port', String(donor.port), '--user', donor.user],
			{env: {...awsEnv, MYSQL_PWD: donor.password, HOME: work}, timeoutMs: 300_000},
		);
		assert.equal(backup.code, 0, backup.stderr + backup.stdout.slice(-2000));
		const url = jsonLines(backup.stdout).find((line) => line.type === 'result' && line.kind === 'backup')?.data.result.artifact as string;
		assert.ok(url?.startsWith(`s3://${s3.bucket}/${prefix}`), backup.stdout.slice(-2000));
		assert.deepEqual(await cloneDirectoriesIn(path.dirname(donor.datadir)), [], 'the clone directory is gone');
		const parent = await mkdtemp(path.join(tmpdir(), 'dbbackup-clone-s3-'));
		await chmod(parent, 0o755);
		try {
			const restore = await runCli(['restore', url, '--datadir', path.join(parent, 'restored'), '--verify-start', '--json', '--yes'], {env: awsEnv, timeoutMs: 300_000});
			assert.equal(restore.code, 0, restore.stderr + restore.stdout.slice(-2000));
			const verified = jsonLines(restore.stdout).find((line) => line.type === 'result' && line.kind === 'restore')?.data.result.dataDirectory.verified;
			assert.ok(verified.databases.some((entry: {name: string; tables: number}) => entry.name === DB && entry.tables === TABLES.length), JSON.stringify(verified.databases));
		} finally {
			await rm(parent, {recursive: true, force: true});
		}
	});

	test('local clone under writes: the manifest holds the range, and the copy is consistent at the GTID set it recovers', async () => {
		const c = await connect(donor);
		await c.query('CREATE TABLE IF NOT EXISTS other_engines.load_rows (id INT PRIMARY KEY) ENGINE=InnoDB');
		const startGtid = await gtidExecuted(c);
		let writing = true;
		let written = 0;
		const writer = (async () => {
			while (writing) await c.query('INSERT INTO other_engines.load_rows VALUES (?)', [++written]);
		})();
		try {
			while (written < 50) await sleep(5);
			const {bus, events} = recordingBus();
			const result = await cloneEngine.backup(backupOptions(donor, path.join(work, 'under-load.tar')), bus);
			writing = false;
			await writer;
			const manifest = (await openArchive(result.artifact)).manifest;
			const last = (gtid: unknown) => Number(/-(\d+)$/.exec(String(gtid))?.[1]);
			assert.equal(manifest.coordinates.exact, false, 'commits ran during the clone, yet the coordinates claim a point');
			assert.ok(events.some((event) => event.type === 'warning' && event.code === 'CLONE_COORDINATES_RANGE'));
			const restored = await restoreAndRead(result.artifact, 'restored-load');
			const server = await startMysqldOn(donor.root, restored.dir);
			try {
				const rc = await server.connect();
				const [rows] = await rc.query<RowDataPacket[]>('SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS top FROM other_engines.load_rows');
				await rc.end();
				const recovered = last(restored.gtid);
				assert.ok(last(manifest.coordinates.gtidBefore) <= recovered && recovered <= last(manifest.coordinates.gtidAfter), `${restored.gtid} outside ${String(manifest.coordinates.gtidBefore)} … ${String(manifest.coordinates.gtidAfter)}`);
				// one insert per transaction: the rows are exactly the transactions the recovered GTID set holds
				assert.equal(Number(rows[0]?.n), recovered - last(startGtid));
				assert.equal(Number(rows[0]?.top), Number(rows[0]?.n));
			} finally {
				await server.stop();
			}
			await rm(restored.dir, {recursive: true, force: true});
		} finally {
			writing = false;
			await writer;
			await c.end();
		}
	});

	test('remote clone from a donor: password from DBBACKUP_DONOR_PWD, never in any event; clone_valid_donor_list put back', async () => {
		const options = cloneOptionsFrom(
			{remote: {enabled: true, donor_host: donor.host, donor_port: donor.port, donor_user: donor.user}},
			{env: {[DONOR_PASSWORD_ENV]: donor.password}, home: work, recipientUser: recipient.user},
		);
		assert.equal(options.remote?.passwordSource, DONOR_PASSWORD_ENV);
		const rc = await connect(recipient);
		const [listBefore] = await rc.query<RowDataPacket[]>('SELECT @@GLOBAL.clone_valid_donor_list AS l');
		const c = await connect(donor);
		const sourceSums = await checksums(c, DB, TABLES);
		const sourceGtid = await gtidExecuted(c);
		await c.end();

		const {bus, events} = recordingBus();
		const result = await cloneEngine.backup(backupOptions(recipient, path.join(work, 'remote.tar'), options), bus);
		const [listAfter] = await rc.query<RowDataPacket[]>('SELECT @@GLOBAL.clone_valid_donor_list AS l');
		await rc.end();
		assert.equal(listAfter[0]?.l, listBefore[0]?.l);
		assert.ok(events.some((event) => event.type === 'log' && /clone_valid_donor_list .* added/.test(event.message)));
		assertNoSecret(events, donor.password);

		const manifest = (await openArchive(result.artifact)).manifest;
		assert.equal(manifest.options.mode, 'remote');
		assert.equal(manifest.options.donor, `${donor.host}:${donor.port}`);
		assert.equal(manifest.coordinates.gtid, sourceGtid);
		assert.deepEqual(await cloneDirectoriesIn(path.dirname(recipient.datadir)), []);

		const restored = await restoreAndRead(result.artifact, 'restored-remote');
		assert.deepEqual(restored.sums, sourceSums);
		assert.equal(restored.gtid, sourceGtid);
		await rm(restored.dir, {recursive: true, force: true});
	});

	test('donor password from ~/.my.cnf [dbbackup-donor], its user too; a missing donor port is a usage error', async () => {
		const home = await mkdtemp(path.join(work, 'home-'));
		await writeFile(path.join(home, '.my.cnf'), '[client]\npassword=recipient-secret\n[dbbackup-donor]\nuser=cloner\npassword="it\'s \\"quoted\\""\n', {mode: 0o600});
		const options = cloneOptionsFrom({remote: {enabled: true, donor_host: '10.0.0.5', donor_port: 3307}}, {env: {}, home, recipientUser: 'me'});
		assert.deepEqual({...options.remote, passwordSource: undefined}, {host: '10.0.0.5', port: 3307, user: 'cloner', password: 'it\'s "quoted"', passwordSource: undefined});
		assert.match(options.remote?.passwordSource ?? '', /\[dbbackup-donor\] \(line 5\)/);
		assert.throws(() => cloneOptionsFrom({remote: {enabled: true, donor_host: 'db1'}}, {env: {}, home, recipientUser: 'me'}), (error: DbBackupError) => error.code === 'CLONE_DONOR_MISSING' && /--clone-donor-port/.test(error.message));
		assert.throws(() => cloneOptionsFrom({remote: {enabled: true, donor_host: 'fe80::1', donor_port: 3306}}, {env: {}, home, recipientUser: 'me'}), (error: DbBackupError) => error.code === 'CLONE_DONOR_INVALID');
	});

	test('a wrong donor password: CLONE_DONOR_REFUSED, the password in no message or event', async () => {
		const secret = 'not-the-Passw0rd\'\\x';
		const {bus, events} = recordingBus();
		const error = await expectFailure(
			cloneEngine.backup(backupOptions(recipient, path.join(work, 'wrong.tar'), {remote: {host: donor.host, port: donor.port, user: donor.user, password: secret}}), bus),
			'CLONE_DONOR_REFUSED',
			/Access denied/,
		);
		assert.ok(!`${error.message} ${error.hint} ${String((error.cause as Error | undefined)?.message)}`.includes(secret));
		assert.ok(!JSON.stringify(error.cause ?? {}).includes(secret));
		assertNoSecret(events, secret);
		assert.deepEqual(await cloneDirectoriesIn(path.dirname(recipient.datadir)), []);
		assert.ok(!existsSync(path.join(work, 'wrong.tar')));
	});

	test('a donor not in clone_valid_donor_list, and a user who may not add it: the refusal names the statement to run', async () => {
		const rc = await connect(recipient);
		await rc.query("CREATE USER IF NOT EXISTS 'cloner'@'%' IDENTIFIED BY 'cloner-pw-1'");
		await rc.query("GRANT SELECT, CLONE_ADMIN, BACKUP_ADMIN ON *.* TO 'cloner'@'%'");
		await rc.end();
		const {bus} = recordingBus();
		await expectFailure(
			cloneEngine.backup(
				backupOptions(recipient, path.join(work, 'notallowed.tar'), {remote: {host: donor.host, port: donor.port, user: donor.user, password: donor.password}}, settingsOf(recipient, 'cloner', 'cloner-pw-1')),
				bus,
			),
			'CLONE_DONOR_NOT_ALLOWED',
			new RegExp(`SET PERSIST clone_valid_donor_list = '${donor.host.replace(/\./g, '\\.')}:${donor.port}'`),
		);
	});

	test('a user without BACKUP_ADMIN: CLONE_NOT_PERMITTED with the GRANT to run', async () => {
		const c = await connect(donor);
		await c.query("CREATE USER IF NOT EXISTS 'reader'@'%' IDENTIFIED BY 'reader-pw-1'");
		await c.query("GRANT SELECT ON *.* TO 'reader'@'%'");
		await c.end();
		const {bus} = recordingBus();
		await expectFailure(cloneEngine.backup(backupOptions(donor, path.join(work, 'denied.tar'), undefined, settingsOf(donor, 'reader', 'reader-pw-1')), bus), 'CLONE_NOT_PERMITTED', /GRANT BACKUP_ADMIN/);
		assert.deepEqual(await cloneDirectoriesIn(path.dirname(donor.datadir)), []);
	});

	test('a server without the clone plugin (the harness\'s MySQL): CLONE_PLUGIN_NOT_ACTIVE with the INSTALL PLUGIN statement', async () => {
		const {bus} = recordingBus();
		await expectFailure(cloneEngine.backup(backupOptions(donor, path.join(work, 'noplugin.tar'), undefined, mysqlFlavor().settings()), bus), 'CLONE_PLUGIN_NOT_ACTIVE', /INSTALL PLUGIN clone SONAME 'mysql_clone\.so'/);
	});

	test('a clone directory a dead run left is removed by name by the next run; one of a live process is kept', async () => {
		const parent = path.dirname(donor.datadir);
		const dead = spawn(process.execPath, ['-e', '0']);
		await new Promise((resolve) => dead.once('exit', resolve));
		const leftover = path.join(parent, `dbbackup-clone-20260101T000000Z-${dead.pid}`);
		await mkdir(path.join(leftover, 'mysql'), {recursive: true});
		await writeFile(path.join(leftover, 'ibdata1'), Buffer.alloc(4096));
		const live = path.join(parent, `dbbackup-clone-20260101T000000Z-${process.ppid}`);
		await mkdir(live);
		const {bus, events} = recordingBus();
		await cloneEngine.backup(backupOptions(donor, path.join(work, 'after-leftover.tar')), bus);
		assert.ok(!existsSync(leftover), 'the leftover is still there');
		assert.ok(existsSync(live), 'a live run\'s directory was removed');
		assert.ok(events.some((event) => event.type === 'warning' && event.code === 'CLONE_LEFTOVER_REMOVED' && event.message.includes(leftover)));
		await rm(live, {recursive: true});
	});

	test('kill -9 of the CLI during a (throttled) remote clone: the next run stops the orphaned clone, removes its directory and succeeds', async () => {
		const rc = await connect(recipient);
		// 1 MiB/s: the clone of ~70 MiB runs long enough to be killed in its middle
		await rc.query('SET GLOBAL clone_max_data_bandwidth = 1');
		try {
			const child = spawn(
				process.execPath,
				['--import', 'tsx', path.resolve('source/cli/main.ts'), 'physical-backup', '--engine', 'clone', '--clone-remote', '--clone-donor-host', donor.host, '--clone-donor-port', String(donor.port), '--host', recipient.host, '--port', String(recipient.port), '--user', recipient.user, '--output', path.join(work, 'killed.tar'), '--yes', '--json'],
				{env: {...process.env, MYSQL_PWD: recipient.password, [DONOR_PASSWORD_ENV]: donor.password, HOME: work}, stdio: ['ignore', 'pipe', 'pipe']},
			);
			let out = '';
			child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
			child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
			const deadline = Date.now() + 60_000;
			while (!/"type":"progress","time":"[^"]+","task":"clone"/.test(out)) {
				assert.ok(child.exitCode === null, `the CLI ended before the clone: ${out}`);
				assert.ok(Date.now() < deadline, `no clone progress within 60 s: ${out}`);
				await sleep(100);
			}
			child.kill('SIGKILL');
			await new Promise((resolve) => child.once('exit', resolve));
			const parent = path.dirname(recipient.datadir);
			assert.equal((await cloneDirectoriesIn(parent)).length, 1, 'the killed run left its clone directory');
			assert.ok(!existsSync(path.join(work, 'killed.tar')), 'a killed run left an artifact that looks complete');
			await rc.query('SET GLOBAL clone_max_data_bandwidth = 0');

			const {bus, events} = recordingBus();
			const result = await cloneEngine.backup(backupOptions(recipient, path.join(work, 'after-kill.tar'), {remote: {host: donor.host, port: donor.port, user: donor.user, password: donor.password}}), bus);
			assert.ok(events.some((event) => event.type === 'warning' && event.code === 'CLONE_LEFTOVER_REMOVED'), JSON.stringify(events.filter((event) => event.type === 'warning')));
			assert.deepEqual(await cloneDirectoriesIn(parent), []);
			assert.ok((result.files ?? 0) > 5);
		} finally {
			await rc.query('SET GLOBAL clone_max_data_bandwidth = 0').catch(() => undefined);
			await rc.end();
		}
	});
});
