import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import {openArchive} from '../../source/storage/archive/reader.ts';
import {mariadbConnection, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {runCli} from './run-cli.ts';

const {mariadb} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user, '--yes'];
const env = {MYSQL_PWD: mariadb.password};
const timeoutMs = 120_000;

/** A process that holds an flock on `file` until killed: a backup still running, as the lock sees it. */
async function holdLock(file: string): Promise<ChildProcess> {
	// one process (the shell becomes sleep, keeping fd 9 and its lock), so killing it ends the lock
	const child = spawn('sh', ['-c', 'exec 9<"$1"; flock -x 9; echo held; exec sleep 600', 'sh', file], {stdio: ['ignore', 'pipe', 'ignore']});
	await new Promise((resolve) => child.stdout!.once('data', resolve));
	child.stdout!.destroy();
	return child;
}

describe('backup output files: unique names, exclusive partials, leftovers, hostile names', () => {
	let admin: Connection;
	let dir: string;
	const source = uniqueName('outfiles');
	const dash = `-x${source}`;

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		for (const database of [source, dash]) {
			await admin.query(`CREATE DATABASE \`${database}\`; CREATE TABLE \`${database}\`.t (id INT PRIMARY KEY, v VARCHAR(50))`);
			await admin.query(`INSERT INTO \`${database}\`.t VALUES ${Array.from({length: 2000}, (_, i) => `(${i}, 'row ${i}')`).join(',')}`);
		}
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-outfiles-'));
	});

	after(async () => {
		for (const database of [source, dash]) await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('attack: four backups of one database into one directory at the same moment give four sound archives', async () => {
		const out = join(dir, 'same-second');
		await mkdir(out);
		const runs = await Promise.all(Array.from({length: 4}, () => runCli(['backup', 'single', source, '--output', `${out}/`, '--workers', '1', ...mysqlArgs], {env, timeoutMs})));
		for (const result of runs) assert.equal(result.code, 0, result.stderr);
		const names = (await readdir(out)).sort();
		const archives = names.filter((name) => name.endsWith('.tar'));
		assert.equal(archives.length, 4, names.join(', '));
		assert.deepEqual(names.filter((name) => name.endsWith('.partial') || name.includes('.parts-')), []);
		for (const archive of archives) {
			assert.match(archive, new RegExp(`^${source}-\\d{8}T\\d{6}\\.\\d{3}Z-[0-9a-f]{4}\\.tar$`));
			assert.ok(names.includes(`${archive}.meta.json`), `${archive} has its sidecar`);
			// checks every member and that the sidecar is this archive's manifest
			await (await openArchive(join(out, archive))).verify();
		}
	});

	test('a missing output directory given with a trailing slash is created, mode 0700', async () => {
		const out = join(dir, 'new', 'deeper');
		const result = await runCli(['backup', 'single', source, '--output', `${out}/`, '--format', 'sql', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		assert.equal((await stat(out)).mode & 0o777, 0o700);
		assert.equal((await readdir(out)).filter((name) => name.endsWith('.sql')).length, 1);
	});

	test('a file path in a missing directory: the directory is created (0700), the file written under its name', async () => {
		const out = join(dir, 'absent', 'parent');
		const file = join(out, 'nightly.tar');
		const result = await runCli(['backup', 'single', source, '--output', file, ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		assert.equal((await stat(out)).mode & 0o777, 0o700);
		assert.ok((await stat(file)).isFile());
	});

	test('attack: a database named -x… gives a file name that does not start with "-"', async () => {
		const out = join(dir, 'dash');
		await mkdir(out);
		const result = await runCli(['backup', 'single', '--output', `${out}/`, ...mysqlArgs, '--', dash], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		const [archive] = (await readdir(out)).filter((name) => name.endsWith('.tar'));
		assert.ok(archive?.startsWith(`db_${dash}-`), archive);
	});

	test('leftovers of a dead run are removed with a warning naming them and their size; a live run\'s are kept', async () => {
		const out = join(dir, 'leftovers');
		await mkdir(out);
		const dead = join(out, 'shop-20261115T140327.512Z-dead.tar.partial');
		const deadScratch = join(out, '.shop-20261115T140327.512Z-dead.sql.parts-a1b2c3');
		const deadSidecar = join(out, 'shop-20261115T140327.512Z-gone.tar.meta.json.partial');
		const live = join(out, 'shop-20261115T140327.512Z-live.tar.partial');
		const foreign = join(out, 'notes.txt.partial');
		await writeFile(dead, Buffer.alloc(3 * 1024 * 1024));
		await rm(deadScratch, {recursive: true, force: true});
		await mkdir(deadScratch);
		await writeFile(join(deadScratch, '0-0.sql'), Buffer.alloc(1024 * 1024));
		await writeFile(deadSidecar, '{}');
		await writeFile(live, Buffer.alloc(1024));
		await writeFile(foreign, 'not ours');
		const old = new Date(Date.now() - 10 * 60_000);
		for (const file of [dead, live, deadSidecar]) await utimes(file, old, old);
		const holder = await holdLock(live);
		try {
			const result = await runCli(['backup', 'single', source, '--output', `${out}/`, ...mysqlArgs], {env, timeoutMs});
			assert.equal(result.code, 0, result.stderr);
			const names = await readdir(out);
			assert.ok(!names.includes('shop-20261115T140327.512Z-dead.tar.partial'), names.join(', '));
			assert.ok(!names.includes('.shop-20261115T140327.512Z-dead.sql.parts-a1b2c3'), names.join(', '));
			assert.ok(!names.includes('shop-20261115T140327.512Z-gone.tar.meta.json.partial'), names.join(', '));
			assert.ok(names.includes('shop-20261115T140327.512Z-live.tar.partial'), 'a live run keeps its partial');
			assert.ok(names.includes('notes.txt.partial'), 'files that are not backups are not touched');
			assert.match(result.stderr, /removed what a backup that is no longer running left of shop-20261115T140327\.512Z-dead\.tar: shop-20261115T140327\.512Z-dead\.tar\.partial \(3(\.0)? MiB\)/);
			assert.match(result.stderr, /\.shop-20261115T140327\.512Z-dead\.sql\.parts-a1b2c3 \(1(\.0)? MiB\)/);
		} finally {
			holder.kill('SIGKILL');
		}
	});
});
