import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';
import type {RowDataPacket} from 'mysql2/promise';
import {mariadbConnection, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {runCli} from './run-cli.ts';

const {mariadb} = getTestServers();
const connection = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const env = {MYSQL_PWD: mariadb.password};
const dirs: string[] = [];

after(async () => {
	for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});

async function tempDir(): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'dbbackup-cli-binlog-'));
	dirs.push(dir);
	return dir;
}

describe('dbbackup binlog-stream (CLI)', {timeout: 120_000}, () => {
	test('--stop-at-end from a position copies up to the end, prints the feed and a result, exits 0', async () => {
		const admin = await mariadbConnection({multipleStatements: true});
		const database = uniqueName('cli_binlog');
		let start: string;
		try {
			const [status] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
			start = `${status[0]!.File}:${status[0]!.Position}`;
			await admin.query(`CREATE DATABASE ${database}; CREATE TABLE ${database}.t (id INT PRIMARY KEY); INSERT INTO ${database}.t VALUES (1), (2), (3)`);
		} finally {
			await admin.end();
		}
		const dir = await tempDir();
		const result = await runCli(['binlog-stream', '--output', dir, '--start-position', start, '--stop-at-end', '--server-id', '61002', '--databases', database, '--yes', ...connection], {env});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, new RegExp(`WRITE_ROWS\\S* \\S+ ${database}\\.t 3 rows`), 'the feed line of the insert, filtered to the database');
		assert.doesNotMatch(result.stdout, /MARIADB_GTID /, 'events about no database are filtered out');
		assert.match(result.stdout, /Binlog stream stopped: \d+ events/);
		const checkpoint = JSON.parse(await readFile(join(dir, 'binlog-stream.checkpoint.json'), 'utf8')) as {file: string; position: number};
		assert.equal(checkpoint.file, start.split(':')[0]);
		assert.ok(checkpoint.position > Number(start.split(':')[1]));
	});

	test('--json prints the feed and status as JSON lines', async () => {
		const admin = await mariadbConnection();
		const [status] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
		await admin.end();
		const dir = await tempDir();
		const result = await runCli(['binlog-stream', '--output', dir, '--start-position', `${status[0]!.File}:${status[0]!.Position}`, '--stop-at-end', '--server-id', '61003', '--json', ...connection], {env});
		assert.equal(result.code, 0, result.stderr);
		const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as {type: string; kind?: string});
		assert.ok(lines.some((line) => line.type === 'binlog-status'));
		assert.ok(lines.some((line) => line.type === 'result' && line.kind === 'binlog-stream'));
	});

	test('bad input is a usage error naming the flag (exit 2)', async () => {
		const dir = await tempDir();
		const cases: Array<[string[], RegExp]> = [
			[['binlog-stream', ...connection], /needs a directory or an s3:\/\/ prefix to write to/],
			[['binlog-stream', '--output', dir, '--target', 's3://bucket/binlog/', ...connection], /--output and --target both name where the copy goes/],
			[['binlog-stream', '--output', dir, '--encrypt', ...connection], /no encryption key given/],
			[['binlog-stream', '--output', dir, '--sync', 'sometimes', ...connection], /--sync sometimes/],
			[['binlog-stream', '--output', dir, '--checkpoint-interval', 'soon', ...connection], /--checkpoint-interval soon/],
			[['binlog-stream', '--output', dir, '--start-position', 'nowhere', ...connection], /--start-position nowhere/],
			[['binlog-stream', '--output', dir, '--db-type', 'postgres'], /reads MySQL\/MariaDB binary logs/],
		];
		for (const [args, message] of cases) {
			const result = await runCli([...args, '--yes'], {env});
			assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
			assert.match(result.stderr, message);
		}
	});

	test('--from-backup starts a new directory at the coordinates the backup recorded (archive and SQL script)', async () => {
		const admin = await mariadbConnection({multipleStatements: true});
		const database = uniqueName('cli_from_backup');
		const dir = await tempDir();
		try {
			await admin.query(`CREATE DATABASE ${database}; CREATE TABLE ${database}.t (id INT PRIMARY KEY); INSERT INTO ${database}.t VALUES (1)`);
			const archive = join(dir, 'backup.tar');
			const script = join(dir, 'backup.sql');
			for (const [output, format] of [[archive, 'archive'], [script, 'sql']]) {
				const backup = await runCli(['backup', 'single', database, '--output', output, '--format', format, '--yes', ...connection], {env});
				assert.equal(backup.code, 0, backup.stderr);
			}
			// after both backups: the only insert the streams should feed
			await admin.query(`INSERT INTO ${database}.t VALUES (2), (3)`);
			// by file and position, and by GTID (the default): the feed starts at the backup's point either way
			for (const [artifact, serverId, gtid] of [[archive, '61005', '--no-gtid'], [script, '61006', '--no-gtid'], [archive, '61007', '--gtid'], [script, '61008', '--gtid']]) {
				const out = join(dir, `stream-${serverId}`);
				const result = await runCli(['binlog-stream', '--output', out, '--from-backup', artifact, gtid!, '--stop-at-end', '--server-id', serverId!, '--databases', database, '--yes', ...connection], {env});
				assert.equal(result.code, 0, result.stderr);
				const rowEvents = result.stdout.split('\n').filter((line) => line.includes(`${database}.t`) && /_ROWS/.test(line));
				assert.deepEqual(
					rowEvents.map((line) => /(\d+) rows$/.exec(line)?.[1]),
					['2'],
					`${artifact} ${gtid}: only the insert made after the backup is fed:\n${rowEvents.join('\n')}`,
				);
			}
			const both = await runCli(['binlog-stream', '--output', join(dir, 'both'), '--from-backup', archive, '--start-gtid', '0-1-1', ...connection, '--yes'], {env});
			assert.equal(both.code, 2);
			assert.match(both.stderr, /--start-gtid and --from-backup cannot be given together/);
			const missing = await runCli(['binlog-stream', '--output', join(dir, 'missing'), '--from-backup', join(dir, 'nothing.tar'), ...connection, '--yes'], {env});
			assert.notEqual(missing.code, 0);
			assert.match(missing.stderr, /nothing\.tar/);
		} finally {
			await admin.query(`DROP DATABASE IF EXISTS ${database}`);
			await admin.end();
		}
	});

	test('a server id equal to the server\'s own is refused', async () => {
		const dir = await tempDir();
		const result = await runCli(['binlog-stream', '--output', dir, '--server-id', '1', '--stop-at-end', '--yes', ...connection], {env});
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /server_id is 1/);
	});
});
