import {Reconnects, superviseStream} from '../../core/reconnect.ts';
import {connectMysql} from '../../core/connect.ts';
import {describeTarget, manifestHost, type ConnectionSettings} from '../../core/connection-settings.ts';
import {binlogSourceChanged, ConnectionError, DbBackupError, IntegrityError, WorkError} from '../../core/errors.ts';
import type {EventBus, EventPayloads} from '../../core/events.ts';
import type {Compression} from '../../storage/compression.ts';
import {claimStreamStore, type StoreClaimKind} from '../../storage/target/claim-store.ts';
import type {StorageOptions} from '../../storage/target/index.ts';
import type {AppendableTarget} from '../../storage/target/types.ts';
import {BinlogDecoder} from '../event/decoder.ts';
import {ChecksumAlgorithm, checksumMatches, FIRST_EVENT_POSITION, LOG_EVENT_ARTIFICIAL_F, markInUse, readEventHeader, type ChecksumAlgorithmValue} from '../event/header.ts';
import {EventType, eventTypeName} from '../event/types.ts';
import {formatMysqlGtidSet, parseMysqlGtidSet} from '../event/gtid.ts';
import {compareBinlogNames} from '../file/binlog-dir.ts';
import {openReplicaSession, type DumpStartPoint, type ReplicaSession, type SourceServer} from '../protocol/replica-session.ts';
import {BinlogFileSink, clearInUse, type Boundary} from './binlog-file-sink.ts';
import {indexClosedBinlog} from './binlog-index.ts';
import {writeCheckpoint} from './checkpoint.ts';
import {feedEntry, eventObject, filterAccepts, type EventFilter} from './feed.ts';
import {applyRecovery, planRecovery, type RecoveryPlan, type ResumePoint} from './local-recovery.ts';
import {BINLOG_LEASE} from './lease-lock.ts';
import {BINLOG_DIR_LOCK} from './output-lock.ts';
import {chooseStart, confirmWithServer} from './resume-check.ts';
import {checkSourceIdentity, readSourceIdentity, writeSourceIdentity} from './source-identity.ts';
import {sameFormatDescription} from './copy-file-check.ts';
import {TransactionTracker} from './transaction-tracker.ts';

export interface BinlogStreamOptions {
	settings: ConnectionSettings;
	/** a local directory, or an `s3://bucket/prefix/` the copy is written to directly */
	outputDir: string;
	/** the object store's settings (an s3:// output) */
	storage?: StorageOptions;
	/** the replica id to register as */
	serverId: number;
	/** resume a MariaDB source by GTID (the file/position continuity of the copy is still checked) */
	useGtid: boolean;
	/** 'always': fsync on every commit; 'interval': every `checkpointIntervalSeconds` */
	sync: 'always' | 'interval';
	checkpointIntervalSeconds: number;
	/** where a fresh directory starts (default: the oldest binlog the server has) */
	start?: {file: string; position: number} | {gtid: string};
	compress: Compression;
	/** ask the server to rotate (FLUSH BINARY LOGS) when the file being copied passes this size */
	rotateSize?: number;
	/** stop once caught up with the server instead of waiting for more */
	stopAtEnd?: boolean;
	/** reconnect attempts in a row before giving up; 0 = never give up */
	retries?: number;
	filter?: EventFilter;
	heartbeatSeconds?: number;
	/** no packet for this long means the connection is dead */
	deadAfterSeconds?: number;
	maxBackoffSeconds?: number;
	/** emit a binlog-event for every event (the TUI and --json); off for quiet runs */
	feed?: boolean;
}

export interface BinlogStreamSummary {
	file?: string;
	position?: number;
	gtid: string;
	events: number;
	bytes: number;
	transactions: number;
	reconnects: number;
	filesClosed: string[];
	outputDir: string;
}

type SessionEnd = {kind: 'stopped'} | {kind: 'end'};

/**
 * `binlog-stream`: copies the server's binary logs into a directory as byte-identical files, follows
 * rotations, survives disconnects and restarts, and leaves a checkpoint at a transaction boundary.
 */
export async function streamBinlogs(options: BinlogStreamOptions, bus: EventBus, signal: AbortSignal): Promise<BinlogStreamSummary> {
	const {target, unlock} = await claimStreamStore(options.outputDir, options.storage, options.sync, BINLOG_STORE);
	try {
		return await new BinlogStreamer(options, target, bus).run(signal);
	} finally {
		await unlock();
	}
}

/** A binlog copy's claim: flock on binlog-stream.lock in a directory, the lease binlog-stream.lease.json in S3. */
const BINLOG_STORE: StoreClaimKind = {
	lock: BINLOG_DIR_LOCK,
	lease: BINLOG_LEASE,
	unusableCode: 'BINLOG_OUTPUT_UNUSABLE',
	what: 'binlogs',
};

class BinlogStreamer {
	private events = 0;
	private bytes = 0;
	private transactions = 0;
	private readonly reconnects: Reconnects;
	private readonly filesClosed: string[] = [];
	private closing: Promise<void> = Promise.resolve();
	private lastBoundary: Boundary | undefined;
	private durable: Boundary | undefined;
	private checkpointed: Boundary | undefined;
	private checkpointing: Promise<void> = Promise.resolve();
	private source: SourceServer | undefined;
	/** a GTID resume skipped part of a file: this run resumes by file and position from then on */
	private positionOnly = false;
	/** a new directory records the server's identity once the first file it streams is known */
	private identityPending = false;
	private identityWrite: Promise<void> = Promise.resolve();
	/**
	 * A fresh copy always starts at the beginning of a file so that the file is complete; the feed starts
	 * where the user asked. Set from --start-position, or from where the server placed a --start-gtid.
	 */
	private freshStart: {file: string; feedFrom: number} | undefined;
	private state: EventPayloads['binlog-status']['state'] = 'connecting';
	private position: {file?: string; pos?: number} = {};
	private lastEventTimestamp = 0;
	private caughtUp = false;
	private rateWindow = {at: Date.now(), events: 0, bytes: 0, eventsPerSecond: 0, bytesPerSecond: 0};

	constructor(
		private readonly options: BinlogStreamOptions,
		/** the output directory: the copy, its checkpoint, index and identity are written through it */
		private readonly target: AppendableTarget,
		private readonly bus: EventBus,
	) {
		this.reconnects = new Reconnects({retries: options.retries, maxBackoffSeconds: options.maxBackoffSeconds, command: 'binlog-stream', gaveUpCode: 'BINLOG_RECONNECT_GAVE_UP'});
	}

	async run(signal: AbortSignal): Promise<BinlogStreamSummary> {
		const statusTimer = setInterval(() => this.emitStatus(), 1000);
		try {
			await superviseStream<RecoveryPlan>(
				{
					// files closed by the last session are indexed (and compressed) before recovery reads the directory
					closing: () => this.closing,
					plan: () => planRecovery(this.target, this.bus),
					session: (plan, sessionSignal, onReceive) => this.runSession(plan, sessionSignal, onReceive),
					triage: (caught, plan) => {
						if (caught instanceof RestartFromFileStart) return 'again';
						if (caught instanceof ResumeByPosition) {
							this.bus.warn(caught.message, {code: 'BINLOG_GTID_SKIPPED_FILE'});
							this.positionOnly = true;
							return 'again';
						}
						return explainServerRefusal(caught, plan.resume);
					},
					retryable,
					setState: (state, extra) => this.setState(state, extra),
					interrupted: {what: 'binlog stream', code: 'BINLOG_RECONNECTING'},
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

	private async runSession(plan: RecoveryPlan, signal: AbortSignal, onReceive: () => void): Promise<SessionEnd> {
		const {options, bus} = this;
		const resume = plan.resume;
		/** the copy of `file` has its last event (ROTATE or STOP): the server may only move on from it */
		let fileComplete = resume?.complete ?? false;
		const decoder = new BinlogDecoder();
		let file = resume?.file;
		let offset = resume?.position ?? 0;
		let fileOpened = false;
		let checksum: ChecksumAlgorithmValue = ChecksumAlgorithm.off;
		let tracker: TransactionTracker | undefined;
		let session: ReplicaSession | undefined;
		let rotateRequestedFor: string | undefined;
		let lastPacketAt = Date.now();
		let settle!: (end: SessionEnd) => void;
		let fail!: (error: unknown) => void;
		const finished = new Promise<SessionEnd>((resolve, reject) => {
			settle = resolve;
			fail = reject;
		});
		// awaited below; until then a failure must not count as unhandled
		finished.catch(() => {});
		let failed = false;
		const failWith = (error: unknown) => {
			failed = true;
			fail(error);
		};

		const sink = new BinlogFileSink({
			target: this.target,
			syncEveryCommit: options.sync === 'always',
			onPause: () => session?.pause(),
			onResume: () => session?.resume(),
			onDurable: (boundary) => this.onDurable(boundary),
			onFileClosed: (name) => this.fileClosed(name),
			onFailure: (error) => {
				failWith(error);
				void session?.close();
			},
		});

		const onEvent = (event: Buffer) => {
			if (failed) return;
			lastPacketAt = Date.now();
			onReceive();
			try {
				handleEvent(event);
			} catch (error) {
				failWith(error);
				void session?.close();
			}
		};

		const handleEvent = (event: Buffer) => {
			const header = readEventHeader(event);
			if (header.type === EventType.FORMAT_DESCRIPTION || checksum === ChecksumAlgorithm.crc32) {
				if ((header.type !== EventType.FORMAT_DESCRIPTION || checksum === ChecksumAlgorithm.crc32) && !checksumMatches(event)) {
					throw checksumError(file, header.logPos - header.eventSize, eventTypeName(header.type));
				}
			}
			if (header.type === EventType.HEARTBEAT || header.type === EventType.HEARTBEAT_V2) {
				this.caughtUp = true;
				return;
			}
			const decoded = decoder.decode(event);
			if (decoded.kind === 'format-description') {
				checksum = decoder.checksum;
				// the server resends the format description of the file the copy continues: it must be that file
				if (resume?.formatDescription && file === resume.file && !sameFormatDescription(resume.formatDescription, event)) {
					throw binlogSourceChanged(
						`the server's ${file} is not the file copied in ${options.outputDir} (its format description event differs: another server's binlog of the same name, or binlogs reset); nothing was written`,
					);
				}
			}
			const artificial = (header.flags & LOG_EVENT_ARTIFICIAL_F) !== 0 || header.logPos === 0;
			if (decoded.kind === 'rotate' && artificial) {
				if (!resume && !this.freshStart && decoded.position > FIRST_EVENT_POSITION) {
					this.freshStart = {file: decoded.nextFile, feedFrom: decoded.position};
					throw new RestartFromFileStart();
				}
				if (file === undefined || decoded.nextFile !== file) {
					if (file !== undefined && compareBinlogNames(decoded.nextFile, file) < 0) {
						throw gapError(`the server went back to ${decoded.nextFile} while the copy is at ${file}:${offset}`);
					}
					if (file !== undefined && !fileComplete) {
						// by GTID the server may skip what is left of a file when none of it is a transaction (it
						// rotated between SHOW BINARY LOGS and the dump): the same copy resumed by position gets it
						if (session?.start.kind !== 'position') {
							throw new ResumeByPosition(`the server, resuming by GTID, went on to ${decoded.nextFile} before the end of ${file}; resuming by file and position instead`);
						}
						throw gapError(`the server went on to ${decoded.nextFile} but the copy of ${file} ends at ${offset} without the file's last event (ROTATE or STOP)`);
					}
					file = decoded.nextFile;
					offset = decoded.position;
					fileOpened = false;
					fileComplete = false;
				}
				return;
			}
			if (artificial) return;
			if (file === undefined) throw gapError('an event arrived before the server named its binlog file');
			const start = header.logPos - header.eventSize;
			// sent again on resume (the format description at 4): the copy has it already
			if (start < offset) return;
			if (start > offset && !resume && !this.freshStart && start > FIRST_EVENT_POSITION && decoded.kind !== 'format-description') {
				// a fresh copy by GTID: the server skipped to the transaction after it inside this file
				this.freshStart = {file, feedFrom: start};
				throw new RestartFromFileStart();
			}
			if (start > offset) throw gapError(`the server sent ${file}:${start} but the copy ends at ${file}:${offset}`);
			if (fileComplete) throw gapError(`the server sent ${file}:${start}, but the copy of ${file} is complete at ${offset} bytes`);
			if (!fileOpened) {
				if (this.identityPending) this.recordIdentity(file);
				sink.switchTo(file, offset);
				fileOpened = true;
			}
			// the copy of the file being written carries the server's in-use flag until it is closed
			sink.append(decoded.kind === 'format-description' && start === FIRST_EVENT_POSITION ? markInUse(event) : event);
			offset = header.logPos;
			this.events += 1;
			this.bytes += event.length;
			this.lastEventTimestamp = header.timestamp;
			this.caughtUp = false;
			tracker ??= new TransactionTracker(this.source!.flavor, resume?.gtid ?? '');
			const verdict = tracker.observe(decoded);
			const eventFile: string = file;
			if (verdict.boundary) {
				if (verdict.gtid !== undefined) this.transactions += 1;
				let boundary: Boundary = {file: eventFile, position: offset, gtid: tracker.gtidState, timestamp: header.timestamp};
				if (decoded.kind === 'rotate') {
					file = decoded.nextFile;
					offset = FIRST_EVENT_POSITION;
					fileOpened = false;
					fileComplete = false;
					boundary = {...boundary, file: decoded.nextFile, position: FIRST_EVENT_POSITION};
				}
				this.lastBoundary = boundary;
				sink.boundary(boundary);
			}
			if (header.type === EventType.STOP) {
				// a clean shutdown ends the file without a ROTATE: it is complete as the server leaves it
				// (STOP kept, in-use flag cleared) and closed now; the next file comes after the restart
				sink.finishFile();
				fileOpened = false;
				fileComplete = true;
			}
			this.position = {file, pos: offset};
			const beforeFeedStart = this.freshStart !== undefined && eventFile === this.freshStart.file && start < this.freshStart.feedFrom;
			if (options.feed !== false && !beforeFeedStart) {
				const {schema, table} = eventObject(decoded);
				if (filterAccepts(options.filter, schema, table)) bus.emit('binlog-event', feedEntry(decoded, eventFile, verdict.gtid));
			}
			if (options.rotateSize !== undefined && offset > options.rotateSize && rotateRequestedFor !== eventFile) {
				rotateRequestedFor = eventFile;
				void this.requestRotation(eventFile);
			}
		};

		session = await openReplicaSession(
			{
				settings: options.settings,
				serverId: options.serverId,
				heartbeatSeconds: options.heartbeatSeconds ?? 1,
				nonBlocking: options.stopAtEnd,
				// nothing in the directory is cut before the server is known to send it all again
				prepare: (source) => this.prepareSession(plan, source),
			},
			{
				onEvent,
				// EOF is the answer to a non-blocking dump; otherwise the server is going away (shutdown)
				onEnd: () =>
					options.stopAtEnd
						? settle({kind: 'end'})
						: failWith(new WorkError({code: 'BINLOG_SERVER_ENDED', message: 'the server ended the binlog stream (it may be shutting down)'})),
				onError: (error) => failWith(error),
			},
		).catch(async (error) => {
			await sink.close().catch(() => {});
			throw error;
		});
		this.source = session.source;
		const start = session.start;
		checksum = session.source.checksum === 'CRC32' ? ChecksumAlgorithm.crc32 : ChecksumAlgorithm.off;
		if (start?.kind === 'position') {
			bus.log('info', `streaming ${describeTarget(options.settings)} from ${start.file}:${start.position}`);
		} else if (start?.kind === 'mariadb-gtid') {
			bus.log('info', `streaming ${describeTarget(options.settings)} after GTID ${start.gtid}${file === undefined ? '' : ` (copy at ${file}:${offset})`}`);
		} else if (start?.kind === 'mysql-gtid') {
			bus.log('info', `streaming ${describeTarget(options.settings)} by GTID (COM_BINLOG_DUMP_GTID), without GTID set ${formatMysqlGtidSet(start.set)}${file === undefined ? '' : ` (copy at ${file}:${offset})`}`);
		}
		this.setState('streaming');

		const deadAfter = (options.deadAfterSeconds ?? Math.max(5, 3 * (options.heartbeatSeconds ?? 1))) * 1000;
		const watchdog = setInterval(() => {
			if (Date.now() - lastPacketAt > deadAfter) {
				failWith(new WorkError({code: 'BINLOG_CONNECTION_SILENT', message: `no packet from the server for ${Math.round(deadAfter / 1000)} s (heartbeats stopped)`}));
				void session?.close();
			}
		}, 500);
		const checkpointTimer = setInterval(() => this.checkpointSoon(sink), options.checkpointIntervalSeconds * 1000);
		const onAbort = () => settle({kind: 'stopped'});
		signal.addEventListener('abort', onAbort, {once: true});
		try {
			const end = await finished;
			this.setState('stopping');
			return end;
		} finally {
			signal.removeEventListener('abort', onAbort);
			clearInterval(watchdog);
			clearInterval(checkpointTimer);
			await session.close();
			await sink.close().catch((error) => {
				if (!failed) throw error;
			});
			if (!failed) await this.trimToBoundary();
			await this.identityWrite;
			await this.checkpointing;
			await this.writeCheckpointIfNew();
		}
	}

	/**
	 * Connected, before the dump: the server must be the directory's, and able to send again whatever
	 * recovery cuts or removes; only then is the copy cut, and the start point chosen.
	 */
	private async prepareSession(plan: RecoveryPlan, source: SourceServer): Promise<DumpStartPoint | undefined> {
		const dir = this.options.outputDir;
		this.source = source;
		const recorded = await readSourceIdentity(this.target);
		if (recorded) checkSourceIdentity(this.target, recorded, source);
		this.checkSourceMatches(plan.resume);
		confirmWithServer(dir, plan, source);
		if (!recorded) {
			if (plan.oldest !== undefined) await writeSourceIdentity(this.target, source, plan.oldest, manifestHost(this.options.settings));
			else this.identityPending = true;
		}
		await applyRecovery(this.target, plan, this.bus);
		for (const name of plan.complete) this.fileClosed(name);
		return this.startPoint(plan.resume, source);
	}

	private recordIdentity(firstFile: string): void {
		const source = this.source;
		this.identityPending = false;
		if (!source) return;
		this.identityWrite = writeSourceIdentity(this.target, source, firstFile, manifestHost(this.options.settings)).then(
			() => {},
			(error: Error) => this.bus.warn(`${this.options.outputDir}: the server's identity was not recorded: ${error.message}`, {code: 'BINLOG_IDENTITY_FAILED'}),
		);
	}

	private startPoint(resume: ResumePoint | undefined, source: SourceServer): DumpStartPoint | undefined {
		const {options} = this;
		if (resume) return chooseStart(resume, source, options.useGtid && !this.positionOnly);
		if (this.freshStart) return {kind: 'position', file: this.freshStart.file, position: FIRST_EVENT_POSITION};
		if (!options.start) return undefined;
		// MariaDB: the GTID position of the last transaction held; MySQL: the GTID set held (a backup's gtid_executed)
		if ('gtid' in options.start) {
			return source.flavor === 'mariadb' ? {kind: 'mariadb-gtid', gtid: options.start.gtid} : {kind: 'mysql-gtid', set: parseMysqlGtidSet(options.start.gtid)};
		}
		this.freshStart = {file: options.start.file, feedFrom: options.start.position};
		return {kind: 'position', file: options.start.file, position: FIRST_EVENT_POSITION};
	}

	private checkSourceMatches(resume: ResumePoint | undefined): void {
		const previous = resume?.checkpoint?.source;
		if (!previous || !this.source) return;
		if (previous.serverId !== this.source.serverId || previous.flavor !== this.source.flavor) {
			throw binlogSourceChanged(`the copy in ${this.options.outputDir} comes from ${previous.flavor} server id ${previous.serverId}, but this server is ${this.source.flavor} server id ${this.source.serverId}`);
		}
	}

	/** a clean stop leaves the current file ending at a transaction boundary */
	private async trimToBoundary(): Promise<void> {
		const boundary = this.lastBoundary;
		if (!boundary) return;
		const size = await this.target.stat(boundary.file).then((info) => info?.bytes, () => undefined);
		if (size !== undefined && size > boundary.position) await (await this.target.openAppend(boundary.file, {create: 'existing', truncateTo: boundary.position})).close();
	}

	private onDurable(boundary: Boundary): void {
		this.durable = boundary;
		this.bus.emit('binlog-durable', {file: boundary.file, pos: boundary.position, gtid: boundary.gtid, eventTime: new Date(boundary.timestamp * 1000).toISOString()});
	}

	private checkpointSoon(sink: BinlogFileSink): void {
		if (this.options.sync === 'interval') sink.sync();
		this.checkpointing = this.checkpointing
			.then(() => sink.settle())
			.then(() => this.writeCheckpointIfNew())
			.catch((error: Error) => this.bus.warn(`checkpoint not written: ${error.message}`, {code: 'BINLOG_CHECKPOINT_FAILED'}));
	}

	private async writeCheckpointIfNew(): Promise<void> {
		const boundary = this.durable;
		if (!boundary || !this.source || boundary === this.checkpointed) return;
		await writeCheckpoint(this.target, {
			file: boundary.file,
			position: boundary.position,
			gtid: boundary.gtid,
			eventTime: boundary.timestamp > 0 ? new Date(boundary.timestamp * 1000).toISOString() : undefined,
			source: {flavor: this.source.flavor, serverId: this.source.serverId, host: manifestHost(this.options.settings)},
		});
		this.checkpointed = boundary;
	}

	private fileClosed(name: string): void {
		this.filesClosed.push(name);
		this.closing = this.closing.then(async () => {
			try {
				// a file a crash left complete but unclosed still has the in-use flag the server has cleared
				await clearInUse(this.target, name);
				const entry = await indexClosedBinlog(this.target, name, this.options.compress);
				this.bus.log('info', `${name} closed: ${entry.size} bytes, sha256 ${entry.sha256}${entry.compression === 'none' ? '' : `, stored as ${entry.stored}`}`);
			} catch (error) {
				this.bus.warn(`${name}: closed, but not indexed${this.options.compress === 'none' ? '' : ' or compressed'}: ${(error as Error).message}; the raw file stays`, {
					code: 'BINLOG_INDEX_FAILED',
				});
			}
		});
	}

	private async requestRotation(file: string): Promise<void> {
		try {
			const connection = await connectMysql(this.options.settings);
			try {
				await connection.query('FLUSH BINARY LOGS');
				this.bus.log('info', `${file} passed rotate_size (${this.options.rotateSize} bytes): asked the server to rotate`);
			} finally {
				await connection.end().catch(() => {});
			}
		} catch (error) {
			this.bus.warn(`${file} passed rotate_size but the server was not rotated: ${(error as Error).message}`, {
				code: 'BINLOG_ROTATE_FAILED',
				hint: 'FLUSH BINARY LOGS needs the RELOAD privilege; without it files rotate at the server\'s max_binlog_size.',
			});
		}
	}

	private setState(state: EventPayloads['binlog-status']['state'], extra: {attempt?: number; retryInSeconds?: number; reason?: string} = {}): void {
		this.state = state;
		this.emitStatus(extra);
	}

	private emitStatus(extra: {attempt?: number; retryInSeconds?: number; reason?: string} = {}): void {
		const now = Date.now();
		const window = this.rateWindow;
		const seconds = (now - window.at) / 1000;
		if (seconds >= 0.9) {
			window.eventsPerSecond = (this.events - window.events) / seconds;
			window.bytesPerSecond = (this.bytes - window.bytes) / seconds;
			window.at = now;
			window.events = this.events;
			window.bytes = this.bytes;
		}
		const lag = this.state !== 'streaming' || this.lastEventTimestamp === 0 ? undefined : this.caughtUp ? 0 : Math.max(0, now / 1000 - this.lastEventTimestamp);
		this.bus.emit('binlog-status', {
			state: this.state,
			file: this.position.file,
			pos: this.position.pos,
			gtid: this.lastBoundary?.gtid,
			lag,
			eventsPerSecond: window.eventsPerSecond,
			bytesPerSecond: window.bytesPerSecond,
			events: this.events,
			bytes: this.bytes,
			durableFile: this.durable?.file,
			durablePos: this.durable?.position,
			reconnects: this.reconnects.count,
			...extra,
		});
		if (lag !== undefined) this.bus.emit('lag', {seconds: lag});
	}

	private summary(): BinlogStreamSummary {
		return {
			file: this.checkpointed?.file ?? this.position.file,
			position: this.checkpointed?.position ?? this.position.pos,
			gtid: this.checkpointed?.gtid ?? '',
			events: this.events,
			bytes: this.bytes,
			transactions: this.transactions,
			reconnects: this.reconnects.count,
			filesClosed: this.filesClosed,
			outputDir: this.options.outputDir,
		};
	}
}

/** A fresh copy started by GTID landed inside a file: start again at that file's beginning. */
class RestartFromFileStart extends Error {}

/** A GTID resume skipped the end of the copy's current file: start again by file and position. */
class ResumeByPosition extends Error {}

function checksumError(file: string | undefined, position: number, type: string): IntegrityError {
	return new IntegrityError({
		code: 'BINLOG_CHECKSUM',
		message: `the ${type} event at ${file ?? '?'}:${position} failed its CRC32 check; it was not written`,
		hint: 'The event was damaged on the way or on the server. Run binlog-stream again: it resumes before that event.',
	});
}

function gapError(detail: string): WorkError {
	return new WorkError({
		code: 'BINLOG_GAP',
		message: `the binlog stream does not continue the copy: ${detail}`,
		hint: 'The server may have purged the binlogs the copy needs, or the directory holds another server\'s files. Stream into a new --output directory.',
	});
}

/** the server still runs the dump of our previous connection (it notices the closed socket at its next write) */
const SAME_REPLICA_ID = /same server_uuid\/server_id is already connected/i;

/**
 * ER_MASTER_FATAL_ERROR_READING_BINLOG: the server cannot send what the copy needs next. Its message
 * says why, and only some of those reasons are purged binlogs: each is named for what it is.
 */
function explainServerRefusal(error: unknown, resume: ResumePoint | undefined): unknown {
	const {errno, sqlMessage} = (error ?? {}) as {errno?: number; sqlMessage?: string};
	if (errno !== 1236 || SAME_REPLICA_ID.test(sqlMessage ?? '')) return error;
	const where = resume ? `${resume.file}:${resume.position}${resume.gtid ? ` (GTID ${resume.gtid})` : ''}` : 'the start point';
	const said = sqlMessage ?? (error as Error).message;
	if (/purged|could not find first log file/i.test(said)) {
		return new WorkError({
			code: 'BINLOG_SOURCE_PURGED',
			message: `the server no longer has the binlog the copy needs from ${where}: ${said}`,
			hint: 'The server purged binlogs the copy still needs (a gap that cannot be filled). Take a new full backup and stream into a new --output directory from its coordinates.',
			cause: error,
		});
	}
	if (/gtid/i.test(said)) {
		return new WorkError({
			code: 'BINLOG_GTID_NOT_ON_SERVER',
			message: `the server refused the copy's GTID position at ${where}: ${said}`,
			hint: 'The server\'s GTID history does not contain the copy\'s (a different or diverged server, or reset binlogs). Check --host, or run with --no-gtid; else stream into a new --output directory.',
			cause: error,
		});
	}
	return new WorkError({
		code: 'BINLOG_SOURCE_REFUSED',
		message: `the server refused to send the binlog from ${where}: ${said}`,
		hint: 'The server\'s message says why; a retry would get the same answer.',
		cause: error,
	});
}

/** Network trouble and server restarts are retried; what a retry cannot fix is not. */
function retryable(error: unknown, hadConnected: boolean): boolean {
	if (error instanceof ConnectionError) return hadConnected && error.code !== 'ACCESS_DENIED';
	if (error instanceof DbBackupError) return error.code === 'BINLOG_CONNECTION_SILENT' || error.code === 'BINLOG_SERVER_ENDED';
	const {code, errno, sqlMessage} = (error ?? {}) as {code?: string; errno?: number; sqlMessage?: string};
	if (SAME_REPLICA_ID.test(sqlMessage ?? '')) return true;
	if (errno === 1236 || errno === 1045 || errno === 1227 || errno === 1044) return false;
	return (
		code === 'PROTOCOL_CONNECTION_LOST' ||
		code === 'ECONNRESET' ||
		code === 'ECONNREFUSED' ||
		code === 'EPIPE' ||
		code === 'ETIMEDOUT' ||
		code === 'ER_SERVER_SHUTDOWN' ||
		code === 'ER_CONNECTION_KILLED' ||
		code === 'ER_NET_READ_ERROR' ||
		code === 'ER_NET_READ_INTERRUPTED' ||
		errno === 1053 ||
		errno === 1927 ||
		errno === 2013
	);
}
