import assert from 'node:assert/strict';
import {readFile, readdir} from 'node:fs/promises';
import {join} from 'node:path';
import {decompress as zstdDecompress} from 'zstd-napi';
import type {Connection, RowDataPacket} from 'mysql2/promise';

/** The server's binlog files, oldest first, from SHOW BINARY LOGS. */
export async function serverBinlogs(connection: Connection): Promise<string[]> {
	const [rows] = await connection.query<RowDataPacket[]>('SHOW BINARY LOGS');
	return rows.map((row) => String(row.Log_name));
}

/** Our copy of one binlog file: the raw file, or the decompressed `.zst`. */
export async function copiedBinlog(dir: string, name: string): Promise<Buffer | undefined> {
	const names = await readdir(dir);
	if (names.includes(name)) return readFile(join(dir, name));
	if (names.includes(`${name}.zst`)) return zstdDecompress(await readFile(join(dir, `${name}.zst`)));
	return undefined;
}

/**
 * Asserts that every binlog file the server has (from `from` on) is in `dir` byte for byte; the active
 * one may be a prefix of the server's when `activeMayBePrefix`.
 */
export async function assertByteIdentical(connection: Connection, datadir: string, dir: string, options: {from?: string; activeMayBePrefix?: boolean} = {}): Promise<string[]> {
	const names = await serverBinlogs(connection);
	const wanted = options.from ? names.slice(names.indexOf(options.from)) : names;
	for (const [index, name] of wanted.entries()) {
		const theirs = await readFile(join(datadir, name));
		const ours = await copiedBinlog(dir, name);
		assert.ok(ours, `${name} is in the copy`);
		const active = index === wanted.length - 1;
		if (active && options.activeMayBePrefix) {
			assert.ok(ours.length <= theirs.length, `${name}: the copy (${ours.length} bytes) is not longer than the server's (${theirs.length})`);
			assert.ok(ours.equals(theirs.subarray(0, ours.length)), `${name}: the copy is a byte-identical prefix of the server's file`);
		} else {
			assert.equal(ours.length, theirs.length, `${name}: same size as the server's`);
			assert.ok(ours.equals(theirs), `${name}: byte-identical to the server's file`);
		}
	}
	return wanted;
}
