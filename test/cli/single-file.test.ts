/**
 * The single-file build (scripts/build-single-file.js): built into a scratch folder, copied to another
 * one outside the project as a user would copy it to a server, and run there with `node dbbackup.mjs`
 * from a directory outside the project, with an environment of PATH and HOME only (no NODE_PATH, no
 * node_modules anywhere it could look). Backups with zstd (worker threads, zstd-napi) and lz4 (lz4-napi)
 * of MariaDB, verify, restore into a new database; one to S3 and back (the bundled AWS SDK); a
 * PostgreSQL round trip; and the demo (the sandbox's servers started from the single file).
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import type {Connection} from 'mysql2/promise';
import packageJson from '../../package.json' with {type: 'json'};
import {dropPostgresDatabases, mariadbConnection, postgresClient, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const {mariadb, postgres, s3} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const pgArgs = ['--db-type', 'postgres', '--host', postgres.host, '--port', String(postgres.port), '--user', postgres.user];
const timeoutMs = 120_000;

interface Result {
	code: number | null;
	stdout: string;
	stderr: string;
}

function runNode(args: string[], options: {cwd: string; env: Record<string, string>}): Promise<Result> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, args, {cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
		child.on('error', reject);
		child.on('close', (code) => {
			clearTimeout(timer);
			resolve({code, stdout, stderr});
		});
	});
}

/** A Node stack frame: what a clear error must not print. */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

describe('the single-file dbbackup.mjs, copied out of the project and run with only node', () => {
	let scratch: string;
	let install: string;
	let work: string;
	let home: string;
	let admin: Connection;
	const mysqlDatabases: string[] = [];
	const pgDatabases: string[] = [];

	/** `node <install>/dbbackup.mjs ARGS` in `work`, with PATH and HOME only. */
	function single(args: string[], env: Record<string, string> = {}, file = join(install, 'dbbackup.mjs')): Promise<Result> {
		return runNode([file, ...args], {cwd: work, env: {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...env}});
	}

	before(async () => {
		scratch = await mkdtemp(join(tmpdir(), 'dbbackup-single-build-'));
		const built = await runNode([join(root, 'scripts/build-single-file.js'), '--outdir', scratch], {cwd: root, env: {PATH: process.env.PATH ?? ''}});
		assert.equal(built.code, 0, built.stderr);
		// copied as a user would copy the folder to a server; the build folder is gone before anything runs
		install = await mkdtemp(join(tmpdir(), 'dbbackup-single-install-'));
		for (const name of await readdir(scratch)) await copyFile(join(scratch, name), join(install, name));
		await rm(scratch, {recursive: true, force: true});
		work = await mkdtemp(join(tmpdir(), 'dbbackup-single-work-'));
		home = join(work, 'home');
		await mkdir(home);
		admin = await mariadbConnection({multipleStatements: true});
	});

	after(async () => {
		for (const name of mysqlDatabases) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
		await admin?.end();
		await dropPostgresDatabases(pgDatabases);
		for (const dir of [install, work]) if (dir) await rm(dir, {recursive: true, force: true});
	});

	test('the folder holds dbbackup.mjs and the native addons only, and nothing in it names the project directory', async () => {
		const names = (await readdir(install)).sort();
		assert.ok(names.includes('dbbackup.mjs'), names.join(', '));
		for (const name of names) if (name !== 'dbbackup.mjs') assert.match(name, /^(zstd|lz4)-napi\.[a-z0-9]+-[a-z0-9]+(-[a-z]+)?\.node$/);
		assert.ok(names.some((name) => name.startsWith('zstd-napi.')) && names.some((name) => name.startsWith('lz4-napi.')), names.join(', '));
		const text = await readFile(join(install, 'dbbackup.mjs'), 'utf8');
		assert.ok(text.startsWith('#!/usr/bin/env node\n'));
		const projectDir = root.replace(/\/$/, '');
		assert.equal(text.includes(projectDir), false, `dbbackup.mjs names ${projectDir}`);
		assert.doesNotMatch(text, /^import\b[^;\n]*["'](?!node:)[^"']+["'];?$/m, 'imports only node: built-ins');
	});

	test('--version and --help', async () => {
		const version = await single(['--version']);
		assert.equal(version.code, 0, version.stderr);
		assert.equal(version.stdout.trim(), packageJson.version);
		const help = await single(['--help']);
		assert.equal(help.code, 0, help.stderr);
		assert.match(help.stdout, /^Usage\n {2}\$ dbbackup \[COMMAND\]/);
		assert.match(help.stdout, /backup single DB/);
		const backupHelp = await single(['backup', '--help']);
		assert.equal(backupHelp.code, 0, backupHelp.stderr);
		assert.match(backupHelp.stdout, /--compress/);
	});

	describe('MariaDB', () => {
		let source: string;
		let dir: string;
		const archives: Record<string, string> = {};
		const counts = {items: 3000, notes: 500};

		async function rowCounts(database: string): Promise<Record<string, number>> {
			const [rows] = await admin.query<any[]>(`SELECT (SELECT COUNT(*) FROM \`${database}\`.items) AS items, (SELECT COUNT(*) FROM \`${database}\`.notes) AS notes`);
			return {items: Number(rows[0].items), notes: Number(rows[0].notes)};
		}

		before(async () => {
			source = uniqueName('single');
			mysqlDatabases.push(source);
			dir = join(work, 'mysql-backups');
			await mkdir(dir);
			await admin.query(`
				CREATE DATABASE \`${source}\`;
				USE \`${source}\`;
				CREATE TABLE \`${source}\`.items (id INT PRIMARY KEY, name VARCHAR(100), body TEXT, price DECIMAL(10,2));
				CREATE TABLE \`${source}\`.notes (id INT AUTO_INCREMENT PRIMARY KEY, item INT, note VARCHAR(200), FOREIGN KEY (item) REFERENCES \`${source}\`.items(id));
				INSERT INTO \`${source}\`.items SELECT seq, CONCAT('item ', seq, ' ünï'), REPEAT(MD5(seq), 20), seq / 7 FROM seq_1_to_${counts.items};
				INSERT INTO \`${source}\`.notes (item, note) SELECT seq * 5, CONCAT('note ', seq) FROM seq_1_to_${counts.notes};
			`);
			assert.deepEqual(await rowCounts(source), counts);
		});

		for (const compress of ['zstd', 'lz4']) {
			test(`backup --compress ${compress}, verify, restore into a new database: the same rows`, async () => {
				const output = join(dir, compress);
				await mkdir(output);
				const backup = await single(['backup', 'single', source, '--output', `${output}/`, '--compress', compress, '--workers', '2', '--chunk-rows', '500', '--yes', ...mysqlArgs], {MYSQL_PWD: mariadb.password});
				assert.equal(backup.code, 0, backup.stderr);
				const tarName = (await readdir(output)).find((name) => name.endsWith('.tar'));
				assert.ok(tarName, `an archive in ${output}`);
				const archive = join(output, tarName);
				archives[compress] = archive;
				assert.match(backup.stdout, /Backup complete \(mysqldump, archive\)/);

				const verify = await single(['verify', archive, '--yes']);
				assert.equal(verify.code, 0, verify.stderr);
				assert.match(verify.stdout, /^Verified .*: 1 item\(s\) good/m);

				const copy = uniqueName(`single_${compress}`);
				mysqlDatabases.push(copy);
				const restore = await single(['restore', archive, '--target-db', copy, '--workers', '2', '--yes', ...mysqlArgs], {MYSQL_PWD: mariadb.password});
				assert.equal(restore.code, 0, restore.stderr);
				assert.match(restore.stdout, new RegExp(`Restore complete \\(mysqldump\\): .* → ${copy}`));
				assert.deepEqual(await rowCounts(copy), counts);
			});
		}

		test('backup to s3://… and restore from there (the AWS SDK inside the bundle)', async () => {
			const awsEnv = {AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: s3.region};
			const backup = await single(['backup', 'single', source, '--output', `s3://${s3.bucket}/${uniqueName('single_s3')}/`, '--compress', 'zstd', '--yes', ...mysqlArgs], {MYSQL_PWD: mariadb.password, ...awsEnv});
			assert.equal(backup.code, 0, backup.stderr);
			const url = /Backup complete \([^)]*\): (s3:\/\/\S+)/.exec(backup.stdout)?.[1];
			assert.ok(url, `an s3:// backup in ${backup.stdout}`);
			const copy = uniqueName('single_s3copy');
			mysqlDatabases.push(copy);
			const restore = await single(['restore', url, '--target-db', copy, '--yes', ...mysqlArgs], {MYSQL_PWD: mariadb.password, ...awsEnv});
			assert.equal(restore.code, 0, restore.stderr);
			assert.deepEqual(await rowCounts(copy), counts);
		});

		test('run through a symlink from elsewhere, the addons are still found beside the real file', async () => {
			const zstdArchive = archives.zstd;
			assert.ok(zstdArchive, 'the zstd backup ran');
			const bin = join(work, 'bin');
			await mkdir(bin, {recursive: true});
			await symlink(join(install, 'dbbackup.mjs'), join(bin, 'dbbackup'));
			const verify = await single(['verify', zstdArchive, '--yes'], {}, join(bin, 'dbbackup'));
			assert.equal(verify.code, 0, verify.stderr);
			assert.match(verify.stdout, /^Verified .*: 1 item\(s\) good/m);
		});

		test('without their .node files beside it, lz4 and zstd fail with a message saying so, not a stack trace', async () => {
			const lz4Archive = archives.lz4;
			assert.ok(lz4Archive, 'the lz4 backup ran');
			const partial = join(work, 'partial');
			await mkdir(partial);
			await copyFile(join(install, 'dbbackup.mjs'), join(partial, 'dbbackup.mjs'));
			const verify = await single(['verify', lz4Archive, '--yes'], {}, join(partial, 'dbbackup.mjs'));
			assert.notEqual(verify.code, 0, verify.stdout);
			assert.match(verify.stdout + verify.stderr, /lz4-napi\.[\w-]+\.node is missing beside .*dbbackup\.mjs: copy the whole folder/);
			assert.doesNotMatch(verify.stderr, STACK_FRAME);
			// zstd runs on pool threads: the main thread asks first, so the message names the library, not a dead thread
			const zstdVerify = await single(['verify', archives.zstd!, '--yes'], {}, join(partial, 'dbbackup.mjs'));
			assert.notEqual(zstdVerify.code, 0, zstdVerify.stdout);
			assert.match(zstdVerify.stdout + zstdVerify.stderr, /the zstd library \(zstd-napi\) cannot be loaded on this machine: zstd-napi\.[\w-]+\.node is missing beside/);
			assert.doesNotMatch(zstdVerify.stdout + zstdVerify.stderr, /thread failed|damaged/);
			assert.doesNotMatch(zstdVerify.stderr, STACK_FRAME);
		});
	});

	test('demo: throwaway MariaDB and PostgreSQL started from the single file, round trips compared', async () => {
		const demo = await single(['demo', '--yes']);
		assert.equal(demo.code, 0, demo.stderr);
		assert.match(demo.stdout, /Demo round trip \(MariaDB\):[^\n]*\n\s+dbbackup_demo_restored matches dbbackup_demo/);
		assert.match(demo.stdout, /Demo round trip \(PostgreSQL\):[^\n]*\n\s+dbbackup_demo_restored matches dbbackup_demo/);
	});

	test('PostgreSQL: backup --compress zstd, verify, restore into a new database: the same rows', async () => {
		const source = uniqueName('single_pg');
		const copy = uniqueName('single_pg_copy');
		pgDatabases.push(source, copy);
		const client = await postgresClient();
		try {
			await client.query(`CREATE DATABASE ${source}`);
		} finally {
			await client.end();
		}
		const db = await postgresClient(source);
		const rowCounts = async (database: string) => {
			const c = await postgresClient(database);
			try {
				const {rows} = await c.query<{customers: number; orders: number}>('SELECT (SELECT count(*)::int FROM customers) AS customers, (SELECT count(*)::int FROM orders) AS orders');
				return rows[0];
			} finally {
				await c.end();
			}
		};
		try {
			await db.query(`
				CREATE TABLE customers (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, meta jsonb);
				CREATE TABLE orders (id serial PRIMARY KEY, customer int REFERENCES customers(id), total numeric(12,2), note text);
				INSERT INTO customers (name, meta) SELECT 'customer ' || n || ' ünï', jsonb_build_object('n', n) FROM generate_series(1, 400) n;
				INSERT INTO orders (customer, total, note) SELECT 1 + n % 400, n * 1.25, repeat(md5(n::text), 10) FROM generate_series(1, 2500) n;
			`);
		} finally {
			await db.end();
		}
		const output = join(work, 'pg-backups');
		await mkdir(output);
		const env = {PGPASSWORD: postgres.password};
		const backup = await single(['backup', 'single', source, '--output', `${output}/`, '--compress', 'zstd', '--workers', '2', '--yes', ...pgArgs], env);
		assert.equal(backup.code, 0, backup.stderr);
		const tarName = (await readdir(output)).find((name) => name.endsWith('.tar'));
		assert.ok(tarName, `an archive in ${output}`);
		const archive = join(output, tarName);
		const verify = await single(['verify', archive, '--yes']);
		assert.equal(verify.code, 0, verify.stderr);
		assert.match(verify.stdout, /^Verified .*: 1 item\(s\) good/m);
		const restore = await single(['restore', archive, '--target-db', copy, '--workers', '2', '--yes', ...pgArgs], env);
		assert.equal(restore.code, 0, restore.stderr);
		assert.deepEqual(await rowCounts(copy), {customers: 400, orders: 2500});
		assert.deepEqual(await rowCounts(source), await rowCounts(copy));
	});
});
