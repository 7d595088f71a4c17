import {setTimeout as sleep} from 'node:timers/promises';
import {WorkError, type ErrorCode} from './errors.ts';

/**
 * Capped exponential backoff for reconnecting streamers: 0.5 s, 1 s, 2 s … up to `maxSeconds` (30 s
 * unless given), for attempt 1, 2, 3 … in a row.
 */
export function backoffSeconds(attempt: number, maxSeconds = 30): number {
	return Math.min(maxSeconds, 0.5 * 2 ** Math.max(0, attempt - 1));
}

export interface ReconnectOptions {
	/** attempts in a row before giving up; 0 or absent: never */
	retries?: number;
	maxBackoffSeconds?: number;
	/** the command, for the message that ends the stream after `retries` attempts in a row failed */
	command: string;
	/** that message's code */
	gaveUpCode: ErrorCode;
}

/**
 * The reconnect bookkeeping of a streamer (binlog-stream, wal-stream): attempts in a row (a session
 * that received anything starts the count again), the --retries limit, the backoff. A failure before the
 * first connection ever succeeded is only retried when the caller's rule says so.
 */
export class Reconnects {
	/** reconnects so far, for the summary */
	count = 0;
	private attempt = 0;
	private everConnected = false;

	constructor(private readonly options: ReconnectOptions) {}

	/** a session ended normally: the server was there */
	connected(): void {
		this.everConnected = true;
	}

	/**
	 * A session failed with `error` (having `received` something, or not): the attempt number and the
	 * seconds to wait before the next. Throws `error` when `retryable` says a retry cannot help, and the
	 * give-up error past the limit.
	 */
	failed(error: unknown, received: boolean, retryable: (error: unknown, hadConnected: boolean) => boolean): {attempt: number; delay: number} {
		if (received) this.attempt = 0;
		if (!retryable(error, this.everConnected || received)) throw error;
		this.everConnected ||= received;
		this.attempt += 1;
		const limit = this.options.retries ?? 0;
		if (limit > 0 && this.attempt > limit) {
			throw new WorkError({
				code: this.options.gaveUpCode,
				message: `gave up after ${limit} reconnect attempts: ${(error as Error).message}`,
				hint: `Check that the server is up and reachable, then run ${this.options.command} again; it resumes from its checkpoint.`,
				cause: error,
			});
		}
		this.count += 1;
		return {attempt: this.attempt, delay: backoffSeconds(this.attempt, this.options.maxBackoffSeconds)};
	}
}

/** What a streamer gives the supervisor that runs its sessions one after another. */
export interface SupervisedStream<Plan> {
	/** work the last session left (files to close) is done before the next plan is read */
	closing(): Promise<void>;
	/** where the next session resumes, read from the store */
	plan(): Promise<Plan>;
	/** one connection until a stop, the end, or a failure; `onReceive` when anything arrived */
	session(plan: Plan, signal: AbortSignal, onReceive: () => void): Promise<{kind: string}>;
	/**
	 * A failed session's error as the supervisor should judge it (explained in the server's terms), or
	 * 'again' to start the next session at once without counting a reconnect.
	 */
	triage(caught: unknown, plan: Plan, received: boolean): unknown;
	/** whether a retry can help (a refusal before the first connection usually cannot) */
	retryable(error: unknown, hadConnected: boolean): boolean;
	/** the state shown on the bus */
	setState(state: 'connecting' | 'reconnecting', extra?: {attempt: number; retryInSeconds: number; reason: string}): void;
	/** the warning said at each reconnect */
	interrupted: {what: string; code: ErrorCode};
	warn(message: string, code: ErrorCode): void;
}

/**
 * The loop binlog-stream and wal-stream share: plan, connect, stream; on a failure judge it, warn, wait
 * the backoff (cut short by `signal`) and go again, until the stream stops or ends, `signal` aborts, or
 * the failure is not one a retry can help (thrown).
 */
export async function superviseStream<Plan>(stream: SupervisedStream<Plan>, reconnects: Reconnects, signal: AbortSignal): Promise<void> {
	for (;;) {
		if (signal.aborted) return;
		await stream.closing();
		const plan = await stream.plan();
		stream.setState('connecting');
		let received = false;
		try {
			const end = await stream.session(plan, signal, () => (received = true));
			reconnects.connected();
			if (end.kind === 'stopped' || end.kind === 'end') return;
		} catch (caught) {
			if (signal.aborted) return;
			const error = stream.triage(caught, plan, received);
			if (error === 'again') continue;
			const {attempt, delay} = reconnects.failed(error, received, (failure, hadConnected) => stream.retryable(failure, hadConnected));
			const reason = (error as Error).message;
			stream.warn(`${stream.interrupted.what} interrupted (${reason}); reconnecting in ${delay.toFixed(1)} s (attempt ${attempt})`, stream.interrupted.code);
			stream.setState('reconnecting', {attempt, retryInSeconds: delay, reason});
			await sleep(delay * 1000, undefined, {signal}).catch(() => {});
		}
	}
}
