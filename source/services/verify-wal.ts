/**
 * `verify` of a WAL store (what `dbbackup wal-stream` writes): every completed segment and history file
 * read to its end (decompressed) and its size and SHA-256 compared with wal-index.json, every segment's
 * first page header naming this store's cluster, its own position and timeline, and no segment missing
 * between the first and the last the store holds.
 */
import {Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {IntegrityError} from '../core/errors.ts';
import type {EventBus} from '../core/events.ts';
import {parseSegmentFileName} from '../core/pg-replication/lsn.ts';
import {decompressStream} from '../storage/compression.ts';
import {MeterStream} from '../storage/hash.ts';
import {directoryTarget, type StorageOptions} from '../storage/target/index.ts';
import type {ArtifactTarget} from '../storage/target/types.ts';
import {readSegmentHeader} from '../wal/protocol.ts';
import {readWalCheckpoint} from '../wal/store/checkpoint.ts';
import {listStore, parseStoredName} from '../wal/store/layout.ts';
import {readWalIndex} from '../wal/store/segment-index.ts';
import {heldSegments, walGaps} from './catalog/wal-streams.ts';

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

export interface VerifiedWal {
	location: string;
	segments: number;
	histories: number;
	/** stored bytes read */
	bytes: number;
	/** completed segments with no index entry (a crash between completing and recording one): header checked only */
	unindexed: number;
}

function damaged(code: 'WAL_SEGMENT_MISSING' | 'WAL_SEGMENT_DAMAGED', message: string): IntegrityError {
	return new IntegrityError({
		code,
		message,
		hint:
			code === 'WAL_SEGMENT_MISSING'
				? 'A point-in-time restore cannot replay past the missing segment. Take a new base backup to start a chain after it, and find out what removed it.'
				: 'Recovery would stop at this segment. Take a new base backup; restore the segment from another copy if there is one.',
	});
}

/** `name`'s stored bytes through `before`, its decompression, then `sink`. */
async function readThrough(target: ArtifactTarget, name: string, compression: Parameters<typeof decompressStream>[0], before: MeterStream[], after: MeterStream[], sink: Writable): Promise<void> {
	const stages: Array<NodeJS.ReadWriteStream> = [...before, ...(compression === 'none' ? [] : [decompressStream(compression)]), ...after];
	await (pipeline as (...streams: Array<NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream>) => Promise<void>)(target.readRange(name, 0), ...stages, sink);
}

function headerProblem(head: ReturnType<typeof readSegmentHeader>, expected: {timeline: number; segment: bigint}, segmentBytes: number, systemId: string | undefined): string | undefined {
	if (!head) return 'its first page has no segment header';
	if (head.pageAddress !== expected.segment * BigInt(segmentBytes)) return `its header says it starts at another position (${head.pageAddress.toString(16)})`;
	if (head.timeline !== expected.timeline) return `its header says timeline ${head.timeline}`;
	if (systemId !== undefined && head.systemId !== systemId) return `it belongs to cluster ${head.systemId}, the store to ${systemId}`;
	return undefined;
}

export async function verifyWalStore(location: string, storage: StorageOptions, bus: EventBus): Promise<VerifiedWal> {
	bus.stage('verify', `WAL segments in ${location}`);
	const target = await directoryTarget(location, storage);
	const checkpoint = await readWalCheckpoint(target);
	const segmentBytes = checkpoint?.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
	const index = new Map((await readWalIndex(target)).files.map((entry) => [entry.stored, entry]));
	const listed = await listStore(target);
	const {held, histories} = heldSegments(listed, segmentBytes);
	const gap = walGaps(held, segmentBytes)[0];
	if (gap) {
		throw damaged('WAL_SEGMENT_MISSING', `${target.describe(gap.from)}${gap.segments > 1 ? ` (and ${gap.segments - 1} more, to ${gap.to})` : ''} is missing: the store holds segments before and after it`);
	}
	let bytes = 0;
	let segments = 0;
	let unindexed = 0;
	for (const {name} of [...listed].sort((a, b) => (a.name < b.name ? -1 : 1))) {
		const stored = parseStoredName(name);
		if (!stored || stored.kind === 'partial') continue;
		const compression = stored.kind === 'segment' ? stored.compression : 'none';
		const storedMeter = new MeterStream();
		const rawMeter = new MeterStream();
		const head: Buffer[] = [];
		let headBytes = 0;
		const sink = new Writable({
			write(chunk: Buffer, _encoding, done) {
				if (headBytes < 64) {
					head.push(chunk);
					headBytes += chunk.length;
				}
				done();
			},
		});
		await readThrough(target, name, compression, [storedMeter], [rawMeter], sink).catch((error: unknown) => {
			throw damaged('WAL_SEGMENT_DAMAGED', `${target.describe(name)} does not read to its end: ${(error as Error).message}`);
		});
		bytes += storedMeter.bytes;
		if (stored.kind === 'segment') {
			segments += 1;
			const problem = headerProblem(readSegmentHeader(Buffer.concat(head)), parseSegmentFileName(stored.segment, segmentBytes)!, segmentBytes, checkpoint?.systemId);
			if (problem) throw damaged('WAL_SEGMENT_DAMAGED', `${target.describe(name)}: ${problem}`);
		}
		const entry = index.get(name);
		if (!entry) {
			unindexed += 1;
			continue;
		}
		if (storedMeter.bytes !== entry.storedSize || storedMeter.sha256() !== entry.storedSha256 || rawMeter.bytes !== entry.size || rawMeter.sha256() !== entry.sha256) {
			throw damaged('WAL_SEGMENT_DAMAGED', `${target.describe(name)}: its size or SHA-256 differs from wal-index.json (${rawMeter.bytes} bytes, ${entry.size} recorded)`);
		}
	}
	return {location: target.describe(''), segments, histories: histories.length, bytes, unindexed};
}
