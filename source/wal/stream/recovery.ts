import {pipeline} from 'node:stream/promises';
import {Writable} from 'node:stream';
import {IntegrityError} from '../../core/errors.ts';
import type {EventBus} from '../../core/events.ts';
import {formatLsn, parseSegmentFileName, segmentFileName, segmentOf, segmentStart, type Lsn} from '../../core/pg-replication/lsn.ts';
import {decompressStream, extensionFor, type Compression} from '../../storage/compression.ts';
import type {AppendableTarget, ArtifactTarget} from '../../storage/target/types.ts';
import {readSegmentHeader, type SegmentHeader} from '../protocol.ts';
import {checkpointLsn, readWalCheckpoint, type WalCheckpoint} from '../store/checkpoint.ts';
import {listStore, parseStoredName, partialName, timelineOfName} from '../store/layout.ts';
import {readWalIndex} from '../store/segment-index.ts';

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

/** Where a store continues, read from its files before anything in it changes. */
export interface ResumePlan {
	checkpoint: WalCheckpoint | undefined;
	/** the cluster the store holds (the checkpoint's, or a segment's header); undefined for an empty store */
	systemId: string | undefined;
	segmentBytes: number | undefined;
	/** where the stream continues; undefined: an empty store, started where the slot holds WAL from */
	resume: {timeline: number; lsn: Lsn} | undefined;
	/** the segment being filled is cut to this many bytes before streaming, once the server is confirmed */
	cut: {name: string; bytes: number} | undefined;
	/** full segments whose completion (rename, compression, index) a stop cut short */
	pendingCompletions: string[];
	/** the history files the store has */
	histories: Set<string>;
}

interface Found {
	/** completed segments: name → compression */
	complete: Map<string, Compression>;
	/** segments being filled, or left so (an old timeline's last): name → size */
	partials: Map<string, number>;
	histories: Set<string>;
}

async function survey(target: ArtifactTarget): Promise<Found> {
	const found: Found = {complete: new Map(), partials: new Map(), histories: new Set()};
	for (const entry of await listStore(target)) {
		const stored = parseStoredName(entry.name);
		if (stored?.kind === 'segment') found.complete.set(stored.segment, stored.compression);
		else if (stored?.kind === 'partial') found.partials.set(stored.segment, entry.bytes);
		else if (stored?.kind === 'history') found.histories.add(stored.name);
	}
	// a segment indexed whose file was removed (prune) still counts as done: the stream never goes back to it
	for (const file of (await readWalIndex(target)).files) if (!found.complete.has(file.name) && parseStoredName(file.name)?.kind === 'segment') found.complete.set(file.name, file.compression);
	return found;
}

/** The first bytes of a stored segment (decompressed), enough for its long page header. */
export async function segmentHead(target: ArtifactTarget, name: string, compression: Compression): Promise<SegmentHeader | undefined> {
	const chunks: Buffer[] = [];
	let bytes = 0;
	const enough = new Error('enough');
	const collect = new Writable({
		write(chunk: Buffer, _encoding, done) {
			chunks.push(chunk);
			bytes += chunk.length;
			// the rest of a compressed segment is not needed
			done(bytes >= 64 ? enough : undefined);
		},
	});
	const end = compression === 'none' ? 64 : undefined;
	await pipeline(target.readRange(name, 0, end), decompressStream(compression), collect).catch(() => undefined);
	return readSegmentHeader(Buffer.concat(chunks));
}

function bySegment(segmentBytes: number) {
	return (a: string, b: string) => {
		const left = parseSegmentFileName(a, segmentBytes)!;
		const right = parseSegmentFileName(b, segmentBytes)!;
		return left.timeline - right.timeline || (left.segment < right.segment ? -1 : left.segment > right.segment ? 1 : 0);
	};
}

/**
 * Reads the store and plans where the stream continues. With a checkpoint: at its flushed LSN, past any
 * segment completed after it; the segment being filled keeps what the checkpoint covers and loses what it
 * does not (the slot never passed the checkpoint, so the server still has it). Without one (moved away):
 * after the newest complete segment. Nothing is changed here.
 */
export async function planResume(target: AppendableTarget, bus: EventBus): Promise<ResumePlan> {
	const checkpoint = await readWalCheckpoint(target);
	const found = await survey(target);
	const plan: ResumePlan = {checkpoint, systemId: checkpoint?.systemId, segmentBytes: checkpoint?.segmentBytes, resume: undefined, cut: undefined, pendingCompletions: [], histories: found.histories};
	if (checkpoint) {
		plan.resume = {timeline: checkpoint.timeline, lsn: checkpointLsn(checkpoint)};
	} else {
		const rebuilt = await resumeFromFiles(target, found);
		if (!rebuilt) return plan;
		Object.assign(plan, rebuilt);
		bus.warn(`${target.describe('')}: no checkpoint; the stream continues after what the store's segment files hold (${formatLsn(rebuilt.resume.lsn)} on timeline ${rebuilt.resume.timeline})`, {code: 'WAL_CHECKPOINT_INVALID'});
	}
	const segmentBytes = plan.segmentBytes!;
	const size = BigInt(segmentBytes);
	const timeline = plan.resume!.timeline;
	let lsn = plan.resume!.lsn;
	// completed after the checkpoint was written: a completed segment was synced before it was renamed
	while (found.complete.has(segmentFileName(timeline, segmentOf(lsn, segmentBytes), segmentBytes))) lsn = segmentStart(segmentOf(lsn, segmentBytes) + 1n, segmentBytes);
	const active = segmentFileName(timeline, segmentOf(lsn, segmentBytes), segmentBytes);
	const offset = Number(lsn % size);
	const held = found.partials.get(active);
	const where = target.describe(partialName(active));
	if (held === undefined) {
		if (offset > 0) {
			bus.warn(`${where} is missing though the checkpoint says ${offset} bytes of it were stored; the segment is streamed again from its start`, {code: 'WAL_COPY_TRUNCATED'});
			lsn -= BigInt(offset);
		}
	} else if (held < offset) {
		bus.warn(`${where} has ${held} bytes where the checkpoint says ${offset} were stored; the segment is streamed again from its start`, {code: 'WAL_COPY_TRUNCATED'});
		lsn -= BigInt(offset);
		plan.cut = {name: partialName(active), bytes: 0};
	} else {
		if (held >= 40) await checkForeign(target, partialName(active), 'none', plan.systemId!, segmentBytes);
		if (held > offset) plan.cut = {name: partialName(active), bytes: offset};
	}
	plan.resume = {timeline, lsn};
	// full segments the stream is past (on this timeline, or an older one) whose completion did not happen
	for (const [name, bytes] of found.partials) {
		if (name === active || bytes !== segmentBytes || found.complete.has(name)) continue;
		if (timelineOfName(name) < timeline || (timelineOfName(name) === timeline && bySegment(segmentBytes)(name, active) < 0)) plan.pendingCompletions.push(name);
	}
	// and those renamed but not yet indexed or compressed: a `.partial` beside its complete segment
	for (const [name] of found.partials) if (found.complete.has(name) && !plan.pendingCompletions.includes(name)) plan.pendingCompletions.push(name);
	plan.pendingCompletions.sort(bySegment(segmentBytes));
	return plan;
}

/** Without a checkpoint: after the newest complete segment (or at the start of the newest one being filled). */
async function resumeFromFiles(target: ArtifactTarget, found: Found): Promise<{systemId: string; segmentBytes: number; resume: {timeline: number; lsn: Lsn}} | undefined> {
	const candidates = [...found.complete.keys()].map((name) => ({name, complete: true})).concat([...found.partials.keys()].map((name) => ({name, complete: false})));
	if (candidates.length === 0) return undefined;
	// the segment size is in every segment's header; the names sort the same whatever it is
	candidates.sort((a, b) => bySegment(DEFAULT_SEGMENT_BYTES)(a.name, b.name) || Number(a.complete) - Number(b.complete));
	for (const candidate of candidates.reverse()) {
		const stored = candidate.complete ? storedName(candidate.name, found.complete.get(candidate.name)!) : partialName(candidate.name);
		const header = await segmentHead(target, stored, candidate.complete ? found.complete.get(candidate.name)! : 'none');
		if (!header) continue;
		const {timeline, segment} = parseSegmentFileName(candidate.name, header.segmentBytes)!;
		const lsn = segmentStart(candidate.complete ? segment + 1n : segment, header.segmentBytes);
		return {systemId: header.systemId, segmentBytes: header.segmentBytes, resume: {timeline, lsn}};
	}
	return undefined;
}

function storedName(segment: string, compression: Compression): string {
	return `${segment}${extensionFor(compression)}`;
}

/** A segment file of another cluster in the store is never continued. */
async function checkForeign(target: ArtifactTarget, name: string, compression: Compression, systemId: string, segmentBytes: number): Promise<void> {
	const header = await segmentHead(target, name, compression);
	if (!header) return;
	if (header.systemId !== systemId || header.segmentBytes !== segmentBytes) {
		throw new IntegrityError({
			code: 'WAL_FOREIGN_FILE',
			message: `${target.describe(name)} holds WAL of system ${header.systemId} (segments of ${header.segmentBytes} bytes), not of the store's system ${systemId}; nothing was changed`,
			hint: 'Something copied another cluster\'s WAL into the store: move that file away, or stream into a new --output.',
		});
	}
}
