import assert from 'node:assert/strict';
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {freePort} from '../../source/sandbox/free-port.ts';
import {getTestServers} from '../harness/servers.ts';
import {jsonLines, runCli} from './run-cli.ts';

const servers = getTestServers();
const maria = servers.mariadb;
const pg = servers.postgres;
const mysqlArgs = ['--db-type', 'mysql', '--host', maria.host, '--port', String(maria.port), '--user', maria.user];
const mysqlEnv = {MYSQL_PWD: maria.password};
const pgArgs = ['--db-type', 'postgres', '--host', pg.host, '--port', String(pg.port), '--user', pg.user];
const pgEnv = {PGPASSWORD: pg.password};
const ESC = '\u001B[';

function assertNoSecrets(text: string) {
	assert.ok(!text.includes(maria.password), 'the MariaDB password leaked into output');
	assert.ok(!text.includes(pg.password), 'the PostgreSQL password leaked into output');
}

describe('dbbackup CLI against the real MariaDB', () => {
	test('detect --yes: report on stdout, progress on stderr, no escape codes, no password', async () => {
		const result = await runCli(['detect', '--yes', ...mysqlArgs], {env: mysqlEnv});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /Database Information — MySQL\/MariaDB at 127\.0\.0\.1:\d+/);
		assert.match(result.stdout, /Version\s+10\.11\.\d+-MariaDB/);
		assert.match(result.stdout, /Flavor\s+MariaDB/);
		assert.match(result.stdout, /Binlog\s+on, ROW/);
		assert.match(result.stdout, /Clone Plugin\s+UNSUPPORTED/);
		assert.match(result.stderr, /==> connect: MySQL\/MariaDB at 127\.0\.0\.1:\d+ as dbbackup/);
		assert.ok(!result.stdout.includes(ESC) && !result.stderr.includes(ESC), 'Ink must not be mounted without a TTY');
		assertNoSecrets(result.stdout + result.stderr);
	});

	test('detect --json: one JSON event per line, the result carries every fact', async () => {
		const result = await runCli(['detect', '--json', ...mysqlArgs], {env: mysqlEnv});
		assert.equal(result.code, 0, result.stderr);
		const events = jsonLines(result.stdout);
		assert.ok(events.some((event) => event.type === 'stage' && event.name === 'connect'));
		const detect = events.find((event) => event.type === 'result' && event.kind === 'detect');
		assert.ok(detect, 'no detect result');
		const env = detect.data.environment;
		assert.equal(env.flavor.value, 'mariadb');
		assert.equal(env.binlog.value.format, 'ROW');
		assert.equal(env.datadir.known, true);
		assertNoSecrets(result.stdout + result.stderr);
	});

	test('engine list names every MySQL engine with its reason', async () => {
		const result = await runCli(['engine', 'list', '--yes', ...mysqlArgs], {env: mysqlEnv});
		assert.equal(result.code, 0, result.stderr);
		for (const name of ['mysqldump', 'clone', 'snapshot']) assert.match(result.stdout, new RegExp(`^  ${name}\\s`, 'm'));
		assert.match(result.stdout, /clone\s+physical\s+unavailable: MariaDB has no clone plugin/);
		assert.doesNotMatch(result.stdout, /postgres-logical/);
	});

	test('engine info clone explains, engine info without a name shows the environment and all engines', async () => {
		const one = await runCli(['engine', 'info', 'clone', '--yes', ...mysqlArgs], {env: mysqlEnv});
		assert.equal(one.code, 0, one.stderr);
		assert.match(one.stdout, /Engine: clone/);
		assert.match(one.stdout, /Available: no\n\s+- MariaDB has no clone plugin/);
		// what clone can do, whether or not this server lets it
		assert.match(one.stdout, /Capabilities: backup yes, restore yes, incremental no, streaming yes/);
		const logical = await runCli(['engine', 'info', 'mysqldump', '--yes', ...mysqlArgs], {env: mysqlEnv});
		assert.match(logical.stdout, /Capabilities: backup yes, restore yes, incremental no, streaming yes/);
		const all = await runCli(['engine', 'info', '--yes', ...mysqlArgs], {env: mysqlEnv});
		assert.equal(all.code, 0, all.stderr);
		assert.match(all.stdout, /Database Information/);
		assert.equal(all.stdout.match(/^Engine: /gm)?.length, 3, 'mysqldump, clone and snapshot');
	});

	test('engine select prints the recommendation and the reason for every criterion', async () => {
		const result = await runCli(['engine', 'select', '--yes', ...mysqlArgs], {env: mysqlEnv});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /Recommendation for 127\.0\.0\.1:\d+\n  Engine: mysqldump/);
		assert.match(result.stdout, /1\. Data size .* is at most 10 GiB/);
		assert.match(result.stdout, /2\. Server is MariaDB 10\.11/);
	});

	test('engine info for an engine of the other database type is a usage error', async () => {
		const result = await runCli(['engine', 'info', 'postgres-logical', '--yes', ...mysqlArgs], {env: mysqlEnv});
		assert.equal(result.code, 2);
		assert.match(result.stderr, /does not back up MySQL\/MariaDB servers/);
	});

	test('physical-backup with an engine this server cannot serve exits 4 naming why', async () => {
		const result = await runCli(['physical-backup', '--engine', 'clone', '--output', '/tmp/never-written.tar', '--yes', ...mysqlArgs], {env: mysqlEnv});
		assert.equal(result.code, 4);
		assert.match(result.stderr, /error: engine clone cannot run against 127\.0\.0\.1:\d+: MariaDB has no clone plugin/);
	});

	test('a wrong password: exit 3, one line with host:port and where the password came from, no stack', async () => {
		const result = await runCli(['detect', '--yes', ...mysqlArgs], {env: {MYSQL_PWD: 'not-the-password-42'}});
		assert.equal(result.code, 3);
		assert.match(result.stderr, /^error: access denied for user "dbbackup" at MySQL\/MariaDB 127\.0\.0\.1:\d+ \(password from MYSQL_PWD\)$/m);
		assert.match(result.stderr, /^hint: Passwords come from MYSQL_PWD or ~\/\.my\.cnf/m);
		assert.doesNotMatch(result.stderr, /not-the-password-42|\n\s+at /);
	});

	test('~/.my.cnf [client] supplies user and password when nothing else does', async () => {
		const home = mkdtempSync(path.join(os.tmpdir(), 'dbbackup-home-'));
		try {
			writeFileSync(path.join(home, '.my.cnf'), `[client]\nuser = ${maria.user}\npassword = "${maria.password}"\nhost = ${maria.host}\nport = ${maria.port}\n`);
			chmodSync(path.join(home, '.my.cnf'), 0o600);
			const result = await runCli(['detect', '--yes'], {home});
			assert.equal(result.code, 0, result.stderr);
			assert.match(result.stdout, /Flavor\s+MariaDB/);
			assertNoSecrets(result.stdout + result.stderr);
		} finally {
			rmSync(home, {recursive: true, force: true});
		}
	});
});

describe('dbbackup CLI against the real PostgreSQL', () => {
	test('detect --yes with PGPASSWORD', async () => {
		const result = await runCli(['detect', '--yes', ...pgArgs], {env: pgEnv});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /Database Information — PostgreSQL at 127\.0\.0\.1:\d+/);
		assert.match(result.stdout, /Version\s+15\./);
		assert.match(result.stdout, /wal_level\s+replica/);
		assertNoSecrets(result.stdout + result.stderr);
	});

	test('~/.pgpass supplies the password', async () => {
		const home = mkdtempSync(path.join(os.tmpdir(), 'dbbackup-home-'));
		try {
			writeFileSync(path.join(home, '.pgpass'), `# test\n${pg.host}:${pg.port}:*:${pg.user}:${pg.password.replace(/[:\\]/g, '\\$&')}\n`);
			chmodSync(path.join(home, '.pgpass'), 0o600);
			const result = await runCli(['engine', 'list', '--yes', ...pgArgs], {home});
			assert.equal(result.code, 0, result.stderr);
			assert.match(result.stdout, /postgres-logical\s+logical\s+available/);
			assertNoSecrets(result.stdout + result.stderr);
		} finally {
			rmSync(home, {recursive: true, force: true});
		}
	});

	test('wrong password: exit 3 naming the target', async () => {
		const result = await runCli(['detect', '--yes', ...pgArgs], {env: {PGPASSWORD: 'wrong-pg-password'}});
		assert.equal(result.code, 3);
		assert.match(result.stderr, /^error: access denied for user "dbbackup" at PostgreSQL 127\.0\.0\.1:\d+ \(password from PGPASSWORD\)$/m);
	});
});

describe('dbbackup CLI: usage, configuration and unreachable servers', () => {
	let deadPort: number;
	let dir: string;
	before(async () => {
		deadPort = await freePort();
		dir = mkdtempSync(path.join(os.tmpdir(), 'dbbackup-cfg-'));
	});
	after(() => rmSync(dir, {recursive: true, force: true}));

	test('--help exits 0', async () => {
		const result = await runCli(['--help']);
		assert.equal(result.code, 0);
		assert.match(result.stdout, /^ {2}engine select /m);
		assert.match(result.stdout, /dbbackup COMMAND --help/);
	});

	test('no command and no TTY: help and a pointer to the demo, exit 0', async () => {
		const result = await runCli([]);
		assert.equal(result.code, 0);
		assert.match(result.stdout, /dbbackup demo --yes/);
		assert.ok(!result.stdout.includes(ESC));
	});

	test('server down: exit 3 with host:port tried and a hint, no stack trace', async () => {
		const result = await runCli(['detect', '--yes', '--host', '127.0.0.1', '--port', String(deadPort)]);
		assert.equal(result.code, 3);
		assert.equal(result.stderr.split('\n').filter((line) => line.startsWith('error:')).length, 1, result.stderr);
		assert.doesNotMatch(result.stderr, /\n\s+at /);
		assert.match(result.stderr, new RegExp(`^error: cannot connect to MySQL/MariaDB at 127\\.0\\.0\\.1:${deadPort}: connection refused$`, 'm'));
		assert.match(result.stderr, /^hint: Is the server running/m);
	});

	test('--json failure: an error event with code and exit code', async () => {
		const result = await runCli(['detect', '--json', '--db-type', 'postgres', '--host', '127.0.0.1', '--port', String(deadPort)]);
		assert.equal(result.code, 3);
		const error = jsonLines(result.stdout).find((event) => event.type === 'error');
		assert.equal(error?.code, 'CONNECTION_REFUSED');
		assert.equal(error?.exitCode, 3);
	});

	test('unknown flag, unknown command, bad --db-type, --password: exit 2', async () => {
		const cases: Array<[string[], RegExp]> = [
			[['detect', '--hots', 'x'], /unknown flag: --hots/],
			[['frobnicate'], /unknown command "frobnicate"/],
			[['detect', '--db-type', 'oracle'], /--db-type must be mysql or postgres, got "oracle"/],
			[['detect', '--password', 'cli-secret-99'], /passwords are never given on the command line/],
		];
		for (const [args, message] of cases) {
			const result = await runCli([...args, '--yes']);
			assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
			assert.match(result.stderr, message);
			assert.doesNotMatch(result.stderr + result.stdout, /cli-secret-99/);
		}
	});

	test('config file: an unknown key is exit 2 naming the file, key and line', async () => {
		const cwd = mkdtempSync(path.join(dir, 'cwd-'));
		writeFileSync(path.join(cwd, '.dbbackuprc'), 'connection:\n  host: 127.0.0.1\nbackup:\n  engin: clone\n');
		const result = await runCli(['detect', '--yes'], {cwd, home: cwd});
		assert.equal(result.code, 2);
		assert.match(result.stderr, /\.dbbackuprc:4/);
		assert.match(result.stderr, /backup\.engin/);
	});

	test('precedence: the file\'s port is used, a flag beats it', async () => {
		const cwd = mkdtempSync(path.join(dir, 'cwd-'));
		writeFileSync(path.join(cwd, '.dbbackuprc.yaml'), `connection:\n  db_type: mysql\n  host: ${maria.host}\n  port: ${maria.port}\n  user: ${maria.user}\n`);
		const fromFile = await runCli(['detect', '--yes'], {cwd, home: cwd, env: mysqlEnv});
		assert.equal(fromFile.code, 0, fromFile.stderr);
		const flagWins = await runCli(['detect', '--yes', '--port', String(deadPort)], {cwd, home: cwd, env: mysqlEnv});
		assert.equal(flagWins.code, 3);
		assert.match(flagWins.stderr, new RegExp(`127\\.0\\.0\\.1:${deadPort}`));
		const envWins = await runCli(['detect', '--yes'], {cwd, home: cwd, env: {...mysqlEnv, DBBACKUP_PORT: String(deadPort)}});
		assert.equal(envWins.code, 3);
		assert.match(envWins.stderr, new RegExp(`127\\.0\\.0\\.1:${deadPort}`));
	});

	test('--config with a missing file is exit 2 naming it', async () => {
		const result = await runCli(['detect', '--yes', '--config', '/nonexistent/dbbackup.yaml']);
		assert.equal(result.code, 2);
		assert.match(result.stderr, /\/nonexistent\/dbbackup\.yaml/);
	});
});

describe('dbbackup demo', () => {
	test('demo --yes starts throwaway servers, reports both, backs up and restores the sample, and leaves nothing running', async () => {
		const result = await runCli(['demo', '--yes'], {timeoutMs: 120_000});
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stdout, /Demo mysql at 127\.0\.0\.1:(\d+)/);
		assert.match(result.stdout, /Database Information — MySQL\/MariaDB at 127\.0\.0\.1:\d+/);
		assert.match(result.stdout, /Database Information — PostgreSQL at 127\.0\.0\.1:\d+/);
		assert.match(result.stdout, /dbbackup_demo: /);
		assert.equal(result.stdout.match(/^Recommendation for /gm)?.length, 2);
		assert.match(result.stdout, /Demo round trip \(MariaDB\): dbbackup_demo → archive \(.*4 tables, 10,200 rows.*\) → dbbackup_demo_restored/);
		assert.match(result.stdout, /Demo round trip \(PostgreSQL\): dbbackup_demo → archive \(.*\) → dbbackup_demo_restored/);
		assert.equal(result.stdout.match(/dbbackup_demo_restored matches dbbackup_demo: same definitions, same rows/g)?.length, 2, 'both copies match');
		const socket = /Demo mysql at \S+ \(socket (\S+)\)/.exec(result.stdout)![1]!;
		const {existsSync} = await import('node:fs');
		assert.equal(existsSync(socket), false, 'the demo MariaDB must be stopped and its temp dir removed at exit');
	});
});
