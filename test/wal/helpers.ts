/** Shared pieces of the wal-stream / wal-fetch tests: the harness's PostgreSQL, its pg_wal, load, waiting. */
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {readdir, readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {promisify} from 'node:util';
import pg from 'pg';
import type {ConnectionSettings} from '../../source/core/connection-settings.ts';
import {parseLsn, type Lsn} from '../../source/core/pg-replication/lsn.ts';
import type {RunningPostgres} from '../../source/sandbox/types.ts';
import {readWalCheckpoint} from '../../source/wal/store/checkpoint.ts';
import {getTestServers, type TestPostgres} from '../harness/servers.ts';

export const run = promisify(execFile);
export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const SEGMENT = 16 * 1024 * 1024;

type Server = Pick<TestPostgres | RunningPostgres, 'socketDir' | 'port' | 'superuser' | 'datadir'>;

export function harnessPostgres(): TestPostgres {
	return getTestServers().postgres;
}

/** The product's settings for a server, as its superuser over the socket (trusted). */
export function settingsOf(server: Server = harnessPostgres()): ConnectionSettings {
	return {dbType: 'postgres', socket: server.socketDir, port: server.port, user: server.superuser};
}

export async function sqlClient(server: Server = harnessPostgres(), database = 'postgres'): Promise<pg.Client> {
	const client = new pg.Client({host: server.socketDir, port: server.port, user: server.superuser, database});
	await client.connect();
	return client;
}

/** The segment names of a store directory that are complete (24 hex digits, nothing after). */
export async function completeSegments(dir: string): Promise<string[]> {
	return (await readdir(dir)).filter((name) => /^[0-9A-F]{24}$/.test(name)).sort();
}

/** Each of `names` in `dir` is byte for byte the server's own pg_wal file. */
export async function assertSameAsServer(server: Server, dir: string, names: string[]): Promise<void> {
	for (const name of names) {
		const ours = await readFile(join(dir, name));
		const theirs = await readFile(join(server.datadir, 'pg_wal', name));
		assert.equal(ours.length, SEGMENT, `${name}: a whole segment`);
		assert.ok(ours.equals(theirs), `${name}: byte-identical to the server's pg_wal/${name}`);
	}
}

/** `bytes` is the start of the server's file `name` (the segment the server is still writing, or its last of a timeline). */
export async function assertPrefixOfServer(server: Server, name: string, bytes: Buffer): Promise<void> {
	const theirs = await readFile(join(server.datadir, 'pg_wal', name));
	assert.ok(bytes.length <= theirs.length && bytes.equals(theirs.subarray(0, bytes.length)), `${name}: our ${bytes.length} bytes are the start of the server's file`);
}

export async function currentFlush(sql: pg.Client): Promise<Lsn> {
	return parseLsn((await sql.query<{lsn: string}>('SELECT pg_current_wal_flush_lsn()::text AS lsn')).rows[0]!.lsn);
}

/** pg_switch_wal, then the flush position: the start of a fresh segment. */
export async function switchWal(sql: pg.Client): Promise<Lsn> {
	await sql.query('SELECT pg_switch_wal()');
	return currentFlush(sql);
}

/** Some WAL: rows into a scratch table. */
export async function writeRows(sql: pg.Client, table: string, rows: number, width = 300): Promise<void> {
	await sql.query(`CREATE TABLE IF NOT EXISTS ${table} (id bigserial PRIMARY KEY, v text)`);
	await sql.query(`INSERT INTO ${table} (v) SELECT repeat(md5(g::text), ${Math.ceil(width / 32)}) FROM generate_series(1, ${rows}) g`);
}

/** A slot that holds the server's WAL files from now on, so the test can compare them after the stream's slot moved on. */
export async function pinWal(sql: pg.Client, name: string): Promise<() => Promise<void>> {
	await sql.query('SELECT pg_create_physical_replication_slot($1, true)', [name]);
	return async () => {
		await sql.query('SELECT pg_drop_replication_slot($1) FROM pg_replication_slots WHERE slot_name = $1', [name]).catch(() => undefined);
	};
}

export async function dropSlot(sql: pg.Client, name: string): Promise<void> {
	for (let attempt = 0; attempt < 50; attempt++) {
		const {rows} = await sql.query<{active: boolean}>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [name]);
		if (rows.length === 0) return;
		if (!rows[0]!.active) {
			await sql.query('SELECT pg_drop_replication_slot($1)', [name]).catch(() => undefined);
			return;
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

export async function slotRestartLsn(sql: pg.Client, name: string): Promise<Lsn | undefined> {
	const {rows} = await sql.query<{lsn: string | null}>('SELECT restart_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [name]);
	return rows[0]?.lsn ? parseLsn(rows[0].lsn) : undefined;
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value !== undefined && value !== false) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

/** Waits until the store's checkpoint covers `lsn`. */
export async function waitForCheckpoint(dir: string, lsn: Lsn, timeoutMs = 30_000): Promise<Lsn> {
	return waitFor(`the checkpoint of ${dir} to reach ${lsn.toString(16)}`, async () => {
		const checkpoint = await readWalCheckpoint(dir).catch(() => undefined);
		const at = checkpoint ? parseLsn(checkpoint.flushLsn) : 0n;
		return at >= lsn ? at : undefined;
	}, timeoutMs);
}

/** pg_waldump over our files from `start` to `end`: it reads every record, or fails. */
export async function waldump(dir: string, start: string, end: string, timeline = 1): Promise<string> {
	const {stdout} = await run(`${PG_BIN}/pg_waldump`, ['--path', dir, '--timeline', String(timeline), '--start', start, '--end', end, '--stats'], {maxBuffer: 64 * 1024 * 1024});
	return stdout;
}
