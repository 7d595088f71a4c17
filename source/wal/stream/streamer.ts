import {setTimeout as sleep} from 'node:timers/promises';
import {Reconnects, superviseStream} from '../../core/reconnect.ts';
import {describeTarget, manifestHost, type ConnectionSettings} from '../../core/connection-settings.ts';
import {ConnectionError, DbBackupError, UsageError, WorkError} from '../../core/errors.ts';
import type {EventBus, EventPayloads} from '../../core/events.ts';
import {formatLsn, historyFileName, parseLsn, segmentFileName, segmentOf, segmentStart, type Lsn} from '../../core/pg-replication/lsn.ts';
import {ReplicationSession, type ResultSet} from '../../core/pg-replication/session.ts';
import type {Compression} from '../../storage/compression.ts';
import {claimStreamStore, type StoreClaimKind} from '../../storage/target/claim-store.ts';
import type {StorageOptions} from '../../storage/target/index.ts';
import type {AppendableTarget} from '../../storage/target/types.ts';
import {parseCopyData, parseSegmentSize, standbyStatus} from '../protocol.ts';
import {writeWalCheckpoint} from '../store/checkpoint.ts';
import {LEASE_NAME, LOCK_NAME} from '../store/layout.ts';
import {completeSegment, storeHistoryFile} from '../store/segment-index.ts';
import {planResume, type ResumePlan} from './recovery.ts';
import {WalSegmentSink} from './segment-sink.ts';
import {defaultSlotName, ensureSlot} from './slot.ts';

export interface WalStreamOptions {
	settings: ConnectionSettings;
	/** a local directory, or an `s3://bucket/prefix/` the store is written to directly */
	outputDir: string;
	/** the object store's settings (an s3:// output) */
	storage?: StorageOptions;
	/** the physical slot to stream through, made if missing; default: the store's own (defaultSlotName) */
	slot?: string;
	/** 'always': sync and checkpoint after every batch of WAL received; 'interval': every `checkpointIntervalSeconds` */
	sync: 'always' | 'interval';
	checkpointIntervalSeconds: number;
	/** each completed segment, compressed beside itself */
	compress: Compression;
	/** stop once everything the server had flushed when the stream started is durable */
	stopAtEnd?: boolean;
	/** reconnect attempts in a row before giving up; 0 = never give up */
	retries?: number;
	/** how often a standby status update goes out (asking for a reply: a link that stays silent is dead) */
	statusIntervalSeconds?: number;
	/** no message from the server for this long means the connection is dead */
	deadAfterSeconds?: number;
	maxBackoffSeconds?: number;
}

export interface WalStreamSummary {
	outputDir: string;
	systemId?: string;
	slot?: string;
	timeline?: number;
	/** the end of what is durable and in the checkpoint (X/X) */
	flushedLsn?: string;
	/** the segment that position falls in */
	segment?: string;
	bytes: number;
	segmentsCompleted: string[];
	timelineSwitches: number;
	reconnects: number;
}

/** A WAL store's claim: flock on wal-stream.lock in a directory, the lease wal-stream.lease.json in S3. */
const WAL_STORE: StoreClaimKind = {
	lock: {name: LOCK_NAME, holder: 'wal-stream', lockedCode: 'WAL_OUTPUT_LOCKED', failedCode: 'WAL_LOCK_FAILED'},
	lease: {name: LEASE_NAME, holder: 'wal-stream', code: 'WAL_OUTPUT_LOCKED'},
	unusableCode: 'WAL_OUTPUT_UNUSABLE',
	what: 'WAL',
};

/**
 * `wal-stream`: copies a PostgreSQL server's WAL through a physical replication slot into segment files
 * byte-identical to the server's, follows timeline switches, survives disconnects and restarts, and
 * only lets the slot advance past what is durably stored.
 */
export async function streamWal(options: WalStreamOptions, bus: EventBus, signal: AbortSignal): Promise<WalStreamSummary> {
	const {target, unlock} = await claimStreamStore(options.outputDir, options.storage, options.sync, WAL_STORE);
	try {
		return await new WalStreamer(options, target, bus).run(signal);
	} finally {
		await unlock();
	}
}

/** How one START_REPLICATION ended. */
type TimelineEnd = {kind: 'stopped'} | {kind: 'end'} | {kind: 'next'; timeline: number; switchLsn: Lsn};

/** What the open session streams: the cluster, and the durable position the slot is told. */
interface Live {
	session: ReplicationSession;
	sink: WalSegmentSink;
	/** a CopyBoth is open and the client has not ended its side: status updates may go out */
	copying: boolean;
}

/** The slot-in-use refusals retried in a row before the slot is taken to be another streamer's. */
const SLOT_BUSY_RETRIES = 5;

class WalStreamer {
	private bytes = 0;
	private readonly reconnects: Reconnects;
	private timelineSwitches = 0;
	private readonly segmentsCompleted: string[] = [];
	private closing: Promise<void> = Promise.resolve();
	private systemId: string | undefined;
	private segmentBytes = 0;
	private slot: string | undefined;
	private timeline = 0;
	/** the end of what is in the checkpoint: the flush position the server is told */
	private flushed: {timeline: number; lsn: Lsn} | undefined;
	private checkpointRunning: Promise<void> | undefined;
	/** the checkpoint writes, one after the other */
	private writing: Promise<unknown> = Promise.resolve();
	private checkpointAgain = false;
	private live: Live | undefined;
	/** while a START_REPLICATION runs: stops it when the sink fails */
	private onSinkFailure: ((error: Error) => void) | undefined;
	private serverEnd = 0n;
	private caughtUpAt = Date.now();
	private state: EventPayloads['wal-status']['state'] = 'connecting';
	private rateWindow = {at: Date.now(), bytes: 0, bytesPerSecond: 0};

	constructor(
		private readonly options: WalStreamOptions,
		/** the store: segments, history files, checkpoint and index are written through it */
		private readonly target: AppendableTarget,
		private readonly bus: EventBus,
	) {
		this.reconnects = new Reconnects({retries: options.retries, maxBackoffSeconds: options.maxBackoffSeconds, command: 'wal-stream', gaveUpCode: 'WAL_RECONNECT_GAVE_UP'});
	}

	async run(signal: AbortSignal): Promise<WalStreamSummary> {
		const statusTimer = setInterval(() => this.emitStatus(), 1000);
		let slotBusy = 0;
		try {
			await superviseStream<ResumePlan>(
				{
					// segments completed by the last session are renamed (and compressed) before the store is read again
					closing: () => this.closing,
					plan: () => planResume(this.target, this.bus),
					session: (plan, sessionSignal, onReceive) => this.runSession(plan, sessionSignal, onReceive),
					triage: (caught, _plan, received) => {
						const error = explainServerError(caught, this.options.settings);
						const busy = isSlotBusy(error);
						slotBusy = busy && !received ? slotBusy + 1 : 0;
						if (busy && slotBusy > SLOT_BUSY_RETRIES) {
							throw new WorkError({
								code: 'WAL_SOURCE_REFUSED',
								message: `${(error as Error).message} (${SLOT_BUSY_RETRIES} attempts in a row)`,
								hint: 'Another client streams through that slot: stop it, or give --slot another name.',
								cause: error,
							});
						}
						return error;
					},
					// a slot our last connection still holds is retried (a few times), even on the first start
					retryable: (failure, hadConnected) => isSlotBusy(failure) || retryable(failure, hadConnected),
					setState: (state, extra) => this.setState(state, extra),
					interrupted: {what: 'WAL stream', code: 'WAL_RECONNECTING'},
					warn: (message, code) => this.bus.warn(message, {code}),
				},
				this.reconnects,
				signal,
			);
			this.setState('stopped');
			await this.closing;
			return this.summary();
		} finally {
			clearInterval(statusTimer);
		}
	}

	/**
	 * One connection: the server is checked against the store (its cluster, its segment size) before
	 * anything in the store changes, the slot is made or found, then START_REPLICATION runs, timeline
	 * after timeline, until a stop, a failure, or (--stop-at-end) the end.
	 */
	private async runSession(plan: ResumePlan, signal: AbortSignal, onReceive: () => void): Promise<TimelineEnd> {
		const {options, bus} = this;
		const session = await openSession(options.settings);
		let sink: WalSegmentSink | undefined;
		let failed = false;
		try {
			const system = await session.identifySystem();
			const segmentBytes = parseSegmentSize(firstValue(await session.command('SHOW wal_segment_size'), 'wal_segment_size'));
			this.confirmServer(plan, system.systemId, segmentBytes);
			if (plan.resume && plan.resume.timeline > system.timeline) {
				throw new WorkError({
					code: 'WAL_TIMELINE_DIVERGED',
					message: `the store ${options.outputDir} is on timeline ${plan.resume.timeline}, the server on ${system.timeline}: it is not the server the store streamed from, or it was restored from an older backup`,
					hint: 'Stream this server into a new --output.',
				});
			}
			this.systemId = system.systemId;
			this.segmentBytes = segmentBytes;
			const slot = await ensureSlot(session, options.slot ?? plan.checkpoint?.slot ?? defaultSlotName(options.outputDir));
			this.slot = slot.name;
			let timeline: number;
			let lsn: Lsn;
			if (plan.resume) {
				({timeline, lsn} = plan.resume);
				if (slot.created) {
					bus.warn(`the replication slot ${slot.name} was not on the server; it was made again, and the WAL the store needs from ${formatLsn(lsn)} may be gone`, {code: 'WAL_SLOT_CREATED'});
				} else if (slot.restartLsn !== undefined && slot.restartLsn > lsn) {
					bus.warn(`the replication slot ${slot.name} holds WAL from ${formatLsn(slot.restartLsn)} on, but the store continues at ${formatLsn(lsn)}: the WAL between may be gone`, {code: 'WAL_SLOT_AHEAD'});
				}
			} else {
				timeline = system.timeline;
				// a new store starts at the beginning of the segment the slot holds WAL from, so that segment is whole
				lsn = segmentStart(segmentOf(slot.restartLsn ?? parseLsn(system.xlogpos), segmentBytes), segmentBytes);
				if (slot.created) bus.log('info', `made the physical replication slot ${slot.name}`);
			}
			// the server is the store's: the segment being filled is cut back to what the checkpoint covers
			if (plan.cut) await (await this.target.openAppend(plan.cut.name, {create: 'existing', truncateTo: plan.cut.bytes})).close();
			for (const name of plan.pendingCompletions) this.segmentCompleted(name);
			this.timeline = timeline;
			// the store records its cluster, timeline, slot and durable end before anything is streamed into it
			await this.writeCheckpoint(timeline, lsn, slot.name !== plan.checkpoint?.slot);
			if (timeline > 1 && !plan.histories.has(historyFileName(timeline))) await this.storeHistory(session, timeline, plan);
			const stopAt = options.stopAtEnd ? parseLsn(system.xlogpos) : undefined;
			sink = new WalSegmentSink({
				target: this.target,
				segmentBytes,
				systemId: system.systemId,
				syncEveryWrite: options.sync === 'always',
				onSynced: () => {
					if (options.sync === 'always') this.checkpointSoon();
				},
				onSegmentFull: (name) => {
					this.segmentCompleted(name);
					this.checkpointSoon();
				},
				onFailure: (error) => {
					failed = true;
					this.onSinkFailure?.(error);
				},
			});
			sink.begin(timeline, lsn);
			this.live = {session, sink, copying: false};
			bus.log('info', `streaming ${describeTarget(options.settings)} (system ${system.systemId}) through slot ${slot.name} from ${formatLsn(lsn)} on timeline ${timeline}`);
			for (;;) {
				const end = await this.streamTimeline(this.live, timeline, stopAt, signal, onReceive);
				if (end.kind !== 'next') return end;
				if (sink.position !== end.switchLsn) {
					throw new WorkError({
						code: 'WAL_GAP',
						message: `timeline ${timeline} ended at ${formatLsn(end.switchLsn)}, but the stream of it reached ${formatLsn(sink.position)}`,
						hint: 'Run wal-stream again: it resumes from its checkpoint.',
					});
				}
				this.timelineSwitches += 1;
				bus.log('info', `timeline ${timeline} ended at ${formatLsn(end.switchLsn)}; following timeline ${end.timeline}`);
				if (!plan.histories.has(historyFileName(end.timeline))) await this.storeHistory(session, end.timeline, plan);
				// the next timeline's first segment starts with what the old one had before the switch: whole, as the server has it
				const next = segmentStart(segmentOf(end.switchLsn, segmentBytes), segmentBytes);
				await sink.switchTimeline(end.timeline, next);
				timeline = end.timeline;
				this.timeline = timeline;
				await this.settleCheckpoint();
				await this.writeCheckpoint(timeline, next);
			}
		} catch (error) {
			failed = true;
			throw error;
		} finally {
			this.live = undefined;
			await closeSession(session);
			if (sink) {
				await sink.close().catch((error: unknown) => {
					if (!failed) throw error;
				});
				await this.settleCheckpoint();
				// what arrived after the last status is durable too; the server learns it at the next start
				await this.checkpointOnce(sink).catch((error: unknown) => {
					if (!failed) throw error;
				});
			}
		}
	}

	/** One START_REPLICATION on `timeline`, from where the sink is, until it ends (a stop, the end, the timeline's end) or fails. */
	private async streamTimeline(live: Live, timeline: number, stopAt: Lsn | undefined, signal: AbortSignal, onReceive: () => void): Promise<TimelineEnd> {
		const {session, sink} = live;
		if (signal.aborted) return {kind: 'stopped'};
		let settle!: (end: TimelineEnd) => void;
		let fail!: (error: unknown) => void;
		const finished = new Promise<TimelineEnd>((resolve, reject) => {
			settle = resolve;
			fail = reject;
		});
		finished.catch(() => {});
		let failure: unknown;
		const failWith = (error: unknown) => {
			failure ??= error;
			fail(error);
			destroySession(session);
		};
		/** the stop this client asked for (the copy's end follows) */
		let stopping: TimelineEnd | undefined;
		let copyEnding = false;
		let lastMessageAt = Date.now();
		/** everything received is made durable and the server told so, then the client's side of the copy ends */
		const finishCopy = () => {
			if (copyEnding || !live.copying) return;
			copyEnding = true;
			void this.checkpointNow()
				.catch(failWith)
				.then(() => {
					live.copying = false;
					if (!failure) session.endCopy();
				});
		};
		const endCopy = (end: TimelineEnd) => {
			stopping ??= end;
			finishCopy();
		};
		const start = sink.position;
		const command = session
			.command(`START_REPLICATION SLOT ${this.slot} PHYSICAL ${formatLsn(start)} TIMELINE ${timeline}`, {
				onCopyStart: () => {
					live.copying = true;
					this.setState('streaming');
					// already there (an idle server): nothing will come to stop at
					if (stopAt !== undefined && sink.position >= stopAt) endCopy({kind: 'end'});
					if (stopping) finishCopy();
				},
				onCopyData: (payload) => {
					lastMessageAt = Date.now();
					onReceive();
					const message = parseCopyData(payload);
					if (!message) return undefined;
					if (message.serverEnd > this.serverEnd) this.serverEnd = message.serverEnd;
					if (message.kind === 'keepalive') {
						this.noteCaughtUp();
						if (message.replyRequested) this.sendStatus(false);
						return undefined;
					}
					let bytes = message.bytes;
					const expected = sink.position;
					if (message.start > expected) {
						throw new WorkError({
							code: 'WAL_GAP',
							message: `the server sent WAL from ${formatLsn(message.start)} where the stream is at ${formatLsn(expected)}`,
							hint: 'Run wal-stream again: it resumes from its checkpoint.',
						});
					}
					// sent again (a resend after a reconnect): the store has it
					if (message.start < expected) bytes = bytes.subarray(Math.min(bytes.length, Number(expected - message.start)));
					if (bytes.length === 0) return undefined;
					this.bytes += bytes.length;
					const wait = sink.append(bytes);
					this.noteCaughtUp();
					if (stopAt !== undefined && sink.position >= stopAt) endCopy({kind: 'end'});
					return wait;
				},
				onCopyDone: () => {
					// the server ended the timeline (or is going away): ours ends too, once what came is durable
					finishCopy();
				},
			})
			.then(
				(sets) => {
					const next = nextTimeline(sets);
					if (next) settle(next);
					else if (stopping) settle(stopping);
					else fail(new WorkError({code: 'WAL_SERVER_ENDED', message: 'the server ended the WAL stream (it may be shutting down)'}));
				},
				(error: unknown) => fail(failure ?? error),
			);
		void command;
		const onAbort = () => endCopy({kind: 'stopped'});
		signal.addEventListener('abort', onAbort, {once: true});
		const deadAfter = (this.options.deadAfterSeconds ?? 30) * 1000;
		const watchdog = setInterval(() => {
			if (Date.now() - lastMessageAt > deadAfter) failWith(new WorkError({code: 'WAL_CONNECTION_SILENT', message: `no message from the server for ${Math.round(deadAfter / 1000)} s`}));
		}, 500);
		const statusTimer = setInterval(() => this.sendStatus(true), (this.options.statusIntervalSeconds ?? 10) * 1000);
		const checkpointTimer = setInterval(() => this.checkpointSoon(), this.options.checkpointIntervalSeconds * 1000);
		// a failed write stops the stream at once (the sink refuses every later byte anyway)
		this.onSinkFailure = failWith;
		try {
			const end = await finished;
			if (end.kind !== 'next') this.setState('stopping');
			return end;
		} finally {
			this.onSinkFailure = undefined;
			signal.removeEventListener('abort', onAbort);
			clearInterval(watchdog);
			clearInterval(statusTimer);
			clearInterval(checkpointTimer);
			live.copying = false;
		}
	}

	/** The server must be the store's cluster, with the store's segment size; nothing in the store has changed yet. */
	private confirmServer(plan: ResumePlan, systemId: string, segmentBytes: number): void {
		const where = this.options.outputDir;
		if (plan.systemId !== undefined && plan.systemId !== systemId) {
			throw new WorkError({
				code: 'WAL_SYSTEM_ID_MISMATCH',
				message: `the store ${where} holds the WAL of the cluster with system identifier ${plan.systemId}, but ${describeTarget(this.options.settings)} is the cluster ${systemId}; nothing was written`,
				hint: 'Point wal-stream at the cluster the store belongs to, or stream this one into a new --output. A cluster made again by initdb or restored from a base backup of another has a new identifier.',
			});
		}
		if (plan.segmentBytes !== undefined && plan.segmentBytes !== segmentBytes) {
			throw new WorkError({
				code: 'WAL_SEGMENT_SIZE_MISMATCH',
				message: `the store ${where} holds segments of ${plan.segmentBytes} bytes, but the server's wal_segment_size is ${segmentBytes}; nothing was written`,
				hint: 'Stream this server into a new --output.',
			});
		}
	}

	private async storeHistory(session: ReplicationSession, timeline: number, plan: ResumePlan): Promise<void> {
		const name = historyFileName(timeline);
		const [set] = await session.command(`TIMELINE_HISTORY ${timeline}`);
		const content = set?.rows[0]?.[1];
		if (content === undefined || content === null) throw new WorkError({code: 'WAL_SOURCE_REFUSED', message: `TIMELINE_HISTORY ${timeline} returned no file`});
		await storeHistoryFile(this.target, name, Buffer.from(content, 'utf8'));
		plan.histories.add(name);
		this.bus.log('info', `${name} stored (${content.length} bytes)`);
	}

	private segmentCompleted(name: string): void {
		this.segmentsCompleted.push(name);
		const {compress} = this.options;
		this.closing = this.closing.then(async () => {
			try {
				const entry = await completeSegment(this.target, name, compress);
				this.bus.log('info', `${name} complete: ${entry.size} bytes, sha256 ${entry.sha256}${entry.compression === 'none' ? '' : `, stored as ${entry.stored} (${entry.storedSize} bytes)`}`);
			} catch (error) {
				this.bus.warn(`${name}: complete, but not ${compress === 'none' ? 'renamed' : 'compressed'} or indexed: ${(error as Error).message}; it stays ${name}.partial and is completed at the next start`, {
					code: 'WAL_INDEX_FAILED',
				});
			}
		});
	}

	/** A checkpoint as soon as the last one is written (they never overlap; a request meanwhile makes one more). */
	private checkpointSoon(): void {
		const live = this.live;
		if (!live) return;
		if (this.checkpointRunning) {
			this.checkpointAgain = true;
			return;
		}
		this.checkpointRunning = (async () => {
			do {
				this.checkpointAgain = false;
				await this.checkpointOnce(live.sink);
				this.sendStatus(false);
			} while (this.checkpointAgain);
		})()
			.catch((error: Error) => {
				if (!(error instanceof DbBackupError && error.code === 'WAL_WRITE_FAILED')) this.bus.warn(`checkpoint not written: ${error.message}`, {code: 'WAL_CHECKPOINT_FAILED'});
			})
			.finally(() => {
				this.checkpointRunning = undefined;
			});
	}

	/** Everything received so far durable, in the checkpoint, and the server told so. */
	private async checkpointNow(): Promise<void> {
		const live = this.live;
		if (!live) return;
		await this.settleCheckpoint();
		await this.checkpointOnce(live.sink);
		this.sendStatus(false);
	}

	private async settleCheckpoint(): Promise<void> {
		while (this.checkpointRunning) await this.checkpointRunning;
	}

	/** What is received is synced, then the checkpoint says so. */
	private checkpointOnce(sink: WalSegmentSink): Promise<void> {
		return this.serialized(async () => this.recordCheckpoint(this.timeline, await sink.sync()));
	}

	/** The checkpoint at `lsn` of `timeline` (already durable), written after any other checkpoint write. */
	private writeCheckpoint(timeline: number, lsn: Lsn, force = false): Promise<void> {
		return this.serialized(() => this.recordCheckpoint(timeline, lsn, force));
	}

	/** Checkpoint writes one at a time, in the order asked: two never race for the file (or the flush position). */
	private serialized<T>(work: () => Promise<T>): Promise<T> {
		const turn = this.writing.then(work, work);
		this.writing = turn.catch(() => {});
		return turn;
	}

	private async recordCheckpoint(timeline: number, lsn: Lsn, force = false): Promise<void> {
		if (!force && this.flushed?.timeline === timeline && this.flushed.lsn === lsn) return;
		const segment = segmentFileName(timeline, segmentOf(lsn, this.segmentBytes), this.segmentBytes);
		await writeWalCheckpoint(this.target, {
			systemId: this.systemId!,
			timeline,
			flushLsn: lsn,
			segment,
			segmentBytes: this.segmentBytes,
			slot: this.slot!,
			host: manifestHost(this.options.settings),
		});
		this.flushed = {timeline, lsn};
		this.bus.emit('wal-durable', {timeline, lsn: formatLsn(lsn), segment});
	}

	/** A standby status update: written up to what the store has, flushed up to the checkpoint (never further). */
	private sendStatus(replyRequested: boolean): void {
		const live = this.live;
		if (!live?.copying) return;
		try {
			live.session.sendCopyData(standbyStatus(live.sink.written, this.flushed?.lsn ?? 0n, replyRequested));
		} catch {
			// the connection is going; its failure is reported by the command
		}
	}

	private noteCaughtUp(): void {
		const position = this.live?.sink.position ?? 0n;
		if (position >= this.serverEnd) this.caughtUpAt = Date.now();
	}

	private setState(state: EventPayloads['wal-status']['state'], extra: {attempt?: number; retryInSeconds?: number; reason?: string} = {}): void {
		this.state = state;
		this.emitStatus(extra);
	}

	private emitStatus(extra: {attempt?: number; retryInSeconds?: number; reason?: string} = {}): void {
		const now = Date.now();
		const window = this.rateWindow;
		const seconds = (now - window.at) / 1000;
		if (seconds >= 0.9) {
			window.bytesPerSecond = (this.bytes - window.bytes) / seconds;
			window.at = now;
			window.bytes = this.bytes;
		}
		const sink = this.live?.sink;
		const streaming = this.state === 'streaming' && sink !== undefined;
		const lagBytes = streaming && this.serverEnd > sink.position ? Number(this.serverEnd - sink.position) : streaming ? 0 : undefined;
		const lag = lagBytes === undefined ? undefined : lagBytes === 0 ? 0 : Math.max(0, (now - this.caughtUpAt) / 1000);
		this.bus.emit('wal-status', {
			state: this.state,
			slot: this.slot,
			timeline: this.timeline || undefined,
			segment: sink?.currentSegment,
			receivedLsn: sink ? formatLsn(sink.position) : undefined,
			flushedLsn: this.flushed ? formatLsn(this.flushed.lsn) : undefined,
			serverLsn: this.serverEnd > 0n ? formatLsn(this.serverEnd) : undefined,
			lagBytes,
			lag,
			bytes: this.bytes,
			bytesPerSecond: window.bytesPerSecond,
			segmentsCompleted: this.segmentsCompleted.length,
			reconnects: this.reconnects.count,
			...extra,
		});
		if (lag !== undefined) this.bus.emit('lag', {seconds: lag});
	}

	private summary(): WalStreamSummary {
		const flushed = this.flushed;
		return {
			outputDir: this.options.outputDir,
			systemId: this.systemId,
			slot: this.slot,
			timeline: flushed?.timeline,
			flushedLsn: flushed ? formatLsn(flushed.lsn) : undefined,
			segment: flushed ? segmentFileName(flushed.timeline, segmentOf(flushed.lsn, this.segmentBytes), this.segmentBytes) : undefined,
			bytes: this.bytes,
			segmentsCompleted: this.segmentsCompleted,
			timelineSwitches: this.timelineSwitches,
			reconnects: this.reconnects.count,
		};
	}
}

function firstValue(sets: ResultSet[], what: string): string {
	const value = sets[0]?.rows[0]?.[0];
	if (value === undefined || value === null) throw new WorkError({code: 'WAL_SOURCE_REFUSED', message: `the server did not answer SHOW ${what}`});
	return value;
}

/** The result set after a timeline's end: the next timeline and where it starts. */
function nextTimeline(sets: ResultSet[]): TimelineEnd | undefined {
	const row = sets.find((set) => set.columns[0] === 'next_tli')?.rows[0];
	if (!row?.[0] || !row[1]) return undefined;
	return {kind: 'next', timeline: Number(row[0]), switchLsn: parseLsn(row[1])};
}

async function openSession(settings: ConnectionSettings): Promise<ReplicationSession> {
	try {
		return await ReplicationSession.open(settings, 'database');
	} catch (error) {
		if (error instanceof ConnectionError && (error.cause as {code?: string} | undefined)?.code === '42501') {
			throw new ConnectionError({
				code: 'WAL_PRIVILEGES',
				target: error.target,
				message: `${describeTarget(settings)}: user "${settings.user}" may not open a replication connection (${(error.cause as Error).message})`,
				hint: 'wal-stream needs a role with REPLICATION (ALTER ROLE name REPLICATION) and a pg_hba.conf line that allows it replication connections.',
				cause: error.cause,
			});
		}
		throw error;
	}
}

function destroySession(session: ReplicationSession): void {
	(session.client as unknown as {connection?: {stream?: {destroy(): void}}}).connection?.stream?.destroy();
}

/** Ends the connection; one whose server has gone silent is not waited for. */
async function closeSession(session: ReplicationSession): Promise<void> {
	const ended = await Promise.race([session.end().then(() => true), sleep(2000).then(() => false)]);
	if (!ended) destroySession(session);
}

function serverMessage(error: unknown): {code?: string; message: string} {
	const {code, message} = (error ?? {}) as {code?: unknown; message?: unknown};
	return {code: typeof code === 'string' ? code : undefined, message: typeof message === 'string' ? message : String(error)};
}

function isSlotBusy(error: unknown): boolean {
	const {code, message} = serverMessage(error);
	return code === '55006' && /replication slot/i.test(message);
}

/** What a retry cannot fix, named for what it is. */
function explainServerError(error: unknown, settings: ConnectionSettings): unknown {
	if (error instanceof DbBackupError) return error;
	const {code, message} = serverMessage(error);
	if (code === undefined || !/^[0-9A-Z]{5}$/.test(code) || /^(57P0|08)/.test(code) || code === '55006') return error;
	const server = describeTarget(settings);
	if (/requested WAL segment .* has already been removed/i.test(message)) {
		return new WorkError({
			code: 'WAL_SOURCE_PURGED',
			message: `${server} no longer has the WAL the store needs next: ${message}`,
			hint: 'The server removed WAL the store still needs (a gap that cannot be filled: was the slot dropped?). Take a new base backup and stream into a new --output.',
			cause: error,
		});
	}
	if (/not in this server's history/i.test(message)) {
		return new WorkError({
			code: 'WAL_TIMELINE_DIVERGED',
			message: `${server} cannot continue the store: ${message}`,
			hint: 'The store holds WAL the server\'s timeline history does not (a failover to a standby that was behind). Stream into a new --output from a new base backup.',
			cause: error,
		});
	}
	if (/ahead of the WAL flush position/i.test(message)) {
		return new WorkError({
			code: 'WAL_STORE_AHEAD',
			message: `the store is ahead of ${server}: ${message}`,
			hint: 'The server was restored to an earlier point, or it is another server of the same cluster. Stream into a new --output.',
			cause: error,
		});
	}
	if (code === '42501') {
		return new UsageError({code: 'WAL_PRIVILEGES', message: `${server}: ${message}`, hint: 'wal-stream needs a role with REPLICATION (ALTER ROLE name REPLICATION).', cause: error});
	}
	return new WorkError({code: 'WAL_SOURCE_REFUSED', message: `${server} refused the WAL stream: ${message}`, hint: 'The server\'s message says why; a retry would get the same answer.', cause: error});
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Network trouble and server restarts are retried; what a retry cannot fix is not. */
function retryable(error: unknown, hadConnected: boolean): boolean {
	if (error instanceof ConnectionError) return hadConnected && !['ACCESS_DENIED', 'WRONG_PROTOCOL', 'WAL_PRIVILEGES', 'UNKNOWN_DATABASE'].includes(error.code);
	if (error instanceof DbBackupError) return error.code === 'WAL_CONNECTION_SILENT' || error.code === 'WAL_SERVER_ENDED';
	const {code, message} = serverMessage(error);
	if (code !== undefined && /^(57P0|08)/.test(code)) return true;
	if (code !== undefined && NETWORK_CODES.has(code)) return true;
	return /connection terminated|connection ended|socket|ECONNRESET|EPIPE/i.test(message);
}
