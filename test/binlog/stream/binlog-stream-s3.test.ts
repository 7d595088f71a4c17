/**
 * binlog-stream straight to the harness's S3 server (s3rver): closed files end as objects byte-identical
 * to a private MariaDB's own binlog files, the file being copied is in S3 (as segments) at every sync,
 * a restart resumes from what S3 holds (a torn tail is cut), a second streamer is refused by the lease,
 * and a point-in-time restore reads its binlogs from the prefix.
 */
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {mkdtemp, readdir, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import {decompress as zstdDecompress} from 'zstd-napi';
import {readBinlogIndex} from '../../../source/binlog/stream/binlog-index.ts';
import {readCheckpoint} from '../../../source/binlog/stream/checkpoint.ts';
import {streamBinlogs, type BinlogStreamOptions} from '../../../source/binlog/stream/streamer.ts';
import {EventBus, type BusEvent} from '../../../source/core/events.ts';
import {startMariadb} from '../../../source/sandbox/mariadb.ts';
import type {RunningMariadb} from '../../../source/sandbox/types.ts';
import {s3DirectoryTarget, type S3Target} from '../../../source/storage/s3/target.ts';
import {EncryptedTarget} from '../../../source/storage/crypto/encrypted-target.ts';
import {rawKeySource} from '../../../source/storage/crypto/key.ts';
import {LocalDirectoryTarget} from '../../../source/storage/target/local-directory.ts';
import {readBytes} from '../../../source/storage/target/read-bytes.ts';
import {uniqueName} from '../../harness/db.ts';
import {checksums, createSchema} from '../replay/write-load.ts';
import {FAST_RETRY, inspector, keysUnderPrefix, objectBytes, s3, testSettings, useTestCredentials} from '../../storage/s3/helpers.ts';
import {serverBinlogs} from './server-copy.ts';
import {runInProcess, type InProcessOutcome} from '../../cli/run-in-process.ts';

useTestCredentials();
const timeoutMs = 240_000;
const SEGMENT_BYTES = 64 * 1024;
const look = inspector();

let server: RunningMariadb;
let admin: Connection;
const readers: S3Target[] = [];

function connect(): Promise<Connection> {
	return mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, multipleStatements: true});
}

function freshUrl(label: string): string {
	return `s3://${s3.bucket}/${uniqueName(label)}/`;
}

function options(outputDir: string, extra: Partial<BinlogStreamOptions> = {}): BinlogStreamOptions {
	return {
		settings: {dbType: 'mysql', host: server.host, port: server.port, user: server.user, password: server.password},
		outputDir,
		storage: {s3: {endpoint: s3.endpoint, region: s3.region}, s3Target: {appendSegmentBytes: SEGMENT_BYTES, retry: FAST_RETRY}},
		serverId: 4343,
		useGtid: false,
		sync: 'interval',
		checkpointIntervalSeconds: 0.5,
		compress: 'none',
		stopAtEnd: true,
		...extra,
	};
}

function recordingBus(): {bus: EventBus; events: BusEvent[]} {
	const bus = new EventBus();
	const events: BusEvent[] = [];
	bus.onAny((event) => events.push(event));
	return {bus, events};
}

function reader(url: string): S3Target {
	const target = s3DirectoryTarget(url, testSettings(), {retry: FAST_RETRY});
	readers.push(target);
	return target;
}

function keysUnder(url: string): Promise<string[]> {
	return keysUnderPrefix(look, url.slice(`s3://${s3.bucket}/`.length));
}

/** Our copy of one binlog in S3: the object (or the segments of the one being copied), or the decompressed `.zst`. */
async function copied(url: string, name: string): Promise<Buffer | undefined> {
	const target = reader(url);
	if (await target.stat(name)) return readBytes(target, name);
	if (await target.stat(`${name}.zst`)) return zstdDecompress(await readBytes(target, `${name}.zst`));
	return undefined;
}

/** Every server binlog from `from` on is in S3 byte for byte; the last one may be a prefix of the server's. */
async function assertIdenticalInS3(url: string, from?: string): Promise<string[]> {
	const names = await serverBinlogs(admin);
	const wanted = from ? names.slice(names.indexOf(from)) : names;
	for (const [index, name] of wanted.entries()) {
		const theirs = await readFile(join(server.datadir, name));
		const ours = await copied(url, name);
		assert.ok(ours, `${name} is in ${url}`);
		if (index === wanted.length - 1) {
			assert.ok(ours.length <= theirs.length && ours.equals(theirs.subarray(0, ours.length)), `${name}: the copy in S3 is a byte-identical prefix of the server's file`);
		} else {
			assert.ok(ours.equals(theirs), `${name}: the object is byte-identical to the server's file (${ours.length} vs ${theirs.length} bytes)`);
		}
	}
	return wanted;
}

async function writeSome(database: string, rows: number, width = 3000): Promise<void> {
	await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\`; CREATE TABLE IF NOT EXISTS \`${database}\`.t (id INT PRIMARY KEY AUTO_INCREMENT, v LONGTEXT)`);
	for (let index = 0; index < rows; index += 1) await admin.query(`INSERT INTO \`${database}\`.t (v) VALUES (REPEAT(?, ?))`, [String(index % 10), width]);
}

before(async () => {
	server = await startMariadb({log: () => {}});
	admin = await connect();
});

after(async () => {
	await admin?.end();
	await server?.stop();
	for (const target of readers) target.connection.client.destroy();
	look.destroy();
});

describe('binlog-stream to S3 against a private MariaDB', {timeout: timeoutMs}, () => {
	test('closed files become objects byte-identical to the server\'s; the file being copied is in S3 as segments; checkpoint and index are objects', async () => {
		const url = freshUrl('bls3');
		await writeSome('s3_one', 60);
		await admin.query('FLUSH BINARY LOGS');
		await writeSome('s3_one', 40);
		await admin.query('FLUSH BINARY LOGS');
		await writeSome('s3_one', 80);
		const summary = await streamBinlogs(options(url), recordingBus().bus, new AbortController().signal);

		const names = await assertIdenticalInS3(url);
		assert.ok(names.length >= 3, 'the copy spans several files');
		const active = names.at(-1)!;
		const keys = await keysUnder(url);
		for (const closed of names.slice(0, -1)) {
			assert.ok(keys.includes(closed), `${closed} is one object`);
			assert.ok(!keys.some((key) => key.startsWith(`${closed}.segments/`)), `${closed} has no segments left`);
		}
		const segments = keys.filter((key) => key.startsWith(`${active}.segments/`));
		assert.ok(segments.length >= 2, `the active file is in segments of ${SEGMENT_BYTES} bytes: ${segments.join(', ')}`);
		assert.ok(keys.includes('binlog-stream.checkpoint.json') && keys.includes('binlog-index.json'), keys.join(', '));
		assert.ok(!keys.includes('binlog-stream.lease.json'), 'the lease is gone after a clean stop');

		const target = reader(url);
		const checkpoint = await readCheckpoint(target);
		const [status] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
		assert.deepEqual({file: checkpoint?.file, position: checkpoint?.position}, {file: active, position: Number(status[0]!.Position)});
		assert.equal(summary.file, active);
		assert.deepEqual((await readBinlogIndex(target)).files.map((file) => file.name), names.slice(0, -1));
	});

	test('a restart resumes from what S3 holds: a torn tail is cut, then the copy goes on byte for byte', async () => {
		const url = freshUrl('bls3resume');
		const [status] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
		const first = String(status[0]!.File);
		await writeSome('s3_two', 30);
		await streamBinlogs(options(url, {start: {file: first, position: 4}}), recordingBus().bus, new AbortController().signal);
		// a crash in the middle of an event: the last segment ends with half an event header
		const target = reader(url);
		const active = (await serverBinlogs(admin)).at(-1)!;
		const appendable = await s3DirectoryTarget(url, testSettings(), {retry: FAST_RETRY, appendSegmentBytes: SEGMENT_BYTES}).openAppend(active, {create: 'existing'});
		await appendable.write(Buffer.from([1, 2, 3, 4, 5, 6, 7]));
		await appendable.sync();
		await appendable.close();
		const torn = (await target.stat(active))!.bytes;

		await writeSome('s3_two', 30);
		await admin.query('FLUSH BINARY LOGS');
		await writeSome('s3_two', 10);
		const {bus, events} = recordingBus();
		await streamBinlogs(options(url), bus, new AbortController().signal);
		assert.ok(
			events.some((event) => event.type === 'warning' && event.code === 'BINLOG_COPY_TRUNCATED' && event.message.includes(`of ${torn} bytes`)),
			'the torn tail was cut with a warning',
		);
		await assertIdenticalInS3(url, first);
	});

	test('--compress zstd: closed files are stored as .zst objects whose bytes decompress to the server\'s', async () => {
		const url = freshUrl('bls3zst');
		const [status] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
		const first = String(status[0]!.File);
		await writeSome('s3_three', 40);
		await admin.query('FLUSH BINARY LOGS');
		await streamBinlogs(options(url, {start: {file: first, position: 4}, compress: 'zstd'}), recordingBus().bus, new AbortController().signal);
		const keys = await keysUnder(url);
		assert.ok(keys.includes(`${first}.zst`) && !keys.includes(first), keys.join(', '));
		await assertIdenticalInS3(url, first);
	});

	test('--encrypt, to S3 and to a local directory: nothing stored holds the rows\' text; read with the key, closed files are the server\'s bytes and the open one a prefix', async () => {
		const key = randomBytes(32);
		const encryption = rawKeySource(key);
		const marker = `plaintext-marker-${randomBytes(6).toString('hex')}`;
		const [status] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
		const first = String(status[0]!.File);
		await admin.query(`CREATE DATABASE IF NOT EXISTS s3_enc; CREATE TABLE IF NOT EXISTS s3_enc.t (id INT PRIMARY KEY AUTO_INCREMENT, v TEXT)`);
		for (let index = 0; index < 40; index += 1) await admin.query('INSERT INTO s3_enc.t (v) VALUES (?)', [`${marker} ${index} ${'z'.repeat(2000)}`]);
		await admin.query('FLUSH BINARY LOGS');
		for (let index = 0; index < 40; index += 1) await admin.query('INSERT INTO s3_enc.t (v) VALUES (?)', [`${marker} late ${index} ${'y'.repeat(2000)}`]);
		const url = freshUrl('bls3enc');
		const local = await mkdtemp(join(tmpdir(), 'bls3-enc-'));
		try {
			for (const outputDir of [url, local]) {
				const base = options(outputDir, {start: {file: first, position: 4}});
				await streamBinlogs({...base, storage: {...base.storage, encryption, appendSegmentBytes: SEGMENT_BYTES}}, recordingBus().bus, new AbortController().signal);
			}
			const stored = [
				...(await Promise.all((await keysUnder(url)).map(async (key) => objectBytes(look, `${url.slice(`s3://${s3.bucket}/`.length)}${key}`)))),
				...(await Promise.all((await readdir(local)).map((name) => readFile(join(local, name))))),
			];
			assert.ok(stored.length > 4);
			for (const bytes of stored) assert.ok(!bytes.includes(marker), 'no stored object or file holds a row\'s text');
			const names = await serverBinlogs(admin);
			const wanted = names.slice(names.indexOf(first));
			for (const outputDir of [url, local]) {
				const target = new EncryptedTarget(outputDir === url ? reader(url) : new LocalDirectoryTarget(local), encryption);
				for (const [index, name] of wanted.entries()) {
					const theirs = await readFile(join(server.datadir, name));
					const ours = await readBytes(target, name);
					if (index === wanted.length - 1) assert.ok(ours.length > 4 && ours.equals(theirs.subarray(0, ours.length)), `${outputDir} ${name}: a prefix of the server's`);
					else assert.ok(ours.equals(theirs), `${outputDir} ${name}: decrypts to the server's file`);
				}
			}
		} finally {
			await rm(local, {recursive: true, force: true});
		}
	});

	test('a second streamer on the same prefix is refused while the first holds the lease', async () => {
		const url = freshUrl('bls3lock');
		const controller = new AbortController();
		const {bus, events} = recordingBus();
		const [status] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
		const first = streamBinlogs(options(url, {stopAtEnd: false, start: {file: String(status[0]!.File), position: 4}}), bus, controller.signal);
		const deadline = Date.now() + 30_000;
		while (!events.some((event) => event.type === 'binlog-status' && event.state === 'streaming')) {
			assert.ok(Date.now() < deadline, 'the first streamer started');
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		await assert.rejects(streamBinlogs(options(url, {serverId: 4344}), recordingBus().bus, new AbortController().signal), {code: 'BINLOG_OUTPUT_LOCKED'});
		controller.abort();
		await first;
		assert.ok(!(await keysUnder(url)).includes('binlog-stream.lease.json'));
	});
});

/**
 * The CLI in this process, as `dbbackup ARGS`, with the server's password and the S3 server's keys in
 * the environment (the process's own too: the AWS SDK reads its credential chain and endpoint there).
 */
async function dbbackup(args: string[], config?: string, extraEnv: Record<string, string> = {}): Promise<InProcessOutcome> {
	process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
	process.env.AWS_REGION = s3.region;
	try {
		return await runInProcess([...args, '--yes', '--db-type', 'mysql', '--host', server.host, '--port', String(server.port), '--user', server.user], {
			env: {
				MYSQL_PWD: server.password,
				AWS_ACCESS_KEY_ID: s3.accessKeyId,
				AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
				AWS_ENDPOINT_URL_S3: s3.endpoint,
				AWS_REGION: s3.region,
				...extraEnv,
			},
			files: config === undefined ? {} : {'.dbbackuprc': config},
		});
	} finally {
		delete process.env.AWS_ENDPOINT_URL_S3;
		delete process.env.AWS_REGION;
	}
}

describe('backup.binlog.targets with a file and an s3 target', {timeout: timeoutMs}, () => {
	test('binlog-stream streams both at once, each a byte-identical copy on its own server id', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'bls3-both-'));
		try {
			const prefix = uniqueName('bls3both');
			const first = (await serverBinlogs(admin)).at(-1)!;
			await writeSome('s3_both', 20);
			await admin.query('FLUSH BINARY LOGS');
			await writeSome('s3_both', 5);
			const config = [
				'backup:',
				'  binlog:',
				'    server_id: 5100',
				'    targets:',
				`      - {type: file, path: ${JSON.stringify(dir)}}`,
				`      - {type: s3, bucket: ${s3.bucket}, prefix: ${prefix}/, compress: true}`,
				'',
			].join('\n');
			const result = await dbbackup(['binlog-stream', '--stop-at-end', '--no-gtid', '--start-position', `${first}:4`], config);
			assert.equal(result.code, 0, result.stderr);
			assert.match(result.stdout + result.stderr, /server id 5100\) and s3:\/\/\S+ \(server id 5101\)/);
			const names = await serverBinlogs(admin);
			for (const name of names.slice(names.indexOf(first), -1)) {
				const theirs = await readFile(join(server.datadir, name));
				assert.ok((await readFile(join(dir, name))).equals(theirs), `${name}: the directory's copy is the server's`);
				assert.ok((await copied(`s3://${s3.bucket}/${prefix}/`, name))?.equals(theirs), `${name}: the S3 copy (.zst) is the server's`);
			}
			assert.ok((await keysUnder(`s3://${s3.bucket}/${prefix}/`)).includes(`${first}.zst`), 'the s3 target compresses closed files (its own compress key)');
		} finally {
			await rm(dir, {recursive: true, force: true});
		}
	});
});

describe('point-in-time restore with --binlogs s3://…', {timeout: timeoutMs}, () => {
	for (const encrypted of [false, true]) {
		test(`backup to S3, binlog-stream --target s3://, restore --binlogs s3:// --until-gtid${encrypted ? ', all of it --encrypt' : ''}: the copy matches the moment`, async () => {
			const env: Record<string, string> = encrypted ? {DBBACKUP_ENCRYPTION_KEY: randomBytes(32).toString('base64')} : {};
			const encrypt = encrypted ? ['--encrypt'] : [];
			const source = encrypted ? 'pitr_s3_enc' : 'pitr_s3';
			await createSchema(admin, source);
			const prefix = freshUrl(encrypted ? 'pitrs3enc' : 'pitrs3');
			const backup = await dbbackup(['backup', 'single', source, '--output', `${prefix}backups/`, ...encrypt], undefined, env);
			assert.equal(backup.code, 0, backup.stderr);
			const archive = /Backup complete \([^)]*\): (\S+)/.exec(backup.stdout)?.[1];
			assert.ok(archive, backup.stdout);

			const writer = await connect();
			for (let index = 0; index < 20; index += 1) await writer.query(`INSERT INTO \`${source}\`.orders (customer, amount, created) VALUES (?, ?, NOW(6))`, [`late ${index}`, index]);
			await writer.query('FLUSH BINARY LOGS');
			for (let index = 0; index < 5; index += 1) await writer.query(`UPDATE \`${source}\`.orders SET amount = amount + 1 WHERE id % 3 = ?`, [index % 3]);
			const [gtidRows] = await writer.query<RowDataPacket[]>('SELECT @@global.gtid_binlog_pos AS gtid');
			const moment = {gtid: String(gtidRows[0]!.gtid), sums: await checksums(admin, source)};
			await writer.query(`DELETE FROM \`${source}\`.orders WHERE id % 2 = 0`);
			await writer.end();
			assert.notDeepEqual(await checksums(admin, source), moment.sums, 'the DELETE after the moment changed the table');

			const binlogs = `${prefix}binlog/`;
			const stream = await dbbackup(['binlog-stream', '--target', binlogs, '--stop-at-end', '--server-id', '4345', '--no-gtid', '--start-position', `${(await serverBinlogs(admin))[0]}:4`, ...encrypt], undefined, env);
			assert.equal(stream.code, 0, stream.stderr);

			const copy = `${source}_copy`;
			const restore = await dbbackup(['restore', archive, '--binlogs', binlogs, '--until-gtid', moment.gtid, '--target-db', copy], undefined, env);
			assert.equal(restore.code, 0, restore.stderr + restore.stdout);
			assert.match(restore.stdout, /Binlog replay complete/);
			assert.deepEqual(await checksums(admin, copy), moment.sums);
			if (encrypted) {
				const refused = await dbbackup(['restore', archive, '--binlogs', binlogs, '--until-gtid', moment.gtid, '--target-db', `${copy}2`, '--dry-run']);
				assert.notEqual(refused.code, 0, 'without the key nothing is read');
			}
		});
	}
});
