/**
 * Free space for the clone before it starts: the server's InnoDB files (tablespaces, undo; not the
 * temporary tablespace, which a clone does not copy) against what the clone directory's filesystem has
 * free. A clone that runs out of space fails after copying most of the data, so it is refused up front.
 */
import {statfs} from 'node:fs/promises';
import type {RowDataPacket} from 'mysql2/promise';
import type {MysqlConnection} from '../../core/connect.ts';
import {WorkError} from '../../core/errors.ts';
import {formatBytes} from '../../core/format.ts';

const MiB = 1024 * 1024;
/** the redo the clone copies and its own files, beyond the tablespaces */
const MARGIN_BYTES = 64 * MiB;

/** The bytes of the InnoDB files a clone of this server copies. */
export async function estimateCloneBytes(connection: MysqlConnection): Promise<number> {
	const [rows] = await connection.query<RowDataPacket[]>(
		"SELECT COALESCE(SUM(TOTAL_EXTENTS * EXTENT_SIZE), 0) AS bytes FROM information_schema.FILES WHERE ENGINE = 'InnoDB' AND FILE_TYPE <> 'TEMPORARY'",
	);
	return Number(rows[0]?.bytes ?? 0);
}

export async function freeBytes(directory: string): Promise<number> {
	const info = await statfs(directory);
	return Number(info.bavail) * Number(info.bsize);
}

/** Refuses a clone whose estimate (plus a margin) does not fit in the free space where it goes. */
export async function checkSpace(parent: string, estimate: number, what: string): Promise<void> {
	const needed = Math.ceil(estimate * 1.05) + MARGIN_BYTES;
	const free = await freeBytes(parent);
	if (free >= needed) return;
	throw new WorkError({
		code: 'CLONE_NO_SPACE',
		message: `not enough free space for the clone in ${parent}: ${what} is about ${formatBytes(estimate)}, the clone needs about ${formatBytes(needed)} and ${formatBytes(free)} is free`,
		hint: 'Free space there, or set backup.clone.data_dir to a directory on a filesystem with room for a full copy (the directory is removed once the archive is written).',
	});
}
