import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {ExitCode, WorkError, toDbBackupError} from '../../source/core/errors.ts';
import {diskErrnoOf, mountPointOf, outputWriteError} from '../../source/storage/disk-errors.ts';

/** The errors a failed fs call gives (code, syscall); built here because no real fault is at hand for them. */
function errno(code: string): NodeJS.ErrnoException {
	return Object.assign(new Error(`${code}: synthetic, write`), {code, syscall: 'write'});
}

describe('outputWriteError: a refused write of the output as one line with the right exit code', () => {
	test('synthetic EDQUOT (tmpfs quotas are not built into the test kernel): exit 1 mid-run and at the start, naming the mount', () => {
		for (const stage of ['write', 'create'] as const) {
			const error = outputWriteError(errno('EDQUOT'), '/tmp/x/backup.tar.partial', stage);
			assert.equal(error?.code, 'DISK_QUOTA_EXCEEDED');
			assert.equal(error?.exitCode, ExitCode.failure);
			assert.equal(error?.message, `disk quota exceeded on ${mountPointOf('/tmp/x/backup.tar.partial')} (/tmp/x/backup.tar.partial)`);
		}
	});

	test('synthetic errors: EROFS, EACCES and EPERM are usage errors when the output is created, failures of the work once written', () => {
		for (const code of ['EROFS', 'EACCES', 'EPERM']) {
			assert.equal(outputWriteError(errno(code), '/b/x.tar.partial', 'create')?.exitCode, ExitCode.usage, code);
			assert.equal(outputWriteError(errno(code), '/b/x.tar.partial', 'write')?.exitCode, ExitCode.failure, code);
		}
	});

	test('found through wrapping errors (cause), and nothing for other failures', () => {
		const wrapped = new Error('could not write', {cause: new Error('aborted', {cause: errno('ENOSPC')})});
		assert.equal(diskErrnoOf(wrapped), 'ENOSPC');
		assert.equal(outputWriteError(wrapped, '/b/x.tar.partial', 'write')?.code, 'DISK_FULL');
		assert.equal(outputWriteError(errno('EIO'), '/b/x.tar.partial', 'write'), undefined);
		assert.equal(outputWriteError(new Error('plain'), '/b/x.tar.partial', 'write'), undefined);
	});

	test('the mount point of a path that does not exist yet is that of its nearest existing ancestor', () => {
		assert.equal(mountPointOf('/proc/no/such/file'), '/proc');
	});
});

describe('toDbBackupError: an AbortError stands for what aborted it', () => {
	test('a pipeline AbortError whose cause is the real failure reports that failure', () => {
		const real = new WorkError({code: 'DISK_FULL', message: 'no space left on /b (/b/x.tar.partial)'});
		const aborted = Object.assign(new Error('The operation was aborted', {cause: real}), {name: 'AbortError', code: 'ABORT_ERR'});
		assert.equal(toDbBackupError(aborted), real);
	});
});
