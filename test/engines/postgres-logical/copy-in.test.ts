import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import type pg from 'pg';
import {IntegrityError} from '../../../source/core/errors.ts';
import {CopyIn, copyPieces, type CopyPiece} from '../../../source/engines/postgres-logical/copy-in.ts';
import {postgresClient} from '../../harness/db.ts';

let client: pg.Client;

before(async () => {
	client = await postgresClient();
});
after(async () => {
	await client.end();
});

/** COPY text of rows (n, 'row n'); one row is `bad` when given. */
function rows(count: number, bad?: number): Buffer {
	const lines: string[] = [];
	for (let row = 1; row <= count; row++) lines.push(row === bad ? 'not a number\tbad\n' : `${row}\trow ${row}\n`);
	return Buffer.from(lines.join(''));
}

interface Tracked {
	pieces: AsyncIterable<CopyPiece>;
	/** pieces taken from the iterable, and released */
	taken(): number;
	released(): number;
	closed(): boolean;
}

/** `data` cut at uneven places (rows split across pieces), each piece counting its release; then `failure`, if any. */
function piecesOf(data: Buffer, failure?: Error): Tracked {
	let taken = 0;
	let released = 0;
	let closed = false;
	async function* generate(): AsyncGenerator<CopyPiece> {
		try {
			let at = 0;
			for (let index = 0; at < data.length; index++) {
				// a big piece now and then, so the socket pushes back
				const size = index % 25 === 24 ? 3 * 1024 * 1024 : 1 + ((index * 7919) % 65_536);
				const piece = data.subarray(at, at + size);
				at += piece.length;
				taken += 1;
				let done = false;
				yield {
					data: piece,
					release: () => {
						assert.equal(done, false, 'a piece is released once');
						done = true;
						released += 1;
					},
				};
			}
			if (failure) throw failure;
		} finally {
			closed = true;
		}
	}
	return {pieces: generate(), taken: () => taken, released: () => released, closed: () => closed};
}

async function tableRows(table: string): Promise<{count: number; sum: number}> {
	const {rows: [row]} = await client.query<{count: string; sum: string | null}>(`SELECT count(*)::text AS count, sum(n)::text AS sum FROM ${table}`);
	return {count: Number(row!.count), sum: Number(row!.sum ?? 0)};
}

describe('CopyIn and copyPieces', () => {
	test('the rows reach the table, the row count comes back, and every piece is released', async () => {
		await client.query('CREATE TEMP TABLE copied (n int, label text)');
		const count = 400_000;
		const tracked = piecesOf(rows(count));
		const copy = new CopyIn('COPY copied (n, label) FROM STDIN');
		void client.query(copy);
		let bytes = 0;
		assert.equal(await copyPieces(copy, tracked.pieces, (size) => (bytes += size)), count);
		assert.equal(bytes, rows(count).length);
		assert.deepEqual(await tableRows('copied'), {count, sum: (count * (count + 1)) / 2});
		assert.ok(tracked.taken() > 10);
		assert.equal(tracked.released(), tracked.taken());
	});

	test('pieces that fail on the way: their error is thrown, the COPY is given up with no row kept, the connection goes on', async () => {
		await client.query('CREATE TEMP TABLE given_up (n int, label text)');
		const bad = new IntegrityError({code: 'ARCHIVE_CHECKSUM_MISMATCH', message: 'data/x.copy: sha256 mismatch'});
		const tracked = piecesOf(rows(50_000), bad);
		const copy = new CopyIn('COPY given_up (n, label) FROM STDIN');
		void client.query(copy);
		await assert.rejects(copyPieces(copy, tracked.pieces), (error) => error === bad);
		assert.deepEqual(await tableRows('given_up'), {count: 0, sum: 0});
		assert.equal(tracked.released(), tracked.taken());
		assert.equal((await client.query<{one: number}>('SELECT 1 AS one')).rows[0]!.one, 1);
	});

	test('a row the server refuses: its SQLSTATE is thrown, the pieces are closed, the connection goes on', async () => {
		await client.query('CREATE TEMP TABLE refused (n int, label text)');
		const tracked = piecesOf(rows(300_000, 7));
		const copy = new CopyIn('COPY refused (n, label) FROM STDIN');
		void client.query(copy);
		await assert.rejects(copyPieces(copy, tracked.pieces), (error: {code?: string}) => error.code === '22P02');
		assert.equal(tracked.closed(), true);
		assert.deepEqual(await tableRows('refused'), {count: 0, sum: 0});
		// a piece the socket was still sending when the refusal came is released once sent; the query's
		// answer comes after the server has read it
		assert.equal(tracked.released(), tracked.taken());
		assert.equal((await client.query<{one: number}>('SELECT 1 AS one')).rows[0]!.one, 1);
	});

	test('a COPY the server does not start (no such table) throws its error and releases the piece it took', async () => {
		const tracked = piecesOf(rows(10));
		const copy = new CopyIn('COPY no_such_table_here (n, label) FROM STDIN');
		void client.query(copy);
		await assert.rejects(copyPieces(copy, tracked.pieces), (error: {code?: string}) => error.code === '42P01');
		assert.equal(tracked.released(), tracked.taken());
		assert.equal((await client.query<{one: number}>('SELECT 1 AS one')).rows[0]!.one, 1);
	});

	test('pieces that fail before the server answers: nothing is sent, the connection goes on', async () => {
		await client.query('CREATE TEMP TABLE early (n int, label text)');
		const bad = new IntegrityError({code: 'ARCHIVE_MEMBER_CORRUPT', message: 'data/x.copy.zst: corrupt'});
		const copy = new CopyIn('COPY early (n, label) FROM STDIN');
		void client.query(copy);
		await assert.rejects(copyPieces(copy, piecesOf(Buffer.alloc(0), bad).pieces), (error) => error === bad);
		assert.deepEqual(await tableRows('early'), {count: 0, sum: 0});
	});
});
