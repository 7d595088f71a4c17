/**
 * Flags given where they do nothing are refused, naming why (issue 16): a flag of another command,
 * a flag of the other kind of server. The CLI runs as a child process against a port nothing listens
 * on: every refusal comes before any connection.
 */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {COMMAND_FLAGS, SERVER_FLAGS} from '../../source/cli/flag-scope.ts';
import {COMMAND_HELP} from '../../source/cli/help.ts';
import {freePort} from '../../source/sandbox/free-port.ts';
import {runCli} from './run-cli.ts';

function kebab(name: string): string {
	return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

test('every flag a command\'s help lists is one that command takes, and each flag it takes is in its help', () => {
	const shared = new Set(['--yes', '--json', '--config', '--db-type', '--host', '--port', '--user', '--socket', '--database', '--help', '--version']);
	for (const [command, help] of Object.entries(COMMAND_HELP)) {
		const listed = new Set([...help.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((match) => `--${match[1]}`));
		const takes = new Set((COMMAND_FLAGS[command] ?? []).map((name) => `--${kebab(name)}`));
		// a switch that is on by default is written as its --no- form
		const taken = (flag: string) => takes.has(flag) || (flag.startsWith('--no-') && takes.has(`--${flag.slice(5)}`));
		for (const flag of listed) if (!shared.has(flag)) assert.ok(taken(flag), `${command}'s help lists ${flag}, which ${command} does not take`);
		for (const flag of takes) assert.ok(listed.has(flag) || listed.has(`--no-${flag.slice(2)}`), `${command} takes ${flag}, which its help does not list`);
	}
});

describe('refused before connecting (exit 2)', () => {
	test('a flag of another command: backup --clean, binlog-stream --target-db, detect --workers', async () => {
		const port = String(await freePort());
		const cases: Array<[string[], RegExp]> = [
			[['backup', 'single', 'shop', '--output', '/tmp/x/', '--clean'], /--clean does nothing for backup/],
			[['binlog-stream', '--output', '/tmp/x/', '--target-db', 'y'], /--target-db does nothing for binlog-stream/],
			[['detect', '--workers', '3'], /--workers does nothing for detect/],
			[['restore', 'x.tar', '--no-lock'], /--no-lock does nothing for restore/],
		];
		for (const [args, message] of cases) {
			const result = await runCli([...args, '--yes', '--host', '127.0.0.1', '--port', port]);
			assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
			assert.match(result.stderr, message);
			assert.match(result.stderr, /hint: .*dbbackup help/);
			assert.doesNotMatch(result.stderr, /connect/i);
		}
	});

	test('a flag of the other kind of server: --no-owner on a MySQL backup, --no-binlog into PostgreSQL', async () => {
		const port = String(await freePort());
		const mysql = await runCli(['backup', 'single', 'shop', '--output', '/tmp/x/', '--no-owner', '--db-type', 'mysql', '--yes', '--host', '127.0.0.1', '--port', port]);
		assert.equal(mysql.code, 2, mysql.stderr);
		assert.match(mysql.stderr, /--no-owner: backup on MySQL\/MariaDB has no such choice \(--no-owner is about PostgreSQL ownership/);
		const postgres = await runCli(['restore', 'x.sql', '--no-binlog', '--db-type', 'postgres', '--yes', '--host', '127.0.0.1', '--port', port]);
		assert.equal(postgres.code, 2, postgres.stderr);
		assert.match(postgres.stderr, /--no-binlog: restore on PostgreSQL has no such choice/);
		assert.ok(Object.keys(SERVER_FLAGS).length > 0);
	});
});
