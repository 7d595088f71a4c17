import {IntegrityError} from '../../core/errors.ts';
import {formatLsn, parseLsn, type Lsn} from '../../core/pg-replication/lsn.ts';
import {readDirFile, storeTarget, writeDirFile, type StoreDir} from '../../storage/target/dir-file.ts';
import {CHECKPOINT_NAME} from './layout.ts';

const CHECKPOINT_VERSION = 1;

/**
 * What the store holds durably, and whose it is. Written after the WAL up to `flushLsn` is synced, and
 * before the server is told that position is flushed: the slot never passes it.
 */
export interface WalCheckpoint {
	version: 1;
	/** the cluster's system identifier (IDENTIFY_SYSTEM): a store holds one cluster's WAL */
	systemId: string;
	timeline: number;
	/** everything before this LSN, on `timeline` and the timelines it descends from, is in the store (X/X) */
	flushLsn: string;
	/** the segment that LSN falls in, for people reading the file */
	segment: string;
	segmentBytes: number;
	/** the physical replication slot the stream uses */
	slot: string;
	/** the server, as the manifest of a backup names it (no credentials) */
	host: string;
	updatedAt: string;
}

export const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

export async function readWalCheckpoint(dir: StoreDir): Promise<WalCheckpoint | undefined> {
	const file = storeTarget(dir).describe(CHECKPOINT_NAME);
	const parsed = await readDirFile<WalCheckpoint>(dir, CHECKPOINT_NAME, CHECKPOINT_VERSION, badCheckpoint);
	if (!parsed) return undefined;
	if (typeof parsed.systemId !== 'string' || !/^\d+$/.test(parsed.systemId)) throw badCheckpoint(file, 'its "systemId" is not a system identifier');
	if (!Number.isSafeInteger(parsed.timeline) || parsed.timeline! < 1) throw badCheckpoint(file, 'its "timeline" is not a timeline number');
	try {
		parseLsn(String(parsed.flushLsn));
	} catch {
		throw badCheckpoint(file, 'its "flushLsn" is not a WAL position (X/X)');
	}
	const bytes = parsed.segmentBytes;
	if (!Number.isSafeInteger(bytes) || bytes! < 1024 * 1024 || (bytes! & (bytes! - 1)) !== 0) throw badCheckpoint(file, 'its "segmentBytes" is not a WAL segment size');
	if (typeof parsed.slot !== 'string' || !SLOT_NAME.test(parsed.slot)) throw badCheckpoint(file, 'its "slot" is not a replication slot name');
	return parsed as WalCheckpoint;
}

export function checkpointLsn(checkpoint: WalCheckpoint): Lsn {
	return parseLsn(checkpoint.flushLsn);
}

export async function writeWalCheckpoint(dir: StoreDir, checkpoint: Omit<WalCheckpoint, 'version' | 'updatedAt' | 'flushLsn'> & {flushLsn: Lsn}): Promise<void> {
	const full: WalCheckpoint = {version: CHECKPOINT_VERSION, ...checkpoint, flushLsn: formatLsn(checkpoint.flushLsn), updatedAt: new Date().toISOString()};
	await writeDirFile(dir, CHECKPOINT_NAME, `${JSON.stringify(full, null, 2)}\n`);
}

function badCheckpoint(file: string, why: string): IntegrityError {
	return new IntegrityError({
		code: 'WAL_CHECKPOINT_INVALID',
		message: `the checkpoint ${file} cannot be used: ${why}`,
		hint: 'Move the file away: the streamer then resumes after the newest complete segment in the store.',
	});
}
