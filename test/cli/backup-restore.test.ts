import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {createWriteStream} from 'node:fs';
import {mkdtemp, open, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {pipeline} from 'node:stream/promises';
import {after, before, describe, test} from 'node:test';
import type {Connection} from 'mysql2/promise';
import tar from 'tar-stream';
import {openArchive} from '../../source/storage/archive/reader.ts';
import {fingerprint, fingerprintDifferences} from '../engines/mysql-logical/fingerprint.ts';
import {createTypeZoo} from '../engines/mysql-logical/type-zoo.ts';
import {mariadbConnection, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {jsonLines, runCli} from './run-cli.ts';

const {mariadb, postgres} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const env = {MYSQL_PWD: mariadb.password};
const timeoutMs = 120_000;

async function databaseExists(admin: Connection, name: string): Promise<boolean> {
	const [rows] = await admin.query<any[]>('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
	return Number(rows[0].n) > 0;
}

/** A copy of the archive's tar with `change` applied to each entry's bytes (or the entry dropped). */
async function rewriteArchive(from: string, to: string, change: (name: string, data: Buffer) => Buffer | null): Promise<void> {
	const extract = tar.extract();
	const pack = tar.pack();
	const written = pipeline(pack, createWriteStream(to));
	const read = (async () => {
		for await (const entry of extract) {
			const parts: Buffer[] = [];
			for await (const part of entry) parts.push(part as Buffer);
			const data = change(entry.header.name, Buffer.concat(parts));
			if (data) await new Promise<void>((resolve, reject) => pack.entry({name: entry.header.name, size: data.length}, data, (error) => (error ? reject(error) : resolve())));
		}
		pack.finalize();
	})();
	await pipeline((await open(from)).createReadStream(), extract);
	await read;
	await written;
}

describe('dbbackup backup and restore through the CLI, against the real MariaDB', () => {
	let admin: Connection;
	let dir: string;
	let source: string;
	let archive: string;

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-cli-backup-'));
		source = uniqueName('cli');
		await createTypeZoo(admin, source);
		const result = await runCli(['backup', 'single', source, '--output', `${dir}/`, '--workers', '2', '--chunk-rows', '50', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		const names = await readdir(dir);
		const tarName = names.find((name) => name.endsWith('.tar'));
		assert.ok(tarName, `an archive in ${names.join(', ')}`);
		archive = join(dir, tarName);
		assert.match(result.stdout, new RegExp(`Backup complete \\(mysqldump, archive\\): ${archive.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
		assert.match(result.stdout, /writes blocked for \d+\.\d ms/);
		assert.match(result.stdout, /consistent at .*GTID/);
		assert.match(result.stderr, /==> dump: /);
	});

	after(async () => {
		await admin.query(`DROP DATABASE IF EXISTS \`${source}\``);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('restore --target-db rebuilds an equal copy; a second restore there is refused, --drop-existing replaces it', async () => {
		const copy = uniqueName('copy');
		const first = await runCli(['restore', archive, '--target-db', copy, '--workers', '3', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(first.code, 0, first.stderr);
		assert.match(first.stdout, new RegExp(`Restore complete \\(mysqldump\\): .* → ${copy}`));
		assert.deepEqual(fingerprintDifferences(await fingerprint(admin, source), await fingerprint(admin, copy)), []);

		const again = await runCli(['restore', archive, '--target-db', copy, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(again.code, 2);
		assert.match(again.stderr, new RegExp(`error: refusing to restore over existing data: ${copy} exists and is not empty`));
		assert.match(again.stderr, /hint: .*--drop-existing/);

		await admin.query(`DELETE FROM \`${copy}\`.ints WHERE id < 100`);
		const replaced = await runCli(['restore', archive, '--target-db', copy, '--drop-existing', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(replaced.code, 0, replaced.stderr);
		assert.match(replaced.stderr, /--drop-existing: dropped database/);
		assert.deepEqual(fingerprintDifferences(await fingerprint(admin, source), await fingerprint(admin, copy)), []);
		await admin.query(`DROP DATABASE \`${copy}\``);
	});

	test('restore --list shows the databases, tables with rows and every member, without a server; with a restore flag it is refused', async () => {
		// a port nothing listens on: --list reads the archive only
		const offline = ['--db-type', 'mysql', '--host', '127.0.0.1', '--port', '1'];
		const listed = await runCli(['restore', archive, '--list', '--yes', ...offline], {env, timeoutMs});
		assert.equal(listed.code, 0, listed.stderr);
		assert.match(listed.stdout, new RegExp(`^Archive .*\\.tar \\(mysqldump, mysql .*zstd`, 'm'));
		assert.match(listed.stdout, new RegExp(`^  ${source}: \\d+ table\\(s\\), [\\d,]+ row\\(s\\)`, 'm'));
		assert.match(listed.stdout, /^ {4}ints {2}[\d,]+ row\(s\)$/m);
		assert.match(listed.stdout, /^Members \(\d+, in order; stored \/ before compression\):/m);
		assert.match(listed.stdout, new RegExp(`data/${source}/ints\\.\\d+\\.sql\\.zst$`, 'm'));
		const refused = await runCli(['restore', archive, '--list', '--target-db', 'x', '--yes', ...offline], {env, timeoutMs});
		assert.equal(refused.code, 2, refused.stderr);
		assert.match(refused.stderr, /--list shows the backup and restores nothing: --target-db would do nothing/);
	});

	test('--tables restores only the named tables (and their triggers); an unknown table is a usage error', async () => {
		const copy = uniqueName('some');
		const result = await runCli(['restore', archive, '--target-db', copy, '--tables', `ints,${source}.gen`, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		const [tables] = await admin.query<any[]>('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [copy]);
		assert.deepEqual(tables.map((row) => row.name), ['gen', 'ints']);
		const [triggers] = await admin.query<any[]>('SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [copy]);
		assert.deepEqual(triggers.map((row) => row.name), ['gen_bi']);
		await admin.query(`DROP DATABASE \`${copy}\``);

		const unknown = await runCli(['restore', archive, '--target-db', copy, '--tables', 'no_such_table', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(unknown.code, 2);
		assert.match(unknown.stderr, /--tables: "no_such_table" is not in the backup \(it has /);
		assert.equal(await databaseExists(admin, copy), false);
	});

	test('--json: progress per table and the result as JSON lines', async () => {
		const output = join(dir, 'json.tar');
		const result = await runCli(['backup', 'single', source, '--output', output, '--compress', 'gzip', '--json', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		const events = jsonLines(result.stdout);
		assert.ok(events.some((event) => event.type === 'progress' && event.task === `rows ${source}.ints` && event.done === 500));
		const done = events.find((event) => event.type === 'result' && event.kind === 'backup')!;
		assert.equal(done.data.result.artifact, output);
		assert.equal(done.data.result.rows, 737);
		assert.ok((await openArchive(output)).manifest.members.every((member) => member.compression === 'gzip'));
	});

	test('a truncated archive: exit 5 naming it, nothing restored', async () => {
		const cut = join(dir, 'cut.tar');
		await writeFile(cut, (await readFile(archive)).subarray(0, Math.floor((await stat(archive)).size / 2)));
		const copy = uniqueName('cut');
		const result = await runCli(['restore', cut, '--target-db', copy, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 5, result.stderr);
		assert.match(result.stderr, new RegExp(`error: .*${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(truncated|cut)`));
		assert.equal(await databaseExists(admin, copy), false);
	});

	test('a flipped byte in a data member: exit 5 naming the member, nothing restored', async () => {
		const flipped = join(dir, 'flipped.tar');
		let victim = '';
		await rewriteArchive(archive, flipped, (name, data) => {
			if (!victim && name.startsWith('data/') && data.length > 100) {
				victim = name;
				const copy = Buffer.from(data);
				copy[50] ^= 0x01;
				return copy;
			}
			return data;
		});
		const copy = uniqueName('flip');
		const result = await runCli(['restore', flipped, '--target-db', copy, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 5, result.stderr);
		assert.ok(result.stderr.includes(victim), `the error names ${victim}: ${result.stderr}`);
		assert.equal(await databaseExists(admin, copy), false);
	});

	test('a tar without manifest.json: exit 5, "no manifest"', async () => {
		const bare = join(dir, 'bare.tar');
		await rewriteArchive(archive, bare, (name, data) => (name === 'manifest.json' ? null : data));
		const result = await runCli(['restore', bare, '--target-db', uniqueName('bare'), '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 5, result.stderr);
		assert.match(result.stderr, /has no manifest\.json/);
	});

	test('wrong --db-type: a MySQL archive into PostgreSQL is a usage error', async () => {
		const pgArgs = ['--db-type', 'postgres', '--host', postgres.host, '--port', String(postgres.port), '--user', postgres.user];
		const result = await runCli(['restore', archive, '--yes', ...pgArgs], {env: {PGPASSWORD: postgres.password}, timeoutMs});
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /is a mysql backup, but the target server is postgres/);
	});

	test('an unknown database to back up: exit 2 naming it before the global lock is taken, no file left', async () => {
		const output = join(dir, 'unknown.tar');
		const result = await runCli(['backup', 'single', 'no_such_db_here', '--output', output, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /no such database: no_such_db_here/);
		assert.doesNotMatch(result.stderr, /==> snapshot/, 'refused before the snapshot stage (the global lock)');
		assert.ok(!(await readdir(dir)).some((name) => name.startsWith('unknown.tar')));
	});

	test('no privileges: a SELECT-only user cannot restore; the error names the refusal and nothing is half-made', async () => {
		const copy = uniqueName('denied');
		const result = await runCli(
			['restore', archive, '--target-db', copy, '--yes', '--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.limitedUser],
			{env: {MYSQL_PWD: mariadb.limitedPassword}, timeoutMs},
		);
		assert.notEqual(result.code, 0);
		assert.match(result.stderr, /error: .*(denied|CREATE)/i);
		assert.equal(await databaseExists(admin, copy), false);
	});

	test('--no-binlog restores with sql_log_bin off; a user who may not turn it off gets a usage error naming it', async () => {
		const copy = uniqueName('nobinlog');
		const result = await runCli(['restore', archive, '--target-db', copy, '--no-binlog', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		assert.deepEqual(fingerprintDifferences(await fingerprint(admin, source), await fingerprint(admin, copy)), []);
		await admin.query(`DROP DATABASE \`${copy}\``);
		const denied = await runCli(
			['restore', archive, '--target-db', copy, '--no-binlog', '--yes', '--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.limitedUser],
			{env: {MYSQL_PWD: mariadb.limitedPassword}, timeoutMs},
		);
		assert.equal(denied.code, 2, denied.stderr);
		assert.match(denied.stderr, /--no-binlog: the server refused SET sql_log_bin = 0/);
	});

	test('our --format sql script restored over its own source: refused as it stands, replaced with --drop-existing and no --target-db', async () => {
		const own = uniqueName('ownsql');
		await admin.query(`CREATE DATABASE \`${own}\`; CREATE TABLE \`${own}\`.t (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO \`${own}\`.t VALUES (1, 'a'), (2, 'b')`);
		try {
			const script = join(dir, `${own}.sql`);
			const backup = await runCli(['backup', 'single', own, '--output', script, '--format', 'sql', '--yes', ...mysqlArgs], {env, timeoutMs});
			assert.equal(backup.code, 0, backup.stderr);
			const before = await fingerprint(admin, own);
			const over = await runCli(['restore', script, '--yes', ...mysqlArgs], {env, timeoutMs});
			assert.equal(over.code, 2, over.stderr);
			assert.match(over.stderr, new RegExp(`refusing to restore over existing data: ${own} exists and is not empty`));
			await admin.query(`INSERT INTO \`${own}\`.t VALUES (3, 'c')`);
			const replaced = await runCli(['restore', script, '--drop-existing', '--yes', ...mysqlArgs], {env, timeoutMs});
			assert.equal(replaced.code, 0, replaced.stderr);
			assert.match(replaced.stderr, new RegExp(`--drop-existing: dropped database ${own}`));
			assert.deepEqual(fingerprintDifferences(before, await fingerprint(admin, own)), [], 'the database is the script\'s again (the row added after it is gone)');
		} finally {
			await admin.query(`DROP DATABASE IF EXISTS \`${own}\``);
		}
	});

	test('a mariadb-dump script restores natively into another database with --target-db', async () => {
		const script = join(dir, 'mariadb-dump.sql');
		await new Promise<void>((resolve, reject) => {
			const child = spawn('mariadb-dump', ['--no-defaults', '-h', mariadb.host, '-P', String(mariadb.port), '-u', mariadb.user, '--routines', '--triggers', '--events', '--databases', source], {
				env: {...process.env, MYSQL_PWD: mariadb.password},
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			child.stdout.pipe(createWriteStream(script));
			let stderr = '';
			child.stderr.on('data', (chunk) => (stderr += chunk));
			child.on('error', reject);
			child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`mariadb-dump exited ${code}: ${stderr}`))));
		});
		const copy = uniqueName('script');
		const result = await runCli(['restore', script, '--target-db', copy, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		const [rows] = await admin.query<any[]>(`SELECT COUNT(*) AS n FROM \`${copy}\`.ints`);
		assert.equal(Number(rows[0].n), 500);
		assert.equal(await databaseExists(admin, `${source}`), true, 'the source database was not touched');
		const [views] = await admin.query<any[]>('SELECT COUNT(*) AS n FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?', [copy]);
		assert.equal(Number(views[0].n), 2);
		await admin.query(`DROP DATABASE \`${copy}\``);
	});
});
