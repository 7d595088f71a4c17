/** The replay's refusals, each with a stable code, the file and position concerned, and what to do. */
import {IntegrityError, UsageError, WorkError} from '../../core/errors.ts';

export function binlogGap(message: string): IntegrityError {
	return new IntegrityError({
		code: 'BINLOG_GAP',
		message,
		hint: 'The binlogs must reach back to the coordinates the backup recorded: point --binlogs at a copy that holds that file (start `dbbackup binlog-stream` before taking backups), or restore a newer backup.',
	});
}

export function binlogFileMissing(name: string, after: string, dir: string): IntegrityError {
	return new IntegrityError({
		code: 'BINLOG_FILE_MISSING',
		message: `${name} is missing from ${dir}: ${after} continues in it, and later files are there`,
		hint: `Copy ${name} into ${dir} (from the server, while it still has it, or from another copy of the binlogs); a replay never skips a file.`,
	});
}

export function checksumMismatch(file: string, position: number, type: string): IntegrityError {
	return new IntegrityError({
		code: 'BINLOG_CHECKSUM_MISMATCH',
		message: `${file}: the ${type} event at position ${position} fails its CRC32 checksum`,
		hint: 'The file is damaged at that position: replace it with another copy (the server may still have it; `dbbackup binlog-stream` copies it again).',
	});
}

export function sha256Mismatch(file: string, expected: string, actual: string, index: string): IntegrityError {
	return new IntegrityError({
		code: 'BINLOG_SHA256_MISMATCH',
		message: `${file}: its SHA-256 is ${actual}, but ${index} recorded ${expected} when the file was closed`,
		hint: 'The file changed after it was copied: replace it with another copy of the binlog.',
	});
}

export function sizeMismatch(file: string, expected: number, actual: number, index: string): IntegrityError {
	return new IntegrityError({
		code: 'BINLOG_SIZE_MISMATCH',
		message: `${file}: ${actual} bytes, but ${index} recorded ${expected} when the file was closed`,
		hint: 'The file was cut short or changed after it was copied: replace it with another copy of the binlog.',
	});
}

export function targetBeforeBackup(message: string): UsageError {
	return new UsageError({
		code: 'BINLOG_TARGET_BEFORE_BACKUP',
		message,
		hint: 'A replay only moves forward from the backup: pick a target after the backup, or restore an older backup.',
	});
}

/** The binlogs are sound but end before the target: a failure of the work (exit 1), not of integrity. */
export function targetNotReached(message: string, hint?: string): WorkError {
	return new WorkError({
		code: 'BINLOG_TARGET_NOT_REACHED',
		message,
		hint: hint ?? 'The binlogs end before the target: copy the newer binlog files into the directory (or let `dbbackup binlog-stream` catch up), or choose an earlier target.',
	});
}

export function unsupportedEvent(file: string, position: number, type: string, why: string): WorkError {
	return new WorkError({
		code: 'BINLOG_EVENT_UNSUPPORTED',
		message: `${file}: the ${type} event at position ${position} cannot be replayed: ${why}`,
		hint: 'Stop the replay before it with --until-position, or replay that part with the server\'s own tools.',
	});
}

export function statementNamesDatabase(file: string, position: number, database: string, target: string): UsageError {
	return new UsageError({
		code: 'BINLOG_STATEMENT_NAMES_DATABASE',
		message: `${file}: the statement at position ${position} names database ${database} explicitly; --target-db ${target} cannot redirect it and it would change ${database} itself`,
		hint: `Restore under the original name (into another server), or stop the replay before that statement with --until-position ${file}:${position}.`,
	});
}
