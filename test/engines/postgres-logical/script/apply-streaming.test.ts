import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import {EventBus} from '../../../../source/core/events.ts';
import {applyPostgresScript} from '../../../../source/engines/postgres-logical/script/apply.ts';
import {dropPostgresDatabases, postgresClient, uniqueName} from '../../../harness/db.ts';

let admin: pg.Client;
let client: pg.Client;
let observer: pg.Client;
const database = uniqueName('pgscript_stream');

before(async () => {
	admin = await postgresClient();
	await admin.query(`CREATE DATABASE ${database}`);
	client = await postgresClient(database);
	observer = await postgresClient(database);
});

after(async () => {
	await client.end();
	await observer.end();
	await dropPostgresDatabases([database]);
	await admin.end();
});

/** Bytes of COPY data the server has read so far (0 before the COPY starts). */
async function serverBytes(): Promise<number> {
	const result = await observer.query(`SELECT coalesce(sum(bytes_processed), 0)::bigint AS bytes FROM pg_stat_progress_copy WHERE datname = current_database()`);
	return Number(result.rows[0].bytes);
}

test('a large COPY block goes to the server as it is read: the script is pulled only as fast as the server takes it', async () => {
	const rowsPerChunk = 1024;
	const chunks = 1200;
	const row = (n: number) => `${n}\t${'p'.repeat(50)};\\\\.\n`;
	let produced = 0;
	let dataProduced = 0;
	let largestLead = 0;
	const source = (async function* () {
		const header = Buffer.from('CREATE TABLE big (id int, payload text);\nCOPY big (id, payload) FROM stdin;\n');
		produced += header.length;
		yield header;
		for (let chunk = 0; chunk < chunks; chunk++) {
			const lines: string[] = [];
			for (let n = 0; n < rowsPerChunk; n++) lines.push(row(chunk * rowsPerChunk + n));
			const bytes = Buffer.from(lines.join(''));
			if (chunk % 10 === 0) largestLead = Math.max(largestLead, dataProduced - (await serverBytes()));
			produced += bytes.length;
			dataProduced += bytes.length;
			yield bytes;
		}
		const tail = Buffer.from('\\.\nSELECT 1;\n');
		produced += tail.length;
		yield tail;
	})();
	const result = await applyPostgresScript({client, source, bus: new EventBus(), member: 'big.sql'});
	assert.deepEqual(result.errors, []);
	assert.equal(result.copyRows, chunks * rowsPerChunk);
	assert.equal(result.bytes, produced);
	assert.ok(produced > 64 * 1024 * 1024, `${produced} bytes`);
	// what is in flight is bounded by the sockets' buffers, not by the size of the block
	assert.ok(largestLead <= 24 * 1024 * 1024, `the source ran ${largestLead} bytes ahead of the server`);
	const check = await client.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE right(payload, 3) = ';\\.')::int AS escaped FROM big`);
	assert.deepEqual(check.rows[0], {n: chunks * rowsPerChunk, escaped: chunks * rowsPerChunk});
});

test('COPY data from a source that reuses one buffer for every chunk arrives intact', async () => {
	// chunks of 8,000 bytes (125 rows of 64), below the socket's 16 KiB high-water mark: a write the kernel
	// cannot take at once is queued while write() still says "go on", so only waiting for the write itself
	// keeps the next chunk from overwriting it; 32 MB in all, so that the socket does back up
	const chunks = 4000;
	const rowsPerChunk = 125;
	const row = (n: number) => `${String(n).padStart(8, '0')}\t${`r${n}`.padEnd(54, 'x')}\n`;
	const contents = Array.from({length: chunks}, (_, chunk) => Buffer.from(Array.from({length: rowsPerChunk}, (_, n) => row(chunk * rowsPerChunk + n)).join(''), 'latin1'));
	const shared = Buffer.alloc(rowsPerChunk * 64);
	const source = (async function* () {
		// the indexes slow the server down, so that it is the side that makes the socket back up
		yield Buffer.from('CREATE TABLE reused (id int PRIMARY KEY, payload text);\nCREATE INDEX ON reused (payload);\nCOPY reused (id, payload) FROM stdin;\n');
		for (const content of contents) {
			content.copy(shared);
			yield shared;
		}
		yield Buffer.from('\\.\n');
	})();
	const result = await applyPostgresScript({client, source, bus: new EventBus(), member: 'reused.sql'});
	assert.deepEqual(result.errors, []);
	assert.equal(result.copyRows, chunks * rowsPerChunk);
	const check = await client.query(`SELECT count(DISTINCT id)::int AS ids, count(*) FILTER (WHERE payload = rpad('r' || id, 54, 'x'))::int AS intact FROM reused`);
	assert.deepEqual(check.rows[0], {ids: chunks * rowsPerChunk, intact: chunks * rowsPerChunk});
});
