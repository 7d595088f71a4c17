import type {ErrorCode} from './error-codes.ts';
import {redact} from './redact.ts';

export type {ErrorCode} from './error-codes.ts';

/** Exit codes documented in the CLI reference (readme, "Exit codes"). */
export const ExitCode = {
	ok: 0,
	failure: 1,
	usage: 2,
	connection: 3,
	unavailable: 4,
	integrity: 5,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
	code: ErrorCode;
	message: string;
	hint?: string;
	cause?: unknown;
}

/** Base of every error the product raises on purpose: a stable code, a message, a hint for the user. */
export class DbBackupError extends Error {
	readonly code: ErrorCode;
	readonly hint?: string;
	readonly exitCode: ExitCodeValue;

	constructor(details: ErrorDetails, exitCode: ExitCodeValue = ExitCode.failure) {
		super(redact(details.message), details.cause === undefined ? undefined : {cause: details.cause});
		this.name = new.target.name;
		this.code = details.code;
		this.hint = details.hint === undefined ? undefined : redact(details.hint);
		this.exitCode = exitCode;
	}

	toJSON() {
		return {code: this.code, message: this.message, hint: this.hint, exitCode: this.exitCode};
	}
}

/** Bad flags, bad arguments, bad configuration. Exit 2. */
export class UsageError extends DbBackupError {
	constructor(details: ErrorDetails) {
		super(details, ExitCode.usage);
	}
}

/** A configuration file that does not validate; names the file, the key and the line where known. Exit 2. */
export class ConfigError extends DbBackupError {
	readonly file?: string;
	readonly key?: string;
	readonly line?: number;

	constructor(details: ErrorDetails & {file?: string; key?: string; line?: number}) {
		super(details, ExitCode.usage);
		this.file = details.file;
		this.key = details.key;
		this.line = details.line;
	}
}

/** The server could not be reached or refused us. Exit 3. */
export class ConnectionError extends DbBackupError {
	readonly target: string;

	constructor(details: ErrorDetails & {target: string}) {
		super(details, ExitCode.connection);
		this.target = details.target;
	}
}

/** The engine asked for cannot run against this server. Exit 4. */
export class EngineUnavailableError extends DbBackupError {
	constructor(details: ErrorDetails) {
		super(details, ExitCode.unavailable);
	}
}

/** Checksum mismatch, truncated archive, wrong key. Exit 5. */
export class IntegrityError extends DbBackupError {
	constructor(details: ErrorDetails) {
		super(details, ExitCode.integrity);
	}
}

/** A failure while doing the work (server error mid-dump, disk full...). Exit 1. */
export class WorkError extends DbBackupError {
	constructor(details: ErrorDetails) {
		super(details, ExitCode.failure);
	}
}

/**
 * What an AbortError was aborted by (AbortSignal reasons and stream pipelines put it in `cause`): "The
 * operation was aborted" says nothing, its cause is the failure that stopped the work.
 */
export function realCause(error: unknown): unknown {
	let current = error;
	for (let depth = 0; depth < 8 && current instanceof Error && current.name === 'AbortError' && current.cause !== undefined; depth += 1) current = current.cause;
	return current;
}

/** Any thrown value as a DbBackupError, so sinks and the exit path handle one shape. */
export function toDbBackupError(thrown: unknown): DbBackupError {
	const error = realCause(thrown);
	if (error instanceof DbBackupError) return error;
	const message = error instanceof Error ? error.message : String(error);
	return new WorkError({
		code: 'UNEXPECTED',
		message,
		hint: 'This is a bug or an unhandled condition; run again with --json and report the events.',
		cause: error,
	});
}

/*
 * Factories for the errors raised from many places, so that each reads the same wherever it comes from.
 * A code raised from one place keeps its `new XxxError({code, ...})` there.
 */

/** A flag whose value cannot be used, as `FLAG VALUE: PROBLEM` (`--retries -1: use a whole number`). Exit 2. */
export function badFlagValue(flag: string, value: string | number, problem: string, hint?: string): UsageError {
	return new UsageError({code: 'BAD_FLAG_VALUE', message: `${flag} ${value}: ${problem}`, hint});
}

/** Flags that cannot be used as given, when no single value is at fault: given twice, together, or empty. Exit 2. */
export function badFlagUse(message: string, hint?: string): UsageError {
	return new UsageError({code: 'BAD_FLAG_VALUE', message, hint});
}

/** The words after the command are missing or wrong; the hint is the command's usage. Exit 2. */
export function badArguments(message: string, usage: string): UsageError {
	return new UsageError({code: 'BAD_ARGUMENTS', message, hint: usage});
}

/** A word after the command that it does not take: `unexpected argument "WORD"` and what it adds. Exit 2. */
export function unexpectedArgument(word: string | undefined, usage: string, detail = ''): UsageError {
	return badArguments(`unexpected argument "${word}"${detail}`, usage);
}

/** A backup of the other database type than the command needs: `ARTIFACT is a DBTYPE backup` and why that is wrong. Exit 2. */
export function wrongDbType(artifact: string, dbType: string, problem: string, hint?: string): UsageError {
	return new UsageError({code: 'WRONG_DB_TYPE', message: `${artifact} is a ${dbType} backup${problem}`, hint});
}

const ANOTHER_SERVERS_BINLOGS = "This directory holds another server's binlogs. Stream this server into its own --output directory.";

/** A binlog-stream output directory that copies another server than the one connected to. Exit 1. */
export function binlogSourceChanged(message: string, hint = ANOTHER_SERVERS_BINLOGS): WorkError {
	return new WorkError({code: 'BINLOG_SOURCE_CHANGED', message, hint});
}

/** A throwaway server (sandbox) that did not start. Exit 1. */
export function sandboxStartFailed(message: string, cause?: unknown): WorkError {
	return new WorkError({code: 'SANDBOX_START_FAILED', message, cause});
}

/** Programs a throwaway server needs that are not installed. Exit 1. */
export function packagesMissing(message: string, hint?: string): WorkError {
	return new WorkError({code: 'MISSING_PACKAGES', message, hint});
}
