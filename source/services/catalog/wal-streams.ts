/**
 * WAL stores (what `dbbackup wal-stream` writes) as the catalog and verify see them: the cluster they
 * belong to, the segments held per timeline, the one being filled, the checkpoint and its age, the
 * segments missing between the first and the last held, and whether a streamer holds the store now.
 */
import {parseSegmentFileName} from '../../core/pg-replication/lsn.ts';
import {toDbBackupError} from '../../core/errors.ts';
import {readWalCheckpoint, type WalCheckpoint} from '../../wal/store/checkpoint.ts';
import {CHECKPOINT_NAME, INDEX_NAME, LEASE_NAME, LOCK_NAME, listStore, parseStoredName} from '../../wal/store/layout.ts';
import {readWalIndex, type IndexedWal} from '../../wal/store/segment-index.ts';
import type {ArtifactStat} from '../../storage/target/types.ts';
import {storeRunState, type StreamCandidate} from './streams.ts';
import type {CatalogWalStream, WalGap} from './types.ts';

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

/** Whether the listing looks like a WAL store: its own files, or segment files. */
export function looksLikeWalStore(listed: readonly ArtifactStat[]): boolean {
	return listed.some((stat) => stat.name === CHECKPOINT_NAME || stat.name === INDEX_NAME || parseStoredName(stat.name) !== undefined);
}

/** Segment numbers with no file between the lowest and the highest held (on any timeline), as runs of names on the timeline before them. */
export function walGaps(held: ReadonlyMap<bigint, string>, segmentBytes: number): WalGap[] {
	const numbers = [...held.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
	const perLog = 0x100000000n / BigInt(segmentBytes);
	const hex = (value: bigint) => value.toString(16).toUpperCase().padStart(8, '0');
	const gaps: WalGap[] = [];
	for (let index = 1; index < numbers.length; index++) {
		const previous = numbers[index - 1]!;
		const current = numbers[index]!;
		if (current - previous <= 1n) continue;
		const timeline = held.get(previous)!.slice(0, 8);
		const name = (segment: bigint) => `${timeline}${hex(segment / perLog)}${hex(segment % perLog)}`;
		gaps.push({from: name(previous + 1n), to: name(current - 1n), segments: Number(current - previous - 1n)});
	}
	return gaps;
}

/** The segments a store holds, by segment number (the newest timeline's file where several hold one), plus the one being filled. */
export function heldSegments(listed: readonly ArtifactStat[], segmentBytes: number): {held: Map<bigint, string>; partial?: string; histories: string[]} {
	const held = new Map<bigint, string>();
	let partial: string | undefined;
	const histories: string[] = [];
	for (const {name} of listed) {
		const stored = parseStoredName(name);
		if (!stored) continue;
		if (stored.kind === 'history') {
			histories.push(stored.name);
			continue;
		}
		const parsed = parseSegmentFileName(stored.segment, segmentBytes);
		if (!parsed) continue;
		if (stored.kind === 'partial') partial = partial === undefined || stored.segment > partial ? stored.segment : partial;
		const before = held.get(parsed.segment);
		if (before === undefined || stored.segment > before) held.set(parsed.segment, stored.segment);
	}
	return {held, ...(partial === undefined ? {} : {partial}), histories: histories.sort()};
}

export async function readWalStream(candidate: StreamCandidate, now: Date): Promise<CatalogWalStream> {
	const target = candidate.location.target;
	const problems: string[] = [];
	const attempt = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
		try {
			return await read();
		} catch (error) {
			problems.push(toDbBackupError(error).message);
			return undefined;
		}
	};
	const running = await storeRunState(candidate, now, {lock: LOCK_NAME, lease: LEASE_NAME});
	const checkpoint: WalCheckpoint | undefined = await attempt(() => readWalCheckpoint(target));
	const indexed: IndexedWal[] = (await attempt(() => readWalIndex(target)))?.files ?? [];
	const listed = (await attempt(() => listStore(target))) ?? [...candidate.listed];
	const segmentBytes = checkpoint?.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
	const {held, partial, histories} = heldSegments(listed, segmentBytes);
	const names = [...held.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, name]) => name);
	const present = new Set(listed.map((stat) => stat.name));
	const completed = indexed.filter((file) => present.has(file.stored) && parseStoredName(file.name)?.kind === 'segment');
	return {
		url: candidate.url,
		relative: candidate.relative,
		...(checkpoint ? {systemId: checkpoint.systemId, timeline: checkpoint.timeline, segmentBytes, host: checkpoint.host, slot: checkpoint.slot} : {}),
		...(names.length > 0 ? {firstSegment: names[0], lastSegment: names.at(-1)} : {}),
		segments: held.size,
		completedBytes: completed.reduce((sum, file) => sum + file.storedSize, 0),
		...(partial ? {partial} : {}),
		histories,
		...(checkpoint
			? {checkpoint: {flushLsn: checkpoint.flushLsn, timeline: checkpoint.timeline, updatedAt: checkpoint.updatedAt, ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(checkpoint.updatedAt)) / 1000))}}
			: {}),
		gaps: walGaps(held, segmentBytes),
		running,
		...(problems.length > 0 ? {problem: problems.join('; ')} : {}),
	};
}
