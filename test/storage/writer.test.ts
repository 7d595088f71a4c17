import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {open} from 'node:fs/promises';
import path from 'node:path';
import {Readable} from 'node:stream';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {after, before, describe, test} from 'node:test';
import {ConnectionError, IntegrityError, UsageError, WorkError} from '../../source/core/errors.ts';
import {EventBus, type BusEvent} from '../../source/core/events.ts';
import {openArchive} from '../../source/storage/archive/reader.ts';
import {createArchiveWriter} from '../../source/storage/archive/writer.ts';
import {collect, dumpText, manifestFields, sha256, tempDir, type TempDir} from './helpers.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const writerModule = pathToFileURL(path.join(repoRoot, 'source/storage/archive/writer.ts')).href;

function hasCommand(name: string): boolean {
	try {
		execFileSync('sh', ['-c', `command -v ${name}`], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
}

let dir: TempDir;
before(() => {
	dir = tempDir();
});
after(() => dir.remove());

/** A fresh directory per test so listings see only that test's files. */
function folder(name: string): string {
	const target = dir.at(name);
	mkdirSync(target);
	return target;
}

describe('round trips', () => {
	const spillThreshold = 64 * 1024;
	const sizes: Array<[string, number]> = [
		['empty', 0],
		['one-byte', 1],
		['one-mib', 1024 * 1024],
		['above-spill', 5 * spillThreshold],
	];

	for (const compression of ['zstd', 'gzip', 'none'] as const) {
		test(`${compression}: members of 0 B, 1 B, 1 MiB and above the spill threshold`, async () => {
			const target = path.join(folder(`round-${compression}`), 'backup.tar');
			const bus = new EventBus();
			const logs: BusEvent[] = [];
			bus.on('log', (event) => logs.push(event));
			const writer = await createArchiveWriter({path: target, compression, bus, spillThreshold});
			const inputs = new Map<string, Buffer>();
			for (const [name, size] of sizes) {
				// random bytes do not compress, so the stored size of above-spill passes the threshold for every codec
				const data = name === 'above-spill' ? randomBytes(size) : dumpText(size);
				const member = await writer.addMember(`data/shop/${name}.sql`, data, {rows: size});
				assert.equal(member.path, `data/shop/${name}.sql${{zstd: '.zst', gzip: '.gz', none: ''}[compression]}`);
				assert.equal(member.rawBytes, size);
				assert.equal(member.compression, compression);
				assert.equal(member.rows, size);
				inputs.set(member.path, data);
			}
			const finished = await writer.finish(manifestFields());
			assert.equal(finished.path, target);
			assert.equal(finished.bytes, statSync(target).size);
			assert.deepEqual(finished.manifest.members.map((member) => member.path), [...inputs.keys()]);

			const spilled = logs.filter((event) => event.type === 'log' && event.fields?.spilled === true).map((event) => (event as {message: string}).message);
			const large = finished.manifest.members.filter((member) => member.bytes > spillThreshold).map((member) => `archived ${member.path}`);
			assert.ok(large.some((message) => message.includes('above-spill')));
			assert.deepEqual(spilled, large);

			const archive = await openArchive(target);
			assert.deepEqual(archive.manifest, finished.manifest);
			assert.deepEqual(await archive.verify({deep: true}), {
				members: sizes.length,
				bytes: finished.manifest.members.reduce((sum, member) => sum + member.bytes, 0),
				rawBytes: sizes.reduce((sum, [, size]) => sum + size, 0),
				sidecar: true,
			});
			for (const [memberPath, data] of inputs) {
				assert.deepEqual(await collect(archive.readMember(memberPath)), data, memberPath);
			}
		});
	}

	test('sources: Buffer, string, Uint8Array, Readable, async iterable of mixed chunks', async () => {
		const target = path.join(folder('sources'), 'backup.tar');
		const writer = await createArchiveWriter({path: target, compression: 'zstd'});
		async function* generated() {
			yield 'CREATE TABLE t (id int);\n';
			yield new TextEncoder().encode('INSERT INTO t VALUES (1);\n');
			yield Buffer.from('INSERT INTO t VALUES (2);\n');
		}
		const expected: Record<string, string> = {
			'a.sql.zst': 'from a buffer',
			'b.sql.zst': 'from a string',
			'c.sql.zst': 'from a Uint8Array',
			'd.sql.zst': 'from a Readable, in two chunks',
			'e.sql.zst': 'CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n',
		};
		await writer.addMember('a.sql', Buffer.from(expected['a.sql.zst']!));
		await writer.addMember('b.sql', expected['b.sql.zst']!);
		await writer.addMember('c.sql', new TextEncoder().encode(expected['c.sql.zst']));
		await writer.addMember('d.sql', Readable.from([Buffer.from('from a Readable, '), Buffer.from('in two chunks')]));
		await writer.addMember('e.sql', generated());
		await writer.finish(manifestFields());
		const archive = await openArchive(target);
		for (const [memberPath, text] of Object.entries(expected)) {
			assert.equal((await collect(archive.readMember(memberPath))).toString(), text);
		}
	});

	test('one member may use another compression than the archive', async () => {
		const target = path.join(folder('mixed'), 'backup.tar');
		const writer = await createArchiveWriter({path: target, compression: 'zstd'});
		const plain = await writer.addMember('post/shop.sql', 'CREATE VIEW v AS SELECT 1;\n', {compression: 'none'});
		const strong = await writer.addMember('data/shop/t.1.sql', dumpText(10_000), {compression: 'gzip', level: 9});
		assert.equal(plain.path, 'post/shop.sql');
		assert.equal(plain.compression, 'none');
		assert.equal(strong.path, 'data/shop/t.1.sql.gz');
		await writer.finish(manifestFields());
		await (await openArchive(target)).verify({deep: true});
		const other = await createArchiveWriter({path: path.join(folder('mixed-bad'), 'x.tar'), compression: 'zstd'});
		await assert.rejects(other.addMember('x.sql', 'x', {compression: 'gzip', level: 12}), {name: 'UsageError', message: /--level 12 is out of range for gzip/});
		await other.abort();
	});
});

describe('parallel members', () => {
	test('overlapping addMember calls compress at the same time, at most `concurrency` at once, appends intact', async () => {
		const target = path.join(folder('parallel'), 'backup.tar');
		const writer = await createArchiveWriter({path: target, compression: 'zstd', concurrency: 3, spillThreshold: 32 * 1024});
		let active = 0;
		let most = 0;
		async function* slow(data: Buffer) {
			active++;
			most = Math.max(most, active);
			try {
				for (let at = 0; at < data.length; at += 20_000) {
					await sleep(2);
					yield data.subarray(at, at + 20_000);
				}
			} finally {
				active--;
			}
		}
		const inputs = Array.from({length: 8}, (_, index) => dumpText(50_000 + index * 30_000));
		const members = await Promise.all(inputs.map((data, index) => writer.addMember(`data/db/t${index}.sql`, slow(data))));
		assert.ok(most >= 2 && most <= 3, `at most ${most} members were compressing at once`);
		const {manifest} = await writer.finish(manifestFields());
		assert.deepEqual(new Set(manifest.members.map((member) => member.path)), new Set(members.map((member) => member.path)));
		const archive = await openArchive(target);
		await archive.verify();
		for (const [index, data] of inputs.entries()) {
			assert.equal(sha256(await collect(archive.readMember(`data/db/t${index}.sql.zst`))), sha256(data));
		}
	});
});

describe('the system tools read it', () => {
	let target: string;
	let extracted: string;
	before(async () => {
		const where = folder('system-tools');
		target = path.join(where, 'backup.tar');
		const writer = await createArchiveWriter({path: target, compression: 'zstd'});
		await writer.addMember('schema/shop.sql', 'CREATE TABLE orders (id int);\n');
		await writer.addMember('data/shop/orders.00001.sql', dumpText(200_000));
		await writer.addMember('data/shop/orders.00002.sql', dumpText(1000), {compression: 'gzip'});
		await writer.addMember(`data/${'long-database-name-'.repeat(4)}/${'long_table_name_'.repeat(8)}.00001.sql`, 'x\n');
		await writer.addMember('data/café/ünïcode.sql', 'é\n');
		await writer.finish(manifestFields());
		extracted = path.join(where, 'extracted');
		mkdirSync(extracted);
		execFileSync('tar', ['-xf', target, '-C', extracted]);
	});

	test('`tar tf` lists every member, manifest.json last', () => {
		const listed = execFileSync('tar', ['tf', target], {encoding: 'utf8'}).trim().split('\n');
		assert.equal(listed.length, 6);
		assert.equal(listed.at(-1), 'manifest.json');
		assert.deepEqual(new Set(listed.slice(0, -1)), new Set([
			'schema/shop.sql.zst',
			'data/shop/orders.00001.sql.zst',
			'data/shop/orders.00002.sql.gz',
			`data/${'long-database-name-'.repeat(4)}/${'long_table_name_'.repeat(8)}.00001.sql.zst`,
			'data/café/ünïcode.sql.zst',
		]));
		const manifest = JSON.parse(readFileSync(path.join(extracted, 'manifest.json'), 'utf8'));
		assert.equal(manifest.formatVersion, 1);
		for (const member of manifest.members) {
			assert.equal(sha256(readFileSync(path.join(extracted, member.path))), member.sha256, member.path);
		}
	});

	test('`gzip -dc` decompresses an extracted gzip member', () => {
		const text = execFileSync('gzip', ['-dc', path.join(extracted, 'data/shop/orders.00002.sql.gz')]);
		assert.deepEqual(text, dumpTextPrefix(text));
	});

	test('`zstd -dc` decompresses an extracted zstd member', (t) => {
		if (!hasCommand('zstd')) {
			t.skip('the zstd command is not installed (apt-get install zstd); the library round trips cover the format');
			return;
		}
		const text = execFileSync('zstd', ['-dc', path.join(extracted, 'schema/shop.sql.zst')], {encoding: 'utf8'});
		assert.equal(text, 'CREATE TABLE orders (id int);\n');
	});
});

/** dumpText is random per call; a gzip member is checked by its shape instead of its bytes. */
function dumpTextPrefix(text: Buffer): Buffer {
	assert.equal(text.length, 1000);
	assert.match(text.toString(), /^INSERT INTO orders VALUES \(0,'/);
	return text;
}

describe('the .partial file', () => {
	test('exists while writing, and after finish only the archive and its sidecar remain', async () => {
		const where = folder('partial');
		const target = path.join(where, 'backup.tar');
		const writer = await createArchiveWriter({path: target, compression: 'gzip', spillThreshold: 1024});
		await writer.addMember('data/a.sql', randomBytes(100_000));
		assert.deepEqual(readdirSync(where), ['backup.tar.partial']);
		assert.equal(writer.partialPath, `${target}.partial`);
		const finished = await writer.finish(manifestFields());
		assert.deepEqual(readdirSync(where).sort(), ['backup.tar', 'backup.tar.meta.json']);
		assert.deepEqual(JSON.parse(readFileSync(`${target}.meta.json`, 'utf8')), finished.manifest);
		assert.equal(statSync(target).mode & 0o777, 0o600);
		await writer.abort();
		assert.ok(existsSync(target), 'abort after finish must not remove the archive');
	});

	test('abort removes the .partial and closes the writer', async () => {
		const where = folder('abort');
		const writer = await createArchiveWriter({path: path.join(where, 'backup.tar'), compression: 'zstd'});
		await writer.addMember('data/a.sql', dumpText(10_000));
		const pending = writer.addMember('data/b.sql', (async function* () {
			yield 'x';
			await sleep(50);
			yield 'y';
		})());
		await writer.abort();
		assert.deepEqual(readdirSync(where), []);
		await assert.rejects(pending, WorkError);
		await assert.rejects(writer.addMember('data/c.sql', 'x'), {code: 'ARCHIVE_WRITER_CLOSED'});
		await assert.rejects(writer.finish(manifestFields()), {code: 'ARCHIVE_WRITER_CLOSED'});
	});

	test('the file is flushed to disk while it is written, and the archive reads back whole', async () => {
		const where = folder('flushed');
		const target = path.join(where, 'backup.tar');
		const writer = await createArchiveWriter({path: target, compression: 'none', flushEveryBytes: 64 * 1024});
		const data = [dumpText(300_000), dumpText(200_000)];
		// counts the real calls: the flushes happen, on the real file
		const probe = await open(path.join(where, 'probe'), 'w');
		await probe.close();
		rmSync(path.join(where, 'probe'));
		const prototype = Object.getPrototypeOf(probe) as {datasync(): Promise<void>};
		const datasync = prototype.datasync;
		let flushes = 0;
		prototype.datasync = function (this: unknown) {
			flushes += 1;
			return datasync.call(this);
		};
		try {
			await writer.addMember('data/a.sql', data[0]!);
			await writer.addMember('data/b.sql', data[1]!);
			await writer.finish(manifestFields());
		} finally {
			prototype.datasync = datasync;
		}
		// at least one: a flush still running when the next 64 KiB are written is not doubled, so on a busy
		// disk (a loaded CI machine) one flush may cover the whole 500 kB; without flushing there are none
		assert.ok(flushes >= 1, `${flushes} flush(es) for 500 kB written with a 64 KiB step`);
		const archive = await openArchive(target);
		await archive.verify({deep: true});
		assert.deepEqual(await collect(archive.readMember('data/a.sql')), data[0]);
		assert.deepEqual(await collect(archive.readMember('data/b.sql')), data[1]);
	});

	test('a flush that fails while writing (fault mocked: the disk cannot be made to fail here) fails the archive and leaves nothing', async () => {
		const where = folder('flush-fails');
		const target = path.join(where, 'backup.tar');
		const writer = await createArchiveWriter({path: target, compression: 'none', flushEveryBytes: 64 * 1024});
		const probe = await open(path.join(where, 'probe'), 'w');
		await probe.close();
		rmSync(path.join(where, 'probe'));
		const prototype = Object.getPrototypeOf(probe) as {datasync(): Promise<void>};
		const datasync = prototype.datasync;
		prototype.datasync = () => Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), {code: 'EIO'}));
		try {
			await writer.addMember('data/a.sql', dumpText(300_000)).catch(() => undefined);
			await assert.rejects(writer.finish(manifestFields()), (error: unknown) => error instanceof WorkError && error.code === 'ARCHIVE_WRITE_FAILED' && /EIO/.test(error.message));
		} finally {
			prototype.datasync = datasync;
		}
		assert.deepEqual(readdirSync(where), []);
	});

	test('a writer never finished leaves only the .partial, which does not open as an archive', async () => {
		const where = folder('unfinished');
		const writer = await createArchiveWriter({path: path.join(where, 'backup.tar'), compression: 'zstd', spillThreshold: 1024});
		await writer.addMember('data/a.sql', randomBytes(50_000));
		await writer.addMember('data/b.sql', dumpText(50_000));
		assert.deepEqual(readdirSync(where), ['backup.tar.partial']);
		await assert.rejects(openArchive(path.join(where, 'backup.tar.partial')), {name: 'IntegrityError', code: 'ARCHIVE_TRUNCATED'});
		await writer.abort();
	});

	test('a process killed mid-write leaves only the .partial (spill files are already unlinked)', async () => {
		const where = folder('killed');
		const script = path.join(dir.root, 'killed-writer.mts');
		writeFileSync(
			script,
			`import {createArchiveWriter} from ${JSON.stringify(writerModule)};
import {randomBytes} from 'node:crypto';
const writer = await createArchiveWriter({path: ${JSON.stringify(path.join(where, 'backup.tar'))}, compression: 'zstd', spillThreshold: 4096});
await writer.addMember('data/a.sql', randomBytes(100_000));
writer.addMember('data/endless.sql', (async function* () {
	for (let i = 0; ; i++) {
		yield randomBytes(16_384);
		if (i === 20) process.stdout.write('spilling\\n');
		await new Promise((resolve) => setTimeout(resolve, 1));
	}
})());
`,
		);
		const child = spawn(process.execPath, ['--import', 'tsx', script], {cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit']});
		await new Promise<void>((resolve, reject) => {
			child.stdout.on('data', (data: Buffer) => {
				if (data.toString().includes('spilling')) resolve();
			});
			child.on('exit', (code) => reject(new Error(`the writer exited early (${code})`)));
		});
		child.kill('SIGKILL');
		await new Promise((resolve) => child.once('exit', resolve));
		assert.deepEqual(readdirSync(where), ['backup.tar.partial']);
	});
});

describe('refusals', () => {
	test('an existing archive is refused, naming the path, unless overwrite', async () => {
		const where = folder('existing');
		const target = path.join(where, 'backup.tar');
		writeFileSync(target, 'an older archive');
		await assert.rejects(createArchiveWriter({path: target, compression: 'zstd'}), (error: unknown) => {
			assert.ok(error instanceof UsageError);
			assert.equal(error.code, 'ARCHIVE_EXISTS');
			assert.equal(error.message, `${target} already exists; dbbackup does not overwrite an archive`);
			return true;
		});
		assert.deepEqual(readdirSync(where), ['backup.tar']);
		const writer = await createArchiveWriter({path: target, compression: 'zstd', overwrite: true});
		await writer.addMember('a.sql', 'new');
		await writer.finish(manifestFields());
		assert.equal((await collect((await openArchive(target)).readMember('a.sql.zst'))).toString(), 'new');
	});

	test('an archive that appears while writing is not overwritten at finish', async () => {
		const where = folder('appeared');
		const target = path.join(where, 'backup.tar');
		const writer = await createArchiveWriter({path: target, compression: 'none'});
		await writer.addMember('a.sql', 'x');
		writeFileSync(target, 'someone else');
		await assert.rejects(writer.finish(manifestFields()), {name: 'UsageError', code: 'ARCHIVE_EXISTS'});
		assert.deepEqual(readdirSync(where), ['backup.tar']);
		assert.equal(readFileSync(target, 'utf8'), 'someone else');
	});

	test('bad compression, level or output directory are UsageErrors before anything is written', async () => {
		const where = folder('bad-options');
		const target = path.join(where, 'backup.tar');
		await assert.rejects(createArchiveWriter({path: target, compression: 'zstd', level: 25}), {name: 'UsageError', message: /--level 25 is out of range for zstd/});
		await assert.rejects(createArchiveWriter({path: target, compression: 'gzip', level: 0}), {name: 'UsageError', message: /--level 0 is out of range for gzip/});
		await assert.rejects(createArchiveWriter({path: target, compression: 'lz4', level: 3}), {name: 'UsageError', message: /--level 3 is out of range for lz4/});
		await assert.rejects(createArchiveWriter({path: path.join(where, 'missing', 'backup.tar'), compression: 'zstd'}), {name: 'UsageError', code: 'ARCHIVE_PATH_UNWRITABLE'});
		assert.deepEqual(readdirSync(where), []);
	});

	test('bad or repeated member names are refused; the writer stays usable', async () => {
		const writer = await createArchiveWriter({path: path.join(folder('names'), 'backup.tar'), compression: 'zstd'});
		for (const name of ['', '/abs.sql', 'a/../b.sql', 'a//b.sql', 'a\\b.sql', 'tab\there.sql']) {
			await assert.rejects(writer.addMember(name, 'x'), {name: 'WorkError', code: 'MEMBER_NAME_INVALID'}, name);
		}
		const none = await createArchiveWriter({path: path.join(folder('names-none'), 'backup.tar'), compression: 'none'});
		await assert.rejects(none.addMember('manifest.json', '{}'), {code: 'MEMBER_NAME_INVALID', message: /reserved for the manifest/});
		await none.abort();
		await writer.addMember('a.sql', 'x');
		await assert.rejects(writer.addMember('a.sql', 'y'), {code: 'MEMBER_REPEATED', message: /a\.sql\.zst is already in/});
		await assert.rejects(writer.addMember('b.sql', 'y', {rows: -1}), {code: 'MEMBER_ROWS_INVALID'});
		const {manifest} = await writer.finish(manifestFields());
		assert.deepEqual(manifest.members.map((member) => member.path), ['a.sql.zst']);
	});

	test('a source that fails rejects its member only; the archive still finishes without it', async () => {
		const target = path.join(folder('failing-source'), 'backup.tar');
		const writer = await createArchiveWriter({path: target, compression: 'zstd'});
		const lost = new ConnectionError({code: 'CONNECTION_LOST', message: 'server went away', target: 'db1'});
		await assert.rejects(
			writer.addMember('data/a.sql', (async function* () {
				yield 'partial row';
				throw lost;
			})()),
			(error) => error === lost,
		);
		await assert.rejects(
			writer.addMember('data/b.sql', (async function* () {
				yield 'x';
				throw new Error('socket hang up');
			})()),
			{name: 'WorkError', code: 'MEMBER_WRITE_FAILED', message: 'data/b.sql.zst could not be compressed: socket hang up'},
		);
		await writer.addMember('data/a.sql', 'the retry');
		const {manifest} = await writer.finish(manifestFields());
		assert.deepEqual(manifest.members.map((member) => member.path), ['data/a.sql.zst']);
		await (await openArchive(target)).verify();
	});

	test('finish with manifest fields that do not validate fails and removes the .partial', async () => {
		const where = folder('bad-manifest');
		const writer = await createArchiveWriter({path: path.join(where, 'backup.tar'), compression: 'zstd'});
		await writer.addMember('a.sql', 'x');
		await assert.rejects(writer.finish(manifestFields({server: {version: '10.11', flavor: 'mariadb', host: 'root:pw@db1'}})), {
			name: 'WorkError',
			code: 'MANIFEST_INVALID',
			message: /server\.host must be a host name/,
		});
		assert.deepEqual(readdirSync(where), []);
	});
});

describe('events', () => {
	test('progress in bytes written and a log line per member', async () => {
		const bus = new EventBus();
		const events: BusEvent[] = [];
		bus.onAny((event) => events.push(event));
		const target = path.join(folder('events'), 'backup.tar');
		const writer = await createArchiveWriter({path: target, compression: 'zstd', bus});
		await writer.addMember('a.sql', dumpText(1000));
		const {bytes} = await writer.finish(manifestFields());
		const progress = events.filter((event) => event.type === 'progress');
		assert.ok(progress.length > 0);
		const last = progress.at(-1) as {done: number; unit: string; task: string};
		assert.deepEqual([last.done, last.unit, last.task], [bytes, 'bytes', `write ${target}`]);
		assert.ok(events.some((event) => event.type === 'log' && event.message === 'archived a.sql.zst'));
		assert.ok(events.some((event) => event.type === 'log' && event.message === `wrote ${target}`));
	});
});

test('IntegrityError is what a damaged archive gives (the reader tests cover each case)', async () => {
	const target = path.join(folder('integrity-smoke'), 'backup.tar');
	const writer = await createArchiveWriter({path: target, compression: 'none'});
	await writer.addMember('a.sql', 'hello');
	await writer.finish(manifestFields());
	const bytes = readFileSync(target);
	bytes[512] = 'j'.charCodeAt(0);
	writeFileSync(target, bytes);
	await assert.rejects((await openArchive(target)).verify(), IntegrityError);
});
