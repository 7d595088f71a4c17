import assert from 'node:assert/strict';
import {mkdtemp, readFile, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import mysql, {type Connection, type RowDataPacket} from 'mysql2/promise';
import {streamBinlogs, type BinlogStreamOptions} from '../../../source/binlog/stream/streamer.ts';
import {EventBus, type BusEvent} from '../../../source/core/events.ts';
import {startMariadb} from '../../../source/sandbox/mariadb.ts';
import type {RunningMariadb} from '../../../source/sandbox/types.ts';
import {FaultProxy} from './fault-proxy.ts';
import {assertByteIdentical} from './server-copy.ts';

let server: RunningMariadb;
let admin: Connection;
const dirs: string[] = [];

before(async () => {
	server = await startMariadb({log: () => {}});
	admin = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, multipleStatements: true});
	await admin.query('CREATE DATABASE faults; CREATE TABLE faults.t (id INT PRIMARY KEY, v LONGTEXT)');
	for (let index = 0; index < 4; index += 1) await admin.query('INSERT INTO faults.t VALUES (?, REPEAT(?, 300000))', [index, String.fromCharCode(97 + index)]);
});

after(async () => {
	await admin?.end();
	await server?.stop();
	for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});

async function setup(proxy: FaultProxy, extra: Partial<BinlogStreamOptions> = {}): Promise<{options: BinlogStreamOptions; events: BusEvent[]; bus: EventBus}> {
	await proxy.start();
	const dir = await mkdtemp(join(tmpdir(), 'dbbackup-binlog-fault-'));
	dirs.push(dir);
	const bus = new EventBus();
	const events: BusEvent[] = [];
	bus.onAny((event) => events.push(event));
	return {
		bus,
		events,
		options: {
			settings: {dbType: 'mysql', host: '127.0.0.1', port: proxy.port, user: server.user, password: server.password},
			outputDir: dir,
			serverId: 5151,
			useGtid: false,
			sync: 'always',
			checkpointIntervalSeconds: 0.5,
			compress: 'none',
			stopAtEnd: true,
			...extra,
		},
	};
}

describe('binlog-stream faults a real server cannot produce (through a fault-injecting proxy)', {timeout: 120_000}, () => {
	test('mock fault: a byte damaged in transit fails the CRC32 check and the event is never written', async () => {
		const proxy = new FaultProxy(server.host, server.port);
		const {options, bus} = await setup(proxy);
		// well inside the row data of the 300 KB rows, past the handshake and the first events
		proxy.corruptAt = 600_000;
		try {
			await assert.rejects(streamBinlogs(options, bus, new AbortController().signal), (error: Error & {code?: string; exitCode?: number}) => {
				assert.equal(error.code, 'BINLOG_CHECKSUM');
				assert.equal(error.exitCode, 5);
				assert.match(error.message, /mariadb-bin\.000001:\d+/);
				return true;
			});
		} finally {
			await proxy.stop();
		}
		const [file] = (await readdir(options.outputDir)).filter((name) => /\.\d+$/.test(name));
		const ours = await readFile(join(options.outputDir, file!));
		const theirs = await readFile(join(server.datadir, file!));
		assert.ok(ours.length < theirs.length, 'the copy stops before the damaged event');
		assert.ok(ours.equals(theirs.subarray(0, ours.length)), 'what was written is the server\'s bytes');
	});

	test('mock fault: a link that goes silent is noticed through the missing heartbeats, and streaming reconnects', async () => {
		const proxy = new FaultProxy(server.host, server.port);
		const {options, bus, events} = await setup(proxy, {stopAtEnd: false, heartbeatSeconds: 0.5, deadAfterSeconds: 2, maxBackoffSeconds: 1});
		const controller = new AbortController();
		const streaming = streamBinlogs(options, bus, controller.signal);
		try {
			await waitFor(() => events.some((event) => event.type === 'binlog-durable'), 'streaming started');
			proxy.silent = true;
			await admin.query('INSERT INTO faults.t VALUES (100, "while the link was silent")');
			await waitFor(() => events.some((event) => event.type === 'warning' && event.code === 'BINLOG_RECONNECTING' && /no packet/.test(event.message)), 'the dead link is noticed', 20_000);
			const [rows] = await admin.query<RowDataPacket[]>('SELECT @@global.gtid_binlog_pos AS gtid');
			const target = String(rows[0]!.gtid);
			await waitFor(() => events.some((event) => event.type === 'binlog-durable' && event.gtid === target), 'the write made while silent arrives after the reconnect', 20_000);
		} finally {
			controller.abort();
			await streaming;
			await proxy.stop();
		}
		await assertByteIdentical(admin, server.datadir, options.outputDir);
	});

	test('mock fault: the server rotates between SHOW BINARY LOGS and a GTID dump, and skips the rest of the file: the copy resumes by position and stays whole', async () => {
		const proxy = new FaultProxy(server.host, server.port);
		const {options, bus, events} = await setup(proxy, {useGtid: true});
		try {
			await admin.query('INSERT INTO faults.t VALUES (200, "before the rotation")');
			// the copy ends where the server's file does: what is left of it holds no transaction
			await streamBinlogs(options, bus, new AbortController().signal);
			// COM_BINLOG_DUMP (0x12) of the next run reaches the server only after it has rotated
			proxy.holdCommand = {command: 0x12, until: async () => void (await admin.query('FLUSH BINARY LOGS'))};
			await streamBinlogs(options, bus, new AbortController().signal);
			assert.equal(proxy.holdCommand, undefined, 'the dump was held while the server rotated');
			assert.ok(events.some((event) => event.type === 'warning' && event.code === 'BINLOG_GTID_SKIPPED_FILE'), 'the skip was seen and resumed by position');
		} finally {
			await proxy.stop();
		}
		await assertByteIdentical(admin, server.datadir, options.outputDir);
	});
});

async function waitFor(check: () => boolean, what: string, timeout = 30_000): Promise<void> {
	const deadline = Date.now() + timeout;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}
