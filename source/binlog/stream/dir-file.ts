import {readDirFile, readDirText, storeTarget, writeDirFile, type StoreDir} from '../../storage/target/dir-file.ts';

/*
 * The streamed copy's own files (checkpoint, index, identity) are written and read as every stream
 * store's are (storage/target/dir-file.ts); these are the names the binlog code knows them by.
 */

/**
 * The streamed copy's directory: its target, or a local path (the readers of a copy — replay, tests —
 * name it by path).
 */
export type BinlogDir = StoreDir;

export const binlogTarget = storeTarget;

export {readDirFile, readDirText, writeDirFile};
