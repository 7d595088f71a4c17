import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {detectLocality, hostIsThisMachine, isLoopback, parseTarget} from '../../../source/core/detect/locality.ts';
import {known, unknown} from '../../../source/core/detect/types.ts';

// 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a real machine
const REMOTE = '192.0.2.10';

describe('parseTarget', () => {
	test('host:port, bracketed IPv6 and sockets', () => {
		assert.deepEqual(parseTarget('db.example.com:3306'), {kind: 'tcp', host: 'db.example.com', port: 3306});
		assert.deepEqual(parseTarget('[::1]:5432'), {kind: 'tcp', host: '::1', port: 5432});
		assert.deepEqual(parseTarget('::1:5432'), {kind: 'tcp', host: '::1', port: 5432});
		assert.deepEqual(parseTarget('socket /run/mysqld/mysqld.sock'), {kind: 'socket', path: '/run/mysqld/mysqld.sock'});
	});
});

describe('isLoopback', () => {
	test('IPv4 127/8, ::1 and IPv4-mapped loopback', () => {
		assert.equal(isLoopback('127.0.0.1'), true);
		assert.equal(isLoopback('127.3.4.5'), true);
		assert.equal(isLoopback('::1'), true);
		assert.equal(isLoopback('::ffff:127.0.0.1'), true);
		assert.equal(isLoopback(REMOTE), false);
	});
});

describe('hostIsThisMachine', () => {
	test('localhost and loopback addresses are local', async () => {
		assert.equal((await hostIsThisMachine('localhost')).local, true);
		assert.equal((await hostIsThisMachine('127.0.0.1')).local, true);
	});

	const external = Object.values(os.networkInterfaces())
		.flat()
		.find((item) => item && !item.internal && item.family === 'IPv4')?.address;
	test("an address of one of this machine's interfaces is local", {skip: external ? false : 'this machine has no external IPv4 interface'}, async () => {
		assert.equal((await hostIsThisMachine(external ?? '')).local, true);
	});

	test('a TEST-NET address is not', async () => {
		const check = await hostIsThisMachine(REMOTE);
		assert.equal(check.local, false);
		assert.match(check.how, /not a loopback address/);
	});
});

describe('detectLocality', () => {
	let dir: string;
	before(async () => {
		dir = await mkdtemp(path.join(os.tmpdir(), 'detect-locality-'));
	});
	after(async () => {
		await rm(dir, {recursive: true, force: true});
	});

	test('loopback host and an existing data directory: local', async () => {
		const {local, notHere} = await detectLocality('127.0.0.1:3306', known(dir, 'SELECT @@datadir'));
		assert.deepEqual(local.known && local.value, true);
		assert.equal(notHere, undefined);
		assert.ok(local.known && local.source.includes(dir));
	});

	test('socket connection: local, said so', async () => {
		const {local} = await detectLocality('socket /run/mysqld/mysqld.sock', known(dir, 'SELECT @@datadir'));
		assert.ok(local.known && local.value === true && local.source.includes('unix socket /run/mysqld/mysqld.sock'));
	});

	test('another host: not local, and its data directory is not here', async () => {
		const {local, notHere} = await detectLocality(`${REMOTE}:3306`, known(dir, 'SELECT @@datadir'));
		assert.equal(local.known && local.value, false);
		assert.equal(notHere, `server is on another host (${REMOTE}:3306): its data directory is not on this machine`);
	});

	test('loopback but the data directory does not exist here (a container behind a forwarded port)', async () => {
		const missing = path.join(dir, 'not-there');
		const {local, notHere} = await detectLocality('127.0.0.1:3306', known(missing, 'SELECT @@datadir'));
		assert.equal(local.known && local.value, false);
		assert.match(notHere ?? '', /does not exist on this machine/);
	});

	test('unknown data directory: locality unknown, with the reason carried', async () => {
		const {local} = await detectLocality('127.0.0.1:5432', unknown('no privilege to read data_directory'));
		assert.equal(local.known, false);
		assert.ok(!local.known && local.reason.includes('no privilege to read data_directory'));
	});
});
