import {setTimeout as sleep} from 'node:timers/promises';

/** Why a request may be tried again; each kind has its own number of retries. */
export type FailureKind = 'server' | 'throttled' | 'network' | 'timeout' | 'refused' | 'dns' | 'bad-digest';

/**
 * Retries per kind of failure beyond the general `attempts` bound. Nothing listening (refused) or a name
 * that did not resolve is most likely a wrong endpoint: one more try covers a restarting server without
 * making a typo wait. A part's Content-MD5 refused (BadDigest) means the bytes were damaged on the way;
 * they are re-sent from memory, but twice in a row points at something a third try will not fix.
 */
const RETRIES_OF: Record<FailureKind, number> = {
	server: Infinity,
	throttled: Infinity,
	network: Infinity,
	timeout: Infinity,
	refused: 1,
	dns: 1,
	'bad-digest': 2,
};

const RETRYABLE_STATUS: Record<number, FailureKind> = {408: 'timeout', 409: 'server', 429: 'throttled', 499: 'network'};
const RETRYABLE_S3_CODES: Record<string, FailureKind> = {
	InternalError: 'server',
	ServiceUnavailable: 'server',
	OperationAborted: 'server',
	SlowDown: 'throttled',
	Throttling: 'throttled',
	ThrottlingException: 'throttled',
	RequestTimeout: 'timeout',
	RequestTimeoutException: 'timeout',
	BadDigest: 'bad-digest',
	// MinIO: the client closed the connection (a reset on our side)
	ClientDisconnected: 'network',
};
const NETWORK_ERRNOS: Record<string, FailureKind> = {
	ECONNRESET: 'network',
	EPIPE: 'network',
	ECONNABORTED: 'network',
	ENETUNREACH: 'network',
	EHOSTUNREACH: 'network',
	ETIMEDOUT: 'timeout',
	ECONNREFUSED: 'refused',
	EAI_AGAIN: 'dns',
};

interface SdkErrorShape {
	name?: string;
	code?: string;
	message?: string;
	$metadata?: {httpStatusCode?: number};
}

/** The HTTP status of an SDK error, when a server answered. */
export function httpStatusOf(error: unknown): number | undefined {
	return (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

/** The S3 error code (`NoSuchKey`, `SlowDown`) or the SDK's error name. */
export function s3CodeOf(error: unknown): string | undefined {
	const shape = error as SdkErrorShape | undefined;
	return (shape as {Code?: string} | undefined)?.Code ?? shape?.name;
}

export function errnoOf(error: unknown): string | undefined {
	const code = (error as SdkErrorShape | undefined)?.code;
	return typeof code === 'string' ? code : undefined;
}

/** Which retryable failure `error` is, or undefined when trying again cannot help. */
export function failureKind(error: unknown): FailureKind | undefined {
	if (!(error instanceof Error)) return undefined;
	if (error.name === 'AbortError') return undefined;
	// a call the store does not have (s3rver's ListMultipartUploads) answers the same the next time
	if (s3CodeOf(error) === 'NotImplemented' || httpStatusOf(error) === 501) return undefined;
	const byCode = RETRYABLE_S3_CODES[s3CodeOf(error) ?? ''];
	if (byCode) return byCode;
	const status = httpStatusOf(error);
	if (status !== undefined && status >= 500) return 'server';
	if (status !== undefined && RETRYABLE_STATUS[status]) return RETRYABLE_STATUS[status];
	const byErrno = NETWORK_ERRNOS[errnoOf(error) ?? ''];
	if (byErrno) return byErrno;
	if (error.name === 'TimeoutError') return 'timeout';
	if (/socket hang up|aborted|premature close/i.test(error.message) && status === undefined) return 'network';
	return undefined;
}

export function isRetryable(error: unknown): boolean {
	return failureKind(error) !== undefined;
}

export interface RetryOptions {
	/** tries in all, the first included (default 8) */
	attempts?: number;
	/** the cap of the first backoff; it doubles each retry (default 250 ms) */
	baseMs?: number;
	/** the largest backoff (default 20 s) */
	maxMs?: number;
	signal?: AbortSignal;
	onRetry?: (retry: {attempt: number; error: unknown; kind: FailureKind; delayMs: number}) => void;
}

export const DEFAULT_ATTEMPTS = 8;
const DEFAULT_BASE_MS = 250;
const DEFAULT_MAX_MS = 20_000;

/** Full jitter: anything from 0 to the exponential cap, so clients that failed together do not come back together. */
export function backoffDelay(retry: number, baseMs = DEFAULT_BASE_MS, maxMs = DEFAULT_MAX_MS): number {
	return Math.floor(Math.random() * Math.min(maxMs, baseMs * 2 ** Math.min(retry, 30)));
}

/**
 * Runs `operation` until it succeeds, a failure is not retryable (failureKind), its kind used up its
 * retries, `attempts` tries were made, or the signal aborts; the last failure is thrown as it is.
 */
export async function withRetries<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
	const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
	const retriesByKind = new Map<FailureKind, number>();
	for (let attempt = 1; ; attempt++) {
		options.signal?.throwIfAborted();
		try {
			return await operation(attempt);
		} catch (error) {
			const kind = failureKind(error);
			if (kind === undefined || attempt >= attempts || options.signal?.aborted) throw error;
			const retries = retriesByKind.get(kind) ?? 0;
			if (retries >= RETRIES_OF[kind]) throw error;
			retriesByKind.set(kind, retries + 1);
			const delayMs = backoffDelay(attempt - 1, options.baseMs, options.maxMs);
			options.onRetry?.({attempt, error, kind, delayMs});
			await sleep(delayMs, undefined, {signal: options.signal}).catch(() => {
				throw error;
			});
		}
	}
}
