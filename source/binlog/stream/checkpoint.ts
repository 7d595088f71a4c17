import {IntegrityError} from '../../core/errors.ts';
import {binlogTarget, readDirFile, writeDirFile, type BinlogDir} from './dir-file.ts';

export const CHECKPOINT_NAME = 'binlog-stream.checkpoint.json';
const CHECKPOINT_VERSION = 1;

/** The end of the last complete transaction that is durably on disk in the output directory. */
export interface StreamCheckpoint {
	version: 1;
	/** binlog file name, as the server names it */
	file: string;
	/** offset just after the transaction's last event */
	position: number;
	/** MariaDB GTID position or MySQL GTID set after that transaction ('' when the server has no GTIDs) */
	gtid: string;
	/** the transaction's event time (ISO), when known */
	eventTime?: string;
	/** the server the files come from */
	source: {flavor: 'mariadb' | 'mysql'; serverId: number; host: string};
	updatedAt: string;
}

export async function readCheckpoint(dir: BinlogDir): Promise<StreamCheckpoint | undefined> {
	const file = binlogTarget(dir).describe(CHECKPOINT_NAME);
	const parsed = await readDirFile<StreamCheckpoint>(dir, CHECKPOINT_NAME, CHECKPOINT_VERSION, badCheckpoint);
	if (!parsed) return undefined;
	if (typeof parsed.file !== 'string' || !isBinlogName(parsed.file)) throw badCheckpoint(file, 'its "file" is not a binlog file name');
	if (!Number.isSafeInteger(parsed.position) || parsed.position! < 4) throw badCheckpoint(file, 'its "position" is not a file offset of 4 or more');
	if (typeof parsed.gtid !== 'string') throw badCheckpoint(file, 'its "gtid" is not a string');
	if (!parsed.source || (parsed.source.flavor !== 'mariadb' && parsed.source.flavor !== 'mysql')) throw badCheckpoint(file, 'its "source" is missing');
	return parsed as StreamCheckpoint;
}

export async function writeCheckpoint(dir: BinlogDir, checkpoint: Omit<StreamCheckpoint, 'version' | 'updatedAt'>): Promise<void> {
	const full: StreamCheckpoint = {version: CHECKPOINT_VERSION, ...checkpoint, updatedAt: new Date().toISOString()};
	await writeDirFile(dir, CHECKPOINT_NAME, `${JSON.stringify(full, null, 2)}\n`);
}

/** A file name a server could give a binlog: no directory parts, ends in a number. */
export function isBinlogName(name: string): boolean {
	return /^[^/\\\0]+\.\d+$/.test(name) && name !== '.' && name !== '..';
}

function badCheckpoint(file: string, why: string): IntegrityError {
	return new IntegrityError({
		code: 'BINLOG_CHECKPOINT_INVALID',
		message: `the checkpoint ${file} cannot be used: ${why}`,
		hint: 'Move the file away to let the streamer rebuild the resume point by reading the binlog files in the directory.',
	});
}
