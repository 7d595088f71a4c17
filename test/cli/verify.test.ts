/**
 * `dbbackup verify` through the CLI as a child process, on real backups of the harness's MariaDB and
 * a real binlog-stream copy: good artifacts pass (exit 0) and each kind of damage fails with exit 5
 * naming the member or file.
 */
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {mkdir, mkdtemp, open, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Connection, RowDataPacket} from 'mysql2/promise';
import {createReadStream, createWriteStream} from 'node:fs';
import {pipeline} from 'node:stream/promises';
import {ListObjectsV2Command, PutObjectCommand} from '@aws-sdk/client-s3';
import tar from 'tar-stream';
import {openArchive} from '../../source/storage/archive/reader.ts';
import {inspector, objectBytes} from '../storage/s3/helpers.ts';
import {mariadbConnection, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {runCli} from './run-cli.ts';

const {mariadb, s3} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const key = randomBytes(32).toString('base64');
const env = {MYSQL_PWD: mariadb.password};
const awsEnv = {AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: s3.region};
const timeoutMs = 180_000;

describe('dbbackup verify', () => {
	let admin: Connection;
	let dir: string;
	const source = uniqueName('verify');

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		await admin.query(`CREATE DATABASE ${source}; CREATE TABLE ${source}.t (id INT PRIMARY KEY, v TEXT)`);
		for (let index = 0; index < 50; index += 1) await admin.query(`INSERT INTO ${source}.t VALUES (?, ?)`, [index, 'x'.repeat(500 + index)]);
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-verify-'));
		for (const extra of [[], ['--format', 'sql'], ['--encrypt']]) {
			const result = await runCli(['backup', 'single', source, '--output', `${dir}/`, '--chunk-rows', '10', '--yes', ...extra, ...mysqlArgs], {env: {...env, DBBACKUP_ENCRYPTION_KEY: key}, timeoutMs});
			assert.equal(result.code, 0, result.stderr);
		}
	});

	after(async () => {
		await admin.query(`DROP DATABASE IF EXISTS ${source}`);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	async function named(pattern: RegExp): Promise<string> {
		const name = (await readdir(dir)).find((candidate) => pattern.test(candidate));
		assert.ok(name, `${pattern} in ${dir}`);
		return join(dir, name);
	}

	test('a directory of good backups: every one checked, exit 0; the encrypted one as stored without the key, fully with it', async () => {
		const withoutKey = await runCli(['verify', dir, '--yes'], {env, timeoutMs});
		assert.equal(withoutKey.code, 0, withoutKey.stderr);
		assert.match(withoutKey.stdout, /^Verified .*: 3 item\(s\) good/m);
		assert.match(withoutKey.stdout, new RegExp(`ok  .*${source}-.*\\.tar \\(archive; [^)]*member\\(s\\)`));
		assert.match(withoutKey.stdout, new RegExp(`ok  .*${source}-.*\\.sql \\(sql;`));
		assert.match(withoutKey.stdout, /ok {2}.*encrypted-.*\.tar \(encrypted;/);
		assert.match(withoutKey.stdout, /as stored, without the key/);
		const withKey = await runCli(['verify', await named(/^encrypted-.*\.tar$/), '--yes'], {env: {...env, DBBACKUP_ENCRYPTION_KEY: key}, timeoutMs});
		assert.equal(withKey.code, 0, withKey.stderr);
		assert.match(withKey.stdout, /\(archive; .*member\(s\)/);
	});

	test('an archive copied without its sidecar: good, exit 0, with a warning that it has none', async () => {
		const alone = join(dir, 'alone');
		await rm(alone, {recursive: true, force: true});
		await mkdir(alone);
		const copy = join(alone, 'copy.tar');
		await writeFile(copy, await readFile(await named(new RegExp(`^${source}-.*\\.tar$`))));
		const result = await runCli(['verify', copy, '--yes'], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /no sidecar to check/);
		assert.match(result.stderr, /copy\.tar has no sidecar \(copy\.tar\.meta\.json\)/);
		await rm(alone, {recursive: true});
	});

	test('a flipped byte in a data member: exit 5 naming the member', async () => {
		const archive = await named(new RegExp(`^${source}-.*\\.tar$`));
		const copy = join(dir, 'damaged', 'copy.tar');
		await rm(join(dir, 'damaged'), {recursive: true, force: true});
		await mkdir(join(dir, 'damaged'));
		await writeFile(copy, await readFile(archive));
		const opened = await openArchive(copy);
		const member = opened.manifest.members.find((candidate) => candidate.path.startsWith('data/'))!;
		const entry = opened.entries.find((candidate) => candidate.name === member.path)!;
		const handle = await open(copy, 'r+');
		const byte = Buffer.alloc(1);
		await handle.read(byte, 0, 1, entry.dataOffset + 3);
		await handle.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, entry.dataOffset + 3);
		await handle.close();
		const result = await runCli(['verify', copy, '--yes'], {env, timeoutMs});
		assert.equal(result.code, 5, result.stderr);
		assert.match(result.stderr, new RegExp(member.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
	});

	test('our SQL script cut short: exit 5 (SCRIPT_INCOMPLETE)', async () => {
		const script = await named(new RegExp(`^${source}-.*\\.sql$`));
		const cut = join(dir, 'cut.sql');
		const text = await readFile(script, 'utf8');
		await writeFile(cut, text.slice(0, text.length - 40));
		const result = await runCli(['verify', cut, '--yes'], {env, timeoutMs});
		assert.equal(result.code, 5, result.stderr);
		assert.match(result.stderr, /cut\.sql is cut short: a dbbackup SQL script ends with "-- dump complete"/);
		await rm(cut);
	});

	test('a binlog-stream copy: good (CRC32, SHA-256, sequence), then a damaged closed file and a missing one are exit 5', async () => {
		const [status] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
		const first = String(status[0]!.File);
		await admin.query(`INSERT INTO ${source}.t VALUES (1000, 'a')`);
		await admin.query('FLUSH BINARY LOGS');
		await admin.query(`INSERT INTO ${source}.t VALUES (1001, 'b')`);
		await admin.query('FLUSH BINARY LOGS');
		await admin.query(`INSERT INTO ${source}.t VALUES (1002, 'c')`);
		const binlogs = await mkdtemp(join(tmpdir(), 'dbbackup-verify-binlog-'));
		try {
			const stream = await runCli(['binlog-stream', '--output', binlogs, '--start-position', `${first}:4`, '--stop-at-end', '--server-id', '61101', '--yes', ...mysqlArgs], {env, timeoutMs});
			assert.equal(stream.code, 0, stream.stderr);
			const good = await runCli(['verify', binlogs, '--yes'], {env, timeoutMs});
			assert.equal(good.code, 0, good.stderr);
			assert.match(good.stdout, /\(binlogs; .* 3 file\(s\), [\d,]+ event\(s\)\)/);

			const files = (await readdir(binlogs)).filter((name) => /\.\d+$/.test(name)).sort();
			const middle = join(binlogs, files[1]!);
			const bytes = await readFile(middle);
			bytes[bytes.length - 10] ^= 0xff;
			await writeFile(middle, bytes);
			const damaged = await runCli(['verify', binlogs, '--yes'], {env, timeoutMs});
			assert.equal(damaged.code, 5, damaged.stderr);
			assert.match(damaged.stderr, new RegExp(files[1]!.replace(/\./g, '\\.')));

			await rm(middle);
			const missing = await runCli(['verify', binlogs, '--yes'], {env, timeoutMs});
			assert.equal(missing.code, 5, missing.stderr);
			assert.match(missing.stderr, new RegExp(`${files[1]!.replace(/\./g, '\\.')} is missing`));
		} finally {
			await rm(binlogs, {recursive: true, force: true});
		}
	});

	test('backups beside a binlog stream: the stream under the directory is verified, and a newest backup it cannot roll forward is exit 5', async () => {
		const location = await mkdtemp(join(tmpdir(), 'dbbackup-verify-chain-'));
		try {
			const backup = await runCli(['backup', 'single', source, '--output', `${location}/`, '--yes', ...mysqlArgs], {env, timeoutMs});
			assert.equal(backup.code, 0, backup.stderr);
			const archive = (await readdir(location)).find((name) => name.endsWith('.tar'))!;
			await admin.query(`INSERT INTO ${source}.t VALUES (2000, 'after the backup')`);
			const covering = await runCli(
				['binlog-stream', '--output', join(location, 'binlog'), '--from-backup', join(location, archive), '--stop-at-end', '--server-id', '61102', '--yes', ...mysqlArgs],
				{env, timeoutMs},
			);
			assert.equal(covering.code, 0, covering.stderr);
			const good = await runCli(['verify', location, '--yes'], {env, timeoutMs});
			assert.equal(good.code, 0, good.stderr);
			assert.match(good.stdout, /Verified .*: 2 item\(s\) good/);
			assert.match(good.stdout, /binlog\/? \(binlogs;/);

			// a stream that starts after the backup's binlog file: the backup cannot be rolled forward
			await rm(join(location, 'binlog'), {recursive: true});
			await admin.query('FLUSH BINARY LOGS');
			const [status] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
			const later = await runCli(
				['binlog-stream', '--output', join(location, 'binlog'), '--start-position', `${String(status[0]!.File)}:4`, '--stop-at-end', '--server-id', '61103', '--yes', ...mysqlArgs],
				{env, timeoutMs},
			);
			assert.equal(later.code, 0, later.stderr);
			const broken = await runCli(['verify', location, '--yes'], {env, timeoutMs});
			assert.equal(broken.code, 5, broken.stderr);
			assert.match(broken.stderr, new RegExp(`the newest backup cannot be rolled forward: the stream .*binlog/? starts at ${String(status[0]!.File).replace(/\./g, '\\.')}, after ${archive.replace(/\./g, '\\.')}'s binlog file`));
		} finally {
			await rm(location, {recursive: true, force: true});
		}
	});

	test('an s3:// prefix: the backups there are verified with ranged reads; a truncated object is exit 5', async () => {
		const name = uniqueName('verifys3');
		const prefix = `s3://${s3.bucket}/${name}/`;
		const backup = await runCli(['backup', 'single', source, '--output', prefix, '--yes', ...mysqlArgs], {env: {...env, ...awsEnv}, timeoutMs});
		assert.equal(backup.code, 0, backup.stderr);
		const result = await runCli(['verify', prefix, '--yes'], {env: {...env, ...awsEnv}, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /Verified s3:\/\/.*: 1 item\(s\) good/);

		const client = inspector();
		const {Contents} = await client.send(new ListObjectsV2Command({Bucket: s3.bucket, Prefix: `${name}/`}));
		const key = Contents!.map((object) => object.Key!).find((candidate) => candidate.endsWith('.tar'))!;
		const whole = await objectBytes(client, key);
		await client.send(new PutObjectCommand({Bucket: s3.bucket, Key: key, Body: whole.subarray(0, Math.floor(whole.length * 0.6))}));
		const truncated = await runCli(['verify', prefix, '--yes'], {env: {...env, ...awsEnv}, timeoutMs});
		assert.equal(truncated.code, 5, truncated.stderr);
		assert.match(truncated.stderr, new RegExp(key.split('/').at(-1)!.replace(/\./g, '\\.')));
	});

	test('a member missing from the archive (the manifest still lists it): exit 5 naming the member', async () => {
		const archive = await named(new RegExp(`^${source}-.*\\.tar$`));
		const opened = await openArchive(archive);
		const dropped = opened.manifest.members.find((member) => member.path.startsWith('data/'))!.path;
		const copy = join(dir, 'missing-member.tar');
		const extract = tar.extract();
		const pack = tar.pack();
		const written = pipeline(pack, createWriteStream(copy));
		const reading = (async () => {
			for await (const entry of extract) {
				const parts: Buffer[] = [];
				for await (const part of entry) parts.push(part as Buffer);
				if (entry.header.name === dropped) continue;
				await new Promise<void>((resolve, reject) => pack.entry({name: entry.header.name, size: Buffer.concat(parts).length}, Buffer.concat(parts), (error) => (error ? reject(error) : resolve())));
			}
			pack.finalize();
		})();
		await pipeline(createReadStream(archive), extract);
		await reading;
		await written;
		const result = await runCli(['verify', copy, '--yes'], {env, timeoutMs});
		assert.equal(result.code, 5, result.stderr);
		assert.match(result.stderr, new RegExp(dropped.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
		await rm(copy);
	});
});
