/**
 * The PostgreSQL base backup engine against real PostgreSQL 15 servers, through the CLI as a child
 * process: a cluster with a tablespace backed up (zstd), restored into a new data directory that
 * pg_verifybackup accepts, started by --verify-start, and compared row by row with the source; a backup
 * taken under pgbench's write load whose restored copy keeps pgbench's balance invariant; a round trip
 * through S3 as a role that only has REPLICATION; the refusals of bad input; and what the availability
 * check says about a role without REPLICATION. Private servers (startPostgres) are used where the test
 * stops, loads or re-creates a cluster; the shared one only for the availability checks.
 */
import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import {chmod, chown, copyFile, mkdir, mkdtemp, open, readdir, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {promisify} from 'node:util';
import pg from 'pg';
import {basebackupEngine} from '../../../source/engines/basebackup/index.ts';
import {EventBus} from '../../../source/core/events.ts';
import {openArchive} from '../../../source/storage/archive/reader.ts';
import {freePort, startPostgres, startPostgresOnDataDirectory, type RunningPostgres} from '../../../source/sandbox/index.ts';
import {contentChecksums} from '../postgres-logical/checksums.ts';
import {mariadbConnection, postgresSuperuserClient, uniqueName} from '../../harness/db.ts';
import {getTestServers} from '../../harness/servers.ts';
import {jsonLines, runCli} from '../../cli/run-cli.ts';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const timeoutMs = 300_000;
const {mariadb, postgres: shared, s3} = getTestServers();
const awsEnv = {AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: s3.region};

function serverArgs(server: {socketDir: string; port: number}, user = 'postgres'): string[] {
	return ['--db-type', 'postgres', '--socket', server.socketDir, '--port', String(server.port), '--user', user];
}

function resultOf(stdout: string, kind: string): Record<string, any> {
	const event = jsonLines(stdout).find((line) => line.type === 'result' && line.kind === kind);
	assert.ok(event, `a ${kind} result in ${stdout.slice(0, 2000)}`);
	return event.data;
}

/** pg_verifybackup as the postgres OS user: exit 0 and its success line. */
async function verifyBackup(dir: string): Promise<void> {
	const {stdout} = await run('runuser', ['-u', 'postgres', '--', path.join(BIN, 'pg_verifybackup'), dir]);
	assert.match(stdout, /backup successfully verified/);
}

async function postgresDir(parent: string, name: string): Promise<string> {
	const dir = path.join(parent, name);
	await mkdir(dir, {mode: 0o700});
	const {stdout} = await run('id', ['-u', 'postgres']);
	const {stdout: gid} = await run('id', ['-g', 'postgres']);
	await chown(dir, Number(stdout.trim()), Number(gid.trim()));
	return dir;
}

/** Starts a server on a restored directory (private socket, loopback port), runs `work` with a client per database, stops it. */
async function onRestored<T>(datadir: string, work: (connect: (database: string) => Promise<pg.Client>) => Promise<T>): Promise<T> {
	const parent = await mkdtemp(path.join(tmpdir(), 'dbbackup-bb-sock-'));
	await chmod(parent, 0o755);
	const socketDir = await postgresDir(parent, 's');
	const port = await freePort();
	const server = await startPostgresOnDataDirectory({
		binDir: BIN,
		datadir,
		logFile: path.join(socketDir, 'server.log'),
		workDir: socketDir,
		log: () => undefined,
		settings: {port: String(port), unix_socket_directories: socketDir, listen_addresses: '127.0.0.1', archive_mode: 'off'},
	});
	const clients: pg.Client[] = [];
	try {
		return await work(async (database) => {
			const client = new pg.Client({host: socketDir, port, user: 'postgres', database});
			await client.connect();
			clients.push(client);
			return client;
		});
	} finally {
		for (const client of clients) await client.end().catch(() => undefined);
		await server.stop('fast');
		await rm(path.dirname(socketDir), {recursive: true, force: true});
	}
}

async function checksumsOf(connect: (database: string) => Promise<pg.Client>, database: string): Promise<Record<string, string>> {
	return contentChecksums(await connect(database));
}

/** Sequences may come back ahead of the source (recovery replays their pre-logged values), never behind; every other relation must be equal. */
function assertSameContents(source: Record<string, string>, restored: Record<string, string>, sequences: string[], where: string): void {
	assert.deepEqual(Object.keys(restored).sort(), Object.keys(source).sort(), where);
	for (const [name, sum] of Object.entries(source)) {
		if (sequences.includes(name)) {
			const [before] = sum.split(':');
			const [now] = restored[name]!.split(':');
			assert.ok(Number(now) >= Number(before) && Number(now) <= Number(before) + 32, `${where}: sequence ${name} went from ${sum} to ${restored[name]}`);
		} else {
			assert.equal(restored[name], sum, `${where}: ${name}`);
		}
	}
}

describe('basebackup: a cluster with a tablespace, through the CLI, zstd, back into a new data directory', () => {
	let server: RunningPostgres;
	let work: string;
	let tablespace: string;
	const source: Record<string, Record<string, string>> = {};

	before(async () => {
		server = await startPostgres({log: () => undefined, noFsync: true});
		work = await mkdtemp(path.join(tmpdir(), 'dbbackup-bb-'));
		// the restored directories live in here: the server's OS user must be able to enter it
		await chmod(work, 0o755);
		// inside the server's own temp dir: gone when the server is stopped, so the restore can put it back
		tablespace = await postgresDir(path.dirname(server.datadir), 'tablespace one');
		const admin = new pg.Client({host: server.socketDir, port: server.port, user: 'postgres', database: 'postgres'});
		await admin.connect();
		try {
			await admin.query(`CREATE TABLESPACE bb_space LOCATION '${tablespace}'`);
			await admin.query('CREATE DATABASE shop');
			await admin.query('CREATE DATABASE attic TABLESPACE bb_space');
		} finally {
			await admin.end();
		}
		const shop = new pg.Client({host: server.socketDir, port: server.port, user: 'postgres', database: 'shop'});
		await shop.connect();
		try {
			await shop.query(`
				CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
				CREATE TABLE kinds (
					id bigserial PRIMARY KEY, i int, n numeric(20, 6), t text, b bytea, j jsonb, ts timestamptz,
					a int[], u uuid, flag bool, m mood, big text
				);
				INSERT INTO kinds (i, n, t, b, j, ts, a, u, flag, m, big)
				SELECT g, g * 1.5 / 7, 'row ' || g || ' ü€', decode(md5(g::text), 'hex'), jsonb_build_object('g', g, 'tags', jsonb_build_array(g % 3, 'x')),
					'2026-01-01 00:00:00+00'::timestamptz + g * interval '1 minute', ARRAY[g, g + 1], md5(g::text)::uuid, g % 2 = 0,
					(ARRAY['sad', 'ok', 'happy']::mood[])[g % 3 + 1], CASE WHEN g % 500 = 0 THEN repeat(md5(g::text), 400) END
				FROM generate_series(1, 30000) g;
				CREATE TABLE in_space (id int PRIMARY KEY, v text) TABLESPACE bb_space;
				INSERT INTO in_space SELECT g, repeat('v', g % 50) FROM generate_series(1, 40000) g;
				CREATE INDEX in_space_v ON in_space (v) TABLESPACE bb_space;
				CREATE MATERIALIZED VIEW moods AS SELECT m, count(*) AS n FROM kinds GROUP BY m;
				CREATE UNLOGGED TABLE scratch AS SELECT g FROM generate_series(1, 1000) g;
				SELECT lo_from_bytea(0, '\\x00ff00ff'::bytea);
			`);
		} finally {
			await shop.end();
		}
		const attic = new pg.Client({host: server.socketDir, port: server.port, user: 'postgres', database: 'attic'});
		await attic.connect();
		try {
			await attic.query("CREATE TABLE old_orders AS SELECT g AS id, now()::date - g AS day, g * 3 AS total FROM generate_series(1, 10000) g");
		} finally {
			await attic.end();
		}
		// the source's contents, with writes stopped (nothing writes from here on)
		for (const database of ['shop', 'attic', 'postgres']) {
			const client = new pg.Client({host: server.socketDir, port: server.port, user: 'postgres', database});
			await client.connect();
			source[database] = await contentChecksums(client);
			await client.end();
		}
	});

	after(async () => {
		await server?.stop();
		await rm(work, {recursive: true, force: true});
		// the restores put the tablespace back inside the stopped server's (removed) temp dir
		await rm(path.dirname(server.datadir), {recursive: true, force: true});
	});

	test('backup, restore, pg_verifybackup, --verify-start, and every row as in the source', async () => {
		const backup = await runCli(['physical-backup', '--compress', 'zstd', '--output', `${work}/`, '--json', '--yes', ...serverArgs(server)], {timeoutMs});
		assert.equal(backup.code, 0, backup.stderr);
		const result = resultOf(backup.stdout, 'backup');
		assert.equal(result.engine, 'basebackup');
		const archive = result.result.artifact as string;
		assert.match(path.basename(archive), /^all-\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{4}\.tar$/);
		assert.match(result.result.coordinates, /^LSN [0-9A-F]+\/[0-9A-F]+ to [0-9A-F]+\/[0-9A-F]+, timeline 1$/);
		assert.deepEqual([...result.result.databases].sort(), ['attic', 'postgres', 'shop']);
		const events = jsonLines(backup.stdout);
		assert.ok(events.some((event) => event.type === 'progress' && event.task === 'base backup' && event.total > 0), 'progress against the server\'s estimate');

		// the archive: the tablespace first, then the data directory, members compressed, the server's manifest kept
		const {manifest} = await openArchive(archive);
		assert.deepEqual(manifest.physical!.archives.map((entry) => entry.location ?? 'base'), [tablespace, 'base']);
		assert.ok(manifest.members.every((member) => member.compression === 'zstd'));
		const base = manifest.physical!.archives.at(-1)!;
		assert.deepEqual(base.entries.find((entry) => entry.path === 'global/pg_control'), {path: 'global/pg_control', type: 'file', mode: 0o600, size: 8192});
		assert.ok(base.entries.some((entry) => entry.path === 'tablespace_map'));
		assert.ok(base.entries.some((entry) => entry.path.startsWith('pg_wal/0000000100000000000000')), 'the WAL the backup needs is inside');
		assert.equal(manifest.physical!.backupManifest, 'backup_manifest.zst');
		assert.equal(manifest.coordinates.superuser, 'postgres');

		await server.stop();
		await assert.rejects(stat(tablespace), {code: 'ENOENT'});

		const datadir = path.join(work, 'restored');
		const restore = await runCli(['restore', archive, '--datadir', datadir, '--yes'], {timeoutMs});
		assert.equal(restore.code, 0, restore.stderr);
		assert.match(restore.stdout, new RegExp(`Restore complete \\(basebackup\\): .* → data directory ${datadir}`));
		assert.match(restore.stdout, /To start a server on it:\n {2}runuser -u postgres -- \/usr\/lib\/postgresql\/15\/bin\/pg_ctl -D /);
		assert.match(restore.stdout, new RegExp(`tablespace \\d+ at ${tablespace}`));
		const mode = (await stat(datadir)).mode & 0o777;
		assert.equal(mode, 0o700);
		assert.equal((await stat(datadir)).uid, Number((await run('id', ['-u', 'postgres'])).stdout.trim()));
		for (const needed of ['pg_wal', 'pg_replslot', 'pg_tblspc', 'pg_stat_tmp', 'pg_notify']) assert.ok((await stat(path.join(datadir, needed))).isDirectory(), needed);
		assert.ok((await readdir(datadir)).every((name) => name !== '.dbbackup-restore-incomplete'));
		await verifyBackup(datadir);

		// again, with the throwaway start (which lets recovery consume backup_label, so after pg_verifybackup)
		await rm(tablespace, {recursive: true, force: true});
		const verified = await runCli(['restore', archive, '--datadir', datadir, '--drop-existing', '--verify-start', '--json', '--yes'], {timeoutMs});
		assert.equal(verified.code, 0, verified.stderr);
		const check = resultOf(verified.stdout, 'restore').result.dataDirectory.verified;
		assert.equal(check.timeline, 1);
		assert.match(check.lsn, /^[0-9A-F]+\/[0-9A-F]+$/);
		const shop = check.databases.find((database: {name: string}) => database.name === 'shop');
		// kinds, in_space, scratch (unlogged: empty after a restore), moods
		assert.deepEqual(shop, {name: 'shop', tables: 4, rows: 30000 + 40000 + 0 + 3});
		assert.deepEqual(check.databases.find((database: {name: string}) => database.name === 'attic'), {name: 'attic', tables: 1, rows: 10000});

		await onRestored(datadir, async (connect) => {
			// a directory a server runs on is never replaced
			const inUse = await runCli(['restore', archive, '--datadir', datadir, '--drop-existing', '--yes'], {timeoutMs});
			assert.equal(inUse.code, 2, inUse.stderr);
			assert.match(inUse.stderr, /is the data directory of a running server \(postmaster\.pid names process \d+\): it is not replaced, even with --drop-existing/);
			for (const database of ['shop', 'attic', 'postgres']) {
				const restored = await checksumsOf(connect, database);
				const expected = {...source[database]!};
				if (database === 'shop') {
					// an unlogged table's rows are not in a base backup: it comes back empty
					assert.equal(restored['public.scratch'], '0:');
					delete expected['public.scratch'];
					delete restored['public.scratch'];
				}
				assertSameContents(expected, restored, ['public.kinds_id_seq'], database);
			}
		});
	});
});

describe('basebackup under write load, to S3 and back, and bad input', () => {
	let server: RunningPostgres;
	let work: string;
	let archive: string;
	const replicator = 'bb_replicator';

	before(async () => {
		server = await startPostgres({log: () => undefined, noFsync: true});
		work = await mkdtemp(path.join(tmpdir(), 'dbbackup-bb-load-'));
		await chmod(work, 0o755);
		await run(path.join(BIN, 'pgbench'), ['-i', '-q', '-s', '4', '-h', server.socketDir, '-p', String(server.port), '-U', 'postgres', 'postgres']);
		const admin = new pg.Client({host: server.socketDir, port: server.port, user: 'postgres', database: 'postgres'});
		await admin.connect();
		try {
			await admin.query(`CREATE ROLE ${replicator} LOGIN REPLICATION PASSWORD 'replicate-me'`);
			await admin.query('CREATE DATABASE tiny');
		} finally {
			await admin.end();
		}
	});

	after(async () => {
		await server?.stop();
		await rm(work, {recursive: true, force: true});
	});

	test('a backup taken while pgbench writes restores, passes pg_verifybackup, starts, and keeps pgbench\'s balances', async () => {
		const load = spawn(path.join(BIN, 'pgbench'), ['-c', '4', '-j', '2', '-T', '120', '-n', '-h', server.socketDir, '-p', String(server.port), '-U', 'postgres', 'postgres'], {stdio: 'ignore'});
		const loadDone = new Promise<number | null>((resolve) => load.on('close', resolve));
		try {
			await new Promise((resolve) => setTimeout(resolve, 1500));
			// (--checkpoint spread would wait for checkpoint_completion_target × checkpoint_timeout: minutes)
			const backup = await runCli(['physical-backup', '--engine', 'basebackup', '--checkpoint', 'fast', '--max-rate', '512M', '--output', `${work}/load.tar`, '--yes', ...serverArgs(server)], {timeoutMs});
			assert.equal(backup.code, 0, backup.stderr);
			assert.equal(load.exitCode, null, 'pgbench was still writing when the backup ended');
		} finally {
			load.kill('SIGTERM');
			await loadDone;
		}
		archive = `${work}/load.tar`;
		const datadir = path.join(work, 'load-restored');
		const restore = await runCli(['restore', archive, '--datadir', datadir, '--yes'], {timeoutMs});
		assert.equal(restore.code, 0, restore.stderr);
		await verifyBackup(datadir);
		const verified = await runCli(['restore', archive, '--datadir', datadir, '--drop-existing', '--verify-start', '--json', '--yes'], {timeoutMs});
		assert.equal(verified.code, 0, verified.stderr);
		const check = resultOf(verified.stdout, 'restore').result.dataDirectory.verified;
		const counted = check.databases.find((database: {name: string}) => database.name === 'postgres');
		assert.equal(counted.tables, 4);
		assert.ok(counted.rows >= 400_000 + 40 + 4, JSON.stringify(counted));
		await onRestored(datadir, async (connect) => {
			const client = await connect('postgres');
			// every pgbench transaction adds the same delta to an account, a teller, a branch and the history: a consistent copy keeps the sums equal
			const {rows: [sums]} = await client.query<{accounts: string; tellers: string; branches: string; history: string; transactions: string}>(
				'SELECT (SELECT sum(abalance) FROM pgbench_accounts)::text AS accounts, (SELECT sum(tbalance) FROM pgbench_tellers)::text AS tellers, ' +
					'(SELECT sum(bbalance) FROM pgbench_branches)::text AS branches, (SELECT coalesce(sum(delta), 0) FROM pgbench_history)::text AS history, (SELECT count(*) FROM pgbench_history)::text AS transactions',
			);
			assert.ok(Number(sums!.transactions) > 0, 'the backup holds transactions pgbench made while it ran');
			assert.equal(sums!.accounts, sums!.history);
			assert.equal(sums!.tellers, sums!.history);
			assert.equal(sums!.branches, sums!.history);
		});
		await rm(datadir, {recursive: true, force: true});
	});

	test('verify checks the archive; --restore-test skips it in a directory (with a warning) and points a single one to --verify-start', async () => {
		const whole = await runCli(['verify', work, '--restore-test', '--json', '--yes'], {timeoutMs});
		assert.equal(whole.code, 0, whole.stderr);
		const warning = jsonLines(whole.stdout).find((event) => event.type === 'warning' && event.code === 'RESTORE_TEST_SKIPPED');
		assert.match(warning?.message ?? '', /load\.tar was not drilled: it is a physical backup/);
		const single = await runCli(['verify', archive, '--restore-test', '--yes'], {timeoutMs});
		assert.equal(single.code, 2, single.stderr);
		assert.match(single.stderr, /is a basebackup backup: --restore-test drills logical archives/);
		assert.match(single.stderr, /--datadir DIR --verify-start/);
	});

	test('to S3, encrypted, as a role with only REPLICATION (over TCP, with a password), and restored from s3:// under new parent directories', async () => {
		const prefix = `${uniqueName('bbs3')}/`;
		const keyFile = path.join(work, 'backup.key');
		await writeFile(keyFile, Buffer.alloc(32, 7).toString('base64'), {mode: 0o600});
		const backup = await runCli(
			['physical-backup', '--output', `s3://${s3.bucket}/${prefix}`, '--encrypt', '--encryption-key-file', keyFile, '--yes', '--db-type', 'postgres', '--host', '127.0.0.1', '--port', String(server.port), '--user', replicator],
			{env: {...awsEnv, PGPASSWORD: 'replicate-me'}, timeoutMs},
		);
		assert.equal(backup.code, 0, backup.stderr);
		const url = /Backup complete \(basebackup, archive\): (\S+)/.exec(backup.stdout)?.[1];
		assert.ok(url?.startsWith(`s3://${s3.bucket}/${prefix}encrypted-`), backup.stdout);
		assert.match(backup.stdout, /file\(s\) of the whole cluster \(databases: postgres, tiny\)/);
		const datadir = path.join(work, 'deep', 'er', 's3-restored');
		const withoutKey = await runCli(['restore', url!, '--datadir', datadir, '--yes'], {env: awsEnv, timeoutMs});
		assert.notEqual(withoutKey.code, 0, withoutKey.stdout);
		await assert.rejects(stat(datadir), {code: 'ENOENT'});
		const restore = await runCli(['restore', url!, '--datadir', datadir, '--encryption-key-file', keyFile, '--yes'], {env: awsEnv, timeoutMs});
		assert.equal(restore.code, 0, restore.stderr);
		assert.equal((await stat(path.join(work, 'deep'))).mode & 0o777, 0o755, 'a missing parent is made as mkdir -p makes it');
		await verifyBackup(datadir);
		await rm(path.join(work, 'deep'), {recursive: true, force: true});
	});

	test('as the OS user the server runs as (not root): the files stay that user\'s, and --verify-start runs the server as it', async () => {
		const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
		const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
		const home = await postgresDir(work, 'postgres-home');
		const readable = path.join(home, 'load.tar');
		await copyFile(archive, readable);
		await chown(readable, uid, gid);
		const datadir = path.join(home, 'pgdata');
		const restore = await runCli(['restore', readable, '--datadir', datadir, '--verify-start', '--json', '--yes'], {home, cwd: home, uid, gid, timeoutMs});
		assert.equal(restore.code, 0, restore.stderr);
		const restored = resultOf(restore.stdout, 'restore').result.dataDirectory;
		assert.equal(restored.owner, 'postgres');
		assert.doesNotMatch(restored.startCommand, /runuser/);
		assert.equal(restored.verified.timeline, 1);
		assert.equal((await stat(datadir)).uid, uid);
		const refused = await runCli(['restore', readable, '--datadir', path.join(home, 'other'), '--datadir-owner', 'root', '--yes'], {home, cwd: home, uid, gid, timeoutMs});
		assert.equal(refused.code, 2, refused.stderr);
		assert.match(refused.stderr, /--datadir-owner root: only root can give the restored files to another user; they belong to postgres/);
		await rm(home, {recursive: true, force: true});
	});

	test('refused: a non-empty directory, a damaged member (before anything is written), logical archives and flags that do nothing', async () => {
		// a non-empty directory, left as it is
		const busy = path.join(work, 'busy');
		await mkdir(busy);
		await writeFile(path.join(busy, 'keep.txt'), 'mine');
		const refused = await runCli(['restore', archive, '--datadir', busy, '--yes'], {timeoutMs});
		assert.equal(refused.code, 2, refused.stderr);
		assert.match(refused.stderr, new RegExp(`error: ${busy} is not empty \\(1 entry: keep\\.txt\\): a data directory is restored into a new or empty directory`));
		assert.match(refused.stderr, /--drop-existing/);
		assert.deepEqual(await readdir(busy), ['keep.txt']);

		// a directory the server's OS user could not enter
		const hidden = path.join(work, 'hidden');
		await mkdir(hidden, {mode: 0o700});
		const unreachable = await runCli(['restore', archive, '--datadir', path.join(hidden, 'pgdata'), '--yes'], {timeoutMs});
		assert.equal(unreachable.code, 2, unreachable.stderr);
		assert.match(unreachable.stderr, new RegExp(`postgres, the OS user the server runs as, cannot reach ${hidden}/pgdata: ${hidden} \\(mode 0700, owner uid 0\\) does not let it in`));
		await assert.rejects(stat(path.join(hidden, 'pgdata')), {code: 'ENOENT'});

		// one byte flipped inside a member: found by its SHA-256 before the directory is even created
		const damaged = path.join(work, 'damaged.tar');
		await copyFile(archive, damaged);
		const opened = await openArchive(damaged);
		const member = opened.manifest.physical!.archives.at(-1)!.members[1]!;
		const entry = opened.entries.find((candidate) => candidate.name === member)!;
		const file = await open(damaged, 'r+');
		const byte = Buffer.alloc(1);
		await file.read(byte, 0, 1, entry.dataOffset + 100);
		byte[0] ^= 0xff;
		await file.write(byte, 0, 1, entry.dataOffset + 100);
		await file.close();
		const target = path.join(work, 'never-written');
		const bad = await runCli(['restore', damaged, '--datadir', target, '--yes'], {timeoutMs});
		assert.equal(bad.code, 5, bad.stderr);
		assert.match(bad.stderr, new RegExp(`error: ${member.replace(/[.]/g, '\\.')}: sha256 mismatch`));
		await assert.rejects(stat(target), {code: 'ENOENT'});

		// a PostgreSQL logical archive, a MySQL one
		const logical = await runCli(['backup', 'single', 'tiny', '--output', `${work}/tiny.tar`, '--yes', ...serverArgs(server)], {timeoutMs});
		assert.equal(logical.code, 0, logical.stderr);
		const intoDir = await runCli(['restore', `${work}/tiny.tar`, '--datadir', path.join(work, 'from-logical'), '--yes'], {timeoutMs});
		assert.equal(intoDir.code, 2, intoDir.stderr);
		assert.match(intoDir.stderr, /tiny\.tar is a logical backup \(postgres-logical: the definitions and rows of tiny\): --datadir restores a physical backup/);
		assert.match(intoDir.stderr, /--db-type postgres/);

		const admin = await mariadbConnection();
		const mysqlDb = uniqueName('bbmy');
		try {
			await admin.query(`CREATE DATABASE \`${mysqlDb}\``);
			await admin.query(`CREATE TABLE \`${mysqlDb}\`.t (id int primary key)`);
			const mysqlBackup = await runCli(['backup', 'single', mysqlDb, '--output', `${work}/my.tar`, '--yes', '--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user], {env: {MYSQL_PWD: mariadb.password}, timeoutMs});
			assert.equal(mysqlBackup.code, 0, mysqlBackup.stderr);
		} finally {
			await admin.query(`DROP DATABASE IF EXISTS \`${mysqlDb}\``);
			await admin.end();
		}
		const mysqlIntoDir = await runCli(['restore', `${work}/my.tar`, '--datadir', path.join(work, 'from-mysql'), '--yes'], {timeoutMs});
		assert.equal(mysqlIntoDir.code, 2, mysqlIntoDir.stderr);
		assert.match(mysqlIntoDir.stderr, /my\.tar is a logical backup \(mysqldump: .*\): --datadir restores a physical backup/);
		for (const name of ['from-logical', 'from-mysql']) await assert.rejects(stat(path.join(work, name)), {code: 'ENOENT'});

		// the physical archive without --datadir; --verify-start without it; a database flag with it
		const noDir = await runCli(['restore', archive, '--db-type', 'postgres', '--yes'], {timeoutMs});
		assert.equal(noDir.code, 2, noDir.stderr);
		assert.match(noDir.stderr, /is a physical backup \(basebackup\) of a whole PostgreSQL server: it restores into a data directory/);
		const stray = await runCli(['restore', archive, '--verify-start', '--yes'], {timeoutMs});
		assert.equal(stray.code, 2, stray.stderr);
		assert.match(stray.stderr, /--verify-start belongs to a restore of a physical backup into a data directory: give --datadir DIR as well/);
		const extra = await runCli(['restore', archive, '--datadir', path.join(work, 'x'), '--target-db', 'shop', '--yes'], {timeoutMs});
		assert.equal(extra.code, 2, extra.stderr);
		assert.match(extra.stderr, /--target-db: a restore into a data directory \(--datadir\) copies the whole cluster's files and connects to no server/);
	});
});

describe('basebackup availability on the shared server', () => {
	const role = uniqueName('bb_norepl');
	let admin: pg.Client;

	before(async () => {
		admin = await postgresSuperuserClient();
		await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'no-replication-here'`);
	});

	after(async () => {
		await admin.query(`DROP ROLE IF EXISTS ${role}`);
		await admin.end();
	});

	test('a role without REPLICATION: engine list says why, physical-backup exits 4 naming it, and a replication connection is refused as BASEBACKUP_NOT_PERMITTED', async () => {
		const args = ['--db-type', 'postgres', '--host', shared.host, '--port', String(shared.port), '--user', role];
		const env = {PGPASSWORD: 'no-replication-here'};
		const list = await runCli(['engine', 'list', '--json', ...args], {env, timeoutMs});
		assert.equal(list.code, 0, list.stderr);
		const row = resultOf(list.stdout, 'engine-list').rows.find((candidate: {name: string}) => candidate.name === 'basebackup');
		assert.equal(row.availability.available, false);
		assert.match(row.availability.reason, new RegExp(`role ${role} lacks the REPLICATION attribute \\(ALTER ROLE ${role} REPLICATION\\) or SUPERUSER`));
		// the WAL senders are counted for a role without privileges too (pg_stat_activity's backend_type)
		assert.match(row.availability.info.wal_senders, /^\d+ of 10 in use$/);

		const backup = await runCli(['physical-backup', '--output', '/tmp/never-written/', '--yes', ...args], {env, timeoutMs});
		assert.equal(backup.code, 4, backup.stderr);
		assert.match(backup.stderr, /no physical engine can back up .*basebackup: role .* lacks the REPLICATION attribute/);

		// past the availability check (a stale detection): the server's refusal, in the same words
		const settings = {dbType: 'postgres' as const, host: shared.host, port: shared.port, user: role, password: 'no-replication-here'};
		await assert.rejects(
			basebackupEngine.backup({settings, databases: [], output: path.join(tmpdir(), `${role}.tar`), workers: 1, format: 'archive', compress: 'zstd'}, new EventBus()),
			{code: 'BASEBACKUP_NOT_PERMITTED', message: new RegExp(`${role} may not open a replication connection .*REPLICATION attribute or SUPERUSER`)},
		);
	});

	test('engine select on PostgreSQL lists basebackup, available to the superuser', async () => {
		const select = await runCli(['engine', 'select', '--json', '--db-type', 'postgres', '--socket', shared.socketDir, '--port', String(shared.port), '--user', shared.superuser], {timeoutMs});
		assert.equal(select.code, 0, select.stderr);
		const selection = resultOf(select.stdout, 'engine-selection').selection;
		const row = selection.candidates.find((candidate: {name: string}) => candidate.name === 'basebackup');
		assert.equal(row.kind, 'physical');
		assert.equal(row.availability.available, true, row.availability.reason);
		assert.ok(selection.reasons.some((reason: string) => /basebackup can copy the cluster physically/.test(reason)), selection.reasons.join('\n'));
	});
});
