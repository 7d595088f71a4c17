import {lockStoreDir, type DirLockKind} from '../../storage/target/dir-lock.ts';

export const LOCK_NAME = 'binlog-stream.lock';

/** One binlog streamer per output directory: a kernel flock on binlog-stream.lock (storage/target/dir-lock.ts). */
export const BINLOG_DIR_LOCK: DirLockKind = {name: LOCK_NAME, holder: 'binlog-stream', lockedCode: 'BINLOG_OUTPUT_LOCKED', failedCode: 'BINLOG_LOCK_FAILED'};

export function lockOutputDir(dir: string): Promise<() => Promise<void>> {
	return lockStoreDir(dir, BINLOG_DIR_LOCK);
}
