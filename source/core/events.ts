import type {ErrorCode} from './error-codes.ts';
import {redact, redactValue} from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One item of a progress task (a file of a physical copy): `done` of its own `total` units. */
export interface ProgressItem {
	name: string;
	done: number;
	total: number;
}

/** Payloads of every event the engines and services emit. Sinks (Ink, plain, JSON) render these. */
export interface EventPayloads {
	stage: {name: string; detail?: string};
	progress: {
		task: string;
		unit: 'bytes' | 'rows';
		done: number;
		total?: number;
		/** units per second, averaged since the task started */
		rate: number;
		/** seconds left, when total is known and rate > 0 */
		eta?: number;
		/** the item the task is on now (a physical copy's file): its name and its own units so far of its size */
		item?: ProgressItem;
	};
	log: {level: LogLevel; message: string; fields?: Record<string, unknown>};
	warning: {message: string; code?: ErrorCode; hint?: string};
	/** kind names what `data` is: 'detect', 'engine-list', 'engine-info', 'engine-selection', 'backup', ... */
	result: {kind: string; data: unknown};
	error: {code: string; message: string; hint?: string; exitCode: number};
	/** one binlog event of the feed; `eventType`/`eventTime` because every bus event has its own `type` and `time` */
	'binlog-event': {
		/** when the server wrote the event (ISO, whole seconds) */
		eventTime: string;
		gtid?: string;
		file: string;
		pos: number;
		/** WRITE_ROWS, QUERY, XID, MARIADB_GTID, … */
		eventType: string;
		schema?: string;
		table?: string;
		rows?: number;
	};
	lag: {seconds: number};
	/** the binlog streamer's state, about once a second and on every change */
	'binlog-status': {
		state: 'connecting' | 'streaming' | 'reconnecting' | 'stopping' | 'stopped';
		file?: string;
		pos?: number;
		gtid?: string;
		/** seconds behind the server (0 when caught up) */
		lag?: number;
		eventsPerSecond: number;
		bytesPerSecond: number;
		/** events and bytes copied since the streamer started (a reporter's own rate over its own interval) */
		events?: number;
		bytes?: number;
		/** the end of the last transaction on disk and fsync'd */
		durableFile?: string;
		durablePos?: number;
		reconnects: number;
		/** while reconnecting: the attempt number and the wait before it */
		attempt?: number;
		retryInSeconds?: number;
		reason?: string;
	};
	/** an upload to an object store: what S3 has accepted so far (each part accepted, each retry) */
	upload: {destination: string; bytesSent: number; partsDone: number; partsInFlight: number; retries: number};
	/** a transaction end reached the disk (fsync'd): the copy holds everything up to here */
	'binlog-durable': {file: string; pos: number; gtid: string; eventTime: string};
	/** the WAL streamer's state, about once a second and on every change */
	'wal-status': {
		state: 'connecting' | 'streaming' | 'reconnecting' | 'stopping' | 'stopped';
		/** the physical replication slot streamed through, once it is made or found */
		slot?: string;
		timeline?: number;
		/** the segment being filled */
		segment?: string;
		/** the end of what was received and written (X/X) */
		receivedLsn?: string;
		/** the end of what is durable and in the checkpoint: the flush position the slot is told (X/X) */
		flushedLsn?: string;
		/** the server's WAL end, as its last message said (X/X) */
		serverLsn?: string;
		/** bytes of WAL the server has that are not received yet */
		lagBytes?: number;
		/** seconds since the copy last held everything the server had (0 when caught up) */
		lag?: number;
		/** bytes of WAL received since the streamer started, and per second over the last second */
		bytes: number;
		bytesPerSecond: number;
		segmentsCompleted: number;
		reconnects: number;
		/** while reconnecting: the attempt number and the wait before it */
		attempt?: number;
		retryInSeconds?: number;
		reason?: string;
	};
	/** WAL reached durable storage and the checkpoint: the store holds everything up to here */
	'wal-durable': {timeline: number; lsn: string; segment: string};
}

export type EventType = keyof EventPayloads;

export type BusEvent = {
	[K in EventType]: {type: K; time: string} & EventPayloads[K];
}[EventType];

export type EventOf<K extends EventType> = Extract<BusEvent, {type: K}>;

type Listener<K extends EventType> = (event: EventOf<K>) => void;
type AnyListener = (event: BusEvent) => void;

let isoMillis = -1;
let isoText = '';

/** The time stamp of an event; a binlog feed emits thousands a second, so one string per millisecond. */
function isoNow(): string {
	const now = Date.now();
	if (now !== isoMillis) {
		isoMillis = now;
		isoText = new Date(now).toISOString();
	}
	return isoText;
}

/** One typed emitter per run. Every text field is redacted before any listener sees it. */
export class EventBus {
	private readonly listeners = new Map<EventType, Set<Listener<any>>>();
	private readonly anyListeners = new Set<AnyListener>();

	on<K extends EventType>(type: K, listener: Listener<K>): () => void {
		let set = this.listeners.get(type);
		if (!set) {
			set = new Set();
			this.listeners.set(type, set);
		}
		set.add(listener);
		return () => set.delete(listener);
	}

	onAny(listener: AnyListener): () => void {
		this.anyListeners.add(listener);
		return () => this.anyListeners.delete(listener);
	}

	emit<K extends EventType>(type: K, payload: EventPayloads[K]): void {
		const event = {type, time: isoNow(), ...redactValue(payload)} as unknown as EventOf<K>;
		for (const listener of this.listeners.get(type) ?? []) listener(event);
		for (const listener of this.anyListeners) listener(event as BusEvent);
	}

	stage(name: string, detail?: string): void {
		this.emit('stage', {name, detail});
	}

	log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
		this.emit('log', {level, message: redact(message), fields});
	}

	warn(message: string, extra: {code?: ErrorCode; hint?: string} = {}): void {
		this.emit('warning', {message, ...extra});
	}

	result(kind: string, data: unknown): void {
		this.emit('result', {kind, data});
	}
}

/**
 * Progress for one task, throttled at the source to at most `maxPerSecond` events; `finish` always
 * emits the final figure so sinks end on the true total.
 */
export class ProgressReporter {
	private done = 0;
	private item: ProgressItem | undefined;
	private lastEmit = 0;
	private started: number;
	private begun = false;
	private readonly minInterval: number;

	constructor(
		private readonly bus: EventBus,
		readonly task: string,
		readonly unit: 'bytes' | 'rows',
		private total?: number,
		maxPerSecond = 10,
		private readonly now: () => number = Date.now,
	) {
		this.minInterval = 1000 / maxPerSecond;
		this.started = now();
	}

	setTotal(total: number | undefined): void {
		this.total = total;
	}

	/**
	 * The work starts now: rate and ETA count from here, not from when the reporter was made. For
	 * reporters made ahead of their work (one per table when the dump is planned, whose rows are read
	 * minutes later); only the first call counts, and only before any progress.
	 */
	begin(): void {
		if (this.begun || this.done > 0) return;
		this.begun = true;
		this.started = this.now();
	}

	/**
	 * The item (a file) the task is on from now, carried on its events until the next one or `undefined`.
	 * Emits nothing itself: the next figure (throttled as ever) says it, so thousands of small files cost
	 * no more events than one big one.
	 */
	setItem(item: {name: string; total: number; done?: number} | undefined): void {
		this.item = item && {name: item.name, done: item.done ?? 0, total: item.total};
	}

	/** Counts `amount` units of the current item (none: nothing); the task's own figure moves with add/set. */
	addToItem(amount: number): void {
		if (this.item) this.item.done += amount;
	}

	add(amount: number): void {
		this.done += amount;
		this.maybeEmit(false);
	}

	set(done: number): void {
		this.done = done;
		this.maybeEmit(false);
	}

	finish(): void {
		this.maybeEmit(true);
	}

	private maybeEmit(force: boolean): void {
		const now = this.now();
		if (!force && now - this.lastEmit < this.minInterval) return;
		this.lastEmit = now;
		const seconds = Math.max((now - this.started) / 1000, 0.001);
		const rate = this.done / seconds;
		const eta =
			this.total !== undefined && rate > 0 ? Math.max(0, (this.total - this.done) / rate) : undefined;
		this.bus.emit('progress', {
			task: this.task,
			unit: this.unit,
			done: this.done,
			total: this.total,
			rate,
			eta,
			...(this.item ? {item: {...this.item}} : {}),
		});
	}
}
