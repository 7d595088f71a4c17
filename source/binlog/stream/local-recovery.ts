import {IntegrityError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {BinlogDecoder} from '../event/decoder.ts';
import {ChecksumAlgorithm, checksumMatches, FIRST_EVENT_POSITION} from '../event/header.ts';
import {EventType} from '../event/types.ts';
import {listRawBinlogs, compareBinlogNames} from '../file/binlog-dir.ts';
import {splitBinlogEvents} from '../file/event-splitter.ts';
import type {BinlogFlavor} from '../flavor.ts';
import type {AppendableTarget} from '../../storage/target/types.ts';
import {readBinlogIndex, type IndexedBinlog} from './binlog-index.ts';
import {readCheckpoint, type StreamCheckpoint} from './checkpoint.ts';
import {checkOurBinlog, eventStartsAt, sizeOf, verifyClosedFile} from './copy-file-check.ts';
import {binlogTarget, type BinlogDir} from './dir-file.ts';
import {TransactionTracker} from './transaction-tracker.ts';

/** Where streaming continues: the end of the last complete transaction found in the copy. */
export interface ResumePoint {
	file: string;
	position: number;
	gtid: string;
	flavor?: BinlogFlavor;
	/** the raw file is in the directory at exactly `position` bytes (false: it is created when its first event comes) */
	fileOnDisk: boolean;
	/** `file` is complete (closed, or ended with the server's STOP): the server may only move on from it */
	complete: boolean;
	/** the format description event of our copy of `file`, when it is in the directory raw */
	formatDescription?: Buffer;
	checkpoint?: StreamCheckpoint;
}

/**
 * What recovery would do to the copy. Nothing is changed while it is planned: the cut and the removals
 * are made only once the server has confirmed it can send all of it again (resume-check.ts).
 */
export interface RecoveryPlan {
	resume: ResumePoint | undefined;
	/** the file to cut back to the end of its last complete transaction */
	cut?: {file: string; size: number; to: number};
	/** raw files after the resume point (never a closed, indexed one) */
	remove: string[];
	/** files found complete (ended with ROTATE or STOP) but not indexed yet: to close and index */
	complete: string[];
	/** the oldest binlog the copy holds (raw or indexed) */
	oldest?: string;
}

/**
 * Works out the resume point after any stop, clean or not, without changing anything. Every raw file
 * must be one of ours (the binlog magic and a format description, else an error naming it). Closed files
 * the index lists are checked against its size and SHA-256 and are never cut or removed. The walk starts
 * at the first file that is not closed: at the checkpoint when its position is an event boundary there,
 * else at the file's start, and goes forward over every whole, checksum-valid transaction.
 *
 * The plan reads the copy through its target: on an object store, the file being copied is what its
 * uploaded segments hold (storage/s3/appendable.ts), so recovery resumes from what S3 has.
 */
export async function planRecovery(dir: BinlogDir, bus: EventBus): Promise<RecoveryPlan> {
	const checkpoint = await readCheckpoint(dir);
	const raw = await listRawBinlogs(dir);
	const index = await readBinlogIndex(dir);
	const indexed = new Map<string, IndexedBinlog>(index.files.map((entry) => [entry.name, entry]));
	const known = [...new Set([...raw, ...indexed.keys()])].sort(compareBinlogNames);
	const oldest = known[0];
	if (!checkpoint && known.length === 0) return {resume: undefined, remove: [], complete: []};

	const from = checkpoint?.file;
	const atOrAfter = (name: string) => from === undefined || compareBinlogNames(name, from) >= 0;
	// every file recovery could read, cut or remove must be ours; indexed files before the checkpoint are never touched
	const kinds = new Map<string, Awaited<ReturnType<typeof checkOurBinlog>>>();
	for (const name of raw) if (atOrAfter(name) || !indexed.has(name)) kinds.set(name, await checkOurBinlog(dir, name));
	const closed = new Set<string>();
	for (const name of raw) {
		const entry = indexed.get(name);
		if (!entry) continue;
		// files before the checkpoint's are never touched; the ones recovery could touch are checked
		if (atOrAfter(name)) await verifyClosedFile(dir, entry);
		closed.add(name);
	}
	const open = raw.filter((name) => !closed.has(name) && atOrAfter(name));
	const before = raw.filter((name) => !closed.has(name) && !atOrAfter(name));
	const plan: RecoveryPlan = {resume: undefined, remove: [], complete: await completeLeftovers(dir, before, bus), oldest};

	if (open.length === 0) {
		const lastClosed = known.filter((name) => indexed.has(name) && atOrAfter(name)).at(-1);
		if (lastClosed !== undefined) {
			const entry = indexed.get(lastClosed)!;
			const atCheckpoint = checkpoint?.file === lastClosed && checkpoint.position === entry.size;
			// the server goes on from the end of the last closed file
			const kind = kinds.get(lastClosed);
			plan.resume = {
				file: lastClosed,
				position: entry.size,
				gtid: atCheckpoint ? checkpoint.gtid : '',
				flavor: checkpoint?.source.flavor,
				fileOnDisk: false,
				complete: true,
				checkpoint,
				...(kind?.kind === 'binlog' ? {formatDescription: kind.formatDescription} : {}),
			};
		} else if (checkpoint) {
			// the checkpoint's file is not in the copy (yet): the server sends it from there
			plan.resume = {file: checkpoint.file, position: checkpoint.position, gtid: checkpoint.gtid, flavor: checkpoint.source.flavor, fileOnDisk: false, complete: false, checkpoint};
		}
		return plan;
	}

	let file = open[0]!;
	let position = FIRST_EVENT_POSITION;
	let gtid = '';
	const first = kinds.get(file)!;
	if (checkpoint?.file === file) {
		const size = await sizeOf(dir, file);
		const fits = checkpoint.position === size || (checkpoint.position < size && first.kind === 'binlog' && (await eventStartsAt(dir, file, checkpoint.position, first.crc32)));
		if (fits) {
			position = checkpoint.position;
			gtid = checkpoint.gtid;
		} else {
			bus.warn(`the checkpoint's ${file}:${checkpoint.position} is not where an event starts in the copy (${size} bytes): ${file} is read from its start instead`, {
				code: 'BINLOG_CHECKPOINT_MISMATCH',
			});
		}
	}
	// without a GTID state to start from, the tracker takes the one the file's GTID list event records
	let tracker: TransactionTracker | undefined = position > FIRST_EVENT_POSITION && checkpoint ? new TransactionTracker(checkpoint.source.flavor, gtid) : undefined;
	let flavor = checkpoint?.source.flavor;
	for (;;) {
		const scan = await scanFile(dir, file, position, tracker);
		tracker = scan.tracker;
		flavor = scan.flavor ?? flavor;
		const size = await sizeOf(dir, file);
		const later = raw.filter((name) => compareBinlogNames(name, file) > 0);
		const laterClosed = later.filter((name) => closed.has(name));
		if (scan.boundary < size) plan.cut = {file, size, to: scan.boundary};
		const complete = scan.clean && (scan.next !== undefined || scan.endedWithStop);
		const next = scan.next ?? (scan.endedWithStop ? later[0] : undefined);
		if (complete) plan.complete.push(file);
		if (complete && next !== undefined && open.includes(next)) {
			file = next;
			position = FIRST_EVENT_POSITION;
			continue;
		}
		if (laterClosed.length > 0) {
			throw new IntegrityError({
				code: 'BINLOG_COPY_INCONSISTENT',
				message: `${binlogTarget(dir).describe(file)} is not complete (${scan.boundary} of ${size} bytes are whole transactions) but ${laterClosed.join(', ')} after it ${laterClosed.length === 1 ? 'is' : 'are'} closed in binlog-index.json; nothing was changed`,
				hint: 'The directory was changed by hand or by something else. Move it away and stream into a new --output directory.',
			});
		}
		plan.remove = later;
		const gtidState = tracker?.gtidState ?? '';
		if (complete && scan.next !== undefined) {
			plan.resume = {file: scan.next, position: FIRST_EVENT_POSITION, gtid: gtidState, flavor, fileOnDisk: false, complete: false, checkpoint};
		} else {
			const kind = kinds.get(file);
			plan.resume = {file, position: scan.boundary, gtid: gtidState, flavor, fileOnDisk: true, complete, checkpoint, ...(kind?.kind === 'binlog' ? {formatDescription: kind.formatDescription} : {})};
		}
		return plan;
	}
}

/** Makes the planned cut and removals, through the target; only after the server confirmed it sends all of that again. */
export async function applyRecovery(target: AppendableTarget, plan: RecoveryPlan, bus: EventBus): Promise<void> {
	if (plan.cut) {
		bus.warn(`${plan.cut.file}: cut after position ${plan.cut.to} (of ${plan.cut.size} bytes), the end of the last complete transaction; the server sends the rest again`, {code: 'BINLOG_COPY_TRUNCATED'});
		await (await target.openAppend(plan.cut.file, {create: 'existing', truncateTo: plan.cut.to})).close();
	}
	for (const name of plan.remove) {
		bus.warn(`${name}: removed, it comes after the resume point and the server sends it again`, {code: 'BINLOG_COPY_TRUNCATED'});
		await target.delete(name);
	}
}

/** Raw files before the checkpoint's file that a crash left unindexed: complete ones are to be closed. */
async function completeLeftovers(dir: BinlogDir, names: string[], bus: EventBus): Promise<string[]> {
	const complete: string[] = [];
	for (const name of names) {
		const scan = await scanFile(dir, name, FIRST_EVENT_POSITION, undefined);
		if (scan.clean && (scan.next !== undefined || scan.endedWithStop)) complete.push(name);
		else bus.warn(`${name}: before the checkpoint but not complete; it is left as it is and not indexed`, {code: 'BINLOG_COPY_INCOMPLETE'});
	}
	return complete;
}

interface FileScan {
	/** end of the last complete transaction */
	boundary: number;
	/** every byte up to the end of the file was whole, valid events */
	clean: boolean;
	/** the file ended with a ROTATE naming this file */
	next?: string;
	endedWithStop: boolean;
	tracker?: TransactionTracker;
	flavor?: BinlogFlavor;
}

async function scanFile(dir: BinlogDir, file: string, from: number, tracker: TransactionTracker | undefined): Promise<FileScan> {
	const size = await sizeOf(dir, file);
	const decoder = new BinlogDecoder();
	const kind = await checkOurBinlog(dir, file);
	if (kind.kind !== 'binlog') return {boundary: FIRST_EVENT_POSITION, clean: false, endedWithStop: false, tracker};
	const flavor = kind.flavor;
	tracker ??= new TransactionTracker(flavor);
	let boundary = from;
	let next: string | undefined;
	let endedWithStop = false;
	let clean = true;
	// the format description says whether events carry a CRC32, wherever the walk starts
	decoder.decode(kind.formatDescription);
	const stream = binlogTarget(dir).readRange(file, from === FIRST_EVENT_POSITION ? 0 : from, size);
	const events = splitBinlogEvents(stream, {file, startOffset: from === FIRST_EVENT_POSITION ? 0 : from, onTruncated: 'stop'});
	try {
		for (;;) {
			const step = await events.next();
			if (step.done) {
				clean = step.value.trailingBytes === 0;
				break;
			}
			const {event, position} = step.value;
			if (decoder.checksum === ChecksumAlgorithm.crc32 && !checksumMatches(event)) {
				clean = false;
				break;
			}
			const decoded = decoder.decode(event);
			const verdict = tracker.observe(decoded);
			next = decoded.kind === 'rotate' ? decoded.nextFile : undefined;
			endedWithStop = decoded.header.type === EventType.STOP;
			if (verdict.boundary) boundary = position + event.length;
		}
	} catch {
		clean = false;
	} finally {
		stream.destroy();
	}
	if (boundary !== size || !clean) {
		next = undefined;
		endedWithStop = false;
	}
	return {boundary, clean, next, endedWithStop, tracker, flavor};
}
