/**
 * Walks the binlogs from the replay's start and hands out each event with the transaction it belongs to:
 * where the transaction starts, its GTID, whether the backup holds it already, and whether this event is
 * its first or last. Boundaries come from TransactionTracker, so they are the streamer's boundaries.
 */
import {IntegrityError} from '../../core/errors.ts';
import {mysqlGtidSetContains, parseMariadbGtidList, parseMysqlGtidSet, type MysqlGtidSid} from '../event/gtid.ts';
import {LOG_EVENT_IGNORABLE_F_MASK, isControlEvent} from './event-kinds.ts';
import {TransactionTracker} from '../stream/transaction-tracker.ts';
import {compareBinlogNames} from '../file/binlog-dir.ts';
import {seriesOf, type BinlogCatalog} from './binlog-files.ts';
import {binlogGap, unsupportedEvent} from './errors.ts';
import {readBinlogSequence, type SequenceEnd, type SequencedEvent} from './event-sequence.ts';
import type {BinlogFlavor, ReplayStart} from './types.ts';

export interface OpenTransaction {
	gtid?: string;
	file: string;
	start: number;
	/** its GTID is in the start state: the backup has it (only checked when starting by GTID alone) */
	inBackup: boolean;
}

export interface WalkItem {
	event: SequencedEvent;
	/** absent for the events around transactions: format description, rotate, GTID lists, checkpoints */
	transaction?: OpenTransaction;
	first: boolean;
	last: boolean;
}

/** MariaDB positions compare per domain: the highest sequence number of each domain. */
function mariadbHighWater(text: string): Map<number, bigint> {
	const high = new Map<number, bigint>();
	for (const gtid of parseMariadbGtidList(text)) {
		const seen = high.get(gtid.domainId);
		if (seen === undefined || gtid.sequence > seen) high.set(gtid.domainId, gtid.sequence);
	}
	return high;
}

export class TransactionWalk {
	flavor: BinlogFlavor | undefined;
	/** commit time (epoch seconds) of the last transaction before the start, in the start file */
	lastCommitBeforeStart: number | undefined;
	/** the GTID state the binlogs show at the start position */
	gtidStateAtStart: string | undefined;
	#tracker: TransactionTracker | undefined;
	readonly #firstFile: string;
	readonly #startPosition: number;
	#mariadbStart: Map<number, bigint> | undefined;
	#mysqlStart: MysqlGtidSid[] | undefined;

	constructor(
		private readonly catalog: BinlogCatalog,
		private readonly start: ReplayStart,
	) {
		if (start.file !== undefined) {
			checkStartFilePresent(catalog, start.file, start);
			this.#firstFile = start.file;
			this.#startPosition = start.position ?? 4;
		} else {
			this.#firstFile = firstFileForGtidStart(catalog, start);
			this.#startPosition = 4;
		}
	}

	get firstFile(): string {
		return this.#firstFile;
	}

	get startPosition(): number {
		return this.#startPosition;
	}

	/** the GTID state after the last complete transaction walked */
	get gtidState(): string {
		return this.#tracker?.gtidState ?? '';
	}

	async *items(): AsyncGenerator<WalkItem, SequenceEnd> {
		const events = readBinlogSequence(this.catalog, this.#firstFile);
		try {
			return yield* this.#walk(events);
		} finally {
			await events.return({file: this.#firstFile, end: 0, trailingBytes: 0});
		}
	}

	async *#walk(events: AsyncGenerator<SequencedEvent, SequenceEnd>): AsyncGenerator<WalkItem, SequenceEnd> {
		let started = this.start.file === undefined;
		let open: OpenTransaction | undefined;
		let checkedGtidStart = false;
		let firstFileEnd = 4;
		let step = await events.next();
		while (!step.done) {
			const event = step.value;
			step = await events.next();
			const {decoded} = event;
			if (decoded.kind === 'format-description' && !this.#tracker) this.#begin(decoded.serverVersion);
			if (!started && (event.file !== this.#firstFile || event.position >= this.#startPosition)) {
				this.#arrive(event.file === this.#firstFile ? event.position : firstFileEnd, open !== undefined);
				started = true;
			}
			if (event.file === this.#firstFile) firstFileEnd = event.end;
			if (isControlEvent(decoded)) {
				if ((decoded.kind === 'mariadb-gtid-list' || decoded.kind === 'previous-gtids') && !checkedGtidStart && this.start.file === undefined) {
					checkedGtidStart = true;
					this.#checkGtidStartReaches(event);
				}
				this.#tracker!.observe(decoded);
				if (started || decoded.kind === 'format-description') yield {event, first: false, last: false};
				continue;
			}
			if ((event.decoded.header.flags & LOG_EVENT_IGNORABLE_F_MASK) !== 0 && decoded.kind === 'other') continue;
			if (decoded.kind === 'incident') {
				throw new IntegrityError({
					code: 'BINLOG_INCIDENT',
					message: `${event.file}: the server recorded an incident at position ${event.position} (${decoded.message || `type ${decoded.incidentType}`}): changes around it may be missing from the binlog`,
					hint: 'Replay only up to the incident with --until-position, then check the data against the server.',
				});
			}
			if (decoded.kind === 'other') throw unsupportedEvent(event.file, event.position, decoded.typeName, 'this version does not replay it');
			const verdict = this.#tracker!.observe(decoded);
			const first = open === undefined;
			const transaction: OpenTransaction = open ?? {gtid: verdict.gtid, file: event.file, start: event.position, inBackup: false};
			open = transaction;
			if (verdict.gtid !== undefined && transaction.gtid === undefined) transaction.gtid = verdict.gtid;
			if (first && transaction.gtid !== undefined) transaction.inBackup = this.#inBackup(transaction.gtid);
			const last = verdict.boundary;
			if (started) yield {event, transaction, first, last};
			else if (last) this.lastCommitBeforeStart = decoded.header.timestamp;
			if (last) open = undefined;
		}
		if (!started && firstFileEnd === this.#startPosition && step.value.file === this.#firstFile) {
			this.#arrive(firstFileEnd, open !== undefined);
			started = true;
		}
		if (!started) {
			throw binlogGap(
				`${this.#firstFile} ends at position ${firstFileEnd}, before ${this.start.source}'s position ${this.#startPosition}: the copy of the binlogs stops before the backup`,
			);
		}
		return step.value;
	}

	#begin(serverVersion: string): void {
		this.flavor = /mariadb/i.test(serverVersion) ? 'mariadb' : 'mysql';
		this.#tracker = new TransactionTracker(this.flavor, '');
		if (this.start.gtid !== undefined && this.start.file === undefined) {
			if (this.flavor === 'mariadb') this.#mariadbStart = mariadbHighWater(this.start.gtid);
			else this.#mysqlStart = parseMysqlGtidSet(this.start.gtid);
		}
	}

	#arrive(position: number, inside: boolean): void {
		if (position < this.#startPosition) {
			throw binlogGap(`${this.#firstFile} ends at position ${position}, before ${this.start.source}'s position ${this.#startPosition}: the copy of the binlogs stops before the backup`);
		}
		if (position !== this.#startPosition || inside) {
			throw new IntegrityError({
				code: 'BINLOG_START_NOT_AT_BOUNDARY',
				message: `${this.#firstFile}: ${this.start.source}'s position ${this.#startPosition} is not the end of a transaction in this file (${inside ? 'it falls inside a transaction' : `the nearest event starts at ${position}`})`,
				hint: 'These binlogs are not the ones the backup was taken against (another server, or a rebuilt binlog); point --binlogs at the source server\'s binlogs.',
			});
		}
		this.gtidStateAtStart = this.#tracker!.gtidState;
	}

	#inBackup(gtid: string): boolean {
		if (this.#mariadbStart) {
			const [domain, , sequence] = gtid.split('-');
			const high = this.#mariadbStart.get(Number(domain));
			return high !== undefined && BigInt(sequence!) <= high;
		}
		if (this.#mysqlStart) {
			const colon = gtid.lastIndexOf(':');
			return mysqlGtidSetContains(this.#mysqlStart, gtid.slice(0, colon), BigInt(gtid.slice(colon + 1)));
		}
		return false;
	}

	/** Starting by GTID alone: the first file's GTID list must not be ahead of what the backup holds. */
	#checkGtidStartReaches(event: SequencedEvent): void {
		const {decoded} = event;
		if (decoded.kind === 'mariadb-gtid-list' && this.#mariadbStart) {
			const before = new Map<number, bigint>();
			for (const gtid of decoded.gtids) {
				const seen = before.get(gtid.domainId);
				if (seen === undefined || gtid.sequence > seen) before.set(gtid.domainId, gtid.sequence);
			}
			for (const [domain, sequence] of before) {
				const high = this.#mariadbStart.get(domain) ?? 0n;
				if (sequence > high) {
					throw binlogGap(
						`${event.file}, the oldest binlog in ${this.catalog.dir}, starts after GTID ${domain}-…-${sequence}, but ${this.start.source} holds domain ${domain} only up to sequence ${high}: the transactions in between are in no file`,
					);
				}
			}
		}
		if (decoded.kind === 'previous-gtids' && this.#mysqlStart) {
			const held = this.#mysqlStart;
			for (const sid of decoded.set) {
				const mine = held.find((candidate) => candidate.uuid.toLowerCase() === sid.uuid.toLowerCase())?.intervals ?? [];
				for (const {start, end} of sid.intervals) {
					if (mine.some((interval) => interval.start <= start && end <= interval.end)) continue;
					throw binlogGap(
						`${event.file}, the oldest binlog in ${this.catalog.dir}, starts after ${sid.uuid}:${start}-${end - 1n}, which ${this.start.source} does not hold in full: those transactions are in no file`,
					);
				}
			}
		}
	}
}

/** The start file must be there; if not, say whether the copy starts too late, ends too early or has a hole. */
function checkStartFilePresent(catalog: BinlogCatalog, file: string, start: ReplayStart): void {
	if (catalog.files.has(file)) return;
	const series = seriesOf(catalog, file);
	const at = `${file}:${start.position ?? 4}`;
	if (series.length === 0) {
		throw binlogGap(`${catalog.dir} holds no binlog files of the series ${file.slice(0, file.lastIndexOf('.'))}; ${start.source} starts at ${at}`);
	}
	const earlier = series.filter((name) => compareBinlogNames(name, file) < 0);
	const later = series.filter((name) => compareBinlogNames(name, file) > 0);
	if (earlier.length === 0) throw binlogGap(`the binlogs in ${catalog.dir} start at ${later[0]}, after ${start.source}'s ${at}: ${file} is missing`);
	if (later.length === 0) throw binlogGap(`the binlogs in ${catalog.dir} end with ${earlier.at(-1)}, before ${start.source}'s ${at}`);
	throw binlogGap(`${file} is missing from ${catalog.dir} (it has ${earlier.at(-1)} and ${later[0]}); ${start.source} starts at ${at}`);
}

function firstFileForGtidStart(catalog: BinlogCatalog, start: ReplayStart): string {
	const oldest = catalog.names[0];
	if (oldest === undefined) throw binlogGap(`${catalog.dir} holds no binlog files`);
	const series = seriesOf(catalog, oldest);
	if (series.length !== catalog.names.length) {
		throw new IntegrityError({
			code: 'BINLOG_SERIES_AMBIGUOUS',
			message: `${catalog.dir} holds binlogs of more than one series (${[...new Set(catalog.names.map((name) => name.slice(0, name.lastIndexOf('.'))))].join(', ')}) and ${start.source} names no file`,
			hint: 'Give the file to start from with --start-position FILE:POS, or keep one server\'s binlogs in the directory.',
		});
	}
	return oldest;
}
