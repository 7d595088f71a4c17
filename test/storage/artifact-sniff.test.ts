import assert from 'node:assert/strict';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {gzipSync} from 'node:zlib';
import {after, before, describe, test} from 'node:test';
import {DbBackupError} from '../../source/core/errors.ts';
import {identifyArtifact} from '../../source/storage/artifact.ts';
import {binaryReason, magicOf, scriptHeaderOf} from '../../source/storage/artifact-sniff.ts';

const text = (value: string) => Buffer.from(value, 'utf8');

/** A 512-byte ustar header for one member named `name`. */
function tarHeader(name: string): Buffer {
	const header = Buffer.alloc(512);
	header.write(name, 0, 'utf8');
	header.write('ustar\u000000', 257, 'latin1');
	return header;
}

describe('what the first bytes of a file say it is', () => {
	test('magic numbers: tar, zstd, gzip, pg_dump custom format', () => {
		assert.equal(magicOf(tarHeader('schema/shop.sql')), 'tar');
		assert.equal(magicOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0])), 'zstd');
		assert.equal(magicOf(gzipSync('x')), 'gzip');
		assert.equal(magicOf(text('PGDMP\u0001\u000e\u0000')), 'pg-custom');
		assert.equal(magicOf(text('SELECT 1;')), 'other');
	});

	test('the header lines of pg_dump, pg_dumpall, mysqldump, mariadb-dump and ours', () => {
		const cases: Array<[string, string | undefined, string | undefined]> = [
			['--\n-- PostgreSQL database dump\n--\n\n\\restrict abc\n\n-- Dumped from database version 15.18\n', 'postgres', 'a PostgreSQL plain SQL dump (pg_dump)'],
			['--\r\n-- PostgreSQL database dump\r\n--\r\n', 'postgres', 'a PostgreSQL plain SQL dump (pg_dump)'],
			['--\n-- PostgreSQL database cluster dump\n--\n', 'postgres', 'a PostgreSQL cluster dump (pg_dumpall)'],
			['\\restrict k\n\n--\n-- PostgreSQL database shop, dumped by dbbackup\n', 'postgres', 'a PostgreSQL SQL script (dbbackup --format sql)'],
			['-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost', 'mysql', 'a MySQL SQL dump (mysqldump)'],
			['/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19-11.4.2-MariaDB, for Linux (x86_64)\n', 'mysql', 'a MariaDB SQL dump (mariadb-dump)'],
			['-- dbbackup SQL dump of shop\n-- server 10.11.6-MariaDB\n', 'mysql', 'a MySQL/MariaDB SQL script (dbbackup --format sql)'],
			['CREATE TABLE t (id int);\n', undefined, undefined],
			// a header line further down a dump's rows does not change what wrote it
			["-- MySQL dump 10.13\nINSERT INTO t VALUES ('\n-- PostgreSQL database dump\n');\n", 'mysql', 'a MySQL SQL dump (mysqldump)'],
		];
		for (const [head, dbType, writer] of cases) {
			assert.deepEqual(scriptHeaderOf(text(head)), dbType === undefined ? undefined : {dbType, writer}, head);
		}
	});

	test('binary: NUL bytes, or bytes that are no UTF-8 in a file that does not start like SQL', () => {
		assert.match(binaryReason(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])) ?? '', /NUL/);
		assert.match(binaryReason(Buffer.from([0x89, 0xfe, 0x80, 0x90, 0xc3, 0x28, 0xa0, 0xff])) ?? '', /not UTF-8/);
		// a latin1 script, and a mysqldump --skip-comments with a raw binary string: not UTF-8, yet SQL
		assert.equal(binaryReason(Buffer.concat([text("INSERT INTO t VALUES ('caf"), Buffer.from([0xe9]), text("');")])), undefined);
		assert.equal(binaryReason(Buffer.concat([text("/*!40101 SET NAMES binary */;\nINSERT INTO t VALUES (_binary '"), Buffer.from([0xff, 0xfe]), text("');")])), undefined);
		// a UTF-8 character cut by the end of the read is still UTF-8
		assert.equal(binaryReason(text('SELECT "é').subarray(0, -1)), undefined);
		assert.equal(binaryReason(text('\uFEFF-- with a BOM\nSELECT 1;')), undefined);
	});
});

describe('identifyArtifact refuses what no restore reads, before anything is applied', () => {
	let dir: string;
	before(async () => {
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-sniff-'));
	});
	after(async () => {
		await rm(dir, {recursive: true, force: true});
	});

	const refusal = async (file: string): Promise<DbBackupError> => {
		const error = await identifyArtifact(file).then(
			() => undefined,
			(thrown: unknown) => thrown,
		);
		assert.ok(error instanceof DbBackupError, `${file} is refused`);
		return error;
	};

	test('a compressed pg_dump script is told apart inside its compression', async () => {
		const file = join(dir, 'dump.sql.gz');
		await writeFile(file, gzipSync('--\n-- PostgreSQL database dump\n--\nSET x = 1;\n'));
		const artifact = await identifyArtifact(file);
		assert.equal(artifact.kind, 'sql');
		assert.equal(artifact.compression, 'gzip');
		assert.deepEqual(artifact.script, {dbType: 'postgres', writer: 'a PostgreSQL plain SQL dump (pg_dump)'});
	});

	test('a mysqldump script piped through lz4 (the LZ4 frame format) is a script, read through its compression', async () => {
		const file = join(dir, 'dump.sql.lz4');
		const {compressFrame} = await import('lz4-napi');
		await writeFile(file, await compressFrame(Buffer.from('-- MySQL dump 10.13  Distrib 8.0.36\n--\nCREATE TABLE t (id INT);\n')));
		const artifact = await identifyArtifact(file);
		assert.equal(artifact.kind, 'sql');
		assert.equal(artifact.compression, 'lz4');
		assert.equal(artifact.script?.dbType, 'mysql');
	});

	test('a tar compressed whole, a pg_dump -Ft and a pg_dump -Fd: exit 2 saying what they are', async () => {
		const compressedTar = join(dir, 'backup.tar.gz');
		await writeFile(compressedTar, gzipSync(Buffer.concat([tarHeader('schema/shop.sql'), Buffer.alloc(1024)])));
		const whole = await refusal(compressedTar);
		assert.equal(whole.exitCode, 2);
		assert.equal(whole.code, 'ARTIFACT_WRONG_KIND');
		assert.match(whole.message, /is a tar archive compressed whole with gzip/);
		assert.match(whole.hint ?? '', /gunzip/);

		const pgTar = join(dir, 'pg.tar');
		await writeFile(pgTar, Buffer.concat([tarHeader('toc.dat'), Buffer.alloc(1024)]));
		assert.match((await refusal(pgTar)).message, /is a pg_dump tar-format archive \(toc\.dat\).*pg_restore -f dump\.sql/);

		const pgDirectory = join(dir, 'dir.dump');
		await mkdir(pgDirectory);
		await writeFile(join(pgDirectory, 'toc.dat'), 'PGDMP');
		const directory = await refusal(pgDirectory);
		assert.equal(directory.exitCode, 2);
		assert.match(directory.message, /is a pg_dump directory-format archive/);
	});

	test('binary data, also inside a compression: ARTIFACT_NOT_A_BACKUP (exit 2)', async () => {
		const binary = join(dir, 'blob.gz');
		await writeFile(binary, gzipSync(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0])));
		const error = await refusal(binary);
		assert.equal(error.code, 'ARTIFACT_NOT_A_BACKUP');
		assert.equal(error.exitCode, 2);
	});

	test('a compressed file that does not decompress: exit 5, damaged', async () => {
		const cut = join(dir, 'cut.sql.gz');
		await writeFile(cut, gzipSync('SELECT 1;\n'.repeat(1000)).subarray(0, 30));
		const error = await refusal(cut);
		assert.equal(error.exitCode, 5);
		assert.match(error.message, /starts like a gzip file but does not decompress/);
	});
});
