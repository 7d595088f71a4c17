/**
 * `status`'s catalog against real artifacts: backups of a private MariaDB (two archives whose names sort
 * against their start times, a SQL script, an archive without its sidecar), an encrypted archive of the
 * harness's PostgreSQL, a dead `.partial`, and a binlog-stream sub-directory of the same MariaDB; then
 * the same over the harness's S3 server.
 */
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {copyFile, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import {lockOutputDir} from '../../source/binlog/stream/output-lock.ts';
import {readBinlogIndex} from '../../source/binlog/stream/binlog-index.ts';
import {readCheckpoint} from '../../source/binlog/stream/checkpoint.ts';
import {streamBinlogs, type BinlogStreamOptions} from '../../source/binlog/stream/streamer.ts';
import {statusCommand} from '../../source/cli/commands/status.ts';
import type {CommandContext} from '../../source/cli/context.ts';
import {renderStatus} from '../../source/cli/report/status.ts';
import {defaultConfig} from '../../source/core/config/defaults.ts';
import type {ConnectionSettings} from '../../source/core/connection-settings.ts';
import {EventBus} from '../../source/core/events.ts';
import {startMariadb} from '../../source/sandbox/mariadb.ts';
import type {RunningMariadb} from '../../source/sandbox/types.ts';
import type {BackupOutcome} from '../../source/services/backup.ts';
import {buildCatalog, type Catalog, type CatalogBackup} from '../../source/services/catalog.ts';
import {openArchive} from '../../source/storage/archive/reader.ts';
import {rawKeySource} from '../../source/storage/crypto/key.ts';
import type {StorageOptions} from '../../source/storage/target/index.ts';
import {dropPostgresDatabases, postgresClient, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {s3, useTestCredentials} from '../storage/s3/helpers.ts';
import {backupTo, insertRows, mariadbSettingsOf, masterStatusOf, streamOptionsFor} from './backup-fixtures.ts';

useTestCredentials();
const timeoutMs = 300_000;
const {postgres} = getTestServers();
const key = randomBytes(32);
const withKey: StorageOptions = {encryption: rawKeySource(key)};

let server: RunningMariadb;
let admin: Connection;
let dir: string;
let database: string;
let pgDatabase: string;
/** the binlog file the stream starts at (the first backup's), the one after it, and the one the script and the second archive are in */
let firstFile: string;
let middleFile: string;
let laterFile: string;
const outcomes = new Map<string, BackupOutcome>();

const mariadbTarget = (): ConnectionSettings => mariadbSettingsOf(server);
const backup = backupTo;
const masterStatus = () => masterStatusOf(admin);
const write = (rows: number) => insertRows(admin, database, rows);
const streamOptions = (outputDir: string, start?: {file: string; position: number}): BinlogStreamOptions => streamOptionsFor(mariadbTarget(), outputDir, start);

function entry(catalog: Catalog, name: string): CatalogBackup {
	const found = catalog.backups.find((backup) => backup.name === name);
	assert.ok(found, `${name} is in the catalog: ${catalog.backups.map((backup) => backup.name).join(', ')}`);
	return found;
}

before(async () => {
	server = await startMariadb({log: () => {}});
	admin = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, multipleStatements: true});
	database = uniqueName('catshop');
	await admin.query(`CREATE DATABASE \`${database}\`; CREATE TABLE \`${database}\`.t (id INT PRIMARY KEY AUTO_INCREMENT, v TEXT)`);
	await write(20);
	dir = await mkdtemp(join(tmpdir(), 'dbbackup-catalog-'));

	firstFile = (await masterStatus()).file;
	outcomes.set('zzz-first.tar', await backup(mariadbTarget(), [database], join(dir, 'zzz-first.tar')));
	await write(10);
	await admin.query('FLUSH BINARY LOGS');
	middleFile = (await masterStatus()).file;
	await write(10);
	await admin.query('FLUSH BINARY LOGS');
	laterFile = (await masterStatus()).file;
	outcomes.set('mmm-script.sql', await backup(mariadbTarget(), [database], join(dir, 'mmm-script.sql'), {format: 'sql'}));
	await write(10);
	outcomes.set('aaa-second.tar', await backup(mariadbTarget(), [database], join(dir, 'aaa-second.tar')));
	// the same archive without its sidecar: what a run that is still finishing (or whose sidecar failed) shows
	await copyFile(join(dir, 'aaa-second.tar'), join(dir, 'ccc-no-sidecar.tar'));
	await write(10);
	await admin.query('FLUSH BINARY LOGS');
	await write(5);

	pgDatabase = uniqueName('catpg');
	const client = await postgresClient();
	await client.query(`CREATE DATABASE ${pgDatabase}`);
	await client.end();
	const pgClient = await postgresClient(pgDatabase);
	await pgClient.query('CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, \'item \' || g FROM generate_series(1, 50) g');
	await pgClient.end();
	const pgTarget: ConnectionSettings = {dbType: 'postgres', host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password, database: 'postgres'};
	outcomes.set('enc-pg.tar', await backup(pgTarget, [pgDatabase], join(dir, 'enc-pg.tar'), {storage: withKey}));

	await writeFile(join(dir, 'dead-run.tar.partial'), Buffer.alloc(1000, 1));
	await streamBinlogs(streamOptions(join(dir, 'binlog'), {file: firstFile, position: 4}), new EventBus(), new AbortController().signal);
});

after(async () => {
	await admin?.end();
	await server?.stop();
	if (pgDatabase) await dropPostgresDatabases([pgDatabase]);
	if (dir) await rm(dir, {recursive: true, force: true});
});

describe('status: the catalog of a local directory', {timeout: timeoutMs}, () => {
	test('backups are sorted by their recorded start time, not by name, each with what its sidecar or header records', async () => {
		const catalog = await buildCatalog(dir);
		assert.deepEqual(
			catalog.backups.map((backup) => backup.name),
			['zzz-first.tar', 'mmm-script.sql', 'aaa-second.tar', 'ccc-no-sidecar.tar', 'enc-pg.tar'],
		);
		const first = entry(catalog, 'zzz-first.tar');
		const result = outcomes.get('zzz-first.tar')!.result;
		const {manifest} = await openArchive(join(dir, 'zzz-first.tar'));
		assert.equal(first.engine, 'mysqldump');
		assert.equal(first.kind, 'logical');
		assert.equal(first.dbType, 'mysql');
		assert.deepEqual(first.databases, [database]);
		assert.equal(first.startedAt, manifest.startedAt);
		assert.equal(first.finishedAt, manifest.finishedAt);
		assert.equal(first.at, manifest.startedAt);
		assert.equal(first.lockMs, manifest.lockMs);
		assert.equal(first.bytes, (await stat(join(dir, 'zzz-first.tar'))).size);
		assert.equal(first.compression, 'zstd');
		assert.equal(first.facts, 'sidecar');
		assert.equal(first.complete, true);
		assert.equal(first.encrypted, false);
		assert.equal(first.coordinates, result.coordinates);
		assert.equal(first.binlog?.file, firstFile);
		assert.equal(first.server?.flavor, 'mariadb');

		const script = entry(catalog, 'mmm-script.sql');
		assert.equal(script.format, 'sql');
		assert.equal(script.complete, true);
		assert.match(script.writer ?? '', /dbbackup --format sql/);
		assert.equal(script.engine, 'mysqldump');
		assert.deepEqual(script.databases, [database]);
		assert.equal(script.atSource, 'script header');
		const headerTime = /^-- server .*, started (\S+)$/m.exec((await readFile(join(dir, 'mmm-script.sql'), 'utf8')).slice(0, 4096))?.[1];
		assert.ok(headerTime);
		assert.equal(script.at, headerTime);
		assert.equal(script.binlog?.file, laterFile);
		assert.equal(script.compression, 'none');

		const copy = entry(catalog, 'ccc-no-sidecar.tar');
		assert.equal(copy.complete, false, 'an archive without its sidecar is not counted complete');
		assert.equal(copy.facts, 'manifest');
		assert.deepEqual(copy.databases, [database]);

		const text = renderStatus(catalog);
		assert.ok(text.indexOf('zzz-first.tar') < text.indexOf('aaa-second.tar'), text);
		assert.match(text, /ccc-no-sidecar\.tar .*INCOMPLETE \(no sidecar\)/);
	});

	test('an encrypted archive is listed by name, size and time without the key, and read with it; the key is never in the catalog', async () => {
		const locked = entry(await buildCatalog(dir), 'enc-pg.tar');
		assert.equal(locked.encrypted, true);
		assert.equal(locked.readable, false);
		assert.equal(locked.engine, undefined);
		assert.equal(locked.databases, undefined);
		assert.equal(locked.atSource, 'file time');
		assert.equal(locked.bytes, (await stat(join(dir, 'enc-pg.tar'))).size);
		assert.equal(locked.complete, true, 'its sidecar is there, encrypted too');

		const catalog = await buildCatalog(dir, withKey);
		const open = entry(catalog, 'enc-pg.tar');
		assert.equal(open.encrypted, true);
		assert.equal(open.readable, true);
		assert.equal(open.engine, 'postgres-logical');
		assert.equal(open.dbType, 'postgres');
		assert.deepEqual(open.databases, [pgDatabase]);
		assert.equal(open.bytes, locked.bytes, 'the stored size, with the key too');
		assert.equal(open.at, (await openArchive(join(dir, 'enc-pg.tar'), withKey)).manifest.startedAt);
		const window = catalog.windows.find((candidate) => candidate.dbType === 'postgres' && candidate.database === pgDatabase);
		assert.ok(window, 'with the key, the PostgreSQL database has a window');
		assert.equal(window.pointInTime, false);
		assert.equal(window.earliest.backup, 'enc-pg.tar');
		for (const text of [JSON.stringify(catalog), renderStatus(catalog)]) {
			assert.ok(!text.includes(key.toString('hex')) && !text.includes(key.toString('base64')), 'no key in the catalog or its report');
		}
	});

	test('the binlog-stream sub-directory: source, range, checkpoint and its age, no gap, not running; a held lock shows it running', async () => {
		const streamDir = join(dir, 'binlog');
		const checkpoint = (await readCheckpoint(streamDir))!;
		const now = new Date(Date.parse(checkpoint.updatedAt) + 90_000);
		const catalog = await buildCatalog(dir, {}, now);
		assert.equal(catalog.streams.length, 1);
		const [stream] = catalog.streams;
		const [idRows] = await admin.query<RowDataPacket[]>('SELECT @@server_id AS id');
		const current = await masterStatus();
		assert.equal(stream!.relative, 'binlog/');
		assert.deepEqual(stream!.source && {flavor: stream!.source.flavor, serverId: stream!.source.serverId}, {flavor: 'mariadb', serverId: Number(idRows[0]!.id)});
		assert.equal(stream!.firstFile, firstFile);
		assert.equal(stream!.lastFile, current.file);
		assert.deepEqual({file: stream!.checkpoint?.file, position: stream!.checkpoint?.position}, current);
		assert.equal(stream!.checkpoint?.eventTime, checkpoint.eventTime);
		assert.equal(stream!.checkpoint?.ageSeconds, 90);
		const index = await readBinlogIndex(streamDir);
		assert.equal(stream!.closedFiles, index.files.length);
		assert.ok(stream!.closedFiles >= 3, `three rotations closed files: ${stream!.closedFiles}`);
		assert.equal(stream!.closedBytes, index.files.reduce((sum, file) => sum + file.storedSize, 0));
		assert.deepEqual(stream!.gaps, []);
		assert.equal(stream!.running.state, 'stopped');

		const unlock = await lockOutputDir(streamDir);
		try {
			const running = (await buildCatalog(dir)).streams[0]!.running;
			assert.equal(running.state, 'running');
			assert.equal(running.pid, process.pid);
		} finally {
			await unlock();
		}
		assert.equal((await buildCatalog(dir)).streams[0]!.running.state, 'stopped');
	});

	test('the recovery window runs from the oldest backup whose binlog the stream holds to the checkpoint\'s last event', async () => {
		const catalog = await buildCatalog(dir);
		const checkpoint = (await readCheckpoint(join(dir, 'binlog')))!;
		const window = catalog.windows.find((candidate) => candidate.database === database);
		assert.ok(window);
		assert.equal(window.dbType, 'mysql');
		assert.equal(window.pointInTime, true);
		assert.equal(window.backups, 3, 'the two archives and the script; not the archive without its sidecar');
		assert.equal(window.earliest.backup, 'zzz-first.tar');
		assert.equal(window.earliest.at, (await openArchive(join(dir, 'zzz-first.tar'))).manifest.startedAt);
		assert.equal(window.latest.at, checkpoint.eventTime);
		assert.equal(window.latest.stream, join(dir, 'binlog'));
		assert.ok(!catalog.windows.some((candidate) => candidate.dbType === 'postgres'), 'the encrypted PostgreSQL backup gives no window without the key');
	});

	test('work in progress: a `.partial` nobody holds, with its size', async () => {
		const catalog = await buildCatalog(dir);
		assert.deepEqual(
			catalog.work.map((work) => ({name: work.name, what: work.what, bytes: work.bytes, running: work.running})),
			[{name: 'dead-run.tar.partial', what: 'backup', bytes: 1000, running: false}],
		);
		assert.ok(!catalog.backups.some((backup) => backup.name.includes('dead-run')), 'a .partial is no backup');
	});

	test('a closed binlog file removed from the middle is a gap, and the window then starts after it', async () => {
		await rm(join(dir, 'binlog', middleFile));
		const catalog = await buildCatalog(dir);
		assert.deepEqual(catalog.streams[0]!.gaps, [{from: middleFile, to: middleFile, files: 1}]);
		const window = catalog.windows.find((candidate) => candidate.database === database)!;
		assert.equal(window.pointInTime, true);
		assert.equal(window.earliest.backup, 'mmm-script.sql', 'the first backup after the gap (the script records its coordinates)');
		assert.match(renderStatus(catalog), new RegExp(`GAPS: ${middleFile.replace(/\./g, '\\.')} \\(1 file missing\\)`));
	});
});

describe('status: an encrypted binlog stream, and the command', {timeout: timeoutMs}, () => {
	test('an encrypted stream shows its file names without the key, and its checkpoint and source with it', async () => {
		const alone = await mkdtemp(join(tmpdir(), 'dbbackup-catalog-enc-'));
		try {
			const start = await masterStatus();
			await write(3);
			await admin.query('FLUSH BINARY LOGS');
			await write(3);
			await streamBinlogs({...streamOptions(join(alone, 'binlog'), start), storage: withKey}, new EventBus(), new AbortController().signal);
			const current = await masterStatus();

			const [locked] = (await buildCatalog(alone)).streams;
			assert.equal(locked!.encrypted, true);
			assert.equal(locked!.readable, false);
			assert.equal(locked!.checkpoint, undefined);
			assert.equal(locked!.source, undefined);
			assert.deepEqual({first: locked!.firstFile, last: locked!.lastFile}, {first: start.file, last: current.file});

			const [open] = (await buildCatalog(alone, withKey)).streams;
			assert.equal(open!.encrypted, true);
			assert.equal(open!.readable, true);
			assert.equal(open!.source?.flavor, 'mariadb');
			assert.deepEqual({file: open!.checkpoint?.file, position: open!.checkpoint?.position}, current);
			assert.equal(open!.closedFiles, 1);
			assert.deepEqual(open!.gaps, []);
		} finally {
			await rm(alone, {recursive: true, force: true});
		}
	});

	test('`status` without a location catalogs the directory of output.path and puts the catalog on the bus', async () => {
		const bus = new EventBus();
		const results: unknown[] = [];
		bus.onAny((event) => {
			if (event.type === 'result') results.push(event);
		});
		const config = defaultConfig();
		config.output.path = `${dir}/`;
		await statusCommand({bus, words: ['status'], loaded: {config, sources: {}}, env: {}} as unknown as CommandContext);
		assert.equal(results.length, 1);
		const result = results[0] as {kind: string; data: {catalog: Catalog}};
		assert.equal(result.kind, 'status');
		assert.equal(result.data.catalog.location, dir);
		assert.ok(result.data.catalog.backups.some((backup) => backup.name === 'zzz-first.tar'));
		await assert.rejects(statusCommand({bus, words: ['status', dir, 'extra'], loaded: {config, sources: {}}, env: {}} as unknown as CommandContext), /unexpected argument "extra"/);
	});
});

describe('status: the catalog of an S3 prefix', {timeout: timeoutMs}, () => {
	test('an archive written there and a binlog stream in a sub-prefix', async () => {
		const prefix = `s3://${s3.bucket}/${uniqueName('catalog')}/`;
		const storage: StorageOptions = {s3: {endpoint: s3.endpoint, region: s3.region}};
		const start = await masterStatus();
		const written = await backup(mariadbTarget(), [database], `${prefix}s3-first.tar`, {storage});
		await write(5);
		await streamBinlogs(streamOptions(`${prefix}binlog/`, start), new EventBus(), new AbortController().signal);

		const catalog = await buildCatalog(prefix, storage);
		assert.deepEqual(catalog.backups.map((backup) => backup.name), ['s3-first.tar']);
		const [archive] = catalog.backups;
		assert.equal(archive!.url, `${prefix}s3-first.tar`);
		assert.equal(archive!.complete, true);
		assert.equal(archive!.facts, 'sidecar');
		assert.equal(archive!.engine, 'mysqldump');
		assert.equal(archive!.startedAt, (await openArchive(`${prefix}s3-first.tar`, storage)).manifest.startedAt);
		assert.equal(archive!.bytes, written.result.bytes);
		assert.equal(catalog.streams.length, 1);
		const [stream] = catalog.streams;
		assert.equal(stream!.url, `${prefix}binlog/`);
		assert.equal(stream!.firstFile, start.file);
		assert.deepEqual({file: stream!.checkpoint?.file, position: stream!.checkpoint?.position}, await masterStatus());
		assert.equal(stream!.running.state, 'stopped');
		const window = catalog.windows.find((candidate) => candidate.database === database)!;
		assert.equal(window.pointInTime, true);
		assert.equal(window.earliest.backup, 's3-first.tar');
		assert.ok(catalog.notes.some((note) => note.includes('ListMultipartUploads')), catalog.notes.join('\n'));
	});
});
