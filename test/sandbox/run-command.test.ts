import {test} from 'node:test';
import assert from 'node:assert/strict';
import {DbBackupError} from '../../source/core/errors.ts';
import {runCommand} from '../../source/sandbox/run-command.ts';

test('runCommand returns the output of a command that succeeds', async () => {
	const output = await runCommand('sh', ['-c', 'echo out; echo err >&2']);
	assert.equal(output.stdout, 'out\n');
	assert.equal(output.stderr, 'err\n');
});

test('runCommand streams lines to the log and rejects with the exit code and the output tail', async () => {
	const lines: string[] = [];
	const error = await runCommand('sh', ['-c', 'echo one; echo two >&2; printf three; exit 3'], {
		log: (line) => lines.push(line),
		streamOutput: true,
	}).then(
		() => assert.fail('expected a rejection'),
		(caught: unknown) => caught,
	);
	assert.ok(error instanceof DbBackupError);
	assert.equal(error.code, 'COMMAND_FAILED');
	assert.match(error.message, /exit code 3/);
	assert.match(error.message, /two/);
	assert.deepEqual(lines.sort(), ['one', 'three', 'two']);
});

test('runCommand rejects when the command does not exist', async () => {
	await assert.rejects(runCommand('dbbackup-no-such-command', []), /Could not run dbbackup-no-such-command/);
});
