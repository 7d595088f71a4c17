/**
 * What a new user hits first (issue 16): help, command and flag mistakes, and a bad configuration in
 * the terminal app. The CLI runs as a child process; none of these needs a server.
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {PassThrough} from 'node:stream';
import {fileURLToPath} from 'node:url';
import {after, before, describe, test} from 'node:test';
import {COMMAND_HELP, HELP} from '../../source/cli/help.ts';
import {parseArgv} from '../../source/cli/parse.ts';
import {run} from '../../source/cli/run.ts';
import {freePort} from '../../source/sandbox/free-port.ts';
import {runCli, type CliResult} from './run-cli.ts';

const BIN = fileURLToPath(new URL('../../bin/dbbackup.js', import.meta.url));
const COMMANDS = ['detect', 'engine', 'backup', 'restore', 'physical-backup', 'stream-backup', 'binlog-stream', 'demo', 'verify', 'status', 'prune', 'pin', 'unpin'];

/** The first flag of each line of a help text that lists flags. */
function listedFlags(help: string): string[] {
	return [...help.matchAll(/^ {2}(--[a-z][a-z-]*)/gm)].map((match) => match[1]!);
}

function repeated(items: string[]): string[] {
	return items.filter((item, index) => items.indexOf(item) !== index);
}

describe('help', () => {
	let global: string;
	before(async () => {
		const result = await runCli(['--help']);
		assert.equal(result.code, 0, result.stderr);
		global = result.stdout;
	});

	for (const command of COMMANDS) {
		test(`${command} --help and help ${command}: that command's usage, flags and examples, not the global help`, async () => {
			const viaFlag = await runCli([command, '--help']);
			assert.equal(viaFlag.code, 0, viaFlag.stderr);
			assert.match(viaFlag.stdout, new RegExp(`^Usage\\n {2}\\$ dbbackup ${command}\\b`));
			assert.match(viaFlag.stdout, /\nExamples\n {2}\$ dbbackup /);
			assert.doesNotMatch(viaFlag.stdout, /^Commands$/m, `${command} --help prints the global help`);
			assert.deepEqual(repeated(listedFlags(viaFlag.stdout)), [], `${command} --help lists a flag twice`);
			const viaWord = await runCli(['help', command]);
			assert.equal(viaWord.code, 0, viaWord.stderr);
			assert.equal(viaWord.stdout, viaFlag.stdout);
		});
	}

	test('restore --help shows restore\'s flags and none of binlog-stream\'s', async () => {
		const result = await runCli(['restore', 'a.tar', '--help']);
		assert.equal(result.code, 0, result.stderr);
		for (const flag of ['--target-db', '--tables', '--drop-existing', '--binlogs', '--until']) assert.match(result.stdout, new RegExp(`^ {2}${flag}\\b`, 'm'));
		for (const flag of ['--server-id', '--keep', '--chunk-rows']) assert.doesNotMatch(result.stdout, new RegExp(`${flag}\\b`));
	});

	test('the global help: --keep not under Restore, no flag listed twice, the per-command help named', () => {
		const restoreSection = /\nRestore\n([\s\S]*?)\n\n/.exec(global)?.[1] ?? '';
		assert.doesNotMatch(restoreSection, /--keep/);
		assert.deepEqual(repeated(listedFlags(global)), []);
		assert.match(global, /dbbackup COMMAND --help|dbbackup help COMMAND/);
	});

	test('help with no command is the global help; help for an unknown command is exit 2', async () => {
		const plain = await runCli(['help']);
		assert.equal(plain.code, 0, plain.stderr);
		assert.equal(plain.stdout, global);
		const unknown = await runCli(['help', 'restor']);
		assert.equal(unknown.code, 2);
		assert.match(unknown.stderr, /unknown command "restor".*did you mean restore/);
	});
});

test('every flag a help names exists, and every flag is in some help', () => {
	const texts = [HELP, ...Object.values(COMMAND_HELP)];
	const named = new Set(texts.flatMap((text) => [...text.matchAll(/(?<![\w-])--[a-z][a-z-]*[a-z]/g)].map((match) => match[0])));
	for (const flag of named) {
		const switchOrValue = [flag, `${flag}=1`];
		assert.ok(switchOrValue.some((arg) => {
			try {
				parseArgv([arg]);
				return true;
			} catch (error) {
				return !/unknown flag/.test((error as Error).message);
			}
		}), `${flag} is in a help but is not a flag`);
	}
	const declared = ['--config', '--db-type', '--host', '--port', '--user', '--socket', '--database', '--output', '--format', '--compress', '--level', '--workers', '--engine', '--target',
		'--part-size', '--encryption', '--sse-kms-key-id', '--storage-class', '--encrypt', '--encryption-key-file', '--target-db', '--tables', '--drop-existing', '--continue-on-error',
		'--indexes-after-data', '--include-users', '--chunk-rows', '--no-lock', '--no-ddl-lock', '--no-binlog', '--no-owner', '--no-privileges', '--schema-only', '--data-only', '--clean',
		'--create', '--keep', '--gtid', '--server-id', '--sync', '--checkpoint-interval', '--start-position', '--start-gtid', '--from-backup', '--stop-at-end', '--retries', '--databases',
		'--binlogs', '--until', '--until-position', '--until-gtid', '--dry-run', '--help', '--version', '--yes', '--json', '--resume',
		'--keep-last', '--keep-daily', '--keep-weekly', '--keep-monthly', '--keep-yearly', '--keep-within', '--confirm', '--reason', '--slot', '--wal'];
	for (const flag of declared) assert.ok(named.has(flag), `${flag} is in no help`);
});

describe('commands and flags that do not exist', () => {
	test('an unknown command is exit 2, with or without --help, with a did-you-mean when close', async () => {
		for (const args of [['frobnicate'], ['frobnicate', '--help'], ['wal-streem', '--yes']]) {
			const result = await runCli(args);
			assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
			assert.match(result.stderr, new RegExp(`^error: unknown command "${args[0]}"`, 'm'));
			assert.equal(result.stdout, '');
		}
		const close = await runCli(['restor', '--help']);
		assert.equal(close.code, 2);
		assert.match(close.stderr, /unknown command "restor" \(did you mean restore\?\)/);
		assert.match((await runCli(['wal-streem'])).stderr, /unknown command "wal-streem" \(did you mean wal-stream\?\)/);
	});

	test('a mistyped flag gets a did-you-mean', async () => {
		const result = await runCli(['detect', '--hots', 'x', '--yes']);
		assert.equal(result.code, 2);
		assert.match(result.stderr, /unknown flag: --hots \(did you mean --host\?\)/);
		const dashed = await runCli(['backup', 'single', 'db', '--dropexisting', '--yes']);
		assert.equal(dashed.code, 2);
		assert.match(dashed.stderr, /did you mean --drop-existing\?/);
	});

	test('a flag given twice is exit 2 naming it, not a bug', async () => {
		const result = await runCli(['detect', '--host', 'a', '--host', 'b', '--yes']);
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /--host was given more than once/);
		assert.doesNotMatch(result.stderr, /bug/);
	});

	test('a flag that takes a value, given without one, is exit 2 naming it', async () => {
		for (const args of [['detect', '--workers'], ['detect', '--workers', '--yes'], ['backup', 'all', '--output', '--yes']]) {
			const result = await runCli([...args, '--yes']);
			assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
			assert.match(result.stderr, new RegExp(`${args[args.length - (args.at(-1) === '--yes' ? 2 : 1)]} needs a value`));
			assert.doesNotMatch(result.stderr, /connect/);
		}
	});

	test('stream-backup --resume says why a logical dump cannot be resumed (exit 2), before connecting', async () => {
		const port = await freePort();
		const result = await runCli(['stream-backup', '--target', 's3://bucket/db/', '--resume', '--yes', '--host', '127.0.0.1', '--port', String(port)]);
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /a logical dump cannot be resumed: a new run reads a new consistent snapshot/);
		assert.doesNotMatch(result.stderr, /connect/);
	});

	test('engine with an unknown subcommand is refused before connecting, listing the valid ones', async () => {
		const port = await freePort();
		const result = await runCli(['engine', 'frobnicate', '--yes', '--host', '127.0.0.1', '--port', String(port)]);
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /unknown engine subcommand "frobnicate"/);
		assert.match(result.stderr, /list.*info.*select/);
		assert.doesNotMatch(result.stderr, /connect/);
	});
});

/** Runs the CLI on a pseudo-terminal (util-linux `script`): stdout and stderr both arrive on it. */
function runOnTty(args: string[], options: {cwd: string; env?: Record<string, string>}): Promise<CliResult> {
	const env: Record<string, string> = {};
	for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !/^(MYSQL_|PG|DBBACKUP_)/.test(key)) env[key] = value;
	Object.assign(env, {HOME: options.cwd, TERM: 'xterm', ...options.env});
	delete env.NODE_TEST_CONTEXT;
	const quoted = [process.execPath, BIN, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
	return new Promise((resolve, reject) => {
		const child = spawn('script', ['-qec', quoted, '/dev/null'], {cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		// the app, had it opened, would wait for keys: that is a failure here
		const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
		child.on('error', reject);
		child.on('close', (code) => {
			clearTimeout(timer);
			resolve({code, stdout: stdout.replace(/\r\n/g, '\n'), stderr});
		});
	});
}

describe('a bad configuration in the terminal app (a TTY without --yes)', () => {
	let dir: string;
	before(() => {
		dir = mkdtempSync(path.join(os.tmpdir(), 'dbbackup-tty-'));
	});
	after(() => rmSync(dir, {recursive: true, force: true}));

	test('a typo in .dbbackuprc: the file:line, the key and the did-you-mean, exit 2', async () => {
		const cwd = mkdtempSync(path.join(dir, 'rc-'));
		writeFileSync(path.join(cwd, '.dbbackuprc'), 'connection:\n  host: 127.0.0.1\nbackup:\n  engin: clone\n');
		const result = await runOnTty([], {cwd});
		assert.equal(result.code, 2, result.stdout);
		assert.match(result.stdout, /error: \.dbbackuprc:4: .*backup\.engin.*did you mean backup\.engine/);
	});

	test('DBBACKUP_WORKERS=abc and --db-type oracle: the error, exit 2', async () => {
		const cwd = mkdtempSync(path.join(dir, 'env-'));
		const workers = await runOnTty([], {cwd, env: {DBBACKUP_WORKERS: 'abc'}});
		assert.equal(workers.code, 2, workers.stdout);
		assert.match(workers.stdout, /error: .*DBBACKUP_WORKERS/);
		const dbType = await runOnTty(['--db-type', 'oracle'], {cwd});
		assert.equal(dbType.code, 2, dbType.stdout);
		assert.match(dbType.stdout, /error: --db-type must be mysql or postgres, got "oracle"/);
	});

	test('run() with a TTY stdout writes the error to stderr', async () => {
		const cwd = mkdtempSync(path.join(dir, 'run-'));
		const stdout = Object.assign(new PassThrough(), {isTTY: true});
		const stderr = new PassThrough();
		let written = '';
		stderr.on('data', (chunk) => (written += chunk));
		const code = await run({
			argv: ['--db-type', 'oracle'],
			env: {},
			cwd,
			home: cwd,
			stdin: new PassThrough(),
			stdout,
			stderr,
			onInterrupt: () => () => {},
		});
		assert.equal(code, 2);
		assert.match(written, /^error: --db-type must be mysql or postgres, got "oracle"$/m);
	});
});
