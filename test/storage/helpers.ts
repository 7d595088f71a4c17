import {createHash, randomBytes} from 'node:crypto';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {open} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import type {Readable} from 'node:stream';
import {IntegrityError} from '../../source/core/errors.ts';
import type {Manifest} from '../../source/storage/archive/manifest.ts';
import {indexTar, type TarEntry} from '../../source/storage/archive/tar-index.ts';
import {createArchiveWriter, type ManifestFields} from '../../source/storage/archive/writer.ts';
import type {Compression} from '../../source/storage/compression.ts';

export interface TempDir {
	root: string;
	at(name: string): string;
	remove(): void;
}

export function tempDir(): TempDir {
	const root = mkdtempSync(path.join(os.tmpdir(), 'dbbackup-storage-'));
	return {root, at: (name) => path.join(root, name), remove: () => rmSync(root, {recursive: true, force: true})};
}

export async function collect(stream: Readable | AsyncIterable<Buffer | string>): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
	return Buffer.concat(chunks);
}

/** Runs `action` and returns the IntegrityError it must fail with: exit code 5, `code` (or a code matching the pattern), `message`. */
export async function integrityError(action: () => Promise<unknown>, code: string | RegExp, message: RegExp): Promise<IntegrityError> {
	try {
		await action();
	} catch (error) {
		assert.ok(error instanceof IntegrityError, `expected an IntegrityError, got ${String(error)}`);
		assert.equal(error.exitCode, 5);
		if (typeof code === 'string') assert.equal(error.code, code, error.message);
		else assert.match(error.code, code, error.message);
		assert.match(error.message, message);
		return error;
	}
	assert.fail(`expected ${code}`);
}

export function sha256(data: Uint8Array): string {
	return createHash('sha256').update(data).digest('hex');
}

/** Dump-like text: compressible but not trivially so. */
export function dumpText(bytes: number): Buffer {
	const words = Array.from({length: 512}, () => randomBytes(5).toString('hex'));
	const lines: string[] = [];
	let size = 0;
	for (let row = 0; size < bytes; row++) {
		const line = `INSERT INTO orders VALUES (${row},'${words[row % 509]}','${words[(row * 7) % 511]}',${(row * 37) % 1000}.${row % 100});\n`;
		lines.push(line);
		size += line.length;
	}
	return Buffer.from(lines.join('')).subarray(0, bytes);
}

export function manifestFields(overrides: Partial<ManifestFields> = {}): ManifestFields {
	return {
		tool: {name: 'dbbackup', version: '0.1.0'},
		engine: 'mysqldump',
		dbType: 'mysql',
		server: {version: '10.11.6-MariaDB', flavor: 'mariadb', host: '127.0.0.1:3306'},
		databases: [],
		coordinates: {binlogFile: 'mysql-bin.000003', binlogPos: 1234},
		startedAt: '2025-01-02T03:04:05.000Z',
		options: {compress: 'zstd'},
		...overrides,
	};
}

/** A complete archive written for a test to read or damage copies of. */
export interface SampleArchive {
	bytes: Buffer;
	manifest: Manifest;
	/** member path → its content before compression */
	contents: Map<string, Buffer>;
}

/** Writes `members` (name, content, and a codec other than the archive's zstd) into an archive at `path`, one member at a time. */
export async function writeSampleArchive(
	path: string,
	members: ReadonlyArray<readonly [string, Buffer, Compression?]>,
	fields: Partial<ManifestFields> = {},
): Promise<SampleArchive> {
	const writer = await createArchiveWriter({path, compression: 'zstd', concurrency: 1});
	const contents = new Map<string, Buffer>();
	for (const [name, data, compression] of members) {
		const member = await writer.addMember(name, data, {compression});
		contents.set(member.path, data);
	}
	const {manifest} = await writer.finish(manifestFields(fields));
	return {bytes: readFileSync(path), manifest, contents};
}

/** Where each entry of the tar file `file` sits, by the reader's own index. */
export async function tarEntries(file: string): Promise<TarEntry[]> {
	const handle = await open(file, 'r');
	try {
		return (await indexTar(handle, (await handle.stat()).size, file)).entries;
	} finally {
		await handle.close();
	}
}

/** The entry called `name`; the test fails when there is none. */
export function entryNamed(entries: TarEntry[], name: string): TarEntry {
	const entry = entries.find((candidate) => candidate.name === name);
	assert.ok(entry, `no tar entry ${name}`);
	return entry;
}
