import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {chmod, chown, mkdir, mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {after, before, describe, test} from 'node:test';
import {dropPostgresDatabases, mariadbConnection, postgresClient, uniqueName} from '../harness/db.ts';
import {getTestServers} from '../harness/servers.ts';
import {runCli, type CliResult} from './run-cli.ts';

/**
 * Real faults on the output, through the CLI as a child process: a 2 MiB tmpfs that fills up mid-backup
 * (ENOSPC), a tmpfs remounted read-only (EROFS), an immutable directory (EPERM, chattr +i even stops
 * root) and a directory the user running the CLI may not write (EACCES, run as nobody: mode bits do not
 * stop root). Needs root (mount, chattr, setuid).
 */
const sh = promisify(execFile);
const {mariadb, postgres} = getTestServers();
const mysqlArgs = ['--db-type', 'mysql', '--host', mariadb.host, '--port', String(mariadb.port), '--user', mariadb.user];
const pgArgs = ['--db-type', 'postgres', '--host', postgres.host, '--port', String(postgres.port), '--user', postgres.user];
const timeoutMs = 120_000;
const RUNS = 5;
const NOBODY = 65534;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One line naming the problem, no stack, no "bug", and nothing left in `dir`. */
async function assertCleanFailure(result: CliResult, code: number, message: RegExp, dir: string): Promise<void> {
	const output = `stdout: ${result.stdout}\nstderr: ${result.stderr}`;
	assert.equal(result.code, code, `exit code\n${output}`);
	assert.match(result.stderr, message, output);
	assert.doesNotMatch(result.stderr + result.stdout, /This is a bug|operation was aborted|^\s+at /m, output);
	assert.deepEqual(await readdir(dir), [], `left in ${dir}\n${output}`);
}

async function mountTmpfs(dir: string, size: string): Promise<void> {
	await mkdir(dir, {recursive: true});
	await sh('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
}

describe('an output that cannot be written: one line, the right exit code, nothing left behind', {timeout: 1_800_000}, () => {
	let base: string;
	const mounts: string[] = [];
	let mysqlDb: string;
	let pgDb: string;

	before(async () => {
		base = await mkdtemp(join(tmpdir(), 'dbbackup-disk-'));
		await chmod(base, 0o755);
		mysqlDb = uniqueName('diskfull');
		pgDb = uniqueName('diskfull');
		// random hex does not compress below half: about 15 MB of rows, 7 MB or more compressed, far over 2 MiB
		const admin = await mariadbConnection({multipleStatements: true});
		try {
			await admin.query(`CREATE DATABASE \`${mysqlDb}\`; USE \`${mysqlDb}\`; CREATE TABLE \`${mysqlDb}\`.t (id INT PRIMARY KEY, a CHAR(128), b CHAR(128)); INSERT INTO \`${mysqlDb}\`.t SELECT seq, SHA2(CONCAT(seq, RAND()), 512), SHA2(CONCAT(RAND(), seq), 512) FROM seq_1_to_60000`);
		} finally {
			await admin.end();
		}
		const control = await postgresClient();
		try {
			await control.query(`CREATE DATABASE ${pgDb}`);
		} finally {
			await control.end();
		}
		const client = await postgresClient(pgDb);
		try {
			await client.query("CREATE TABLE t (id int PRIMARY KEY, pad text); INSERT INTO t SELECT n, md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) FROM generate_series(1, 60000) n");
		} finally {
			await client.end();
		}
	});

	after(async () => {
		for (const dir of mounts.reverse()) {
			await sh('chattr', ['-R', '-i', dir]).catch(() => undefined);
			await sh('umount', [dir]).catch(() => sh('umount', ['-l', dir]).catch(() => undefined));
		}
		await rm(base, {recursive: true, force: true});
		const admin = await mariadbConnection();
		await admin.query(`DROP DATABASE IF EXISTS \`${mysqlDb}\``).finally(() => admin.end());
		await dropPostgresDatabases([pgDb]);
	});

	const cases = [
		{name: 'MariaDB archive', args: () => [...mysqlArgs, 'backup', 'single', mysqlDb, '--workers', '2', '--chunk-rows', '10000'], env: () => ({MYSQL_PWD: mariadb.password})},
		{name: 'MariaDB --format sql (scratch directory beside the output)', args: () => [...mysqlArgs, 'backup', 'single', mysqlDb, '--format', 'sql', '--workers', '2', '--chunk-rows', '10000'], env: () => ({MYSQL_PWD: mariadb.password})},
		{name: 'PostgreSQL archive', args: () => [...pgArgs, 'backup', 'single', pgDb, '--workers', '2', '--chunk-rows', '10000'], env: () => ({PGPASSWORD: postgres.password})},
		// compression slower than the COPY: the source waits on the pipeline when the disk fills; this is where
		// "The operation was aborted" (the pipeline's AbortError) won over ENOSPC, 5 runs of 10 before the fix
		{name: 'PostgreSQL archive, gzip -9', args: () => [...pgArgs, 'backup', 'single', pgDb, '--workers', '2', '--chunk-rows', '10000', '--compress', 'gzip', '--level', '9'], env: () => ({PGPASSWORD: postgres.password})},
		{name: 'PostgreSQL --format sql', args: () => [...pgArgs, 'backup', 'single', pgDb, '--format', 'sql'], env: () => ({PGPASSWORD: postgres.password})},
	];

	for (const [index, kase] of cases.entries()) {
		test(`ENOSPC, ${kase.name}: a 2 MiB tmpfs fills up mid-backup, ${RUNS} runs: exit 1, "no space left on MOUNT (PATH)", the directory left empty`, async () => {
			const full = join(base, `full-${index}`);
			await mountTmpfs(full, '2m');
			mounts.push(full);
			const message = new RegExp(`no space left on ${escape(full)} \\(${escape(full)}/[^)]+\\)`);
			for (let run = 0; run < RUNS; run += 1) {
				const result = await runCli([...kase.args(), '--output', `${full}/`, '--yes'], {env: kase.env(), timeoutMs});
				await assertCleanFailure(result, 1, message, full);
			}
		});
	}

	test('EROFS: a read-only tmpfs as the output directory, and a directory to create in it: exit 2, naming the mount and the path', async () => {
		const readOnly = join(base, 'read-only');
		await mountTmpfs(readOnly, '2m');
		mounts.push(readOnly);
		await sh('mount', ['-o', 'remount,ro', readOnly]);
		for (const kase of cases) {
			const result = await runCli([...kase.args(), '--output', `${readOnly}/`, '--yes'], {env: kase.env(), timeoutMs});
			await assertCleanFailure(result, 2, new RegExp(`read-only filesystem at ${escape(readOnly)} \\(${escape(readOnly)}/[^)]+\\)`), readOnly);
		}
		const nested = await runCli([...cases[0]!.args(), '--output', `${readOnly}/sub/`, '--yes'], {env: cases[0]!.env(), timeoutMs});
		await assertCleanFailure(nested, 2, new RegExp(`read-only filesystem at ${escape(readOnly)} \\(${escape(readOnly)}/sub/?\\)`), readOnly);
	});

	test('EPERM: an immutable output directory (chattr +i, which stops root too): exit 2, "not permitted" and the path', async () => {
		const frozen = join(base, 'frozen-fs');
		await mountTmpfs(frozen, '2m');
		mounts.push(frozen);
		const dir = join(frozen, 'immutable');
		await mkdir(dir);
		await sh('chattr', ['+i', dir]);
		try {
			for (const kase of [cases[0]!, cases[1]!, cases[2]!]) {
				const result = await runCli([...kase.args(), '--output', `${dir}/`, '--yes'], {env: kase.env(), timeoutMs});
				await assertCleanFailure(result, 2, new RegExp(`not permitted.*${escape(dir)}/`), dir);
			}
		} finally {
			await sh('chattr', ['-i', dir]);
		}
	});

	test('EACCES: an output directory the user running the CLI (nobody) may not write: exit 2, "permission denied" and the path', async () => {
		const home = join(base, 'nobody-home');
		await mkdir(home);
		await chown(home, NOBODY, NOBODY);
		const dir = join(base, 'root-only');
		await mkdir(dir, {mode: 0o755});
		for (const kase of [cases[0]!, cases[1]!, cases[2]!]) {
			const result = await runCli([...kase.args(), '--output', `${dir}/`, '--yes'], {env: kase.env(), timeoutMs, uid: NOBODY, gid: NOBODY, home, cwd: home});
			await assertCleanFailure(result, 2, new RegExp(`permission denied.*${escape(dir)}/`), dir);
		}
	});
});
