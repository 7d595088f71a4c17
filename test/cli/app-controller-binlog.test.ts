import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import mysql, {type Connection} from 'mysql2/promise';
import {readCheckpoint} from '../../source/binlog/stream/checkpoint.ts';
import {CliAppController} from '../../source/cli/app-controller.ts';
import {defaultConfig} from '../../source/core/config/defaults.ts';
import {UsageError} from '../../source/core/errors.ts';
import {EventBus, type EventOf} from '../../source/core/events.ts';
import type {ConnectionSettings} from '../../source/core/connection-settings.ts';
import {startMariadb} from '../../source/sandbox/mariadb.ts';
import type {RunningMariadb} from '../../source/sandbox/types.ts';
import {mariadbSettings} from '../harness/db.ts';

const live = mariadbSettings();

function withFileTarget(dir: string) {
	const config = defaultConfig();
	config.backup.binlog.targets = [{type: 'file', path: dir, compress: false}];
	return config;
}

/** Resolves with the first event of `type` that `accept` takes. */
function nextEvent<K extends 'binlog-status' | 'binlog-event'>(bus: EventBus, type: K, accept: (event: EventOf<K>) => boolean): Promise<EventOf<K>> {
	return new Promise((resolve) => {
		const off = bus.on(type, (event) => {
			if (!accept(event)) return;
			off();
			resolve(event);
		});
	});
}

describe('where the tail screen writes', () => {
	test('--output first, else the file target of the config, else nothing (the screen asks)', () => {
		const bus = new EventBus();
		assert.equal(new CliAppController(bus, [live], true, {}, '/w', {request: {output: '/flag/'}, config: withFileTarget('/config')}).binlogOutputDir(), '/flag/');
		assert.equal(new CliAppController(bus, [live], true, {}, '/w', {request: {}, config: withFileTarget('/config')}).binlogOutputDir(), '/config');
		assert.equal(new CliAppController(bus, [live], true, {}, '/w', {request: {}, config: defaultConfig()}).binlogOutputDir(), undefined);
		assert.equal(new CliAppController(bus, [live], true).binlogOutputDir(), undefined);
	});

	test('a bad flag or no MySQL server is a usage error that becomes the exit code', async () => {
		const bus = new EventBus();
		const badSync = new CliAppController(bus, [live], true, {}, '/w', {request: {sync: 'sometimes'}});
		await assert.rejects(badSync.streamBinlogs({output: '/nonexistent/never-created'}, new AbortController().signal), UsageError);
		assert.equal(badSync.lastFailure?.exitCode, 2);

		const postgresOnly = new CliAppController(bus, [{dbType: 'postgres', host: '127.0.0.1', port: 1, user: 'postgres'}], true);
		await assert.rejects(postgresOnly.streamBinlogs({output: '/nonexistent/never-created'}, new AbortController().signal), (error: unknown) => {
			assert.ok(error instanceof UsageError);
			assert.equal(error.code, 'NO_SERVER');
			return true;
		});
	});
});

// a private server: the stream starts at its oldest binlog, which on the shared server holds every other test's writes
describe('streaming for the tail screen against a real MariaDB', () => {
	let server: RunningMariadb;
	let target: ConnectionSettings;
	let admin: Connection;
	const dirs: string[] = [];
	const tempDir = async () => {
		const dir = await mkdtemp(path.join(os.tmpdir(), 'dbbackup-tail-'));
		dirs.push(dir);
		return dir;
	};

	before(async () => {
		server = await startMariadb({log: () => {}});
		target = {dbType: 'mysql', host: server.host, port: server.port, user: server.user, password: server.password};
		admin = await mysql.createConnection({host: server.host, port: server.port, user: server.user, password: server.password, multipleStatements: true});
		await admin.query('CREATE DATABASE tail_src; CREATE TABLE tail_src.orders (id INT PRIMARY KEY, item VARCHAR(20));');
	});

	after(async () => {
		await admin?.end();
		await server?.stop();
		for (const dir of dirs) await rm(dir, {recursive: true, force: true});
	});

	test('the flags request and the screen directory start the stream; abort stops it with the checkpoint written', async () => {
		const bus = new EventBus();
		const dir = await tempDir();
		const controller = new CliAppController(bus, [target], true, {}, '/w', {request: {serverId: 4343}, config: defaultConfig()});
		const streaming = nextEvent(bus, 'binlog-status', (event) => event.state === 'streaming');
		const abort = new AbortController();
		const done = controller.streamBinlogs({output: dir}, abort.signal);
		await streaming;
		assert.equal(controller.connectionState(), 'connected', 'the header says connected while streaming');

		const rowsEvent = nextEvent(bus, 'binlog-event', (event) => event.schema === 'tail_src' && event.rows !== undefined);
		await admin.query("INSERT INTO tail_src.orders VALUES (1, 'apple'), (2, 'pear'), (3, 'plum')");
		const seen = await rowsEvent;
		assert.equal(seen.table, 'orders');
		assert.equal(seen.rows, 3);

		abort.abort();
		const summary = await done;
		assert.equal(summary.outputDir, dir);
		const checkpoint = await readCheckpoint(dir);
		assert.ok(checkpoint, 'a checkpoint is written');
		assert.deepEqual({file: checkpoint.file, position: checkpoint.position}, {file: summary.file, position: summary.position});
		assert.ok(checkpoint.position > seen.pos, 'the checkpoint is past the insert');
		assert.equal(controller.lastFailure, undefined);
	});

	test('stop() (Ctrl+C, SIGTERM) ends a running stream cleanly before it returns', async () => {
		const bus = new EventBus();
		const dir = await tempDir();
		const controller = new CliAppController(bus, [target], true, {}, '/w', {request: {output: dir, serverId: 4344}, config: defaultConfig()});
		const streaming = nextEvent(bus, 'binlog-status', (event) => event.state === 'streaming');
		let settled = false;
		const done = controller.streamBinlogs({}, new AbortController().signal).finally(() => (settled = true));
		await streaming;
		await admin.query("INSERT INTO tail_src.orders VALUES (4, 'fig')");
		await controller.stop();
		assert.equal(settled, true, 'the stream has finished when stop() returns');
		const summary = await done;
		assert.equal(summary.outputDir, dir);
		assert.ok(await readCheckpoint(dir), 'a checkpoint is written');
	});
});
