import {mkdir, stat} from 'node:fs/promises';
import {DbBackupError, UsageError, type ErrorCode} from '../../core/errors.ts';
import {isObjectStoreUrl} from '../../core/object-store-url.ts';
import {lockStoreDir, type DirLockKind} from './dir-lock.ts';
import {directoryTarget, type StorageOptions} from './index.ts';
import {leaseStore, type LeaseKind} from './lease.ts';
import {LocalDirectoryTarget} from './local-directory.ts';
import type {AppendableTarget, ArtifactTarget} from './types.ts';

/** The segment size with --sync always (S3, encrypted): each sync rewrites at most this much. */
export const ALWAYS_SYNC_SEGMENT_BYTES = 1024 * 1024;

/** What a streamer claims its store as: its lock file, its lease object, and how it words a store it cannot use. */
export interface StoreClaimKind {
	lock: DirLockKind;
	lease: LeaseKind;
	/** the code of an --output that cannot be a store (a file, read-only, permission denied) */
	unusableCode: ErrorCode;
	/** what is written there, for messages: 'binlogs', 'WAL' */
	what: string;
}

export interface ClaimedStore {
	target: AppendableTarget;
	unlock: () => Promise<void>;
}

/**
 * The store of a streamer (binlog-stream, wal-stream), claimed for this process alone: a local
 * directory (made if missing) locked with flock, or an object-store prefix held by a lease object;
 * encrypted when `storage` holds a key. With `sync: 'always'` every sync rewrites the open segment of a
 * segmented artifact (S3, or encrypted), so smaller segments keep that write small.
 */
export async function claimStreamStore(location: string, storage: StorageOptions | undefined, sync: 'always' | 'interval', kind: StoreClaimKind): Promise<ClaimedStore> {
	const options = segmentedStorage(storage ?? {}, sync);
	return isObjectStoreUrl(location) ? claimObjectStore(location, options, kind) : claimDirectory(location, options, kind);
}

function segmentedStorage(storage: StorageOptions, sync: 'always' | 'interval'): StorageOptions {
	if (sync !== 'always' || storage.appendSegmentBytes !== undefined) return storage;
	return {...storage, appendSegmentBytes: ALWAYS_SYNC_SEGMENT_BYTES};
}

/** A local directory, made if missing, locked with flock (dir-lock.ts); encrypted when a key is given. */
async function claimDirectory(dir: string, storage: StorageOptions, kind: StoreClaimKind): Promise<ClaimedStore> {
	await prepareStoreDir(dir, kind);
	const unlock = await lockStoreDir(dir, kind.lock).catch((error: unknown) => {
		throw unusableStore(dir, error, kind);
	});
	if (!storage.encryption) return {target: new LocalDirectoryTarget(dir), unlock};
	try {
		return {target: (await directoryTarget(dir, storage)) as AppendableTarget, unlock};
	} catch (error) {
		await unlock();
		throw error;
	}
}

/**
 * An object-store prefix: the file being written is uploaded as segments at every sync, so S3 is at
 * most one checkpoint interval behind (storage/s3/appendable.ts); the claim is a lease object.
 */
async function claimObjectStore(location: string, storage: StorageOptions, kind: StoreClaimKind): Promise<ClaimedStore> {
	const target = await directoryTarget(location, storage);
	if (!target.openAppend) {
		throw new UsageError({code: kind.unusableCode, message: `cannot stream ${kind.what} to ${location}: that target cannot grow a file in place`, hint: 'Stream to a local directory or an s3:// prefix.'});
	}
	// the bucket check and the lease (host and pid only) go to the store itself, under any encryption
	const store = (target as {inner?: ArtifactTarget}).inner ?? target;
	await (store as {checkBucket?: () => Promise<void>}).checkBucket?.();
	const unlock = await leaseStore(store, kind.lease);
	return {target: target as AppendableTarget, unlock};
}

/** The store's directory, made if missing; a path that cannot be one is a clear error naming it. */
async function prepareStoreDir(dir: string, kind: StoreClaimKind): Promise<void> {
	try {
		await mkdir(dir, {recursive: true});
		if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), {code: 'ENOTDIR'});
	} catch (error) {
		throw unusableStore(dir, error, kind);
	}
}

const PATH_ERRORS: Record<string, string> = {
	EEXIST: 'it is a file, not a directory',
	ENOTDIR: 'it, or a directory above it, is a file, not a directory',
	EACCES: 'permission denied',
	EPERM: 'operation not permitted',
	EROFS: 'the filesystem is read-only',
	ENOENT: 'a directory above it does not exist',
	ENOSPC: 'no space left on the device',
};

function unusableStore(dir: string, error: unknown, kind: StoreClaimKind): unknown {
	const code = (error as NodeJS.ErrnoException).code;
	if (error instanceof DbBackupError || code === undefined || !(code in PATH_ERRORS)) return error;
	return new UsageError({
		code: kind.unusableCode,
		message: `cannot write ${kind.what} to --output ${dir}: ${PATH_ERRORS[code]} (${code})`,
		hint: 'Give --output a directory this user can create and write, on a writable filesystem.',
		cause: error,
	});
}
