import type {ErrorCode} from '../core/error-codes.ts';
import {readFileSync, realpathSync} from 'node:fs';
import path from 'node:path';
import {mountContaining, parseMountinfo} from '../core/detect/mounts.ts';
import {UsageError, WorkError, type DbBackupError} from '../core/errors.ts';

/**
 * Where the output is written: `create` is making the user's output (its directory, the `.partial`, the
 * scratch directory), where an unwritable path is the user's choice to correct (exit 2); `write` is
 * anything after that, a failure of the work (exit 1) whatever the cause.
 */
export type OutputStage = 'create' | 'write';

const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM']);

/** The errno code (ENOSPC, EDQUOT, EROFS, EACCES, EPERM) of `error` or of an error it wraps through `cause`. */
export function diskErrnoOf(error: unknown): string | undefined {
	for (let current = error, depth = 0; current && typeof current === 'object' && depth < 8; depth += 1) {
		const {code, cause} = current as {code?: unknown; cause?: unknown};
		if (typeof code === 'string' && DISK_CODES.has(code)) return code;
		current = cause;
	}
	return undefined;
}

/** The mount point of the filesystem that holds `file` (which may not exist yet); its directory when unknown. */
export function mountPointOf(file: string): string {
	let dir = path.resolve(file);
	try {
		// the nearest existing ancestor, with symlinks resolved: the filesystem the path really lands on
		for (;;) {
			try {
				dir = realpathSync(dir);
				break;
			} catch {
				const parent = path.dirname(dir);
				if (parent === dir) break;
				dir = parent;
			}
		}
		return mountContaining(parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')), dir)?.mountPoint ?? dir;
	} catch {
		return path.dirname(path.resolve(file));
	}
}

function userDescription(): string {
	return typeof process.getuid === 'function' ? `the user running dbbackup (uid ${process.getuid()})` : 'the user running dbbackup';
}

/**
 * The one-line error for a failure to create or write `file` of the output when the filesystem refused it
 * (full, over quota, read-only, permission); undefined for any other failure, which the caller reports
 * its own way.
 */
export function outputWriteError(error: unknown, file: string, stage: OutputStage): DbBackupError | undefined {
	const code = diskErrnoOf(error);
	if (!code) return undefined;
	const removed = stage === 'write' ? ' The unfinished backup was removed.' : '';
	const directory = path.dirname(file);
	const work = (details: {code: ErrorCode; message: string; hint: string}) => new WorkError({...details, cause: error});
	const refused = (details: {code: ErrorCode; message: string; hint: string}) => (stage === 'create' ? new UsageError({...details, cause: error}) : work(details));
	switch (code) {
		case 'ENOSPC': {
			const mount = mountPointOf(file);
			return work({code: 'DISK_FULL', message: `no space left on ${mount} (${file})`, hint: `Free space there (df -h ${mount}) or choose an --output with room, then run the backup again.${removed}`});
		}
		case 'EDQUOT': {
			const mount = mountPointOf(file);
			return work({code: 'DISK_QUOTA_EXCEEDED', message: `disk quota exceeded on ${mount} (${file})`, hint: `${userDescription()} is over its quota there (quota -s): free space, raise the quota or choose another --output.${removed}`});
		}
		case 'EROFS': {
			const mount = mountPointOf(file);
			return refused({code: 'OUTPUT_READ_ONLY', message: `read-only filesystem at ${mount} (${file})`, hint: `Choose an --output on a writable filesystem, or remount ${mount} read-write.${removed}`});
		}
		case 'EACCES':
			return refused({code: 'OUTPUT_PERMISSION_DENIED', message: `permission denied: cannot write ${file}`, hint: `Give ${userDescription()} write access to ${directory}, or choose another --output.${removed}`});
		default:
			return refused({code: 'OUTPUT_NOT_PERMITTED', message: `operation not permitted: cannot write ${file}`, hint: `${directory} may be immutable or append-only (lsattr -d ${directory}) or a security policy refuses the write; choose another --output.${removed}`});
	}
}

/** For `.catch()`: rethrows `error` as outputWriteError's one-line error when it is a disk-level failure, else as it is. */
export function asOutputError(file: string, stage: OutputStage = 'write'): (error: unknown) => never {
	return (error) => {
		throw outputWriteError(error, file, stage) ?? error;
	};
}
