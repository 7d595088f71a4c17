import {readdir} from 'node:fs/promises';
import path from 'node:path';
import {COMPRESSIONS, extensionFor, type Compression} from '../../storage/compression.ts';
import type {ArtifactStat, ArtifactTarget} from '../../storage/target/types.ts';

/*
 * A WAL store (a directory or an S3 prefix), as wal-stream writes it:
 *   000000010000000000000003          a completed segment, byte-identical to the server's pg_wal file
 *   000000010000000000000003.zst      … or compressed (--compress zstd|gzip|lz4: .zst, .gz, .lz4)
 *   000000010000000000000004.partial  the segment being filled (in S3: segment objects under it)
 *   00000002.history                  a timeline's history file, as the server has it
 *   wal-index.json                    size and SHA-256 of every completed segment and history file
 *   wal-stream.checkpoint.json        timeline, flushed LSN, system id, segment size, slot
 *   wal-stream.lock / wal-stream.lease.json   the streamer's claim (flock; the lease in S3)
 */

export const CHECKPOINT_NAME = 'wal-stream.checkpoint.json';
export const INDEX_NAME = 'wal-index.json';
export const LOCK_NAME = 'wal-stream.lock';
export const LEASE_NAME = 'wal-stream.lease.json';
export const PARTIAL_SUFFIX = '.partial';

const SEGMENT = /^[0-9A-F]{24}$/;
const HISTORY = /^[0-9A-F]{8}\.history$/;

export function isSegmentName(name: string): boolean {
	return SEGMENT.test(name);
}

export function isHistoryName(name: string): boolean {
	return HISTORY.test(name);
}

export function partialName(segment: string): string {
	return `${segment}${PARTIAL_SUFFIX}`;
}

/** The timeline a segment or history file name belongs to. */
export function timelineOfName(name: string): number {
	return Number.parseInt(name.slice(0, 8), 16);
}

/** What one stored artifact of a WAL store is. */
export type StoredWal =
	| {kind: 'segment'; segment: string; compression: Compression}
	| {kind: 'partial'; segment: string}
	| {kind: 'history'; name: string};

export function parseStoredName(name: string): StoredWal | undefined {
	if (isHistoryName(name)) return {kind: 'history', name};
	if (isSegmentName(name)) return {kind: 'segment', segment: name, compression: 'none'};
	if (name.endsWith(PARTIAL_SUFFIX) && isSegmentName(name.slice(0, -PARTIAL_SUFFIX.length))) return {kind: 'partial', segment: name.slice(0, -PARTIAL_SUFFIX.length)};
	for (const compression of COMPRESSIONS) {
		const extension = extensionFor(compression);
		if (compression !== 'none' && name.endsWith(extension) && isSegmentName(name.slice(0, -extension.length))) return {kind: 'segment', segment: name.slice(0, -extension.length), compression};
	}
	return undefined;
}

/** The names a completed segment can be stored under: raw first, then compressed. */
export function storedNamesOf(segment: string): string[] {
	return [segment, ...COMPRESSIONS.filter((compression) => compression !== 'none').map((compression) => `${segment}${extensionFor(compression)}`)];
}

/**
 * Every artifact of the store, the segment being filled included: an object store lists it (from its
 * segments), a local directory's list leaves `.partial` files out (they are work in progress to every
 * other reader), so they are read from the directory itself.
 */
export async function listStore(target: ArtifactTarget): Promise<ArtifactStat[]> {
	const listed = await target.list();
	const probe = target.localPath(CHECKPOINT_NAME);
	if (probe === undefined) return listed;
	const names = new Set(listed.map((entry) => entry.name));
	for (const name of await readdir(path.dirname(probe)).catch(() => [] as string[])) {
		if (names.has(name) || parseStoredName(name)?.kind !== 'partial') continue;
		const info = await target.stat(name).catch(() => undefined);
		if (info) listed.push(info);
	}
	return listed;
}
