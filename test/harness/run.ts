/**
 * `npm test`: starts MariaDB, MySQL, PostgreSQL and s3rver once (in parallel), hands their coordinates to the
 * test processes in DBBACKUP_TEST_SERVERS, runs node's test runner over the given files (default: every
 * test/**\/*.test.ts(x)), and stops the servers at the end whatever happened.
 *   node --import tsx test/harness/run.ts [--unit | --servers] [test files...]
 * --unit runs only the files that need no server (and starts none); --servers only the others.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {readdirSync} from 'node:fs';
import {join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import {DbBackupError} from '../../source/core/errors.ts';
import {ensureDebianPackages, startSandbox, type PackageNeed, type Sandbox} from '../../source/sandbox/index.ts';
import {TEST_SERVERS_ENV, type TestServers} from './servers.ts';
import {needsServers} from './test-kinds.ts';

const began = performance.now();

/** Tools the tests use beyond the servers (the sandbox installs the servers' own packages). */
const TEST_TOOL_NEEDS: PackageNeed[] = [
	{binary: 'mkfs.btrfs', pkg: 'btrfs-progs'},
	{binary: 'btrfs', pkg: 'btrfs-progs'},
	{binary: 'findmnt', pkg: 'util-linux'},
	{binary: 'zstd', pkg: 'zstd'},
	{binary: 'lz4', pkg: 'lz4'},
];
const testRoot = fileURLToPath(new URL('..', import.meta.url));

function say(line: string): void {
	process.stderr.write(`[harness] ${line}\n`);
}

function seconds(ms: number): string {
	return `${(ms / 1000).toFixed(2)} s`;
}

function findTestFiles(): string[] {
	return readdirSync(testRoot, {recursive: true, encoding: 'utf8'})
		.filter((path) => /\.test\.tsx?$/.test(path) && !path.split('/').includes('node_modules'))
		.map((path) => relative(process.cwd(), join(testRoot, path)))
		.sort();
}

function coordinates(sandbox: Sandbox): TestServers {
	const {mariadb, mysql, postgres, s3} = sandbox;
	if (!mariadb || !mysql || !postgres || !s3) throw new Error('the sandbox lacks a server');
	const withoutProcess = <T extends {pid: number; stop: unknown}>({pid: _pid, stop: _stop, ...rest}: T) => rest;
	return {mariadb: withoutProcess(mariadb), mysql: withoutProcess(mysql), postgres: withoutProcess(postgres), s3: withoutProcess(s3)};
}

function describeError(error: unknown): string {
	if (error instanceof DbBackupError) return error.hint ? `${error.message}\n${error.hint}` : error.message;
	return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

let sandbox: Sandbox | undefined;
let tests: ChildProcess | undefined;
let interruptedBy: NodeJS.Signals | undefined;

async function stopServers(): Promise<boolean> {
	if (!sandbox) return true;
	const stopping = performance.now();
	try {
		await sandbox.stop();
		say(`servers stopped in ${seconds(performance.now() - stopping)}`);
		return true;
	} catch (error) {
		say(`could not stop every server: ${describeError(error)}`);
		return false;
	}
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => {
		if (interruptedBy) return;
		interruptedBy = signal;
		say(`${signal}: stopping`);
		// while the tests run, their exit leads to the servers being stopped below; during startup, the
		// servers are stopped as soon as startSandbox returns
		if (tests && tests.exitCode === null) tests.kill(signal);
	});
}

const exitCodeForSignal = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143);

function runTests(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
	return new Promise<number>((resolve) => {
		tests = spawn(process.execPath, ['--import', 'tsx', '--test', ...files], {stdio: 'inherit', env});
		tests.on('error', (error) => {
			say(`could not run the tests: ${error.message}`);
			resolve(1);
		});
		tests.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? exitCodeForSignal(signal) : 1)));
	});
}

async function main(): Promise<number> {
	const args = process.argv.slice(2);
	const kind = args[0] === '--unit' || args[0] === '--servers' ? args.shift() : undefined;
	const given = args.length > 0 ? args : findTestFiles();
	const files = kind === undefined ? given : given.filter((file) => needsServers(join(process.cwd(), file)) === (kind === '--servers'));
	if (files.length === 0) {
		say('no test files found');
		return 1;
	}
	if (kind === '--unit') {
		say(`${files.length} unit test file(s), no servers`);
		return runTests(files, process.env);
	}
	try {
		await ensureDebianPackages(TEST_TOOL_NEEDS, say);
		sandbox = await startSandbox({mariadb: true, mysql: true, postgres: true, s3: true, noFsync: true, log: say});
	} catch (error) {
		say(`could not start the test servers:\n${describeError(error)}`);
		return interruptedBy ? exitCodeForSignal(interruptedBy) : 1;
	}
	const {mariadb, mysql, postgres, s3} = sandbox;
	say(`mariadb ${mariadb?.version} on 127.0.0.1:${mariadb?.port} (${seconds(sandbox.startupMs.mariadb ?? 0)})`);
	say(`mysql ${mysql?.version} on 127.0.0.1:${mysql?.port} (${seconds(sandbox.startupMs.mysql ?? 0)})`);
	say(`postgres ${postgres?.version} on 127.0.0.1:${postgres?.port} (${seconds(sandbox.startupMs.postgres ?? 0)})`);
	say(`s3rver on ${s3?.endpoint} (${seconds(sandbox.startupMs.s3 ?? 0)})`);
	say(`servers ready in ${seconds(performance.now() - began)}`);
	if (interruptedBy) {
		await stopServers();
		return exitCodeForSignal(interruptedBy);
	}

	const code = await runTests(files, {...process.env, [TEST_SERVERS_ENV]: JSON.stringify(coordinates(sandbox!))});
	const stopped = await stopServers();
	if (interruptedBy) return exitCodeForSignal(interruptedBy);
	return code === 0 && !stopped ? 1 : code;
}

const code = await main();
say(`total ${seconds(performance.now() - began)}`);
process.exit(code);
