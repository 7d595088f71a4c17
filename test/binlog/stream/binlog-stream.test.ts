import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, readFile, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {after, before, describe, test} from 'node:test';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import {readCheckpoint} from '../../../source/binlog/stream/checkpoint.ts';
import {readBinlogIndex} from '../../../source/binlog/stream/binlog-index.ts';
import {streamBinlogs, type BinlogStreamOptions} from '../../../source/binlog/stream/streamer.ts';
import {EventBus, type BusEvent} from '../../../source/core/events.ts';
import {parseMysqlGtidSet} from '../../../source/binlog/event/gtid.ts';
import {startMariadb} from '../../../source/sandbox/mariadb.ts';
import {startMysql} from '../../../source/sandbox/mysql.ts';
import {mysqlProgram} from '../../../source/sandbox/mysql-binaries.ts';
import type {RunningMariadb, RunningMysql} from '../../../source/sandbox/types.ts';
import {assertByteIdentical, serverBinlogs} from './server-copy.ts';

const run = promisify(execFile);
const timeoutMs = 180_000;

/** What differs between the two servers for these tests; everything else is run the same on both. */
interface StreamFlavor {
	name: 'mariadb' | 'mysql';
	label: string;
	start(): Promise<RunningMariadb | RunningMysql>;
	/** the GTID state: MariaDB @@gtid_binlog_pos, MySQL @@gtid_executed (what the checkpoint records) */
	gtidSql: string;
	statusSql: string;
	/** the server's own binlog reader, run on one of our copies */
	readBinlog(path: string): Promise<string>;
}

const ALL_FLAVORS: StreamFlavor[] = [
	{
		name: 'mariadb',
		label: 'MariaDB',
		start: () => startMariadb({log: () => {}}),
		gtidSql: 'SELECT @@global.gtid_binlog_pos AS gtid',
		statusSql: 'SHOW MASTER STATUS',
		readBinlog: async (path) => (await run('mariadb-binlog', ['--base64-output=decode-rows', '-v', path], {maxBuffer: 256 * 1024 * 1024})).stdout,
	},
	{
		name: 'mysql',
		label: 'MySQL 9 (Debian sid packages)',
		start: () => startMysql({log: () => {}}),
		gtidSql: 'SELECT @@global.gtid_executed AS gtid',
		statusSql: 'SHOW BINARY LOG STATUS',
		readBinlog: async (path) => {
			const mysqlbinlog = mysqlProgram((server as RunningMysql).root, 'mysqlbinlog');
			return (await run(mysqlbinlog.command, [...mysqlbinlog.args, '--no-defaults', '--base64-output=decode-rows', '-v', path], {maxBuffer: 256 * 1024 * 1024})).stdout;
		},
	},
];
/** DBBACKUP_TEST_FLAVORS=mysql (or mariadb) keeps one, as in test/harness/mysql-flavors.ts */
const STREAM_FLAVORS = ALL_FLAVORS.filter((candidate) => !process.env.DBBACKUP_TEST_FLAVORS || process.env.DBBACKUP_TEST_FLAVORS.split(',').includes(candidate.name));

let flavor: StreamFlavor;
let server: RunningMariadb | RunningMysql;
let admin: Connection;
const dirs: string[] = [];

async function connect(): Promise<Connection> {
	return mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, multipleStatements: true});
}

async function tempDir(): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'dbbackup-binlog-'));
	dirs.push(dir);
	return dir;
}

function options(outputDir: string, extra: Partial<BinlogStreamOptions> = {}): BinlogStreamOptions {
	return {
		settings: {dbType: 'mysql', host: server.host, port: server.port, user: server.user, password: server.password},
		outputDir,
		serverId: 4242,
		useGtid: false,
		sync: 'always',
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

/** the server's GTID state (the checkpoint's and binlog-durable's form) */
async function gtidPosition(): Promise<string> {
	const [rows] = await admin.query<RowDataPacket[]>(flavor.gtidSql);
	return String(rows[0]!.gtid).replace(/\s+/g, '');
}

/** the last transaction's GTID as the feed names it: MariaDB's position of one domain, MySQL's uuid:gno */
async function lastGtid(): Promise<string> {
	const state = await gtidPosition();
	if (flavor.name === 'mariadb') return state;
	const [rows] = await admin.query<RowDataPacket[]>('SELECT @@server_uuid AS uuid');
	const uuid = String(rows[0]!.uuid);
	const ours = parseMysqlGtidSet(state).find((sid) => sid.uuid === uuid);
	return `${uuid}:${ours!.intervals.at(-1)!.end - 1n}`;
}

async function binlogStatus(): Promise<{file: string; position: number}> {
	const [status] = await admin.query<RowDataPacket[]>(flavor.statusSql);
	return {file: String(status[0]!.File), position: Number(status[0]!.Position)};
}

/** Statements of every row-event kind, DDL, a row over 16 MiB and a transaction over 16 MiB. */
async function writeMixedLoad(connection: Connection, database: string): Promise<void> {
	await connection.query(`CREATE DATABASE \`${database}\``);
	await connection.query(`CREATE TABLE \`${database}\`.\`odd \`\`name\` (id INT PRIMARY KEY, v LONGTEXT, j JSON, b LONGBLOB) DEFAULT CHARSET utf8mb4`);
	for (let index = 0; index < 20; index += 1) {
		await connection.query(`INSERT INTO \`${database}\`.\`odd \`\`name\` VALUES (?, ?, ?, ?)`, [index, `ünïcode ${index} 🙂`, JSON.stringify({index}), Buffer.alloc(index * 10, index)]);
	}
	await connection.query(`UPDATE \`${database}\`.\`odd \`\`name\` SET v = CONCAT(v, '!') WHERE id % 2 = 0`);
	await connection.query(`DELETE FROM \`${database}\`.\`odd \`\`name\` WHERE id > 15`);
	await connection.query(`ALTER TABLE \`${database}\`.\`odd \`\`name\` ADD COLUMN added INT DEFAULT 7`);
	await connection.query(`INSERT INTO \`${database}\`.\`odd \`\`name\` (id, v) VALUES (100, REPEAT('x', 20000000))`);
	await connection.query('BEGIN');
	for (let index = 0; index < 3; index += 1) {
		await connection.query(`INSERT INTO \`${database}\`.\`odd \`\`name\` (id, v) VALUES (?, REPEAT('y', 7000000))`, [200 + index]);
	}
	await connection.query('COMMIT');
}

after(async () => {
	for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});

for (const streamFlavor of STREAM_FLAVORS) describe(`binlog-stream against a private ${streamFlavor.label}`, {timeout: timeoutMs}, () => {
	before(async () => {
		flavor = streamFlavor;
		server = await flavor.start();
		const first = await connect();
		await first.query('SET GLOBAL max_allowed_packet = 67108864');
		await first.end();
		admin = await connect();
	});

	after(async () => {
		await admin?.end();
		await server?.stop();
	});

	test(`copies every binlog byte for byte across FLUSH BINARY LOGS, DDL, all row events and 16 MiB+ events; ${streamFlavor.name === 'mysql' ? 'mysqlbinlog' : 'mariadb-binlog'} reads the copies`, async () => {
		await writeMixedLoad(admin, 'stream_one');
		await admin.query('FLUSH BINARY LOGS');
		await admin.query('INSERT INTO stream_one.`odd ``name` (id, v) VALUES (300, "after flush")');
		await admin.query('FLUSH BINARY LOGS');
		await admin.query('DELETE FROM stream_one.`odd ``name` WHERE id = 300');
		const dir = await tempDir();
		const {bus, events} = recordingBus();
		const summary = await streamBinlogs(options(dir), bus, new AbortController().signal);

		const names = await assertByteIdentical(admin, server.datadir, dir);
		assert.ok(names.length >= 3, 'the copy spans several files');
		const checkpoint = await readCheckpoint(dir);
		const last = names.at(-1)!;
		const status = await binlogStatus();
		assert.deepEqual({file: checkpoint?.file, position: checkpoint?.position}, {file: last, position: status.position});
		assert.equal(checkpoint?.gtid, await gtidPosition());
		assert.equal(summary.gtid, checkpoint?.gtid);
		const index = await readBinlogIndex(dir);
		assert.deepEqual(index.files.map((file) => file.name), names.slice(0, -1), 'every closed file is indexed');

		const feed = events.filter((event) => event.type === 'binlog-event');
		const rows = feed.filter((event) => event.schema === 'stream_one' && event.rows !== undefined);
		assert.ok(rows.some((event) => event.eventType.startsWith('UPDATE_ROWS')), 'update rows events are in the feed');
		assert.ok(rows.some((event) => event.eventType.startsWith('DELETE_ROWS') && event.rows === 4), 'the delete of 4 rows shows 4 rows');
		assert.ok(feed.some((event) => event.table === 'odd `name'), 'the feed names the table');

		for (const name of names) {
			const stdout = await flavor.readBinlog(join(dir, name));
			assert.match(stdout, /End of log file/, `${name} is read to its end by the server's own binlog reader`);
		}
	});

	test('follows live writes and stops cleanly on the signal with the checkpoint at the last transaction', async () => {
		const dir = await tempDir();
		const {bus, events} = recordingBus();
		const controller = new AbortController();
		// interval sync with a long interval: the clean stop itself must make the last transactions durable
		const streaming = streamBinlogs(options(dir, {stopAtEnd: false, sync: 'interval', checkpointIntervalSeconds: 600}), bus, controller.signal);
		const writer = await connect();
		await writer.query('CREATE DATABASE stream_live; CREATE TABLE stream_live.t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(100))');
		for (let index = 0; index < 200; index += 1) await writer.query('INSERT INTO stream_live.t (v) VALUES (?)', [`row ${index}`]);
		const target = await gtidPosition();
		const last = await lastGtid();
		await waitFor(() => events.some((event) => event.type === 'binlog-event' && event.gtid === last && event.eventType === 'XID'), 'the last write reached the streamer');
		controller.abort();
		const summary = await streaming;
		await writer.end();
		await assertByteIdentical(admin, server.datadir, dir);
		const checkpoint = await readCheckpoint(dir);
		assert.equal(checkpoint?.gtid, target);
		assert.equal(summary.gtid, target);
		const states = events.filter((event) => event.type === 'binlog-status').map((event) => event.state);
		assert.ok(states.includes('streaming') && states.at(-1) === 'stopped', `states end in stopped: ${states.join(',')}`);
	});

	test('resumes after the streamer is killed with SIGKILL mid-transaction: no gap, no duplicate, torn tail cut', async () => {
		const dir = await tempDir();
		const cli = join(process.cwd(), 'bin', 'dbbackup.js');
		const args = ['binlog-stream', '--output', dir, '--host', server.host, '--port', String(server.port), '--user', server.user, '--server-id', '777', '--sync', 'always', '--checkpoint-interval', '200ms', '--yes', '--json'];
		const env = {...process.env, MYSQL_PWD: server.password};
		const child = (await import('node:child_process')).spawn(process.execPath, [cli, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']});
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
		const writer = await connect();
		await writer.query('CREATE DATABASE stream_kill; CREATE TABLE stream_kill.t (id INT PRIMARY KEY, v LONGTEXT)');
		await waitFor(() => output.includes('"binlog-durable"'), 'the streamer is running');
		// a big transaction, then kill while its events are still arriving
		await writer.query('BEGIN');
		for (let index = 0; index < 8; index += 1) await writer.query('INSERT INTO stream_kill.t VALUES (?, REPEAT("k", 4000000))', [index]);
		await writer.query('COMMIT');
		child.kill('SIGKILL');
		await new Promise((resolve) => child.once('exit', resolve));
		for (let index = 8; index < 40; index += 1) await writer.query('INSERT INTO stream_kill.t VALUES (?, "after the kill")', [index]);
		await writer.end();
		// a torn write: bytes of an event that never completed
		const current = (await readdir(dir)).filter((name) => /\.\d+$/.test(name)).sort().at(-1)!;
		await (await import('node:fs/promises')).appendFile(join(dir, current), Buffer.from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]));

		const {stdout} = await run(process.execPath, [cli, ...args, '--stop-at-end'], {env, maxBuffer: 512 * 1024 * 1024});
		await assertByteIdentical(admin, server.datadir, dir);
		const checkpoint = await readCheckpoint(dir);
		assert.equal(checkpoint?.gtid, await gtidPosition());
		assert.match(stdout, /BINLOG_COPY_TRUNCATED/, 'the cut of the torn tail is reported');
	});

	test(`resumes by GTID (${streamFlavor.name === 'mysql' ? 'COM_BINLOG_DUMP_GTID with the copy\'s GTID set' : '@slave_connect_state'}): only the new transactions arrive, byte for byte in place`, async () => {
		await admin.query('CREATE DATABASE IF NOT EXISTS stream_gtid; CREATE TABLE IF NOT EXISTS stream_gtid.t (id INT PRIMARY KEY, v TEXT)');
		await admin.query('INSERT INTO stream_gtid.t VALUES (1, "first")');
		const dir = await tempDir();
		await streamBinlogs(options(dir, {useGtid: true}), recordingBus().bus, new AbortController().signal);
		const held = (await readCheckpoint(dir))!.gtid;
		assert.equal(held, await gtidPosition());
		for (let index = 2; index <= 20; index += 1) await admin.query('INSERT INTO stream_gtid.t VALUES (?, "after")', [index]);
		const {bus, events} = recordingBus();
		await streamBinlogs(options(dir, {useGtid: true}), bus, new AbortController().signal);
		const started = events.flatMap((event) => (event.type === 'log' && /^streaming /.test(event.message) ? [event.message] : []));
		assert.match(started.join('\n'), streamFlavor.name === 'mysql' ? /by GTID \(COM_BINLOG_DUMP_GTID\), without GTID set [0-9a-f-]{36}:1-\d+ \(copy at mysql-bin\.\d+:\d+\)/ : /after GTID \d+-1-\d+ \(copy at mariadb-bin\.\d+:\d+\)/);
		const fed = events.filter((event) => event.type === 'binlog-event' && event.gtid !== undefined);
		assert.equal(new Set(fed.map((event) => (event as {gtid?: string}).gtid)).size, 19, 'the 19 new transactions, none held before');
		await assertByteIdentical(admin, server.datadir, dir);
		assert.equal((await readCheckpoint(dir))?.gtid, await gtidPosition());

		// a copy holding GTIDs this server never wrote: refused as such, before anything is asked for
		const checkpointFile = join(dir, 'binlog-stream.checkpoint.json');
		const original = await readFile(checkpointFile, 'utf8');
		const ahead = streamFlavor.name === 'mysql' ? `${(await lastGtid()).split(':')[0]}:1-999999` : '0-1-999999';
		await (await import('node:fs/promises')).writeFile(checkpointFile, JSON.stringify({...JSON.parse(original), gtid: ahead}));
		await assert.rejects(streamBinlogs(options(dir, {useGtid: true, retries: 1}), recordingBus().bus, new AbortController().signal), (error: Error & {code?: string}) => {
			assert.equal(error.code, 'BINLOG_GTID_NOT_ON_SERVER', error.message);
			assert.ok(error.message.includes(ahead), error.message);
			return true;
		});
		await (await import('node:fs/promises')).writeFile(checkpointFile, original);
	});

	test('survives a server restart: reconnects with backoff, reports each retry, and the copy stays byte-identical', async () => {
		const dir = await tempDir();
		const {bus, events} = recordingBus();
		const controller = new AbortController();
		const streaming = streamBinlogs(options(dir, {stopAtEnd: false, heartbeatSeconds: 1, maxBackoffSeconds: 2}), bus, controller.signal);
		let writer = await connect();
		await writer.query('CREATE DATABASE stream_restart; CREATE TABLE stream_restart.t (id INT PRIMARY KEY, v TEXT)');
		for (let index = 0; index < 50; index += 1) await writer.query('INSERT INTO stream_restart.t VALUES (?, "before")', [index]);
		await writer.end();
		await admin.end();
		await server.restart();
		admin = await connect();
		writer = await connect();
		for (let index = 50; index < 100; index += 1) await writer.query('INSERT INTO stream_restart.t VALUES (?, "after")', [index]);
		await writer.end();
		const target = await gtidPosition();
		await waitFor(() => events.some((event) => event.type === 'binlog-durable' && event.gtid === target), 'the writes after the restart are durable', 60_000);
		controller.abort();
		const summary = await streaming;
		assert.ok(summary.reconnects >= 1, 'it reconnected');
		assert.ok(events.some((event) => event.type === 'warning' && event.code === 'BINLOG_RECONNECTING'), 'each retry is reported');
		assert.ok(events.some((event) => event.type === 'binlog-status' && event.state === 'reconnecting'), 'the status shows reconnecting');
		const names = await assertByteIdentical(admin, server.datadir, dir);
		assert.ok(names.length >= 2, 'the restart started a new binlog file, and the copy followed it');
	});

	test('compresses closed files with zstd and indexes the sha256 of the raw bytes', async () => {
		await admin.query('CREATE DATABASE IF NOT EXISTS stream_zst; CREATE TABLE IF NOT EXISTS stream_zst.t (id INT PRIMARY KEY)');
		await admin.query('INSERT INTO stream_zst.t VALUES (1), (2), (3)');
		await admin.query('FLUSH BINARY LOGS');
		await admin.query('INSERT INTO stream_zst.t VALUES (4)');
		const dir = await tempDir();
		await streamBinlogs(options(dir, {compress: 'zstd'}), recordingBus().bus, new AbortController().signal);
		const names = await assertByteIdentical(admin, server.datadir, dir);
		const index = await readBinlogIndex(dir);
		const listing = await readdir(dir);
		for (const name of names.slice(0, -1)) {
			assert.ok(listing.includes(`${name}.zst`) && !listing.includes(name), `${name} is stored compressed only`);
			const entry = index.files.find((file) => file.name === name);
			const {createHash} = await import('node:crypto');
			assert.equal(entry?.sha256, createHash('sha256').update(await readFile(join(server.datadir, name))).digest('hex'));
		}
		assert.ok(listing.includes(names.at(-1)!), 'the active file stays raw');
	});

	test('refuses a second streamer on the same directory, and a directory copied from another server', async () => {
		const dir = await tempDir();
		await streamBinlogs(options(dir), recordingBus().bus, new AbortController().signal);
		const controller = new AbortController();
		const first = streamBinlogs(options(dir, {stopAtEnd: false}), recordingBus().bus, controller.signal).then(
			() => undefined,
			(error: unknown) => error,
		);
		await new Promise((resolve) => setTimeout(resolve, 300));
		await assert.rejects(streamBinlogs(options(dir), recordingBus().bus, new AbortController().signal), {code: 'BINLOG_OUTPUT_LOCKED'});
		controller.abort();
		assert.equal(await first, undefined, 'the first streamer stops cleanly');
		const checkpoint = JSON.parse(await readFile(join(dir, 'binlog-stream.checkpoint.json'), 'utf8')) as {source: {serverId: number}};
		checkpoint.source.serverId = 99;
		await (await import('node:fs/promises')).writeFile(join(dir, 'binlog-stream.checkpoint.json'), JSON.stringify(checkpoint));
		await assert.rejects(streamBinlogs(options(dir), recordingBus().bus, new AbortController().signal), {code: 'BINLOG_SOURCE_CHANGED'});
	});

	test('a fresh copy started at a GTID or a position copies that whole file and feeds from the start point on', async () => {
		await admin.query('CREATE DATABASE IF NOT EXISTS stream_from; CREATE TABLE IF NOT EXISTS stream_from.t (id INT PRIMARY KEY)');
		await admin.query('INSERT INTO stream_from.t VALUES (1)');
		// MariaDB: the GTID of the last transaction held; MySQL: the GTID set held (what a backup records)
		const startGtid = flavor.name === 'mariadb' ? String((await admin.query<RowDataPacket[]>('SELECT @@last_gtid AS gtid'))[0][0]!.gtid) : await gtidPosition();
		const lastHeld = await lastGtid();
		const {file, position} = await binlogStatus();
		await admin.query('INSERT INTO stream_from.t VALUES (2)');
		for (const start of [{gtid: startGtid}, {file, position}]) {
			const dir = await tempDir();
			const {bus, events} = recordingBus();
			await streamBinlogs(options(dir, {start, useGtid: 'gtid' in start}), bus, new AbortController().signal);
			await assertByteIdentical(admin, server.datadir, dir, {from: file});
			const fed = events.filter((event) => event.type === 'binlog-event' && event.gtid !== undefined).map((event) => (event as {gtid?: string}).gtid);
			// by position the feed starts exactly at the point; by GTID the server may send the file from its start (see the readme's limits)
			if (!('gtid' in start)) assert.ok(fed.length > 0 && !fed.includes(lastHeld), `the feed starts after ${lastHeld}: ${[...new Set(fed)].join(' ')}`);
		}
	});

	test('a binlog the server purged is a clear error, not a retry loop', async () => {
		const dir = await tempDir();
		await streamBinlogs(options(dir), recordingBus().bus, new AbortController().signal);
		const checkpoint = await readCheckpoint(dir);
		await admin.query('FLUSH BINARY LOGS');
		await admin.query('INSERT INTO stream_zst.t VALUES (10)');
		await admin.query('FLUSH BINARY LOGS');
		const names = await serverBinlogs(admin);
		await admin.query(`PURGE BINARY LOGS TO '${names.at(-1)}'`);
		assert.ok(!(await serverBinlogs(admin)).includes(checkpoint!.file));
		await assert.rejects(streamBinlogs(options(dir, {retries: 1}), recordingBus().bus, new AbortController().signal), (error: Error & {code?: string}) => {
			assert.equal(error.code, 'BINLOG_SOURCE_PURGED');
			assert.match(error.message, new RegExp(checkpoint!.file.replace('.', '\\.')));
			return true;
		});
	});
});

async function waitFor(check: () => boolean, what: string, timeout = 30_000): Promise<void> {
	const deadline = Date.now() + timeout;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}
