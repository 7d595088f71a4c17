import {badArguments} from '../core/errors.ts';
import type {Config} from '../core/config/types.ts';
import {directoryTarget} from '../storage/target/index.ts';
import {fetchWal, type FetchedWal} from '../wal/store/fetch.ts';
import {s3SettingsOf} from './storage-options.ts';

export const WAL_FETCH_USAGE = 'Usage: dbbackup wal-fetch --wal DIR|s3://BUCKET/PREFIX/ WAL_FILE_NAME DEST_PATH   (restore_command = \'dbbackup wal-fetch --wal /backups/wal/ %f %p\')';

/** `wal-fetch`: one WAL file of a wal-stream store (a directory or an s3:// prefix) to where PostgreSQL wants it. */
export async function walFetch(store: string | undefined, name: string | undefined, dest: string | undefined, config: Config): Promise<FetchedWal> {
	if (store === undefined) throw badArguments('wal-fetch needs the WAL store: --wal DIR|s3://BUCKET/PREFIX/', WAL_FETCH_USAGE);
	if (name === undefined || dest === undefined) throw badArguments('wal-fetch needs the WAL file\'s name and where to write it', WAL_FETCH_USAGE);
	const target = await directoryTarget(store, {s3: s3SettingsOf(config)});
	return fetchWal(target, name, dest);
}
