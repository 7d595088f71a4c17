import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {mkdtemp, rm, writeFile, chmod} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {ListObjectsV2Command, PutObjectCommand} from '@aws-sdk/client-s3';
import type {Connection} from 'mysql2/promise';
import {fingerprint, fingerprintDifferences} from '../engines/mysql-logical/fingerprint.ts';
import {createTypeZoo} from '../engines/mysql-logical/type-zoo.ts';
import {databaseChecksums} from '../engines/postgres-logical/checksums.ts';
import {dropPostgresDatabases, mariadbConnection, postgresClient, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {inspector, objectBytes} from '../storage/s3/helpers.ts';
import {jsonLines, runCli} from './run-cli.ts';

/*
 * Backups written straight to the harness's S3 server (s3rver) and restored from it, through the CLI as
 * a child process: the MySQL type zoo and a PostgreSQL database, archives and scripts, encrypted and
 * not, and the one-line errors of a bad bucket, endpoint or credentials.
 */

const {mariadb, postgres, s3} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const pgArgs = ['--db-type', 'postgres', '--host', postgres.host, '--port', String(postgres.port), '--user', postgres.user];
const awsEnv = {AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: s3.region};
const env = {MYSQL_PWD: mariadb.password, PGPASSWORD: postgres.password, ...awsEnv};
const timeoutMs = 180_000;

async function objectsUnder(prefix: string): Promise<string[]> {
	const answer = await inspector().send(new ListObjectsV2Command({Bucket: s3.bucket, Prefix: prefix}));
	return (answer.Contents ?? []).map((object) => object.Key!).sort();
}

function backupPath(stdout: string): string {
	const match = /Backup complete \([^)]*\): (\S+)/.exec(stdout);
	assert.ok(match, `a backup path in ${stdout}`);
	return match[1]!;
}

describe('backups straight to S3 and back, through the CLI', () => {
	let admin: Connection;
	let source: string;
	let dir: string;
	let keyFile: string;
	const prefix = `${uniqueName('clis3')}/`;
	const base = `s3://${s3.bucket}/${prefix}`;

	before(async () => {
		admin = await mariadbConnection({multipleStatements: true});
		source = uniqueName('s3src');
		await createTypeZoo(admin, source);
		dir = await mkdtemp(join(tmpdir(), 'dbbackup-cli-s3-'));
		keyFile = join(dir, 'backup.key');
		await writeFile(keyFile, randomBytes(32).toString('base64'));
		await chmod(keyFile, 0o600);
	});

	after(async () => {
		await admin.query(`DROP DATABASE IF EXISTS \`${source}\``);
		await admin.end();
		await rm(dir, {recursive: true, force: true});
	});

	test('MySQL archive: backup single DB --output s3://…/ names the object under the prefix, with its sidecar; restore s3://… rebuilds an equal copy', async () => {
		const backup = await runCli(['backup', 'single', source, '--output', base, '--workers', '2', '--chunk-rows', '50', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(backup.code, 0, backup.stderr);
		const url = backupPath(backup.stdout);
		assert.match(url, new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}${source}-\\d{8}T\\d{6}\\.\\d{3}Z-[0-9a-f]{4}\\.tar$`));
		const name = url.slice(`s3://${s3.bucket}/`.length);
		assert.deepEqual(await objectsUnder(name), [name, `${name}.meta.json`]);

		const copy = uniqueName('s3copy');
		const restore = await runCli(['restore', url, '--target-db', copy, '--workers', '3', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(restore.code, 0, restore.stderr);
		assert.deepEqual(fingerprintDifferences(await fingerprint(admin, source), await fingerprint(admin, copy)), []);
		await admin.query(`DROP DATABASE \`${copy}\``);
	});

	test('MySQL --format sql to S3 (chunks wait in memory, not on disk), restored from S3', async () => {
		const url = `${base}script.sql`;
		const backup = await runCli(['backup', 'single', source, '--output', url, '--format', 'sql', '--workers', '2', '--chunk-rows', '50', '--yes', ...mysqlArgs], {env: {...env, TMPDIR: join(dir, 'no-such-tmp')}, timeoutMs});
		assert.equal(backup.code, 0, backup.stderr);
		assert.match((await objectBytes(inspector(), `${prefix}script.sql`)).toString('utf8', 0, 4096), /CREATE DATABASE/);
		const copy = uniqueName('s3sql');
		const restore = await runCli(['restore', url, '--target-db', copy, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(restore.code, 0, restore.stderr);
		assert.deepEqual(fingerprintDifferences(await fingerprint(admin, source), await fingerprint(admin, copy)), []);
		await admin.query(`DROP DATABASE \`${copy}\``);
	});

	test('stream-backup --target s3://… --workers 3 --part-size 5242880 --encrypt: no name or row readable in S3; restore needs the key, a wrong key is exit 5, the right one rebuilds the copy', async () => {
		const backup = await runCli(
			['stream-backup', '--database', source, '--target', `${base}enc/`, '--workers', '3', '--part-size', '5242880', '--encrypt', '--encryption-key-file', keyFile, '--yes', ...mysqlArgs],
			{env, timeoutMs},
		);
		assert.equal(backup.code, 0, backup.stderr);
		const url = backupPath(backup.stdout);
		assert.match(url, /\/enc\/encrypted-\d{8}T[\d.]+Z-[0-9a-f]{4}\.tar$/, 'an encrypted backup is not named after its database');
		const name = url.slice(`s3://${s3.bucket}/`.length);
		for (const key of [name, `${name}.meta.json`]) {
			const stored = await objectBytes(inspector(), key);
			assert.equal(stored.subarray(0, 8).toString('latin1'), 'DBBKENC\0', `${key} is encrypted`);
			for (const visible of [source, 'manifest.json', 'CREATE TABLE', 'ñandú']) assert.ok(!stored.includes(Buffer.from(visible)), `${visible} is not readable in ${key}`);
		}

		const copy = uniqueName('s3enc');
		const noKey = await runCli(['restore', url, '--target-db', copy, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(noKey.code, 2, noKey.stderr);
		assert.match(noKey.stderr, new RegExp(`error: ${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is encrypted; give the key it was encrypted with`));

		const wrongKey = await runCli(['restore', url, '--target-db', copy, '--yes', ...mysqlArgs], {env: {...env, DBBACKUP_ENCRYPTION_KEY: randomBytes(32).toString('hex')}, timeoutMs});
		assert.equal(wrongKey.code, 5, wrongKey.stderr);
		assert.match(wrongKey.stderr, /cannot be decrypted with this key/);
		const [exists] = await admin.query<any[]>('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [copy]);
		assert.equal(Number(exists[0].n), 0, 'nothing was created before the key was found wrong');

		const restore = await runCli(['restore', url, '--target-db', copy, '--encryption-key-file', keyFile, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(restore.code, 0, restore.stderr);
		assert.deepEqual(fingerprintDifferences(await fingerprint(admin, source), await fingerprint(admin, copy)), []);
		await admin.query(`DROP DATABASE \`${copy}\``);
	});

	test('PostgreSQL archive to S3 encrypted with a passphrase, and a tampered copy refused with exit 5 before anything is restored', async () => {
		const database = uniqueName('s3pg');
		const client = await postgresClient();
		try {
			await client.query(`CREATE DATABASE "${database}"`);
		} finally {
			await client.end();
		}
		const inside = await postgresClient(database);
		await inside.query(`CREATE TABLE "Odd ""t"""(id int PRIMARY KEY, note text, doc jsonb); INSERT INTO "Odd ""t""" SELECT n, 'row ' || n || E'\\n\\t', jsonb_build_object('n', n) FROM generate_series(1, 2000) n;`);
		await inside.end();
		const passphrase = {DBBACKUP_PASSPHRASE: 'correct horse battery staple'};
		try {
			const url = `${base}pg.tar`;
			const backup = await runCli(['backup', 'single', database, '--output', url, '--encrypt', '--yes', ...pgArgs], {env: {...env, ...passphrase}, timeoutMs});
			assert.equal(backup.code, 0, backup.stderr);
			const copy = uniqueName('s3pgcopy');
			const restore = await runCli(['restore', url, '--target-db', copy, '--yes', ...pgArgs], {env: {...env, ...passphrase}, timeoutMs});
			assert.equal(restore.code, 0, restore.stderr);
			assert.deepEqual(await databaseChecksums(copy), await databaseChecksums(database));
			await dropPostgresDatabases([copy]);

			const stored = await objectBytes(inspector(), `${prefix}pg.tar`);
			stored[Math.floor(stored.length / 2)]! ^= 0x20;
			await inspector().send(new PutObjectCommand({Bucket: s3.bucket, Key: `${prefix}tampered.tar`, Body: stored}));
			const tampered = await runCli(['restore', `${base}tampered.tar`, '--target-db', copy, '--yes', ...pgArgs], {env: {...env, ...passphrase}, timeoutMs});
			assert.equal(tampered.code, 5, tampered.stderr);
			assert.match(tampered.stderr, /tampered\.tar is damaged: segment \d+/);
			const check = await postgresClient();
			try {
				const {rows} = await check.query('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [copy]);
				assert.equal(rows[0].n, 0, 'no database was created from the tampered copy');
			} finally {
				await check.end();
			}
		} finally {
			await dropPostgresDatabases([database]);
		}
	});

	test('bad destinations are one line naming the URL, with distinct exit codes, and nothing is left looking complete', async () => {
		const noBucket = await runCli(['backup', 'single', source, '--output', 's3://no-such-bucket-here/x/', '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(noBucket.code, 2, noBucket.stderr);
		assert.match(noBucket.stderr, /s3:\/\/no-such-bucket-here\/x\/\S*.*(no such bucket|does not exist)/i);

		const unreachable = await runCli(['backup', 'single', source, '--output', `${base}x/`, '--yes', ...mysqlArgs], {env: {...env, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9'}, timeoutMs});
		assert.equal(unreachable.code, 3, unreachable.stderr);
		assert.match(unreachable.stderr, /127\.0\.0\.1:9/);

		const noCredentials = await runCli(['backup', 'single', source, '--output', `${base}x/`, '--yes', ...mysqlArgs], {env: {MYSQL_PWD: mariadb.password, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: s3.region}, timeoutMs});
		assert.equal(noCredentials.code, 3, noCredentials.stderr);
		assert.match(noCredentials.stderr, /credentials/i);
		assert.deepEqual(await objectsUnder(`${prefix}x/`), []);

		const notEncrypting = await runCli(['backup', 'single', source, '--output', `${base}x/`, '--encryption-key-file', keyFile, '--yes', ...mysqlArgs], {env, timeoutMs});
		assert.equal(notEncrypting.code, 2, notEncrypting.stderr);
		assert.match(notEncrypting.stderr, /encryption is off/);
	});

	test('--json: the backup result names the S3 URL', async () => {
		const result = await runCli(['backup', 'single', source, '--output', `${base}json.tar`, '--json', ...mysqlArgs], {env, timeoutMs});
		assert.equal(result.code, 0, result.stderr);
		const done = jsonLines(result.stdout).find((event) => event.type === 'result' && event.kind === 'backup')!;
		assert.equal(done.data.result.artifact, `${base}json.tar`);
	});
});
