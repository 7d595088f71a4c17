import {redact} from './redact.ts';

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
	code: string;
	message: string;
	hint?: string;
	cause?: unknown;
}

/** Base of every error the product raises on purpose: a stable code, a message, a hint for the user. */
export class DbBackupError extends Error {
	readonly code: string;
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
